"""WaveformPlotWidget: traces, overlays placed from t0, raw view, zoom modes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from widgets.waveform_plot import WaveformPlotWidget

T = (np.arange(1875) - 375) * 4.0


@pytest.fixture
def plot(qtbot):
    w = WaveformPlotWidget()
    qtbot.addWidget(w)
    w.resize(800, 400)
    w.show()
    qtbot.waitExposed(w)
    return w


def _event(w, t0=8.0, **kw):
    top = np.exp(-np.clip(T - t0, 0, None) / 6.0) * (t0 <= T) * 50
    bottom = 0.8 * top
    w.set_event(
        T,
        {"top": top, "bottom": bottom, "sum": top + bottom},
        raw_adc={"top": 3500 - top, "bottom": 3400 - bottom},
        baselines_adc={"top": 3500.0, "bottom": 3400.0},
        t0_ns=t0,
        markers={"delayed pulse 9 ADC": (t0 + 200.0, 9.0)},
        title="run.h5 · event 3",
        **kw,
    )
    return top, bottom


def test_traces_drawn_with_given_data(plot):
    top, bottom = _event(plot)
    assert plot.curve_names() == ["top", "bottom", "sum"]
    x, y = plot.curve_data("sum")
    np.testing.assert_array_equal(x, T)
    np.testing.assert_allclose(y, top + bottom)
    assert plot._title.text() == "run.h5 · event 3"
    legend = [item.text for _, item in plot.legend.items]
    assert legend == ["top", "bottom", "sum", "delayed pulse 9 ADC"]


def test_windows_and_markers_follow_t0(plot):
    _event(plot, t0=-12.0)
    regions = [r.getRegion() for r in plot.overlay.regions]
    assert regions == [(-12.0, -12.0 + w) for w in (35.0, 55.0, 90.0, 240.0)]
    assert plot.overlay.t0_line.value() == -12.0
    assert plot.overlay.delayed_line.value() == -12.0 + 152.0
    assert all(r.isVisible() for r in plot.overlay.regions)
    assert list(plot._marker_items) == ["delayed pulse 9 ADC"]
    assert plot._marker_items["delayed pulse 9 ADC"].data["x"][0] == -12.0 + 200.0
    assert [item.text for _, item in plot.legend.items][-1] == "delayed pulse 9 ADC"


def test_no_pulse_hides_overlays(plot):
    _event(plot, t0=math.nan)
    assert not plot.overlay.t0_line.isVisible()
    assert not any(r.isVisible() for r in plot.overlay.regions)
    assert not plot.overlay.delayed_line.isVisible()


def test_custom_windows(plot):
    plot.set_windows([20.0, 100.0], delayed_after_ns=None)
    _event(plot, t0=0.0)
    assert [r.getRegion() for r in plot.overlay.regions] == [(0.0, 20.0), (0.0, 100.0)]
    assert not plot.overlay.delayed_line.isVisible()


def test_raw_view_toggle(qtbot, plot):
    _event(plot)
    with qtbot.waitSignal(plot.raw_view_changed) as blocker:
        plot._raw_box.click()
    assert blocker.args == [True]
    assert plot.raw_view()
    assert plot.curve_names() == ["top", "bottom"]
    assert sorted(plot._baseline_lines) == ["bottom", "top"]
    assert plot._baseline_lines["top"].value() == 3500.0
    assert plot._marker_items == {}  # markers live on the processed traces
    with qtbot.assertNotEmitted(plot.raw_view_changed):
        plot.set_raw_view(True)
    plot.set_raw_view(False)
    assert plot.curve_names() == ["top", "bottom", "sum"]
    assert plot._baseline_lines == {}


def test_zoom_prompt_and_full(qtbot, plot):
    _event(plot, t0=20.0)
    assert plot.zoom_mode() == "full"
    lo, hi = plot.x_range()
    assert lo == pytest.approx(T[0])
    assert hi == pytest.approx(T[-1])
    plot._zoom_btn.click()
    assert plot.zoom_mode() == "prompt"
    assert plot.x_range() == pytest.approx((20.0 - 50.0, 20.0 + 500.0))
    _event(plot, t0=60.0)  # stepping keeps the prompt zoom, re-centred on the new t0
    assert plot.x_range() == pytest.approx((10.0, 560.0))
    plot._full_btn.click()
    assert plot.x_range() == pytest.approx((T[0], T[-1]))


def test_manual_zoom_is_kept_when_stepping(plot):
    _event(plot)
    vb = plot.plot.getViewBox()
    vb.setXRange(100.0, 300.0, padding=0)
    vb.sigRangeChangedManually.emit(vb.state["mouseEnabled"])
    assert plot.zoom_mode() == "custom"
    _event(plot, t0=40.0)
    assert plot.x_range() == pytest.approx((100.0, 300.0))


def test_shape_mismatch_is_refused(plot):
    with pytest.raises(ValueError, match="shape"):
        plot.set_event(T, {"top": np.zeros(10)})


def test_clear(plot):
    _event(plot)
    plot.clear()
    assert plot.curve_names() == []
    assert not plot.overlay.t0_line.isVisible()


def test_items_are_reused_when_stepping(plot):
    _event(plot, t0=0.0)
    curve, dot = plot._curves["sum"], plot._marker_items["delayed pulse 9 ADC"]
    legend_rows = list(plot.legend.items)
    _event(plot, t0=4.0)
    assert plot._curves["sum"] is curve
    assert plot._marker_items["delayed pulse 9 ADC"] is dot
    assert list(plot.legend.items) == legend_rows  # legend not rebuilt for the same entries


def test_non_finite_marker_is_hidden(plot):
    plot.set_event(T, {"sum": np.zeros(T.size)}, t0_ns=0.0, markers={"m": (math.nan, 1.0)})
    assert not plot._marker_items["m"].isVisible()
    assert [item.text for _, item in plot.legend.items] == ["sum"]


def test_window_labels_and_elided_title(qtbot, plot):
    _event(plot, t0=0.0)
    labels = [line.label.format for line in plot.overlay.window_lines]
    assert labels == ["35 ns", "55 ns", "90 ns", "240 ns"]
    assert plot.overlay.delayed_line.label.format == "delayed ≥ t0+152 ns"
    long_title = "kr_run.h5 · " + "x" * 500
    plot.set_event(T, {"sum": np.zeros(T.size)}, title=long_title)
    assert plot._title.text() == long_title  # full text kept (and as tooltip) ...
    assert plot._title.toolTip() == long_title
    shown = super(type(plot._title), plot._title).text()
    assert shown.endswith("…")  # ... while the label shows an elided version
    assert len(shown) < len(long_title)
