"""RatePlot: points (fitted and not), decay curve and pulls, excluded period, text, CSV."""

from __future__ import annotations

import csv

import numpy as np
import pyqtgraph as pg
import pytest

from widgets import rate_plot
from widgets.rate_plot import RatePlot
from widgets.spectrum_fit_plot import FitCurve

T = np.arange(0.25, 5.0, 0.5)  # 10 points
R = 10.0 * np.exp(-T / 2.0) + 1.0
E = 0.1 * np.sqrt(R)


@pytest.fixture
def plot(qtbot):
    w = RatePlot()
    qtbot.addWidget(w)
    w.resize(700, 450)
    w.show()
    return w


def _symbols(plot):
    return {i.name(): i for i in plot.plot.listDataItems() if i.name()}


def test_points_used_and_left_out(plot):
    used = T > 1.0
    plot.set_points(T, R, E, used=used, title="rate")
    items = _symbols(plot)
    np.testing.assert_array_equal(items["rate"].getData()[0], T[used])
    np.testing.assert_array_equal(items["not fitted"].getData()[0], T[~used])
    bars = [i for i in plot.plot.items if isinstance(i, pg.ErrorBarItem)]
    np.testing.assert_allclose(bars[0].opts["top"], E)
    x, y, e = plot.points()
    np.testing.assert_array_equal(y, R)


def test_shapes_must_agree(plot):
    with pytest.raises(ValueError, match="10 times, 9 rates"):
        plot.set_points(T, R[:-1], E)
    with pytest.raises(ValueError, match="'used' flags"):
        plot.set_points(T, R, E, used=[True])


def test_exclusion_end_is_emitted_on_release_only_for_user_moves(plot, qtbot):
    plot.set_points(T, R, E)
    with qtbot.assertNotEmitted(plot.exclusion_changed):
        plot.set_exclusion(0.0, 0.5)
    assert plot.exclusion_end() == 0.5
    with qtbot.waitSignal(plot.exclusion_changed) as blocker:
        plot.exclusion.setRegion((0.0, 1.25))  # what dragging the right edge does
    assert blocker.args == [1.25]


def test_fit_pulls_annotation_and_log_view(plot):
    plot.set_points(T, R, E)
    fine = np.linspace(0.0, 5.0, 100)
    plot.set_fit(FitCurve(fine, 10 * np.exp(-fine / 2) + 1, T, np.linspace(-1, 1, 10), "fit"))
    np.testing.assert_allclose(plot.residual_points()[1], np.linspace(-1, 1, 10))
    plot.set_annotation("T½ = 1.39 ± 0.05 h")
    assert plot.annotation_text() == "T½ = 1.39 ± 0.05 h"
    plot.set_log_scale(True)
    np.testing.assert_allclose(_symbols(plot)["rate"].getData()[1], np.log10(R))
    plot.set_log_scale(False)
    np.testing.assert_allclose(_symbols(plot)["rate"].getData()[1], R)


def test_clear_shows_what_to_do(plot):
    plot.set_points(T, R, E)
    plot.set_annotation("x")
    plot.clear("Open and reduce a Kr run")
    assert plot.message() == "Open and reduce a Kr run"
    assert plot.annotation_text() == ""
    assert plot.points()[0].size == 0


def test_csv(plot, tmp_path):
    used = T > 1.0
    plot.set_points(T, R, E, used=used)
    fine = np.linspace(1.0, 5.0, 9)
    plot.set_fit(FitCurve(fine, 2 * fine, T[used], np.full(used.sum(), 0.5)))
    written = plot.exporter.save_csv(tmp_path / "rate.csv")[0]
    rows = list(csv.reader(written.read_text(encoding="utf-8").splitlines()))
    assert rows[0] == ["x", "rate", "rate_err", "used_in_fit", "model", "pull"]
    first, last = (
        dict(zip(rows[0], rows[1], strict=True)),
        dict(zip(rows[0], rows[-1], strict=True)),
    )
    assert (first["used_in_fit"], first["model"], first["pull"]) == ("0.0", "", "")
    assert float(last["model"]) == pytest.approx(2 * T[-1])  # linear model: interp exact
    assert float(last["pull"]) == 0.5


def test_demo_builds(qtbot):
    w = rate_plot.demo()
    qtbot.addWidget(w)
    assert w.windowTitle().endswith("demo")
    assert "1.83" in w.annotation_text()


# ---------------------------------------------------------------- TimeMapPlot (Kr timing too)
def test_time_map_shows_counts_curve_and_log_colours(qtbot, tmp_path):
    from widgets.time_map_plot import TimeMapPlot

    w = TimeMapPlot()
    qtbot.addWidget(w)
    x, y = np.linspace(0.0, 4.0, 5), np.linspace(0.0, 1.0, 3)
    counts = np.array([[0.0, 10.0], [1.0, 100.0], [0.0, 0.0], [5.0, 5.0]])
    with pytest.raises(ValueError, match="for 4 x 2 bins"):
        w.set_map(x, y, counts.T)
    w.set_map(x, y, counts, title="ftop vs time")
    np.testing.assert_array_equal(w.counts(), counts)
    img = w.image.image
    assert np.isnan(img[0, 0])  # empty bins are not coloured
    assert img[1, 1] == pytest.approx(2.0)  # log10(100)
    w.set_log_colours(False)
    assert w.image.image[1, 1] == 100.0
    w.set_curve([0.5, 1.5], [0.6, 0.5])
    assert list(w.curve.getData()[1]) == [0.6, 0.5]
    rows = w.exporter.save_csv(tmp_path / "map.csv")[0].read_text().splitlines()
    assert rows[0] == "x_lo,x_hi,y_lo,y_hi,counts"
    assert len(rows) == 1 + counts.size
    assert rows[4].split(",")[-1] == "100.0"  # x bin 1, y bin 1
    w.clear("Open a Kr run")
    assert w.message() == "Open a Kr run"
    assert w.counts().size == 0


def test_time_map_demo_builds(qtbot):
    from widgets import time_map_plot

    w = time_map_plot.demo()
    qtbot.addWidget(w)
    assert w.windowTitle().endswith("demo")
