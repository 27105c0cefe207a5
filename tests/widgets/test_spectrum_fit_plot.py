"""SpectrumFitPlot: spectra, fit range released by the user, fit and pulls, log view, CSV."""

from __future__ import annotations

import csv

import numpy as np
import pyqtgraph as pg
import pytest

from widgets import spectrum_fit_plot
from widgets.spectrum_fit_plot import FitCurve, SpectrumFitPlot, SpectrumSeries

EDGES = np.linspace(0.0, 100.0, 21)  # 20 bins of 5
SIG = np.arange(20, dtype=float) * 3.0  # bin 0 empty
BKG = np.full(20, 2.0)


@pytest.fixture
def plot(qtbot):
    w = SpectrumFitPlot()
    qtbot.addWidget(w)
    w.resize(700, 450)
    w.show()
    return w


def _three(plot):
    plot.set_spectra(
        EDGES,
        [
            SpectrumSeries("signal", "Kr run", SIG, np.sqrt(SIG)),
            SpectrumSeries("background", "bkg (scaled)", BKG, np.sqrt(BKG)),
            SpectrumSeries("subtracted", "Kr - bkg", SIG - BKG, np.sqrt(SIG + BKG)),
        ],
        title="t",
    )


def _curve(plot, label):
    return next(i for i in plot.plot.listDataItems() if i.name() == label)


def test_three_spectra_are_drawn_with_their_legend(plot):
    _three(plot)
    assert plot.series_keys() == ["signal", "background", "subtracted"]
    np.testing.assert_array_equal(plot.series_counts("subtracted"), SIG - BKG)
    labels = [label.text for _, label in plot.legend.items]
    assert labels == ["Kr run", "bkg (scaled)", "Kr - bkg"]
    x, y = _curve(plot, "Kr run").getData()
    np.testing.assert_array_equal(x, EDGES)
    np.testing.assert_array_equal(y, SIG)
    assert plot.message() == ""


def test_bad_series_are_refused(plot):
    with pytest.raises(ValueError, match="19 values for 20 bins"):
        plot.set_spectra(EDGES, [SpectrumSeries("signal", "s", SIG[:-1])])
    with pytest.raises(ValueError, match="unknown series style"):
        plot.set_spectra(EDGES, [SpectrumSeries("other", "s", SIG)])


def test_range_is_emitted_on_release_only_for_user_moves(plot, qtbot):
    _three(plot)
    with qtbot.assertNotEmitted(plot.range_changed):
        plot.set_range(40.0, 20.0)
    assert plot.fit_range() == (20.0, 40.0)
    # What the mouse does: move the region, then finish (setRegion emits the finish itself).
    with qtbot.waitSignal(plot.range_changed) as blocker:
        plot.region.setRegion((30.0, 70.0))
    assert blocker.args == [30.0, 70.0]


def test_fit_and_pulls(plot):
    _three(plot)
    x = np.linspace(20.0, 60.0, 50)
    rx = np.array([22.5, 27.5, 32.5])
    pulls = np.array([0.5, np.nan, -1.5])
    plot.set_fit(FitCurve(x, 2 * x, rx, pulls, "gauss fit"))
    px, py = plot.residual_points()
    np.testing.assert_array_equal(px, [22.5, 32.5])  # NaN pulls are not drawn
    np.testing.assert_array_equal(py, [0.5, -1.5])
    assert "gauss fit" in [label.text for _, label in plot.legend.items]
    plot.set_fit(None)
    assert plot.residual_points()[0].size == 0
    assert "gauss fit" not in [label.text for _, label in plot.legend.items]


def test_log_view_puts_empty_and_negative_bins_at_a_floor(plot):
    _three(plot)
    plot.set_log_scale(True)
    assert plot.is_log_scale()
    _, y = _curve(plot, "Kr run").getData()
    # Integer counts: floor 0.5 (the smallest positive value shown is 2, half is 1 > 0.5).
    np.testing.assert_allclose(y, np.log10(np.maximum(SIG, 0.5)))
    _, ys = _curve(plot, "Kr - bkg").getData()
    assert ys[0] == pytest.approx(np.log10(0.5))  # 0 - 2 < 0 sits at the floor
    plot.set_log_scale(False)
    np.testing.assert_array_equal(_curve(plot, "Kr - bkg").getData()[1], SIG - BKG)


def test_error_bars_follow_the_switch(plot):
    _three(plot)
    assert not any(isinstance(i, pg.ErrorBarItem) for i in plot.plot.items)
    plot.set_error_bars(True)
    bars = [i for i in plot.plot.items if isinstance(i, pg.ErrorBarItem)]
    assert len(bars) == 3
    np.testing.assert_allclose(bars[0].opts["top"], np.sqrt(SIG))
    plot.set_log_scale(True)
    bars = [i for i in plot.plot.items if isinstance(i, pg.ErrorBarItem)]
    # Log view: the bar reaches log10(n + sqrt n) above the point.
    np.testing.assert_allclose(bars[0].opts["top"][1:], np.log10(1 + 1 / np.sqrt(SIG[1:])))


def test_clear_shows_what_to_do_and_markers(plot):
    _three(plot)
    plot.set_markers([(50.0, "resolving cut 155 ns")])
    assert plot.marker_labels() == ["resolving cut 155 ns"]
    plot.clear("Open and reduce a Kr run")
    assert plot.message() == "Open and reduce a Kr run"
    assert plot.series_keys() == []
    assert plot.marker_labels() == []
    _three(plot)
    assert plot.message() == ""


def test_csv_has_bins_series_model_and_pulls(plot, tmp_path):
    _three(plot)
    x = np.linspace(20.0, 60.0, 41)
    plot.set_fit(FitCurve(x, x + 1.0, np.array([22.5, 57.5]), np.array([1.25, -0.5])))
    path = tmp_path / "spec.csv"
    written = plot.exporter.save_csv(path)[0]  # then the pull panel beside it
    rows = list(csv.reader(written.read_text(encoding="utf-8").splitlines()))
    assert rows[0] == [
        "bin_lo", "bin_hi", "signal", "signal_err", "background", "background_err",
        "subtracted", "subtracted_err", "model", "pull",
    ]  # fmt: skip
    assert len(rows) == 21
    row4 = dict(zip(rows[0], rows[5], strict=True))  # bin 20-25 (centre 22.5)
    assert float(row4["model"]) == pytest.approx(23.5)  # model is linear: interpolation exact
    assert float(row4["pull"]) == 1.25
    assert rows[1][8] == ""  # outside the fit range: empty cell
    assert float(dict(zip(rows[0], rows[12], strict=True))["pull"]) == -0.5  # 55-60


def test_png_and_svg_export(plot, tmp_path):
    _three(plot)
    assert plot.exporter.save_png(tmp_path / "a.png").stat().st_size > 1000
    assert "<svg" in (plot.exporter.save_svg(tmp_path / "a.svg")).read_text()


def test_demo_builds(qtbot):
    w = spectrum_fit_plot.demo()
    qtbot.addWidget(w)
    assert w.windowTitle().endswith("demo")
    assert w.series_keys() == ["signal", "background", "subtracted"]
