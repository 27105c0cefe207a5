"""Cut shapes: drags emit plain numbers (changed while moving, finished on release)."""

from __future__ import annotations

import math

import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest

from widgets.cut_rois import BandShape, LineShape, PolygonShape, line_from_points, line_points


@pytest.fixture
def plot(qtbot):
    w = pg.PlotWidget()
    qtbot.addWidget(w)
    w.setRange(xRange=(0, 10), yRange=(0, 10), padding=0)
    w.show()
    qtbot.waitExposed(w)
    return w


def _approx(points):
    """``pytest.approx`` for a list of (x, y): 1e-9 absolute (float round trips through Qt)."""
    return pytest.approx([c for p in points for c in p], abs=1e-9)


def _flat(points):
    return [c for p in points for c in p]


class Recorder:
    def __init__(self, shape):
        self.changed, self.finished = [], []
        shape.changed.connect(self.changed.append)
        shape.finished.connect(self.finished.append)


def test_band_drag_and_set(plot):
    band = BandShape("f90 band", 0.2, 0.45, "horizontal")
    band.add_to(plot.getPlotItem())
    rec = Recorder(band)
    band.drag_to(0.25, 0.4, finish=False)
    assert rec.changed[-1] == pytest.approx((0.25, 0.4))
    assert rec.finished == []  # still dragging
    band.drag_to(0.25, 0.5)
    assert rec.finished[-1] == pytest.approx((0.25, 0.5))
    n = len(rec.changed) + len(rec.finished)
    band.set_region(0.1, 0.3)  # model -> view: silent
    assert len(rec.changed) + len(rec.finished) == n
    assert band.region() == pytest.approx((0.1, 0.3))
    band.set_active(False)
    assert band.item.lines[0].pen.style() != band.item.lines[0].pen.style().SolidLine


def test_polygon_vertex_edits(plot):
    poly = PolygonShape("poly", [(1, 1), (4, 1), (4, 4), (1, 4)])
    poly.add_to(plot.getPlotItem())
    rec = Recorder(poly)
    poly.move_vertex(2, 5.0, 6.0)
    assert _flat(rec.finished[-1]) == _approx([(1, 1), (4, 1), (5, 6), (1, 4)])
    poly.add_vertex(0, 2.5, 0.5)  # on the edge after vertex 0
    assert _flat(poly.vertices()) == _approx([(1, 1), (2.5, 0.5), (4, 1), (5, 6), (1, 4)])
    assert _flat(rec.finished[-1]) == _approx(poly.vertices())
    assert poly.remove_vertex(1)
    assert _flat(poly.vertices()) == _approx([(1, 1), (4, 1), (5, 6), (1, 4)])
    assert poly.remove_vertex(0)
    assert not poly.remove_vertex(0)  # a polygon keeps 3 vertices
    assert len(poly.vertices()) == 3
    poly.set_vertices([(0, 0), (2, 0), (1, 2)])
    assert _flat(poly.vertices()) == _approx([(0, 0), (2, 0), (1, 2)])


def test_polygon_translate_reports_data_coordinates(plot):
    poly = PolygonShape("poly", [(1, 1), (4, 1), (4, 4)])
    poly.add_to(plot.getPlotItem())
    poly.item.setPos(2.0, 3.0)  # what dragging the inside does
    assert _flat(poly.vertices()) == _approx([(3, 4), (6, 4), (6, 7)])


@pytest.mark.parametrize("angle", [37.5, -20.0, 0.0, 90.0, 60.0])
def test_line_geometry_round_trip(angle):
    p1, p2 = line_points(angle, 1.5, (3.0, 4.0), 2.0)
    a, c = line_from_points(p1, p2)
    assert a == pytest.approx(angle, abs=1e-9)
    assert c == pytest.approx(1.5, abs=1e-9)
    r = math.radians(angle)
    for x, y in (p1, p2):
        assert x * math.cos(r) - y * math.sin(r) == pytest.approx(1.5, abs=1e-9)  # on the line


def test_line_drag_rotates(plot):
    line = LineShape("rot", 45.0, 0.0, (5.0, 5.0), 3.0)
    line.add_to(plot.getPlotItem())
    rec = Recorder(line)
    p1, p2 = line.points()
    # Move one end so that the line becomes vertical (x = p2.x): angle 0, c = x.
    line.drag_handle(0, p2[0], p2[1] - 4.0)
    a, c = rec.finished[-1]
    assert a == pytest.approx(0.0, abs=1e-9)
    assert c == pytest.approx(p2[0], abs=1e-9)
    line.set_line(37.5, -1.0)
    assert line.line() == pytest.approx((37.5, -1.0), abs=1e-9)
    assert len(rec.finished) == 1  # set_line is silent


def test_polygon_mouse_double_click_adds_right_click_deletes(plot, qtbot):
    """Real mouse events: a single click on an edge does nothing, a double click adds a vertex
    there, a right click on a vertex deletes it."""
    poly = PolygonShape("poly", [(1, 1), (5, 1), (5, 5), (1, 5)])
    poly.add_to(plot.getPlotItem())
    rec = Recorder(poly)
    qtbot.wait(20)
    vb = plot.getPlotItem().getViewBox()

    def at(x, y):
        return plot.mapFromScene(vb.mapViewToScene(QPointF(x, y)))

    left, right, port = Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton, plot.viewport()
    QTest.mouseClick(port, left, pos=at(3, 1))
    assert len(poly.vertices()) == 4
    QTest.mousePress(port, left, pos=at(3, 1))
    QTest.mouseRelease(port, left, pos=at(3, 1))
    QTest.mouseDClick(port, left, pos=at(3, 1))  # Qt sends no release after the double click
    QTest.mouseRelease(port, left, pos=at(3, 1))
    verts = poly.vertices()
    assert len(verts) == 5
    # The new vertex is where the click was, within a pixel (10 data units span ~400 px).
    assert verts[1] == pytest.approx((3.0, 1.0), abs=0.05)
    assert rec.finished[-1] == verts
    QTest.mouseClick(port, right, pos=at(5, 5))
    assert _flat(poly.vertices()) == _approx([(1, 1), verts[1], (5, 1), (1, 5)])
    assert rec.finished[-1] == poly.vertices()
