"""Overlays of the gamma spectrum view: labelled line markers and fitted models with residuals.

What to use when
----------------
- ``LineMarkers(plot)``: mark gamma lines (or any x positions) on a ``PlotItem``. Labels are
  written along the lines near the top of the plot; when two labels would overlap at the
  current zoom, the label of the less important line is hidden (its line stays), and it comes
  back when zooming in.
- ``FitCurves``: the arrays of one fitted region; ``FitOverlay(plot, residual_plot)`` draws a
  list of them (model totals, the components of one highlighted region, and the residuals in
  the lower panel).

Both are used by ``widgets.gamma_spectrum_plot``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pyqtgraph as pg
from numpy.typing import NDArray
from PySide6.QtCore import QObject, Qt, Slot

__all__ = ["MARKER_STYLES", "FitCurves", "FitOverlay", "LineMarkers"]

#: Kind -> (colour, pen style) of the marker lines.
MARKER_STYLES = {
    "identified": ("#00796b", Qt.PenStyle.SolidLine),
    "excluded": ("#9e9e9e", Qt.PenStyle.DashLine),
    "expected": ("#b39ddb", Qt.PenStyle.DotLine),
}
#: Labels closer than this (pixels) to a more important one are hidden.
_MIN_LABEL_GAP_PX = 15.0
_LABEL_POSITION = 0.98
_TOTAL_PEN = pg.mkPen("#d62728", width=1.6)
_COMPONENT_PENS = (
    pg.mkPen("#2a9d8f", width=1.2, style=Qt.PenStyle.DashLine),
    pg.mkPen("#9467bd", width=1.2, style=Qt.PenStyle.DashLine),
    pg.mkPen("#e76f51", width=1.2, style=Qt.PenStyle.DotLine),
    pg.mkPen("#8c564b", width=1.2, style=Qt.PenStyle.DashDotLine),
)


@dataclass(frozen=True)
class FitCurves:
    """Arrays of one fitted region, ready to draw.

    Attributes
    ----------
    x_kev : ndarray
        Grid of the model curves (keV).
    total : ndarray
        Whole model (counts per channel) on ``x_kev``.
    components : tuple of (str, ndarray)
        Named parts of the model on ``x_kev`` (each peak on its continuum, the background...).
    residual_x_kev : ndarray
        Channel centres of the fitted channels.
    residual : ndarray
        ``(n - model) / sqrt(model)`` at ``residual_x_kev``.
    label : str
        Short description (legend, tooltips).
    """

    x_kev: NDArray[np.float64]
    total: NDArray[np.float64]
    components: tuple[tuple[str, NDArray[np.float64]], ...] = ()
    residual_x_kev: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    residual: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    label: str = ""


class FitOverlay:
    """Draws ``FitCurves`` on a plot and their residuals on a second plot.

    Parameters
    ----------
    plot, residual_plot : pyqtgraph.PlotItem
        The spectrum plot and the residual panel.
    transform : callable
        Applied to every model array before drawing (e.g. a floor for the log view).
    """

    def __init__(
        self,
        plot: pg.PlotItem,
        residual_plot: pg.PlotItem,
        transform: Callable[[NDArray[np.float64]], NDArray[np.float64]],
    ) -> None:
        self._plot = plot
        self._residual_plot = residual_plot
        self._transform = transform
        self.fits: list[FitCurves] = []
        self.highlight: int | None = None
        self._items: list[pg.PlotDataItem] = []
        self._resid = pg.ScatterPlotItem(size=4, pen=None, brush=pg.mkBrush("#d62728"))
        residual_plot.addItem(self._resid)

    def set_fits(self, fits: Sequence[FitCurves], highlight: int | None = None) -> None:
        """Replace the fits; the ``highlight``-ed one also shows its components."""
        self.fits = list(fits)
        ok = highlight is not None and 0 <= highlight < len(self.fits)
        self.highlight = highlight if ok else None
        self.redraw()

    def redraw(self) -> None:
        """Draw again (after a change of the transform, e.g. log/linear)."""
        for item in self._items:
            self._plot.removeItem(item)
        self._items = []
        for i, f in enumerate(self.fits):
            parts = [(f.label or "fit", f.total, _TOTAL_PEN)]
            if i == self.highlight:
                parts += [
                    (name, y, _COMPONENT_PENS[k % len(_COMPONENT_PENS)])
                    for k, (name, y) in enumerate(f.components)
                ]
            for name, y, pen in parts:
                item = pg.PlotDataItem(f.x_kev, self._transform(np.asarray(y, float)), pen=pen)
                item.opts["name"] = name
                item.setZValue(3 if pen is _TOTAL_PEN else 2)
                self._plot.addItem(item)
                self._items.append(item)
        with_res = [f for f in self.fits if f.residual_x_kev.size]
        if with_res:
            x = np.concatenate([f.residual_x_kev for f in with_res])
            r = np.concatenate([f.residual for f in with_res])
            ok = np.isfinite(r)
            self._resid.setData(x[ok], r[ok])
            # A few wild regions (x-ray clusters, pile-up) must not flatten all the others.
            top = max(3.0, float(np.percentile(np.abs(r[ok]), 98))) if ok.any() else 3.0
            self._residual_plot.setYRange(-1.1 * top, 1.1 * top, padding=0.0)
        else:
            self._resid.setData([], [])

    def residual_points(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Return the residual points drawn (x, y)."""
        x, y = self._resid.getData()
        return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


class LineMarkers(QObject):
    """Vertical lines with rotated labels on one ``PlotItem``.

    Parameters
    ----------
    plot : pyqtgraph.PlotItem
        Where to draw.
    """

    def __init__(self, plot: pg.PlotItem) -> None:
        super().__init__(plot)
        self._plot = plot
        self._lines: list[pg.InfiniteLine] = []
        self._labels: list[str] = []
        self._priority = np.zeros(0)
        plot.getViewBox().sigXRangeChanged.connect(self._on_range_changed)
        plot.getViewBox().sigResized.connect(self._on_range_changed)

    def set_lines(
        self,
        positions: Sequence[float],
        labels: Sequence[str],
        kinds: Sequence[str] | None = None,
        priorities: Sequence[float] | None = None,
    ) -> None:
        """Replace the markers.

        Parameters
        ----------
        positions : sequence of float
            x of each line.
        labels : sequence of str
            Text of each line.
        kinds : sequence of str, optional
            Keys of ``MARKER_STYLES`` (default ``"identified"``).
        priorities : sequence of float, optional
            Larger keeps its label when labels collide (default: identified before others,
            then lower x first).
        """
        if len(labels) != len(positions):
            raise ValueError(f"{len(positions)} positions but {len(labels)} labels")
        kinds = list(kinds) if kinds is not None else ["identified"] * len(positions)
        for line in self._lines:
            self._plot.removeItem(line)
        self._lines, self._labels = [], []
        order = np.argsort(np.asarray(positions, dtype=float), kind="stable")
        for i in order:
            colour, style = MARKER_STYLES.get(kinds[i], MARKER_STYLES["identified"])
            line = pg.InfiniteLine(
                float(positions[i]),
                angle=90,
                movable=False,
                pen=pg.mkPen(colour, width=1, style=style),
                label=str(labels[i]),
                labelOpts={
                    "position": _LABEL_POSITION,
                    "rotateAxis": (1, 0),
                    "anchors": [(1, 0), (1, 0)],  # right of the line, from the top
                    "color": colour,
                },
            )
            line.setZValue(1)
            line.setToolTip(str(labels[i]))
            self._plot.addItem(line, ignoreBounds=True)
            self._lines.append(line)
            self._labels.append(str(labels[i]))
        if priorities is None:
            pri = np.array([0.0 if kinds[i] == "identified" else -1.0 for i in order])
        else:
            pri = np.asarray(priorities, dtype=float)[order]
        self._priority = pri
        self._on_range_changed()

    def labels(self) -> list[str]:
        """Return the labels, in position order."""
        return list(self._labels)

    def visible_labels(self) -> list[str]:
        """Return the labels currently drawn (not hidden by a collision)."""
        return [t for t, ln in zip(self._labels, self._lines, strict=True) if ln.label.isVisible()]

    @Slot()
    def _on_range_changed(self, *_: object) -> None:
        if not self._lines:
            return
        px = self._plot.getViewBox().viewPixelSize()[0]
        if not px > 0:
            return
        x = np.array([ln.value() for ln in self._lines]) / px
        kept: list[float] = []
        # Most important first; equal priorities keep the lower energy.
        for i in sorted(range(len(x)), key=lambda k: (-self._priority[k], x[k])):
            show = all(abs(x[i] - k) >= _MIN_LABEL_GAP_PX for k in kept)
            self._lines[i].label.setVisible(show)
            if show:
                kept.append(float(x[i]))
