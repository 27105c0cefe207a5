"""A 2D histogram drawn as an image with a colour bar, refilled fast, reporting clicked bins.

What to use when
----------------
- ``Hist2DImage``: show ``counts[nx, ny]`` over ``x_edges``/``y_edges`` (axes in data units)
  as an image with a colormap, a linear or logarithmic colour scale and a colour bar, e.g.
  F90 vs total PE or I35 vs I55 on the Cuts pane. ``set_histogram`` is cheap enough to call
  many times a second (the view range is kept; only the first fill auto-ranges).
  Clicking a bin emits ``bin_clicked(ix, iy, x_lo, x_hi, y_lo, y_hi)``. ``plot`` is the
  ``PlotItem``: add cut shapes (``widgets.cut_rois``) or curves to it.
- For a quantity vs time with an overlaid curve, ``widgets.time_map_plot.TimeMapPlot``.

The widget takes arrays only; it computes nothing but ``log10`` for the colour scale.
"""

from __future__ import annotations

import sys

import numpy as np
import pyqtgraph as pg
from numpy.typing import ArrayLike, NDArray
from PySide6.QtCore import QRectF, QSignalBlocker, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QSizePolicy,
    QWidget,
)

from widgets.elided_label import ElidedLabel
from widgets.plot_export import PlotExporter, plot_layout
from widgets.spectrum_fit_plot import style_plot

__all__ = ["ClickableImageItem", "Hist2DImage"]


class ClickableImageItem(pg.ImageItem):
    """An ``ImageItem`` that reports left clicks in pixel (bin index) coordinates.

    Signals
    -------
    pixel_clicked(float, float)
        Image coordinates of the click (``floor`` gives the bin indices).
    """

    pixel_clicked = Signal(float, float)

    def mouseClickEvent(self, ev) -> None:  # noqa: N802, D102 (Qt override)
        if ev.button() != Qt.MouseButton.LeftButton or self.image is None:
            ev.ignore()
            return
        ev.accept()
        pos = ev.pos()  # item coordinates are pixel indices (setRect maps them to data)
        self.pixel_clicked.emit(float(pos.x()), float(pos.y()))


class Hist2DImage(QWidget):
    """2D histogram image with colour bar and clickable bins (see the module docstring).

    Parameters
    ----------
    parent : QWidget, optional
        Qt parent.
    name : str
        Default file stem of exports.
    colormap : str
        A pyqtgraph colormap name.

    Signals
    -------
    bin_clicked(int, int, float, float, float, float)
        ``ix, iy, x_lo, x_hi, y_lo, y_hi`` of a clicked bin.
    log_colours_changed(bool)
        The colour scale was switched (True: log10).
    """

    bin_clicked = Signal(int, int, float, float, float, float)
    log_colours_changed = Signal(bool)

    def __init__(
        self, parent: QWidget | None = None, *, name: str = "hist2d", colormap: str = "viridis"
    ) -> None:
        super().__init__(parent)
        self._x = np.zeros(0)
        self._y = np.zeros(0)
        self._counts = np.zeros((0, 0))
        self._log = True
        self._ranged = False

        self._title = ElidedLabel(self)
        self._title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._log_box = QCheckBox("Log", self)
        self._log_box.setChecked(True)
        self._log_box.setToolTip("Colour by log10(counts); empty bins are left blank")
        self._log_box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._log_box.toggled.connect(self.set_log_colours)

        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground("w")
        self.plot = self.graphics.addPlot(row=0, col=0)
        style_plot(self.plot)
        self.plot.showGrid(x=False, y=False)
        self.image = ClickableImageItem(axisOrder="col-major")
        self.image.pixel_clicked.connect(self._on_pixel_clicked)
        self.plot.addItem(self.image)
        self.colour_bar = pg.ColorBarItem(
            colorMap=pg.colormap.get(colormap), interactive=False, width=10
        )
        self.colour_bar.setImageItem(self.image)
        self.graphics.addItem(self.colour_bar, row=0, col=1)
        self._set_bar_label()

        self.exporter = PlotExporter(
            self.graphics.ci, [("hist2d", self.plot)], self, name=name,
            csv_provider=self.csv_columns,
        )  # fmt: skip
        self.exporter.add_to_view_menus()
        plot_layout(self, self._title, self.graphics, self._log_box, exporter=self.exporter)

    # ------------------------------------------------------------------ data
    def set_axis_labels(self, x: str, y: str) -> None:
        """Label the axes (with units)."""
        self.plot.setLabel("bottom", x)
        self.plot.setLabel("left", y)

    def set_title(self, text: str) -> None:
        """Set the caption above the plot."""
        self._title.setText(text)

    def set_histogram(self, x_edges: ArrayLike, y_edges: ArrayLike, counts: ArrayLike) -> None:
        """Show ``counts[i, j]`` of x-bin ``i`` and y-bin ``j`` (equal-width bins).

        The view range is kept between refills; it is fitted to the edges on the first fill
        and whenever the edges change.
        """
        x = np.asarray(x_edges, dtype=float)
        y = np.asarray(y_edges, dtype=float)
        c = np.asarray(counts, dtype=float)
        if x.ndim != 1 or y.ndim != 1 or c.shape != (x.size - 1, y.size - 1):
            raise ValueError(f"counts of shape {c.shape} for {x.size - 1} x {y.size - 1} bins")
        same_edges = np.array_equal(x, self._x) and np.array_equal(y, self._y)
        self._x, self._y, self._counts = x, y, c
        self._redraw(set_rect=not same_edges)
        if not same_edges or not self._ranged:
            self.plot.getViewBox().setRange(xRange=(x[0], x[-1]), yRange=(y[0], y[-1]), padding=0.0)
            self._ranged = True

    def clear(self) -> None:
        """Remove the image."""
        self._x, self._y, self._counts = np.zeros(0), np.zeros(0), np.zeros((0, 0))
        self.image.clear()
        self._ranged = False

    def counts(self) -> NDArray[np.float64]:
        """Return the counts shown (a copy)."""
        return self._counts.copy()

    def edges(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Return the x and y bin edges shown."""
        return self._x.copy(), self._y.copy()

    def view_range(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """Return the visible ``((x_lo, x_hi), (y_lo, y_hi))`` in data units."""
        (x0, x1), (y0, y1) = self.plot.getViewBox().viewRange()
        return (float(x0), float(x1)), (float(y0), float(y1))

    # ------------------------------------------------------------------ clicks
    def click_bin(self, ix: int, iy: int) -> None:
        """Act as if bin ``(ix, iy)`` was clicked (scripts, tests)."""
        nx, ny = self._counts.shape
        if not (0 <= ix < nx and 0 <= iy < ny):
            return
        x, y = self._x, self._y
        self.bin_clicked.emit(
            int(ix), int(iy), float(x[ix]), float(x[ix + 1]), float(y[iy]), float(y[iy + 1])
        )

    @Slot(float, float)
    def _on_pixel_clicked(self, px: float, py: float) -> None:
        self.click_bin(int(np.floor(px)), int(np.floor(py)))

    # ------------------------------------------------------------------ colours
    @Slot(bool)
    def set_log_colours(self, on: bool) -> None:
        """Colour by ``log10(counts)`` (True) or by counts."""
        on = bool(on)
        changed = on != self._log
        self._log = on
        with QSignalBlocker(self._log_box):
            self._log_box.setChecked(on)
        self._set_bar_label()
        self._redraw(set_rect=False)
        if changed:
            self.log_colours_changed.emit(on)

    def is_log_colours(self) -> bool:
        """Return True when colours follow log10(counts)."""
        return self._log

    def _set_bar_label(self) -> None:
        self.colour_bar.getAxis("right").setLabel("log10(counts)" if self._log else "counts")

    def _redraw(self, *, set_rect: bool) -> None:
        c = self._counts
        if c.size == 0:
            self.image.clear()
            return
        positive = c > 0
        if self._log:
            shown = np.full(c.shape, np.nan)
            np.log10(c, out=shown, where=positive)
        else:
            shown = np.where(positive, c, np.nan)
        if positive.any():
            lo, hi = float(np.nanmin(shown)), float(np.nanmax(shown))
        else:
            lo, hi = 0.0, 1.0
        if hi <= lo:
            hi = lo + 1.0
        self.image.setImage(shown, autoLevels=False, levels=(lo, hi))
        self.colour_bar.setLevels((lo, hi))
        if set_rect or self.image.width() != c.shape[0]:
            x, y = self._x, self._y
            self.image.setRect(QRectF(x[0], y[0], x[-1] - x[0], y[-1] - y[0]))

    # ------------------------------------------------------------------ export
    def csv_columns(self) -> tuple[list[str], list[NDArray[np.float64]]]:
        """Return one row per bin: x and y bin edges and the counts."""
        x, y, c = self._x, self._y, self._counts
        header = ["x_lo", "x_hi", "y_lo", "y_hi", "counts"]
        if c.size == 0:
            z = np.zeros(0)
            return header, [z, z, z, z, z]
        i, j = np.meshgrid(np.arange(c.shape[0]), np.arange(c.shape[1]), indexing="ij")
        i, j = i.ravel(), j.ravel()
        return header, [x[i], x[i + 1], y[j], y[j + 1], c[i, j]]


def demo() -> Hist2DImage:
    """Return the widget with a synthetic F90 vs total-PE histogram (ER band and NR band)."""
    rng = np.random.default_rng(4)
    pe = np.concatenate([rng.gamma(6.0, 30.0, 60000), rng.gamma(4.0, 40.0, 6000)])
    mean = np.concatenate([np.full(60000, 0.3), np.full(6000, 0.7)])
    f90 = rng.normal(mean, 0.4 / np.sqrt(pe + 10.0))
    x_edges, y_edges = np.linspace(0, 600, 151), np.linspace(0, 1, 101)
    counts, _, _ = np.histogram2d(pe, f90, [x_edges, y_edges])
    w = Hist2DImage(name="f90_vs_pe")
    w.set_axis_labels("total_pe (PE)", "f90")
    w.set_title("demo: F90 vs total PE")
    w.set_histogram(x_edges, y_edges, counts)
    w.resize(640, 420)
    w.setWindowTitle("Hist2DImage demo")
    return w


if __name__ == "__main__":  # pragma: no cover
    app = QApplication(sys.argv)
    widget = demo()
    widget.show()
    sys.exit(app.exec())
