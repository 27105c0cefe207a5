"""Hist2DImage: shows the counts given, keeps the view on refills, reports clicked bins."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from widgets.cut_rois import BandShape, PolygonShape
from widgets.hist2d_image import Hist2DImage, demo


@pytest.fixture
def image(qtbot):
    w = Hist2DImage()
    qtbot.addWidget(w)
    w.resize(500, 400)
    w.show()
    qtbot.waitExposed(w)
    return w


def _hist():
    x, y = np.linspace(0, 100, 11), np.linspace(0, 1, 6)
    counts = np.arange(50, dtype=float).reshape(10, 5)
    return x, y, counts


def test_set_histogram_and_levels(image):
    x, y, c = _hist()
    image.set_histogram(x, y, c)
    np.testing.assert_array_equal(image.counts(), c)
    # Log colours: the zero bin is blank (NaN), levels span log10 of the non-zero counts.
    lo, hi = image.colour_bar.levels()
    assert lo == pytest.approx(0.0, abs=1e-12)  # log10(1)
    assert hi == pytest.approx(np.log10(49.0), rel=1e-12)
    assert np.isnan(image.image.image[0, 0])
    image.set_log_colours(False)
    assert image.colour_bar.levels()[1] == pytest.approx(49.0, rel=1e-12)
    with pytest.raises(ValueError, match="counts of shape"):
        image.set_histogram(x, y, c[:, :3])


def test_refill_keeps_view_new_edges_refit(image):
    x, y, c = _hist()
    image.set_histogram(x, y, c)
    image.plot.getViewBox().setRange(xRange=(20, 40), yRange=(0.2, 0.4), padding=0)
    image.set_histogram(x, y, c * 2)
    (x0, x1), _ = image.view_range()
    assert (x0, x1) == pytest.approx((20, 40), abs=1e-6)  # the user's zoom survives a refill
    image.set_histogram(np.linspace(0, 200, 11), y, c)
    (x0, x1), _ = image.view_range()
    assert (x0, x1) == pytest.approx((0, 200), abs=1e-6)


def test_click_bin_signal(image, qtbot):
    x, y, c = _hist()
    image.set_histogram(x, y, c)
    with qtbot.waitSignal(image.bin_clicked) as blocker:
        image.click_bin(3, 2)
    assert blocker.args == [3, 2, 30.0, 40.0, pytest.approx(0.4), pytest.approx(0.6)]


def test_mouse_click_maps_to_bin(image, qtbot):
    x, y, c = _hist()
    image.set_histogram(x, y, c)
    qtbot.wait(20)
    vb = image.plot.getViewBox()
    scene_pt = vb.mapViewToScene(QPointF(55.0, 0.7))  # bin (5, 3)
    view_pt = image.graphics.mapFromScene(scene_pt)
    with qtbot.waitSignal(image.bin_clicked, timeout=1000) as blocker:
        qtbot.mouseClick(image.graphics.viewport(), Qt.MouseButton.LeftButton, pos=view_pt)
    assert blocker.args[:2] == [5, 3]


def test_click_inside_cut_shapes_reaches_the_bin(image, qtbot):
    """Bands and polygons drawn over the image do not swallow bin clicks."""
    x, y, c = _hist()
    image.set_histogram(x, y, c)
    BandShape("band", 0.6, 0.8, "horizontal").add_to(image.plot)
    PolygonShape("poly", [(50, 0.5), (80, 0.5), (80, 0.9), (50, 0.9)]).add_to(image.plot)
    qtbot.wait(20)
    vb = image.plot.getViewBox()
    view_pt = image.graphics.mapFromScene(vb.mapViewToScene(QPointF(65.0, 0.7)))  # bin (6, 3)
    with qtbot.waitSignal(image.bin_clicked, timeout=1000) as blocker:
        qtbot.mouseClick(image.graphics.viewport(), Qt.MouseButton.LeftButton, pos=view_pt)
    assert blocker.args[:2] == [6, 3]


def test_csv_columns(image):
    x, y, c = _hist()
    image.set_histogram(x, y, c)
    header, cols = image.csv_columns()
    assert header == ["x_lo", "x_hi", "y_lo", "y_hi", "counts"]
    assert len(cols[0]) == 50
    assert cols[4].sum() == c.sum()


def test_demo(qtbot):
    w = demo()
    qtbot.addWidget(w)
    assert w.windowTitle().endswith("demo")
    assert w.counts().sum() > 0
