"""EfficiencyPlot: log-log drawing, sources and legend, excluded/flagged points, residuals, clicks."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest

from widgets.efficiency_plot import EfficiencyPlot, demo
from widgets.plot_log_axis import LogAxis, format_tick

E = np.array([121.8, 244.7, 344.3, 122.1, 136.5])
EFF = np.array([0.034, 0.021, 0.0156, 0.033, np.nan])
SRC = ["Eu-152", "Eu-152", "Eu-152", "Co-57", "Co-57"]


@pytest.fixture
def plot(qtbot):
    w = EfficiencyPlot()
    qtbot.addWidget(w)
    w.resize(800, 600)
    w.show()
    qtbot.waitExposed(w)
    return w


def _scatters(plot):
    return [i for i in plot._items if isinstance(i, pg.ScatterPlotItem)]


def test_points_are_drawn_in_log10_per_source_and_nan_skipped(plot):
    plot.set_points(
        E, EFF, 0.03 * EFF, SRC, flagged=[True, True, True, False, False],
        excluded=[False, True, False, False, False],
    )  # fmt: skip
    assert plot.source_labels() == ["Eu-152", "Co-57"]
    spots = [s for s in _scatters(plot) if s.opts["size"] == 9]
    eu, co = spots
    np.testing.assert_allclose(eu.getData()[0], np.log10(E[:3]))
    np.testing.assert_allclose(eu.getData()[1], np.log10(EFF[:3]))
    assert len(co.getData()[0]) == 1  # the NaN efficiency is not drawn
    # the excluded point is hollow (white brush), the others filled
    brushes = [b.color().name() for b in eu.data["brush"]]
    assert brushes == ["#1f77b4", "#ffffff", "#1f77b4"]
    rings = [s for s in _scatters(plot) if s.opts["size"] == 17]
    assert len(rings) == 1
    assert len(rings[0].getData()[0]) == 3
    names = [label.text for _, label in plot.legend.items]
    assert names == ["Eu-152", "Co-57", "summing-prone", "excluded (hollow)"]


def test_points_need_one_source_label_each(plot):
    with pytest.raises(ValueError, match="5 points but 2 source labels"):
        plot.set_points(E, EFF, EFF, ["a", "b"])


def test_error_bars_are_asymmetric_in_log_space(plot):
    plot.set_points(E[:1], EFF[:1], [0.01], ["s"])
    bars = next(i for i in plot._items if isinstance(i, pg.ErrorBarItem))
    assert bars.opts["top"][0] == pytest.approx(np.log10(0.044 / 0.034))
    assert bars.opts["bottom"][0] == pytest.approx(np.log10(0.034 / 0.024))


def test_curve_is_dashed_outside_the_fitted_range(plot):
    grid = np.geomspace(80, 2000, 50)
    eff = 0.01 * (grid / 300.0) ** -0.9
    plot.set_curve(grid, eff, eff * 0.97, eff * 1.03, fit_range_kev=(120.0, 1400.0))
    data = plot.curve_data()
    np.testing.assert_allclose(data["eff"], eff)
    curves = [i for i in plot._items if isinstance(i, pg.PlotDataItem)]
    solid, dashed = curves
    inside = (grid >= 120.0) & (grid <= 1400.0)
    np.testing.assert_array_equal(np.isfinite(solid.getOriginalDataset()[1]), inside)
    np.testing.assert_array_equal(np.isfinite(dashed.getOriginalDataset()[1]), ~inside)
    names = [label.text for _, label in plot.legend.items]
    assert names == ["fit", "1σ band", "extrapolated"]


def test_residual_mode_switches_and_emits_once(plot, qtbot):
    plot.set_points(
        E[:3], EFF[:3], 0.03 * EFF[:3], SRC[:3], residual_rel=[0.01, -0.02, 0.0],
        residual_rel_err=[0.005, 0.005, 0.005], pull=[2.0, -4.0, 0.0],
    )  # fmt: skip
    res = [i for i in plot._res_items if isinstance(i, pg.ScatterPlotItem)][0]
    np.testing.assert_allclose(res.getData()[1], [1.0, -2.0, 0.0])  # percent
    with qtbot.waitSignal(plot.residual_mode_changed) as blocker:
        plot._mode_box.setCurrentIndex(1)
    assert blocker.args == ["pull"]
    res = [i for i in plot._res_items if isinstance(i, pg.ScatterPlotItem)][0]
    np.testing.assert_allclose(res.getData()[1], [2.0, -4.0, 0.0])
    with qtbot.assertNotEmitted(plot.residual_mode_changed):
        plot.set_residual_mode("pull")
    with pytest.raises(ValueError, match="residual mode"):
        plot.set_residual_mode("absolute")


def test_clicking_a_point_emits_its_index_and_energy(plot, qtbot):
    plot.set_points(E, EFF, 0.03 * EFF, SRC)
    co = [s for s in _scatters(plot) if s.opts["size"] == 9][1]
    with qtbot.waitSignal(plot.point_clicked) as blocker:
        co.sigClicked.emit(co, co.points()[:1], None)  # as ScatterPlotItem does on a click
    assert blocker.args == [3, pytest.approx(122.1)]


def test_log_axis_labels_plain_numbers_at_round_values():
    axis = LogAxis("bottom")
    levels = axis.tickValues(np.log10(90.0), np.log10(1500.0), 600)
    major = levels[0][1]
    assert axis.tickStrings(major, 1.0, 1.0) == ["100", "200", "300", "500", "1000"]
    wide = axis.tickValues(np.log10(20.0), np.log10(3000.0), 600)[0][1]
    assert axis.tickStrings(wide, 1.0, 1.0) == ["100", "1000"]
    assert axis.tickStrings(levels[1][1][:1], 1.0, 1.0) == [""]  # minor ticks unlabelled
    assert format_tick(0.002) == "0.002"
    assert format_tick(2e-5) == "2e-5"


def test_demo_builds(qtbot):
    w = demo()
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    assert w.windowTitle().endswith("demo")
