"""The draggable cut shapes of the Cuts pane, kept in step with the cut set.

What to use when
----------------
- ``ShapeLayer``: owns the ``widgets.cut_rois`` shapes drawn on the pane's plots, keyed by
  ``(plot, cut name)``. ``set_shapes(specs)`` creates, moves, restyles or removes them to match
  the cut set (objects with ``plot, name, kind, params, orientation, active``); a shape whose
  parameters did not change is left alone, so a drag in progress is never disturbed. Drags are
  re-emitted as ``shape_changed`` / ``shape_finished`` with the cut's name and the shape kind.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

from widgets.cut_rois import BandShape, LineShape, PolygonShape

__all__ = ["Shape", "ShapeLayer"]

Shape = BandShape | PolygonShape | LineShape


def _close(a: Any, b: Any) -> bool:
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return x.shape == y.shape and bool(np.allclose(x, y, rtol=1e-9, atol=1e-12))


class ShapeLayer(QObject):
    """Cut shapes on several plots (see the module docstring).

    Parameters
    ----------
    plot_item : callable
        ``plot_item(plot_key) -> PlotItem`` the shape is drawn on.
    view_range : callable
        ``view_range(plot_key) -> ((x0, x1), (y0, y1))``, where a new line is centred.
    parent : QObject, optional
        Qt parent (and parent of the shapes).

    Signals
    -------
    shape_changed(str, str, object)
        ``name, kind, params`` while a shape is dragged.
    shape_finished(str, str, object)
        The same on release.
    """

    shape_changed = Signal(str, str, object)
    shape_finished = Signal(str, str, object)

    def __init__(
        self,
        plot_item: Callable[[str], Any],
        view_range: Callable[[str], tuple[tuple[float, float], tuple[float, float]]],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._plot_item_of = plot_item
        self._view_range = view_range
        self.shapes: dict[tuple[str, str], Shape] = {}

    def set_shapes(self, specs: Sequence[Any]) -> None:
        """Place the cut shapes (objects with ``plot, name, kind, params, orientation, active``).

        Shapes already shown keep their items (a drag in progress is not disturbed when the
        parameters are unchanged); others are created or removed.
        """
        wanted = {(s.plot, s.name): s for s in specs}
        for key in [k for k, shape in self.shapes.items() if k not in wanted]:
            self._remove_shape(key)
        for key, spec in wanted.items():
            shape = self.shapes.get(key)
            if shape is not None and _kind(shape) != spec.kind:
                self._remove_shape(key)
                shape = None
            if shape is None:
                self._add_shape(spec)
            else:
                _update_shape(shape, spec)

    def _plot_item(self, plot: str) -> Any:
        return self._plot_item_of(plot)

    def _add_shape(self, spec: Any) -> None:
        if spec.kind == "band":
            shape: Shape = BandShape(spec.name, *spec.params, spec.orientation, self)
        elif spec.kind == "polygon":
            shape = PolygonShape(spec.name, spec.params, self)
        else:
            (x0, x1), (y0, y1) = self._view_range(spec.plot)
            centre = ((x0 + x1) / 2, (y0 + y1) / 2)
            half = 0.45 * min(x1 - x0, y1 - y0)
            shape = LineShape(spec.name, *spec.params, centre, half, self)
        shape.set_active(spec.active)
        shape.changed.connect(self._on_shape_changed)
        shape.finished.connect(self._on_shape_finished)
        shape.add_to(self._plot_item(spec.plot))
        self.shapes[(spec.plot, spec.name)] = shape

    def _remove_shape(self, key: tuple[str, str]) -> None:
        shape = self.shapes.pop(key)
        shape.changed.disconnect(self._on_shape_changed)
        shape.finished.disconnect(self._on_shape_finished)
        shape.remove_from(self._plot_item(key[0]))
        shape.deleteLater()

    @Slot(object)
    def _on_shape_changed(self, params: object) -> None:
        shape = self.sender()
        self.shape_changed.emit(shape.name, _kind(shape), params)

    @Slot(object)
    def _on_shape_finished(self, params: object) -> None:
        shape = self.sender()
        self.shape_finished.emit(shape.name, _kind(shape), params)


def _kind(shape: Shape) -> str:
    if isinstance(shape, BandShape):
        return "band"
    return "polygon" if isinstance(shape, PolygonShape) else "line"


def _update_shape(shape: Shape, spec: Any) -> None:
    if isinstance(shape, BandShape):
        if not _close(shape.region(), spec.params):
            shape.set_region(*spec.params)
    elif isinstance(shape, PolygonShape):
        if not _close(shape.vertices(), spec.params):
            shape.set_vertices(spec.params)
    elif not _close(shape.line(), spec.params):
        shape.set_line(*spec.params)
    if shape.active != spec.active:
        shape.set_active(spec.active)
