"""Binned spectra with a draggable fit range, the fitted model and a pull panel below.

What to use when
----------------
- ``SpectrumFitPlot``: up to three spectra over the same bin edges (``SpectrumSeries`` with the
  style keys ``"signal"``, ``"background"``, ``"subtracted"``) drawn as step histograms with
  optional error bars, a log/linear count axis, a shaded fit range the user drags (emitted once
  on release as ``range_changed(lo, hi)``), the fitted model over its range (``FitCurve``), the
  pulls ``(n - model) / sigma`` in a panel sharing the x axis, labelled vertical markers
  (e.g. a resolving cut) and PNG/SVG/CSV export. Used for PE spectra (peak fits) and for the
  delayed-pulse time distribution.
- ``clear(message)`` replaces the plot by a centred sentence saying what to do (empty states).
- ``SpectrumSeries``, ``FitCurve``, ``LogView``, ``style_plot`` live in
  ``widgets.spectrum_fit_items`` and are re-exported here.

The widget takes arrays and plain numbers only; it computes no physics.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from numpy.typing import ArrayLike, NDArray
from PySide6.QtCore import QSignalBlocker, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QPushButton,
    QWidget,
)

from widgets.elided_label import ElidedLabel
from widgets.plot_export import PlotExporter, plot_layout
from widgets.spectrum_fit_items import (
    FitCurve,
    LogView,
    MessageStack,
    SpectrumSeries,
    SwitchableLogAxis,
    draw_pulls,
    spectrum_csv_columns,
    style_plot,
)

__all__ = [
    "SERIES_STYLES",
    "FitCurve",
    "LogView",
    "SpectrumFitPlot",
    "SpectrumSeries",
    "SwitchableLogAxis",
    "style_plot",
]

#: Style key -> (colour, pen style, width) of a spectrum.
SERIES_STYLES = {
    "signal": ("#1d3557", Qt.PenStyle.SolidLine, 1.3),
    "background": ("#8d99ae", Qt.PenStyle.DashLine, 1.2),
    "subtracted": ("#2a9d8f", Qt.PenStyle.SolidLine, 1.5),
}
_FIT_PEN = pg.mkPen("#d62728", width=2.2)
_AXIS_COLOUR = "#303030"
_MARKER_COLOUR = "#6a4c93"


class SpectrumFitPlot(QWidget):
    """Spectra, fit range, fitted model and pulls (see the module docstring).

    Parameters
    ----------
    parent : QWidget, optional
        Qt parent.
    name : str
        Default file stem of exports.

    Signals
    -------
    range_changed(float, float)
        The user released the fit range at ``lo, hi`` (x units); not emitted by ``set_range``.
    log_scale_changed(bool)
        The value axis switched to log (True) or linear.
    """

    range_changed = Signal(float, float)
    log_scale_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None, *, name: str = "spectrum") -> None:
        super().__init__(parent)
        self._edges = np.zeros(0)
        self._series: list[SpectrumSeries] = []
        self._fit: FitCurve | None = None
        self._markers: list[pg.InfiniteLine] = []
        self._items: list[pg.GraphicsObject] = []
        self._setting_range = False
        self._view = LogView()

        self._title = ElidedLabel(self)
        self._log_box = QCheckBox("Log scale", self)
        self._log_box.setToolTip("Logarithmic value axis (empty and negative bins at a floor)")
        self._log_box.toggled.connect(self.set_log_scale)
        self._err_box = QCheckBox("Error bars", self)
        self._err_box.setToolTip("Draw the 1-sigma error of every bin")
        self._err_box.toggled.connect(self.set_error_bars)
        self._full_btn = QPushButton("Full range", self)
        self._full_btn.setToolTip("Show every bin")
        self._full_btn.clicked.connect(self.zoom_full)
        for w in (self._log_box, self._err_box, self._full_btn):
            w.setFocusPolicy(Qt.FocusPolicy.NoFocus)

        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground("w")
        self.graphics.setAcceptDrops(False)
        self._y_axis = SwitchableLogAxis("left")
        self.plot = self.graphics.addPlot(row=0, col=0, axisItems={"left": self._y_axis})
        self.residual_plot = self.graphics.addPlot(row=1, col=0)
        self.graphics.ci.layout.setRowStretchFactor(0, 4)
        self.graphics.ci.layout.setRowStretchFactor(1, 1)
        for p in (self.plot, self.residual_plot):
            style_plot(p)
        self.residual_plot.setXLink(self.plot)
        self.plot.getAxis("bottom").setStyle(showValues=False)
        self.residual_plot.setLabel("left", "Pull")
        self.residual_plot.addItem(pg.InfiniteLine(0.0, angle=0, pen=pg.mkPen("#808080")))
        self.legend = self.plot.addLegend(
            offset=(-10, 10),
            brush=pg.mkBrush(255, 255, 255, 220),
            pen=pg.mkPen("#c0c0c0"),
            labelTextColor=_AXIS_COLOUR,
        )
        self._pulls = pg.ScatterPlotItem(size=5, pen=None, brush=pg.mkBrush("#d62728"))
        self.residual_plot.addItem(self._pulls)
        self.region = pg.LinearRegionItem(
            (0.0, 1.0), brush=pg.mkBrush(230, 57, 70, 30), hoverBrush=pg.mkBrush(230, 57, 70, 60)
        )
        self.region.setZValue(-5)
        self.region.setToolTip("Fit range: drag it or its edges; the fit runs on release")
        self.region.setVisible(False)
        self.plot.addItem(self.region, ignoreBounds=True)
        self.region.sigRegionChangeFinished.connect(self._on_region_finished)
        self.set_axis_labels("x", "Counts per bin")

        self._stack = MessageStack(self.graphics, self)

        self.exporter = PlotExporter(
            self.graphics.ci,
            [("spectrum", self.plot), ("pulls", self.residual_plot)],
            self,
            name=name,
            csv_provider=self.csv_columns,
        )
        self.exporter.add_to_view_menus()
        plot_layout(
            self,
            self._title,
            self._stack,
            self._log_box,
            self._err_box,
            self._full_btn,
            exporter=self.exporter,
        )
        self.clear("")

    # ------------------------------------------------------------------ data
    def set_axis_labels(self, x: str, y: str = "Counts per bin") -> None:
        """Label the x axis (on the pull panel) and the value axis."""
        self.residual_plot.setLabel("bottom", x)
        self.plot.setLabel("left", y)

    def set_spectra(
        self, edges: ArrayLike, series: Sequence[SpectrumSeries], *, title: str = ""
    ) -> None:
        """Show ``series`` (each one value per bin) over ``edges`` (one more than the bins).

        The view zooms out to every bin, unless the edges span what was shown before (a refit
        of the same spectrum keeps the user's zoom).
        """
        e = np.asarray(edges, dtype=float)
        for s in series:
            if np.shape(s.counts) != (e.size - 1,):
                raise ValueError(f"{s.key}: {np.size(s.counts)} values for {e.size - 1} bins")
            if s.key not in SERIES_STYLES:
                raise ValueError(f"unknown series style {s.key!r}; expected {list(SERIES_STYLES)}")
        same_extent = (
            self._edges.size > 1
            and e.size > 1
            and (self._edges[0], self._edges[-1]) == (e[0], e[-1])
        )
        self._edges = e
        self._series = [
            SpectrumSeries(
                s.key,
                s.label,
                np.asarray(s.counts, dtype=float),
                None if s.errors is None else np.asarray(s.errors, dtype=float),
            )
            for s in series
        ]
        self._title.setText(title)
        self._stack.show_message("")
        self._redraw()
        if same_extent:  # a refit of the same spectrum: keep the user's zoom
            self.plot.getViewBox().enableAutoRange(axis=pg.ViewBox.YAxis)
        else:
            self.zoom_full()

    def clear(self, message: str = "") -> None:
        """Remove spectra, fit and markers; show ``message`` instead of the plot when given."""
        self._edges = np.zeros(0)
        self._series = []
        self._fit = None
        self._title.setText("")
        self.set_markers([])
        self.region.setVisible(False)
        self._redraw()
        self._stack.show_message(message)

    def message(self) -> str:
        """Return the sentence shown instead of the plot ("" when the plot is shown)."""
        return self._stack.message()

    def series_keys(self) -> list[str]:
        """Return the style keys of the spectra shown, in drawing order."""
        return [s.key for s in self._series]

    def series_counts(self, key: str) -> NDArray[np.float64]:
        """Return a copy of the values of the spectrum ``key``."""
        for s in self._series:
            if s.key == key:
                return s.counts.copy()
        raise KeyError(key)

    def edges(self) -> NDArray[np.float64]:
        """Return the bin edges shown (a copy)."""
        return self._edges.copy()

    def set_fit(self, fit: FitCurve | None) -> None:
        """Draw (or remove with None) the fitted model and its pulls."""
        self._fit = fit
        self._redraw()

    def residual_points(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Return the pulls drawn (x, pull)."""
        x, y = self._pulls.getData()
        return np.asarray(x, dtype=float), np.asarray(y, dtype=float)

    def set_markers(self, markers: Sequence[tuple[float, str]]) -> None:
        """Draw labelled vertical lines at ``(x, label)`` (e.g. a resolving cut)."""
        for line in self._markers:
            self.plot.removeItem(line)
        self._markers = []
        for i, (x, label) in enumerate(markers):
            line = pg.InfiniteLine(
                float(x), angle=90, movable=False, label=label,
                pen=pg.mkPen(_MARKER_COLOUR, width=1.5, style=Qt.PenStyle.DashDotLine),
                # Staggered heights near the bottom, right of the line: close markers stay
                # readable and clear of the legend (top right).
                labelOpts={"position": 0.08 + 0.14 * (i % 4), "color": _MARKER_COLOUR,
                           "anchors": [(0, 0.5), (0, 0.5)], "fill": pg.mkBrush(255, 255, 255, 200)},
            )  # fmt: skip
            line.setZValue(4)
            self.plot.addItem(line, ignoreBounds=True)
            self._markers.append(line)

    def marker_labels(self) -> list[str]:
        """Return the labels of the vertical markers."""
        return [line.label.toPlainText() for line in self._markers]

    # ------------------------------------------------------------------ range
    def set_range(self, lo: float, hi: float) -> None:
        """Show the fit range at ``lo .. hi`` without emitting ``range_changed``."""
        self._setting_range = True
        try:
            self.region.setRegion((min(lo, hi), max(lo, hi)))
        finally:
            self._setting_range = False
        self.region.setVisible(True)

    def fit_range(self) -> tuple[float, float]:
        """Return the fit range ``(lo, hi)``."""
        lo, hi = self.region.getRegion()
        return float(lo), float(hi)

    @Slot()
    def _on_region_finished(self) -> None:
        if not self._setting_range:
            self.range_changed.emit(*self.fit_range())

    # ------------------------------------------------------------------ view options
    @Slot(bool)
    def set_log_scale(self, on: bool) -> None:
        """Switch the value axis between log and linear."""
        if self._view.switch(on, self._y_axis, self._log_box):
            self._redraw()
            self.plot.getViewBox().enableAutoRange(axis=pg.ViewBox.YAxis)
            self.log_scale_changed.emit(bool(on))

    def is_log_scale(self) -> bool:
        """Return True when the value axis is logarithmic."""
        return self._view.is_log

    @Slot(bool)
    def set_error_bars(self, on: bool) -> None:
        """Draw (or hide) the error bars of the spectra."""
        with QSignalBlocker(self._err_box):
            self._err_box.setChecked(bool(on))
        self._redraw()

    def has_error_bars(self) -> bool:
        """Return True when error bars are drawn."""
        return self._err_box.isChecked()

    @Slot()
    def zoom_full(self) -> None:
        """Show every bin, values fitted to the view."""
        vb = self.plot.getViewBox()
        if self._edges.size:
            vb.setXRange(float(self._edges[0]), float(self._edges[-1]), padding=0.01)
        vb.setAutoVisible(y=True)
        vb.enableAutoRange(axis=pg.ViewBox.YAxis)

    # ------------------------------------------------------------------ drawing
    def _redraw(self) -> None:
        for item in self._items:
            self.plot.removeItem(item)
        self._items = []
        arrays = [s.counts for s in self._series]
        self._view.set_floor_from(arrays)
        e = self._edges
        centres = 0.5 * (e[:-1] + e[1:]) if e.size else e
        for s in self._series:
            colour, style, width = SERIES_STYLES[s.key]
            item = pg.PlotDataItem(
                e, self._view.y(s.counts), stepMode="center",
                pen=pg.mkPen(colour, width=width, style=style), name=s.label,
            )  # fmt: skip
            item.setZValue(1 if s.key != "background" else 0)
            self._add(item)
            if self.has_error_bars() and s.errors is not None:
                y, top, bottom = self._view.error_bars(s.counts, s.errors)
                bars = pg.ErrorBarItem(
                    x=centres, y=y, top=top, bottom=bottom, beam=0, pen=pg.mkPen(colour, width=1)
                )
                self._add(bars)
        fit = self._fit
        if fit is not None and len(fit.x):
            curve = pg.PlotDataItem(fit.x, self._view.y(fit.y), pen=_FIT_PEN, name=fit.label)
            curve.setZValue(3)
            self._add(curve)
            draw_pulls(self._pulls, self.residual_plot, fit.residual_x, fit.residual)
        else:
            draw_pulls(self._pulls, self.residual_plot, [], [])

    def _add(self, item: pg.GraphicsObject) -> None:
        self.plot.addItem(item)
        self._items.append(item)

    # ------------------------------------------------------------------ export
    def csv_columns(self) -> tuple[list[str], list[NDArray[np.float64]]]:
        """Return the bins, every spectrum (with errors), the model and pulls as CSV columns."""
        return spectrum_csv_columns(self._edges, self._series, self._fit)


def demo() -> SpectrumFitPlot:
    """Return the widget with a synthetic peak on a falling background, fitted (``-m``)."""
    rng = np.random.default_rng(3)
    edges = np.linspace(0.0, 400.0, 161)
    c = 0.5 * (edges[:-1] + edges[1:])

    def gauss(x: NDArray[np.float64]) -> NDArray[np.float64]:  # 3000 events, 2.5 PE bins
        return 3000.0 * 2.5 / (16.5 * np.sqrt(2 * np.pi)) * np.exp(-0.5 * ((x - 177) / 16.5) ** 2)

    sig = rng.poisson(300.0 * np.exp(-c / 80.0) + gauss(c)).astype(float)
    b = rng.poisson(300.0 * np.exp(-c / 80.0)).astype(float)
    sel = (c >= 130) & (c <= 225)
    pulls = (sig - b - gauss(c))[sel] / np.sqrt(sig + b)[sel]
    w = SpectrumFitPlot()
    w.set_axis_labels("total_pe (PE)")
    series = [
        SpectrumSeries("signal", "Kr run", sig, np.sqrt(sig)),
        SpectrumSeries("background", "background (scaled)", b, np.sqrt(b)),
        SpectrumSeries("subtracted", "Kr - background", sig - b, np.sqrt(sig + b)),
    ]
    w.set_spectra(edges, series, title="demo: 41.5 keV peak")
    x = np.linspace(130.0, 225.0, 300)
    w.set_fit(FitCurve(x, gauss(x), c[sel], pulls, "Gaussian fit"))
    w.set_range(130.0, 225.0)
    w.resize(900, 560)
    w.setWindowTitle("SpectrumFitPlot demo")
    return w


if __name__ == "__main__":  # pragma: no cover
    app = QApplication(sys.argv)
    widget = demo()
    widget.show()
    sys.exit(app.exec())
