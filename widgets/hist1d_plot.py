"""A step-histogram plot of a distribution before and after a selection, with cut bands.

What to use when
----------------
- ``Hist1DPlot``: one quantity (e.g. ftop or total PE) as step histograms sharing bin edges:
  ``set_histograms(edges, {"all": counts, "selected": counts})``; the "all" series is drawn
  grey, "selected" (after cuts) filled in colour (no legend, to keep small plots clear: say it
  in the title). Add a ``widgets.cut_rois.BandShape`` to ``plot``
  for a draggable range. Log or linear counts; PNG/SVG/CSV export. Refilling keeps the view.
  Other panes may reuse it for any "before/after" spectrum.
- ``FractionPlot``: a fraction per bin (e.g. cut efficiency vs total PE) as points with
  asymmetric error bars (``set_fractions(edges, fraction, lo, hi)``), y from 0 to 1.

The widget takes arrays only.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping

import numpy as np
import pyqtgraph as pg
from numpy.typing import ArrayLike, NDArray
from PySide6.QtCore import QSignalBlocker, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QSizePolicy,
    QWidget,
)

from widgets.elided_label import ElidedLabel
from widgets.plot_export import PlotExporter, plot_layout
from widgets.spectrum_fit_plot import style_plot

__all__ = ["HIST_STYLES", "FractionPlot", "Hist1DPlot"]

#: Series key -> (colour, width, fill alpha, legend text).
HIST_STYLES = {
    "all": ("#8d99ae", 1.2, 0, "all events"),
    "selected": ("#1d3557", 1.6, 40, "after cuts"),
}


class Hist1DPlot(QWidget):
    """Step histograms before/after cuts (see the module docstring).

    Parameters
    ----------
    parent : QWidget, optional
        Qt parent.
    name : str
        Default file stem of exports.

    Signals
    -------
    log_counts_changed(bool)
        The count axis was switched (True: log).
    """

    log_counts_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None, *, name: str = "hist1d") -> None:
        super().__init__(parent)
        self._edges = np.zeros(0)
        self._series: dict[str, NDArray[np.float64]] = {}
        self._log = False
        self._ranged = False

        self._title = ElidedLabel(self)
        self._title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._log_box = QCheckBox("Log", self)
        self._log_box.setToolTip("Logarithmic count axis")
        self._log_box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._log_box.toggled.connect(self.set_log_counts)

        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground("w")
        self.plot = self.graphics.addPlot(row=0, col=0)
        style_plot(self.plot)
        self.plot.setLabel("left", "events / bin")
        self.curves: dict[str, pg.PlotDataItem] = {}
        for key, (colour, width, alpha, label) in HIST_STYLES.items():
            brush = pg.mkBrush(*pg.mkColor(colour).getRgb()[:3], alpha) if alpha else None
            curve = pg.PlotDataItem(
                stepMode="center", pen=pg.mkPen(colour, width=width), name=label,
                fillLevel=0 if alpha else None, brush=brush,
            )  # fmt: skip
            self.plot.addItem(curve)
            self.curves[key] = curve

        self.exporter = PlotExporter(
            self.graphics.ci, [("hist", self.plot)], self, name=name,
            csv_provider=self.csv_columns,
        )  # fmt: skip
        self.exporter.add_to_view_menus()
        plot_layout(self, self._title, self.graphics, self._log_box, exporter=self.exporter)

    def set_axis_label(self, x: str) -> None:
        """Label the x axis (with units)."""
        self.plot.setLabel("bottom", x)

    def set_title(self, text: str) -> None:
        """Set the caption above the plot."""
        self._title.setText(text)

    def set_histograms(self, edges: ArrayLike, series: Mapping[str, ArrayLike]) -> None:
        """Show counts per bin for the keys of ``HIST_STYLES`` present in ``series``.

        The x range is fitted on the first fill and when the edges change; the y range follows
        the data.
        """
        e = np.asarray(edges, dtype=float)
        data = {}
        for key, counts in series.items():
            if key not in HIST_STYLES:
                raise ValueError(f"unknown series {key!r}; expected one of {list(HIST_STYLES)}")
            c = np.asarray(counts, dtype=float)
            if c.shape != (e.size - 1,):
                raise ValueError(f"series {key!r}: {c.size} counts for {e.size - 1} bins")
            data[key] = c
        same = np.array_equal(e, self._edges)
        self._edges, self._series = e, data
        self._redraw()
        if not same or not self._ranged:
            self.plot.getViewBox().setXRange(e[0], e[-1], padding=0.02)
            self._ranged = True
        self.plot.getViewBox().enableAutoRange(axis="y")

    def counts(self, key: str) -> NDArray[np.float64]:
        """Return the counts of series ``key`` (empty when not shown)."""
        return self._series.get(key, np.zeros(0)).copy()

    def clear(self) -> None:
        """Remove every series."""
        self._edges, self._series = np.zeros(0), {}
        self._ranged = False
        self._redraw()

    @Slot(bool)
    def set_log_counts(self, on: bool) -> None:
        """Show log10 counts (empty bins at a floor of 0.5) or linear counts."""
        on = bool(on)
        changed = on != self._log
        self._log = on
        with QSignalBlocker(self._log_box):
            self._log_box.setChecked(on)
        self.plot.setLogMode(y=on)
        self._redraw()
        if changed:
            self.log_counts_changed.emit(on)

    def _redraw(self) -> None:
        for key, curve in self.curves.items():
            c = self._series.get(key)
            if c is None or self._edges.size == 0:
                curve.setData([], [])
                continue
            # In log mode pyqtgraph takes log10 itself; a floor keeps empty bins drawable.
            shown = np.maximum(c, 0.5) if self._log else c
            curve.setData(self._edges, shown)
            if HIST_STYLES[key][2]:
                curve.setFillLevel(np.log10(0.5) if self._log else 0.0)

    def csv_columns(self) -> tuple[list[str], list[NDArray[np.float64]]]:
        """Return bin edges and the counts of each series."""
        e = self._edges
        if e.size == 0:
            return ["lo", "hi"], [np.zeros(0), np.zeros(0)]
        keys = [k for k in HIST_STYLES if k in self._series]
        return ["lo", "hi", *keys], [e[:-1], e[1:], *(self._series[k] for k in keys)]


class FractionPlot(QWidget):
    """Fractions per bin with asymmetric error bars (see the module docstring).

    Parameters
    ----------
    parent : QWidget, optional
        Qt parent.
    name : str
        Default file stem of exports.
    """

    def __init__(self, parent: QWidget | None = None, *, name: str = "fraction") -> None:
        super().__init__(parent)
        self._cols: list[NDArray[np.float64]] = [np.zeros(0)] * 5
        self._title = ElidedLabel(self)
        self._title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground("w")
        self.plot = self.graphics.addPlot(row=0, col=0)
        style_plot(self.plot)
        self.plot.setLabel("left", "fraction passing")
        self.plot.setYRange(0.0, 1.05, padding=0.0)
        self.plot.getViewBox().setLimits(yMin=-0.05, yMax=1.1)
        colour = HIST_STYLES["selected"][0]
        self.bars = pg.ErrorBarItem(x=np.zeros(0), y=np.zeros(0), pen=pg.mkPen(colour))
        self.points = pg.ScatterPlotItem(size=5, pen=None, brush=pg.mkBrush(colour))
        self.plot.addItem(self.bars)
        self.plot.addItem(self.points)
        self.exporter = PlotExporter(
            self.graphics.ci, [("fraction", self.plot)], self, name=name,
            csv_provider=self.csv_columns,
        )  # fmt: skip
        self.exporter.add_to_view_menus()
        plot_layout(self, self._title, self.graphics, exporter=self.exporter)

    def set_axis_label(self, x: str) -> None:
        """Label the x axis (with units)."""
        self.plot.setLabel("bottom", x)

    def set_title(self, text: str) -> None:
        """Set the caption above the plot."""
        self._title.setText(text)

    def set_fractions(
        self, edges: ArrayLike, fraction: ArrayLike, lo: ArrayLike, hi: ArrayLike
    ) -> None:
        """Show ``fraction`` per bin with its interval ``[lo, hi]``; NaN bins are left out."""
        e = np.asarray(edges, dtype=float)
        f, lo_, hi_ = (np.asarray(a, dtype=float) for a in (fraction, lo, hi))
        if not (f.shape == lo_.shape == hi_.shape == (e.size - 1,)):
            raise ValueError(f"{f.size} fractions for {e.size - 1} bins")
        x = 0.5 * (e[1:] + e[:-1])
        self._cols = [e[:-1], e[1:], f, lo_, hi_]
        ok = np.isfinite(f) & np.isfinite(lo_) & np.isfinite(hi_)
        self.points.setData(x[ok], f[ok])
        self.bars.setData(x=x[ok], y=f[ok], top=hi_[ok] - f[ok], bottom=f[ok] - lo_[ok])
        if e.size:
            self.plot.setXRange(e[0], e[-1], padding=0.02)

    def fractions(self) -> NDArray[np.float64]:
        """Return the fractions shown (NaN for empty bins)."""
        return self._cols[2].copy()

    def csv_columns(self) -> tuple[list[str], list[NDArray[np.float64]]]:
        """Return bin edges, fractions and their interval."""
        return ["lo", "hi", "fraction", "fraction_lo", "fraction_hi"], list(self._cols)


def demo() -> Hist1DPlot:
    """Return the widget with a synthetic ftop distribution before and after a cut."""
    rng = np.random.default_rng(2)
    ftop = np.clip(rng.normal(0.5, 0.12, 50000), 0, 1)
    edges = np.linspace(0, 1, 101)
    allc, _ = np.histogram(ftop, edges)
    sel, _ = np.histogram(ftop[(ftop > 0.3) & (ftop < 0.7)], edges)
    w = Hist1DPlot(name="ftop")
    w.set_axis_label("ftop")
    w.set_title("demo: ftop before and after a 0.3-0.7 cut")
    w.set_histograms(edges, {"all": allc, "selected": sel})
    w.resize(560, 360)
    w.setWindowTitle("Hist1DPlot demo")
    return w


if __name__ == "__main__":  # pragma: no cover
    app = QApplication(sys.argv)
    widget = demo()
    widget.show()
    sys.exit(app.exec())
