"""Draggable cut shapes on a pyqtgraph plot: a band, a polygon, a rotatable line.

What to use when
----------------
- ``BandShape``: a 1D range ``[lo, hi]`` as a shaded band (``LinearRegionItem``), vertical
  (an x range, e.g. ftop on its histogram) or horizontal (a y range, e.g. an F90 band on the
  F90 vs PE plot). Drag either edge or the whole band.
- ``PolygonShape``: a closed polygon (``PolyLineROI``). Drag a vertex to move it, drag inside
  to move the whole polygon, double-click an edge to add a vertex there, right-click a vertex
  to delete it (at least 3 remain).
- ``LineShape``: a straight line given as ``x cos(a) - y sin(a) = c`` (the rotated-axis cut)
  drawn as a segment with two handles: drag a handle to rotate it, the segment to shift it.
  ``a`` in degrees within (-90, 90].

Every shape emits ``changed(params)`` while it is dragged and ``finished(params)`` on release,
with plain numbers: ``(lo, hi)`` for a band, a list of ``(x, y)`` for a polygon,
``(angle_deg, c)`` for a line. ``set_*`` methods move a shape without emitting. ``set_active``
draws the shape solid (its cut is enabled) or dashed and pale (disabled). Add ``shape.item``
to a ``PlotItem`` (``shape.add_to(plot)``).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence

import pyqtgraph as pg
from PySide6.QtCore import QObject, QPointF, QSignalBlocker, Qt, Signal, Slot
from PySide6.QtWidgets import QApplication

__all__ = ["BandShape", "LineShape", "PolygonShape", "line_from_points", "line_points"]

_ACTIVE = "#e63946"
_INACTIVE = "#9e9e9e"
_HANDLE_PEN = pg.mkPen("#1d3557", width=2.0)


def _pen(active: bool, width: float = 2.0) -> pg.QtGui.QPen:
    return pg.mkPen(
        _ACTIVE if active else _INACTIVE,
        width=width,
        style=Qt.PenStyle.SolidLine if active else Qt.PenStyle.DashLine,
    )


class _Shape(QObject):
    changed = Signal(object)
    finished = Signal(object)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.active = True
        self.item: pg.GraphicsObject

    def add_to(self, plot: pg.PlotItem) -> None:
        """Add the shape to ``plot``."""
        plot.addItem(self.item)

    def remove_from(self, plot: pg.PlotItem) -> None:
        """Take the shape off ``plot``."""
        plot.removeItem(self.item)


class BandShape(_Shape):
    """A draggable band ``[lo, hi]`` (see the module docstring).

    Parameters
    ----------
    name : str
        Name of the cut it edits.
    lo, hi : float
        Initial edges in data units.
    orientation : {"vertical", "horizontal"}
        ``"vertical"``: an x range; ``"horizontal"``: a y range.

    Signals
    -------
    changed(object)
        ``(lo, hi)`` while dragging.
    finished(object)
        ``(lo, hi)`` on release.
    """

    def __init__(
        self,
        name: str,
        lo: float,
        hi: float,
        orientation: str = "vertical",
        parent: QObject | None = None,
    ) -> None:
        super().__init__(name, parent)
        self.orientation = orientation
        self.item = pg.LinearRegionItem(
            values=(lo, hi), orientation=orientation, brush=pg.mkBrush(230, 57, 70, 30)
        )
        self.item.setZValue(10)
        self.item.setToolTip(f"{name}: drag an edge or the band")
        self.item.sigRegionChanged.connect(self._on_changed)
        self.item.sigRegionChangeFinished.connect(self._on_finished)
        self.set_active(True)

    def region(self) -> tuple[float, float]:
        """Return ``(lo, hi)``."""
        lo, hi = self.item.getRegion()
        return float(lo), float(hi)

    def set_region(self, lo: float, hi: float) -> None:
        """Move the band without emitting."""
        with QSignalBlocker(self.item):
            self.item.setRegion((float(lo), float(hi)))

    def drag_to(self, lo: float, hi: float, *, finish: bool = True) -> None:
        """Move the band as a user drag does (emits ``changed``, then ``finished``)."""
        # Moving the lines one by one emits sigRegionChanged only, as a drag does.
        self.item.lines[0].setValue(float(lo))
        self.item.lines[1].setValue(float(hi))
        if finish:
            self.item.sigRegionChangeFinished.emit(self.item)

    def set_active(self, active: bool) -> None:
        """Solid red when the cut is enabled, dashed grey otherwise."""
        self.active = bool(active)
        for line in self.item.lines:
            line.setPen(_pen(self.active))
        self.item.setBrush(
            pg.mkBrush(230, 57, 70, 30) if self.active else pg.mkBrush(150, 150, 150, 20)
        )
        self.item.update()

    @Slot(object)
    def _on_changed(self, _item: object) -> None:
        self.changed.emit(self.region())

    @Slot(object)
    def _on_finished(self, _item: object) -> None:
        self.finished.emit(self.region())


class _PolygonROI(pg.PolyLineROI):
    """``PolyLineROI`` with double-click to add a vertex and right-click to delete one."""

    def segmentClicked(self, segment, ev=None, pos=None) -> None:  # noqa: N802, D102
        if ev is not None and not ev.double():
            return  # a single click on an edge does nothing (pyqtgraph would add a vertex)
        super().segmentClicked(segment, ev, pos)
        self.sigRegionChangeFinished.emit(self)

    def addSegment(self, h1, h2, index=None) -> None:  # noqa: N802, D102
        super().addSegment(h1, h2, index)
        for handle in (h1, h2):
            # Right-click deletes directly (no "Remove handle" menu to confirm).
            handle.setDeletable(False)
            handle.setAcceptedMouseButtons(
                handle.acceptedMouseButtons() | Qt.MouseButton.RightButton
            )
            if not getattr(handle, "_larcal_connected", False):
                handle.sigClicked.connect(self._on_handle_clicked)
                handle._larcal_connected = True

    @Slot(object, object)
    def _on_handle_clicked(self, handle, ev) -> None:
        if ev.button() == Qt.MouseButton.RightButton and self.checkRemoveHandle(handle):
            self.removeHandle(handle)
            self.sigRegionChangeFinished.emit(self)


class PolygonShape(_Shape):
    """A draggable closed polygon (see the module docstring).

    Parameters
    ----------
    name : str
        Name of the cut it edits.
    vertices : sequence of (float, float)
        At least 3 vertices in data units.

    Signals
    -------
    changed(object)
        List of ``(x, y)`` while dragging.
    finished(object)
        List of ``(x, y)`` on release, after adding or after deleting a vertex.
    """

    def __init__(
        self, name: str, vertices: Sequence[tuple[float, float]], parent: QObject | None = None
    ) -> None:
        super().__init__(name, parent)
        self.item = _PolygonROI(
            [tuple(v) for v in vertices], closed=True, movable=True, handlePen=_HANDLE_PEN
        )
        self.item.setZValue(10)
        self.item.setToolTip(
            f"{name}: drag vertices or the polygon; double-click an edge to add a vertex, "
            "right-click a vertex to delete it"
        )
        self.item.sigRegionChanged.connect(self._on_changed)
        self.item.sigRegionChangeFinished.connect(self._on_finished)
        self.set_active(True)

    def vertices(self) -> list[tuple[float, float]]:
        """Return the vertices in data units."""
        roi = self.item
        out = []
        for handle in roi.getHandles():
            p = roi.mapToParent(handle.pos())
            out.append((float(p.x()), float(p.y())))
        return out

    def set_vertices(self, vertices: Sequence[tuple[float, float]]) -> None:
        """Replace the vertices without emitting."""
        with QSignalBlocker(self.item):
            self.item.setPos(0.0, 0.0)
            self.item.setPoints([tuple(map(float, v)) for v in vertices])
        self.set_active(self.active)

    def move_vertex(self, index: int, x: float, y: float, *, finish: bool = True) -> None:
        """Move vertex ``index`` to ``(x, y)`` as a drag does (emits)."""
        handle = self.item.getHandles()[index]
        self.item.movePoint(handle, QPointF(float(x), float(y)), finish=finish)

    def add_vertex(self, after: int, x: float, y: float) -> None:
        """Insert a vertex at ``(x, y)`` on the edge after vertex ``after`` (emits)."""
        # Segment 0 of a closed PolyLineROI joins the last vertex to the first.
        segment = self.item.segments[(after + 1) % len(self.item.segments)]
        self.item.segmentClicked(segment, pos=self.item.mapFromParent(QPointF(x, y)))

    def remove_vertex(self, index: int) -> bool:
        """Delete vertex ``index`` if more than 3 remain (emits); return True when removed."""
        handle = self.item.getHandles()[index]
        if not self.item.checkRemoveHandle(handle):
            return False
        self.item.removeHandle(handle)
        self.item.sigRegionChangeFinished.emit(self.item)
        return True

    def set_active(self, active: bool) -> None:
        """Solid red when the cut is enabled, dashed grey otherwise."""
        self.active = bool(active)
        self.item.setPen(_pen(self.active))

    @Slot(object)
    def _on_changed(self, _item: object) -> None:
        self.changed.emit(self.vertices())

    @Slot(object)
    def _on_finished(self, _item: object) -> None:
        self.finished.emit(self.vertices())


def line_from_points(p1: tuple[float, float], p2: tuple[float, float]) -> tuple[float, float]:
    """Return ``(angle_deg, c)`` of the line through two points, ``x cos a - y sin a = c``.

    The line's direction is ``(sin a, cos a)``, so ``a = atan2(dx, dy)``, folded into
    (-90, 90] (a line has no orientation).
    """
    dx, dy = p2[0] - p1[0], p2[1] - p1[1]
    if dx == 0 and dy == 0:
        raise ValueError("two distinct points are needed for a line")
    a = math.degrees(math.atan2(dx, dy))
    if a <= -90.0:
        a += 180.0
    elif a > 90.0:
        a -= 180.0
    r = math.radians(a)
    return a, p1[0] * math.cos(r) - p1[1] * math.sin(r)


def line_points(
    angle_deg: float, c: float, centre: tuple[float, float], half_length: float
) -> tuple[tuple[float, float], tuple[float, float]]:
    """Return two points of ``x cos a - y sin a = c`` symmetric about the foot of ``centre``."""
    r = math.radians(angle_deg)
    n = (math.cos(r), -math.sin(r))  # unit normal
    d = (math.sin(r), math.cos(r))  # unit direction
    dist = centre[0] * n[0] + centre[1] * n[1] - c
    foot = (centre[0] - dist * n[0], centre[1] - dist * n[1])
    return (
        (foot[0] - half_length * d[0], foot[1] - half_length * d[1]),
        (foot[0] + half_length * d[0], foot[1] + half_length * d[1]),
    )


class LineShape(_Shape):
    """A draggable straight line ``x cos(a) - y sin(a) = c`` (see the module docstring).

    Parameters
    ----------
    name : str
        Name of the cut it edits.
    angle_deg, c : float
        Initial line.
    centre : (float, float)
        Point the drawn segment is centred on (projected onto the line).
    half_length : float
        Half length of the drawn segment, data units (x and y should have similar scales).

    Signals
    -------
    changed(object)
        ``(angle_deg, c)`` while dragging.
    finished(object)
        ``(angle_deg, c)`` on release.
    """

    def __init__(
        self,
        name: str,
        angle_deg: float,
        c: float,
        centre: tuple[float, float] = (0.0, 0.0),
        half_length: float = 1.0,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(name, parent)
        p1, p2 = line_points(angle_deg, c, centre, half_length)
        self.item = pg.LineSegmentROI([p1, p2], movable=True, handlePen=_HANDLE_PEN)
        self.item.setZValue(10)
        self.item.setToolTip(f"{name}: drag an end to rotate, the line to shift it")
        self.item.sigRegionChanged.connect(self._on_changed)
        self.item.sigRegionChangeFinished.connect(self._on_finished)
        self.set_active(True)

    def points(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """Return the two end points in data units."""
        roi = self.item
        p = [roi.mapToParent(h.pos()) for h in roi.getHandles()]
        return (float(p[0].x()), float(p[0].y())), (float(p[1].x()), float(p[1].y()))

    def line(self) -> tuple[float, float]:
        """Return ``(angle_deg, c)``."""
        return line_from_points(*self.points())

    def set_line(
        self,
        angle_deg: float,
        c: float,
        centre: tuple[float, float] | None = None,
        half_length: float | None = None,
    ) -> None:
        """Place the line without emitting (segment centred near ``centre``)."""
        p1, p2 = self.points()
        if centre is None:
            centre = ((p1[0] + p2[0]) / 2, (p1[1] + p2[1]) / 2)
        if half_length is None:
            half_length = max(math.dist(p1, p2) / 2, 1e-9)
        q1, q2 = line_points(angle_deg, c, centre, half_length)
        with QSignalBlocker(self.item):
            handles = self.item.getHandles()
            self.item.movePoint(handles[0], QPointF(*q1), finish=False)
            self.item.movePoint(handles[1], QPointF(*q2), finish=False)

    def drag_handle(self, index: int, x: float, y: float, *, finish: bool = True) -> None:
        """Move end ``index`` to ``(x, y)`` as a drag does (emits)."""
        handle = self.item.getHandles()[index]
        self.item.movePoint(handle, QPointF(float(x), float(y)), finish=finish)

    def set_active(self, active: bool) -> None:
        """Solid red when the cut is enabled, dashed grey otherwise."""
        self.active = bool(active)
        self.item.setPen(_pen(self.active, 2.5))

    @Slot(object)
    def _on_changed(self, _item: object) -> None:
        self.changed.emit(self.line())

    @Slot(object)
    def _on_finished(self, _item: object) -> None:
        self.finished.emit(self.line())


def demo() -> pg.PlotWidget:
    """Return a plot with one shape of each kind."""
    w = pg.PlotWidget(background="w")
    w.setRange(xRange=(0, 10), yRange=(0, 10))
    shapes = [
        BandShape("band", 6.0, 8.0, "horizontal", w),
        PolygonShape("polygon", [(1, 1), (4, 1), (4, 4), (1, 4)], w),
        LineShape("line", 37.5, -1.0, (6.0, 3.0), 3.0, w),
    ]
    for shape in shapes:
        shape.add_to(w.getPlotItem())
    w.shapes = shapes
    w.resize(520, 420)
    w.setWindowTitle("Cut shapes demo")
    return w


if __name__ == "__main__":  # pragma: no cover
    app = QApplication(sys.argv)
    widget = demo()
    widget.show()
    sys.exit(app.exec())
