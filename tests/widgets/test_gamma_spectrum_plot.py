"""GammaSpectrumPlot: data, log view with empty channels, markers, region, fit requests, fits."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from widgets.gamma_overlays import FitCurves
from widgets.gamma_spectrum_plot import (
    HEADROOM,
    LOG_FLOOR,
    REGION_HALF_WIDTH_FWHM,
    GammaSpectrumPlot,
    demo,
)


def _spectrum():
    """0.5 keV bins from 0 to 1024 keV, a 2-keV-wide peak at 300.2 keV, zeros at the ends."""
    edges = np.arange(2049) * 0.5
    c = 0.5 * (edges[:-1] + edges[1:])
    counts = np.round(20 + 1000 * np.exp(-0.5 * ((c - 300.25) / 0.85) ** 2))
    counts[:10] = 0
    counts[-5:] = 0
    return edges, counts


@pytest.fixture
def plot(qtbot):
    w = GammaSpectrumPlot()
    qtbot.addWidget(w)
    w.resize(900, 500)
    w.show()
    qtbot.waitExposed(w)
    return w


def test_spectrum_needs_one_more_edge_than_channels(plot):
    with pytest.raises(ValueError, match="need 11 edges"):
        plot.set_spectrum(np.arange(10.0), np.ones(10))


def test_log_view_draws_empty_channels_at_the_floor_and_keeps_true_counts(plot, qtbot):
    edges, counts = _spectrum()
    plot.set_spectrum(edges, counts, title="x")
    assert plot.is_log_scale()
    y = plot._data.getOriginalDataset()[1]
    assert y.min() == LOG_FLOOR  # zero channels drawn at the floor, not log(0)
    headroom = plot._headroom.getOriginalDataset()[1]
    np.testing.assert_allclose(headroom, np.maximum(counts, LOG_FLOOR) * HEADROOM[0])
    header, cols = plot.csv_columns()
    assert header == ["energy_lo_kev", "energy_hi_kev", "counts"]
    np.testing.assert_array_equal(cols[2], counts)  # the export has the true zeros
    with qtbot.waitSignal(plot.log_scale_changed) as blocker:
        plot._log_box.setChecked(False)
    assert blocker.args == [False]
    np.testing.assert_array_equal(plot._data.getOriginalDataset()[1], counts)
    with qtbot.assertNotEmitted(plot.log_scale_changed):
        plot.set_log_scale(False)  # not a change


def test_fit_button_emits_the_dragged_region(plot, qtbot):
    edges, counts = _spectrum()
    plot.set_spectrum(edges, counts)
    with qtbot.waitSignal(plot.region_changed, timeout=1000) as moved:
        plot.region.setRegion((290.0, 310.0))  # as a drag does
    assert moved.args == pytest.approx([290.0, 310.0])
    with qtbot.waitSignal(plot.fit_requested) as blocker:
        qtbot.mouseClick(plot._fit_btn, Qt.MouseButton.LeftButton)
    assert blocker.args == pytest.approx([290.0, 310.0])


def test_set_region_is_silent(plot, qtbot):
    edges, counts = _spectrum()
    plot.set_spectrum(edges, counts)
    with qtbot.assertNotEmitted(plot.region_changed, wait=120):
        plot.set_region(100.0, 120.0)
    assert plot.region_kev() == pytest.approx((100.0, 120.0))


def test_request_fit_snaps_to_the_peak_with_the_fwhm_guess(plot, qtbot):
    edges, counts = _spectrum()
    plot.set_spectrum(edges, counts)
    plot.set_fwhm_guess([100.0, 900.0], [1.0, 3.0])
    fwhm = 1.0 + 2.0 * (300.25 - 100.0) / 800.0  # interpolated at the peak, not the click
    with qtbot.waitSignal(plot.fit_requested) as blocker:
        plot.request_fit_at(299.6)  # a click 0.65 keV off the peak
    lo, hi = blocker.args
    assert 0.5 * (lo + hi) == pytest.approx(300.25)  # the highest bin centre
    assert hi - lo == pytest.approx(2 * REGION_HALF_WIDTH_FWHM * fwhm)
    assert plot.region_kev() == pytest.approx((lo, hi))
    assert plot.request_fit_at(5000.0) is None  # outside the spectrum


def test_double_click_on_the_plot_requests_a_fit(plot, qtbot):
    edges, counts = _spectrum()
    plot.set_spectrum(edges, counts)
    plot.set_fwhm_guess([0.0, 1000.0], [2.0, 2.0])
    plot.zoom_to(280.0, 320.0)
    qtbot.wait(50)
    vb = plot.plot.getViewBox()
    view_pos = plot.graphics.mapFromScene(vb.sceneBoundingRect().center())
    target = vb.mapSceneToView(plot.graphics.mapToScene(view_pos)).x()
    with qtbot.waitSignal(plot.fit_requested, timeout=2000) as blocker:
        qtbot.mouseDClick(plot.graphics.viewport(), Qt.MouseButton.LeftButton, pos=view_pos)
        # QTest's double click ends on the double-click event; a real mouse then releases,
        # which is when pyqtgraph delivers click events.
        qtbot.mouseRelease(plot.graphics.viewport(), Qt.MouseButton.LeftButton, pos=view_pos)
    lo, hi = blocker.args
    assert abs(0.5 * (lo + hi) - target) <= 2.0  # snapped within one FWHM of the click
    assert hi - lo == pytest.approx(2 * REGION_HALF_WIDTH_FWHM * 2.0)


def test_markers_hide_colliding_labels_of_weaker_lines(plot):
    edges, counts = _spectrum()
    plot.set_spectrum(edges, counts)
    plot.set_lines(
        [300.0, 301.0, 700.0], ["A 300.0", "B 301.0", "C 700.0"], priorities=[0.1, 0.9, 0.5]
    )
    assert plot.line_labels() == ["A 300.0", "B 301.0", "C 700.0"]
    # Full view: ~1 keV per pixel, so A and B collide and the stronger B keeps its label.
    assert plot._markers.visible_labels() == ["B 301.0", "C 700.0"]
    plot.zoom_to(295.0, 306.0)
    assert plot._markers.visible_labels() == ["A 300.0", "B 301.0", "C 700.0"]
    with pytest.raises(ValueError, match="2 positions but 1 labels"):
        plot.set_lines([1.0, 2.0], ["x"])


def test_fits_draw_totals_components_and_residuals(plot):
    edges, counts = _spectrum()
    plot.set_spectrum(edges, counts)
    x = np.linspace(295, 305, 101)
    fit = FitCurves(
        x, np.full(x.size, 30.0), (("peak", np.full(x.size, 25.0)), ("bkg", np.full(x.size, 5.0))),
        np.array([296.0, 297.0, 298.0]), np.array([0.5, np.nan, -1.0]), "f",
    )  # fmt: skip
    plot.set_fits([fit, fit], highlight=1)
    assert plot.fit_count() == 2
    # two totals + the two components of the highlighted region
    assert len(plot._overlay._items) == 4
    rx, ry = plot.residual_points()
    np.testing.assert_array_equal(rx, [296.0, 298.0, 296.0, 298.0])  # NaN dropped
    np.testing.assert_array_equal(ry, [0.5, -1.0, 0.5, -1.0])
    plot.set_fits([])
    assert plot.fit_count() == 0
    assert plot.residual_points()[0].size == 0


def test_clear_empties_everything(plot):
    edges, counts = _spectrum()
    plot.set_spectrum(edges, counts)
    plot.set_lines([300.0], ["A"])
    plot.clear()
    assert plot.counts().size == 0
    assert plot.line_labels() == []
    assert not plot._fit_btn.isEnabled()


def test_demo_builds(qtbot):
    w = demo()
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    assert w.windowTitle().endswith("demo")
    assert w.line_labels() == ["Eu-152 344.3", "Eu-152 778.9"]


def test_switching_the_count_scale_keeps_the_energy_range(plot):
    edges, counts = _spectrum()
    plot.set_spectrum(edges, counts)
    plot.zoom_to(290.0, 310.0)
    plot.set_log_scale(False)
    assert plot.x_range_kev() == pytest.approx((290.0, 310.0))
    plot.set_log_scale(True)
    assert plot.x_range_kev() == pytest.approx((290.0, 310.0))
