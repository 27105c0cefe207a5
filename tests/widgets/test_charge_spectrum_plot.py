"""ChargeSpectrumPlot: histogram, model components, markers, fit window, residuals, export."""

from __future__ import annotations

import csv

import numpy as np
import pyqtgraph as pg
import pytest

from widgets.charge_spectrum_plot import LOG_FLOOR, ChargeSpectrumPlot, demo

EDGES = np.arange(0.0, 110.0, 10.0)
COUNTS = np.array([0, 4, 9, 16, 25, 16, 9, 4, 1, 0], dtype=float)


@pytest.fixture
def plot(qtbot):
    w = ChargeSpectrumPlot()
    qtbot.addWidget(w)
    w.resize(700, 500)
    w.show()
    qtbot.waitExposed(w)
    return w


def _curves(plot):
    return [i for _, i in plot._items if isinstance(i, pg.PlotDataItem)]


def test_spectrum_is_drawn_with_a_log_floor_and_validated(plot):
    plot.set_spectrum(EDGES, COUNTS, title="top")
    np.testing.assert_array_equal(plot.counts(), COUNTS)
    y = plot._data.getData()[1]
    # log view: empty bins drawn at the floor (pyqtgraph holds log10 of the shown values)
    assert np.nanmin(y) == pytest.approx(np.log10(LOG_FLOOR))
    plot.set_log_scale(False)
    assert not plot.is_log_scale()
    assert plot._log_box.isChecked() is False
    assert plot._data.getData()[1].min() == 0.0
    with pytest.raises(ValueError, match="10 bins need 11 edges"):
        plot.set_spectrum(EDGES[:-1], COUNTS)


def test_model_components_legend_and_residuals_in_the_window(plot):
    plot.set_spectrum(EDGES, COUNTS)
    model = np.array([0.5, 4, 10, 15, 24, 17, 8, 4, 1.5, 0.2])
    comps = {"pedestal": 0.3 * model, "1 PE": 0.7 * model, "total": model}
    plot.set_model(comps)
    assert set(plot.model()) == set(comps)
    assert len(_curves(plot)) == 3
    names = [label.text for _, label in plot.legend.items]
    assert names == ["data", "pedestal", "1 PE", "model"]
    x, r = plot.residuals()
    centres = 0.5 * (EDGES[1:] + EDGES[:-1])
    keep = model > 0.5  # bins with an expectation below 0.5 carry no residual
    np.testing.assert_allclose(x, centres[keep])
    np.testing.assert_allclose(r, ((COUNTS - model) / np.sqrt(model))[keep])
    plot.set_fit_range(28.0, 62.0)  # residuals only for bin centres inside the fit window
    np.testing.assert_allclose(plot.residuals()[0], [35.0, 45.0, 55.0])
    with pytest.raises(ValueError, match="model 'bad' has 3 bins"):
        plot.set_model({"bad": [1, 2, 3]})


def test_markers_skip_nan_and_new_spectrum_resets(plot):
    plot.set_spectrum(EDGES, COUNTS)
    plot.set_markers([(42.0, "μ = 42"), (float("nan"), "B: failed"), (37.0, "mean = 37")])
    assert plot.marker_labels() == ["μ = 42", "mean = 37"]
    lines = [i for _, i in plot._items if isinstance(i, pg.InfiniteLine)]
    assert [ln.value() for ln in lines] == [42.0, 37.0]
    plot.set_spectrum(EDGES, COUNTS)
    assert plot.marker_labels() == []
    assert plot.model() == {}


def test_clear_shows_the_message(plot):
    plot.set_spectrum(EDGES, COUNTS)
    plot.clear("No LED run: choose one")
    assert plot.message() == "No LED run: choose one"
    assert plot.counts().size == 0
    assert len(plot._data.getData()[0] or []) == 0
    plot.set_spectrum(EDGES, COUNTS)
    assert plot.message() == ""


def test_csv_export_has_the_histogram_and_the_model(plot, tmp_path):
    plot.set_spectrum(EDGES, COUNTS)
    plot.set_model({"total": COUNTS + 1.0})
    files = plot.exporter.save_csv(tmp_path / "spe.csv")
    with open(files[0], newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["charge_lo", "charge_hi", "counts", "model_total"]
    assert [float(v) for v in rows[5]] == [40.0, 50.0, 25.0, 26.0]
    png = plot.exporter.save_png(tmp_path / "spe.png")
    assert png.stat().st_size > 1000


def test_demo_builds(qtbot):
    w = demo()
    qtbot.addWidget(w)
    assert "total" in w.model()
    assert w.marker_labels() == ["μ = 210", "mean = 180"]


def test_legend_corner(plot):
    plot.set_spectrum(EDGES, COUNTS)
    plot.set_legend_corner("top-right")
    assert plot.legend.opts["offset"] == (-8, 8)
    with pytest.raises(ValueError, match="legend corner 'middle'"):
        plot.set_legend_corner("middle")
