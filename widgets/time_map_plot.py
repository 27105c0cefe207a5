"""A 2D histogram of a quantity vs time as an image with a colour bar (e.g. ftop vs time).

What to use when
----------------
- ``TimeMapPlot``: show ``counts[nx, ny]`` over ``x_edges`` (time) and ``y_edges`` (the
  quantity) as an image, with a colour bar, a linear or logarithmic colour scale, an optional
  overlaid curve (e.g. the mean of y per time bin), a sentence instead of the plot when there is
  nothing to show (``clear(message)``), and PNG/SVG/CSV export (CSV: one row per bin).
  Used by the Kr-timing pane to watch 83mKr mix into the volume (ftop falls from the top).

The widget takes arrays only; it computes nothing but ``log10`` for the colour scale.
"""

from __future__ import annotations

import sys

import numpy as np
import pyqtgraph as pg
from numpy.typing import ArrayLike, NDArray
from PySide6.QtCore import QRectF, QSignalBlocker, Qt, Slot
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QWidget,
)

from widgets.elided_label import ElidedLabel
from widgets.plot_export import PlotExporter, plot_layout
from widgets.spectrum_fit_items import MessageStack, style_plot

__all__ = ["TimeMapPlot"]

_CURVE_PEN = pg.mkPen("#ffffff", width=2.0)


class TimeMapPlot(QWidget):
    """2D histogram image with colour bar (see the module docstring).

    Parameters
    ----------
    parent : QWidget, optional
        Qt parent.
    name : str
        Default file stem of exports.
    """

    def __init__(self, parent: QWidget | None = None, *, name: str = "time_map") -> None:
        super().__init__(parent)
        self._x = np.zeros(0)
        self._y = np.zeros(0)
        self._counts = np.zeros((0, 0))
        self._log = True

        self._title = ElidedLabel(self)
        self._log_box = QCheckBox("Log colours", self)
        self._log_box.setChecked(True)
        self._log_box.setToolTip("Colour by log10(counts); empty bins are white")
        self._log_box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._log_box.toggled.connect(self.set_log_colours)

        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground("w")
        self.plot = self.graphics.addPlot(row=0, col=0)
        style_plot(self.plot)
        self.plot.showGrid(x=False, y=False)
        self.image = pg.ImageItem(axisOrder="col-major")
        self.plot.addItem(self.image)
        self.curve = pg.PlotDataItem(pen=_CURVE_PEN)
        self.curve.setZValue(5)
        self.plot.addItem(self.curve)
        cmap = pg.colormap.get("viridis")
        self.colour_bar = pg.ColorBarItem(colorMap=cmap, interactive=False, width=14)
        self.colour_bar.setImageItem(self.image)
        self.graphics.addItem(self.colour_bar, row=0, col=1)
        self._set_bar_label()

        self._stack = MessageStack(self.graphics, self)

        self.exporter = PlotExporter(
            self.graphics.ci, [("map", self.plot)], self, name=name,
            csv_provider=self.csv_columns,
        )  # fmt: skip
        self.exporter.add_to_view_menus()
        plot_layout(self, self._title, self._stack, self._log_box, exporter=self.exporter)
        self.clear("")

    # ------------------------------------------------------------------ data
    def set_axis_labels(self, x: str, y: str) -> None:
        """Label the axes."""
        self.plot.setLabel("bottom", x)
        self.plot.setLabel("left", y)

    def set_map(
        self, x_edges: ArrayLike, y_edges: ArrayLike, counts: ArrayLike, *, title: str = ""
    ) -> None:
        """Show ``counts[i, j]`` of x-bin ``i`` and y-bin ``j`` (equal-width bins expected)."""
        x = np.asarray(x_edges, dtype=float)
        y = np.asarray(y_edges, dtype=float)
        c = np.asarray(counts, dtype=float)
        if c.shape != (x.size - 1, y.size - 1):
            raise ValueError(f"counts of shape {c.shape} for {x.size - 1} x {y.size - 1} bins")
        self._x, self._y, self._counts = x, y, c
        self._title.setText(title)
        self._stack.show_message("")
        self._redraw()
        vb = self.plot.getViewBox()
        vb.disableAutoRange()
        vb.setRange(xRange=(x[0], x[-1]), yRange=(y[0], y[-1]), padding=0.0)

    def set_curve(self, x: ArrayLike, y: ArrayLike) -> None:
        """Overlay a line (e.g. the mean of y per x bin); empty arrays remove it."""
        self.curve.setData(np.asarray(x, dtype=float), np.asarray(y, dtype=float))

    def clear(self, message: str = "") -> None:
        """Remove the map; show ``message`` instead of the plot when given."""
        self._x, self._y, self._counts = np.zeros(0), np.zeros(0), np.zeros((0, 0))
        self.image.clear()
        self.curve.setData([], [])
        self._title.setText("")
        self._stack.show_message(message)

    def message(self) -> str:
        """Return the sentence shown instead of the plot ("" when the plot is shown)."""
        return self._stack.message()

    def title(self) -> str:
        """Return the title shown above the map."""
        return self._title.text()

    def counts(self) -> NDArray[np.float64]:
        """Return the counts shown (a copy)."""
        return self._counts.copy()

    # ------------------------------------------------------------------ colours
    @Slot(bool)
    def set_log_colours(self, on: bool) -> None:
        """Colour by ``log10(counts)`` (True) or by counts."""
        self._log = bool(on)
        with QSignalBlocker(self._log_box):
            self._log_box.setChecked(self._log)
        self._set_bar_label()
        self._redraw()

    def _set_bar_label(self) -> None:
        self.colour_bar.getAxis("right").setLabel("log10(counts)" if self._log else "counts")

    def _redraw(self) -> None:
        c = self._counts
        if c.size == 0:
            self.image.clear()
            return
        if self._log:
            shown = np.where(c > 0, np.log10(np.where(c > 0, c, 1.0)), np.nan)
        else:
            shown = np.where(c > 0, c, np.nan)
        finite = shown[np.isfinite(shown)]
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        if hi <= lo:
            hi = lo + 1.0
        self.image.setImage(shown, autoLevels=False)
        self.colour_bar.setLevels((lo, hi))
        x, y = self._x, self._y
        self.image.setRect(QRectF(x[0], y[0], x[-1] - x[0], y[-1] - y[0]))

    # ------------------------------------------------------------------ export
    def csv_columns(self) -> tuple[list[str], list[NDArray[np.float64]]]:
        """Return one row per bin: x and y bin edges and the counts."""
        x, y, c = self._x, self._y, self._counts
        if c.size == 0:
            z = np.zeros(0)
            return ["x_lo", "x_hi", "y_lo", "y_hi", "counts"], [z, z, z, z, z]
        i, j = np.meshgrid(np.arange(c.shape[0]), np.arange(c.shape[1]), indexing="ij")
        i, j = i.ravel(), j.ravel()
        return ["x_lo", "x_hi", "y_lo", "y_hi", "counts"], [x[i], x[i + 1], y[j], y[j + 1], c[i, j]]


def demo() -> TimeMapPlot:
    """Return the widget with a synthetic ftop-vs-time map: top-heavy early, mixed later."""
    rng = np.random.default_rng(6)
    t_h = rng.exponential(2.6, 40000)
    mix = 1.0 - np.exp(-t_h / 0.4)
    ftop = np.clip(rng.normal(0.75 - 0.25 * mix, 0.08), 0, 1)
    x_edges, y_edges = np.linspace(0, 8, 65), np.linspace(0, 1, 51)
    counts, _, _ = np.histogram2d(t_h, ftop, [x_edges, y_edges])
    w = TimeMapPlot()
    w.set_axis_labels("Time since run start (h)", "ftop")
    w.set_map(x_edges, y_edges, counts, title="demo: ftop vs time")
    xc = 0.5 * (x_edges[1:] + x_edges[:-1])
    w.set_curve(xc, 0.75 - 0.25 * (1 - np.exp(-xc / 0.4)))
    w.resize(700, 420)
    w.setWindowTitle("TimeMapPlot demo")
    return w


if __name__ == "__main__":  # pragma: no cover
    app = QApplication(sys.argv)
    widget = demo()
    widget.show()
    sys.exit(app.exec())
