"""Charge spectrum of one PMT (log counts) with a fitted model, its components and residuals.

What to use when
----------------
- ``ChargeSpectrumPlot``: an SPE or LED charge histogram (step line) on a log (or linear)
  count axis; the fitted model's total (solid) and its components (dashed, one colour each,
  e.g. pedestal, 1 PE, 2 PE, >= 3 PE) with a legend; vertical markers with labels (gains:
  ``mu``, the model mean, a Gaussian mean); an optional shaded fit window; below it the
  residuals ``(n - m) / sqrt(m)`` inside the fitted range. "Export" saves PNG/SVG and the
  histogram with the model columns as CSV.
- Feed it arrays with ``set_spectrum``, ``set_model``, ``set_markers``, ``set_fit_range``;
  ``clear(message)`` shows a hint instead (e.g. why a fit failed). It computes no physics.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence

import numpy as np
import pyqtgraph as pg
from numpy.typing import ArrayLike, NDArray
from PySide6.QtCore import QSignalBlocker, Qt, Slot
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QLabel,
    QSizePolicy,
    QWidget,
)

from widgets.plot_export import PlotExporter, plot_layout

__all__ = ["COMPONENT_COLOURS", "LOG_FLOOR", "ChargeSpectrumPlot"]

#: Counts shown for empty bins in the log view; model curves stop at 0.2 x this.
LOG_FLOOR = 0.5
#: Colours of the model components, in the order given.
COMPONENT_COLOURS = ("#7f7f7f", "#2ca02c", "#ff7f0e", "#9467bd", "#17becf", "#8c564b")
_DATA_PEN = pg.mkPen("#1d3557", width=1.2)
_TOTAL_PEN = pg.mkPen("#d62728", width=2)
_AXIS_COLOUR = "#303030"
_MARKER_COLOURS = ("#d62728", "#1f77b4", "#2ca02c", "#9467bd")


def _styled(plot: pg.PlotItem) -> None:
    plot.showGrid(x=True, y=True, alpha=0.15)
    plot.setMenuEnabled(False, enableViewBoxMenu=True)
    plot.getAxis("left").setWidth(58)
    for name in ("left", "bottom"):
        axis = plot.getAxis(name)
        axis.setPen(pg.mkPen(_AXIS_COLOUR))
        axis.setTextPen(pg.mkPen(_AXIS_COLOUR))
        axis.enableAutoSIPrefix(False)


class ChargeSpectrumPlot(QWidget):
    """Histogram, model with components, markers and residual panel (see module docstring).

    Parameters
    ----------
    parent : QWidget, optional
        Qt parent.
    x_label : str
        Label of the charge axis.
    name : str
        Default file stem of exports.
    """

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        x_label: str = "Charge (ADC × ns)",
        name: str = "charge_spectrum",
    ) -> None:
        super().__init__(parent)
        self._edges = np.zeros(0)
        self._counts = np.zeros(0)
        self._model: dict[str, NDArray[np.float64]] = {}
        self._markers: list[tuple[float, str]] = []
        self._range: tuple[float, float] | None = None
        self._log = True
        self._items: list[tuple[pg.PlotItem, pg.GraphicsObject]] = []

        self._title = QLabel(self)
        self._title.setTextFormat(Qt.TextFormat.PlainText)
        self._title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._log_box = QCheckBox("Log counts", self)
        self._log_box.setChecked(True)
        self._log_box.setToolTip(f"Logarithmic count axis (empty bins drawn at {LOG_FLOOR})")
        self._log_box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._log_box.toggled.connect(self.set_log_scale)

        self.graphics = pg.GraphicsLayoutWidget(self)
        self.graphics.setBackground("w")
        self.plot = self.graphics.addPlot(row=0, col=0)
        self.residual_plot = self.graphics.addPlot(row=1, col=0)
        self.graphics.ci.layout.setRowStretchFactor(0, 4)
        self.graphics.ci.layout.setRowStretchFactor(1, 1)
        for p in (self.plot, self.residual_plot):
            _styled(p)
        self.residual_plot.setXLink(self.plot)
        self.plot.setLabel("left", "Counts per bin")
        self.plot.getAxis("bottom").setStyle(showValues=False)
        self.residual_plot.setLabel("bottom", x_label)
        self.residual_plot.setLabel("left", "(n−m)/√m")
        self.residual_plot.addItem(pg.InfiniteLine(0.0, angle=0, pen=pg.mkPen("#808080")))
        self.plot.setLogMode(y=True)
        # bottom left: below the pedestal's rising edge, where a log charge spectrum is empty
        self.legend = self.plot.addLegend(
            offset=(8, -8), labelTextSize="8pt", labelTextColor="#303030"
        )
        self.legend.setBrush(pg.mkBrush(255, 255, 255, 210))

        self._data = pg.PlotDataItem(stepMode="center", pen=_DATA_PEN, name="data")
        self.plot.addItem(self._data)
        self._message = pg.TextItem("", color="#606060", anchor=(0.5, 0.5))
        self._message.setParentItem(self.plot.getViewBox())
        self._residuals = pg.ScatterPlotItem(size=4, pen=None, brush=pg.mkBrush("#1d3557"))
        self.residual_plot.addItem(self._residuals)

        self.exporter = PlotExporter(
            self.graphics.ci,
            [("spectrum", self.plot), ("residuals", self.residual_plot)],
            self,
            name=name,
            csv_provider=self.csv_columns,
        )
        self.exporter.add_to_view_menus()
        plot_layout(self, self._title, self.graphics, self._log_box, exporter=self.exporter)

    # ------------------------------------------------------------------ data
    def set_spectrum(self, edges: ArrayLike, counts: ArrayLike, *, title: str = "") -> None:
        """Show ``counts`` over ``edges`` (one more edge than counts); clears model and marks."""
        e = np.asarray(edges, dtype=float)
        n = np.asarray(counts, dtype=float)
        if e.shape != (n.size + 1,):
            raise ValueError(f"{n.size} bins need {n.size + 1} edges, got {e.size}")
        self._edges, self._counts = e, n
        self._model, self._markers, self._range = {}, [], None
        self._title.setText(title)
        self._message.setText("")
        self._redraw()
        self.plot.enableAutoRange()

    def set_model(self, components: Mapping[str, ArrayLike] | None) -> None:
        """Draw the model: ``"total"`` solid red, every other entry dashed (counts per bin)."""
        model = {k: np.asarray(v, dtype=float) for k, v in (components or {}).items()}
        for k, v in model.items():
            if v.shape != self._counts.shape:
                raise ValueError(f"model {k!r} has {v.size} bins, the spectrum {self._counts.size}")
        self._model = model
        self._redraw()

    def set_markers(self, markers: Sequence[tuple[float, str]]) -> None:
        """Mark charges with labelled vertical lines (e.g. ``[(237.5, "μ = 237.5")]``)."""
        self._markers = [(float(x), str(t)) for x, t in markers if np.isfinite(x)]
        self._redraw()

    def set_legend_corner(self, corner: str) -> None:
        """Move the legend to a corner where the spectrum leaves room.

        ``corner`` is ``"top-left"``, ``"top-right"``, ``"bottom-left"`` (the default) or
        ``"bottom-right"``.
        """
        offsets = {
            "top-left": (8, 8),
            "top-right": (-8, 8),
            "bottom-left": (8, -8),
            "bottom-right": (-8, -8),
        }
        if corner not in offsets:
            raise ValueError(f"legend corner {corner!r} not in {sorted(offsets)}")
        self.legend.setOffset(offsets[corner])
        self.legend.anchor(
            itemPos=(0 if "left" in corner else 1, 0 if "top" in corner else 1),
            parentPos=(0 if "left" in corner else 1, 0 if "top" in corner else 1),
            offset=offsets[corner],
        )

    def set_fit_range(self, lo: float | None, hi: float | None = None) -> None:
        """Shade the fit window (None: no window; residuals then cover bins with m > 0.5)."""
        self._range = None if lo is None or hi is None else (float(lo), float(hi))
        self._redraw()

    def clear(self, message: str = "") -> None:
        """Remove everything and show ``message`` in the middle of the plot."""
        self._edges, self._counts = np.zeros(0), np.zeros(0)
        self._model, self._markers, self._range = {}, [], None
        self._title.setText("")
        self._redraw()
        self._message.setText(message)
        self._place_message()

    # ------------------------------------------------------------------ queries
    def counts(self) -> NDArray[np.float64]:
        """Return the histogram shown (a copy)."""
        return self._counts.copy()

    def model(self) -> dict[str, NDArray[np.float64]]:
        """Return the model components shown (copies)."""
        return {k: v.copy() for k, v in self._model.items()}

    def marker_labels(self) -> list[str]:
        """Return the marker labels, in order."""
        return [t for _, t in self._markers]

    def message(self) -> str:
        """Return the hint shown instead of a spectrum ("" when none)."""
        return self._message.toPlainText()

    def residuals(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Return the residual points ``(bin centres, (n - m)/sqrt(m))``."""
        x, y = self._residuals.getData()
        return np.asarray(x, dtype=float), np.asarray(y, dtype=float)

    def csv_columns(self) -> tuple[list[str], list[NDArray[np.float64]]]:
        """Return the histogram and the model as CSV columns."""
        e = self._edges
        lo, hi = (e[:-1], e[1:]) if e.size else (e, e)
        names = ["charge_lo", "charge_hi", "counts"] + [f"model_{k}" for k in self._model]
        return names, [lo, hi, self._counts, *self._model.values()]

    # ------------------------------------------------------------------ drawing
    @Slot(bool)
    def set_log_scale(self, on: bool) -> None:
        """Switch the count axis between log and linear."""
        on = bool(on)
        if on == self._log:
            return
        self._log = on
        with QSignalBlocker(self._log_box):
            self._log_box.setChecked(on)
        self.plot.setLogMode(y=on)
        self._redraw()
        self.plot.enableAutoRange(axis=pg.ViewBox.YAxis)

    def is_log_scale(self) -> bool:
        """Return True when the count axis is logarithmic."""
        return self._log

    def _shown(self, y: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.maximum(y, LOG_FLOOR) if self._log else y

    def _redraw(self) -> None:
        for plot, item in self._items:
            plot.removeItem(item)
        self._items = []
        self.legend.clear()
        if not self._counts.size:
            self._data.setData([], [])
            self._residuals.setData([], [])
            return
        self._data.setData(self._edges, self._shown(self._counts))
        self.legend.addItem(self._data, "data")
        centres = 0.5 * (self._edges[1:] + self._edges[:-1])
        if self._range is not None:
            band = pg.LinearRegionItem(
                self._range, movable=False, brush=pg.mkBrush(66, 135, 245, 35), pen=pg.mkPen(None)
            )
            band.setZValue(-10)
            self._add(self.plot, band)
        colours = iter(COMPONENT_COLOURS)
        for name, values in self._model.items():
            total = name == "total"
            pen = _TOTAL_PEN if total else pg.mkPen(next(colours, "#555555"), width=1.4)
            if not total:
                pen.setStyle(Qt.PenStyle.DashLine)
            shown = np.where(values >= 0.2 * LOG_FLOOR, values, np.nan) if self._log else values
            curve = pg.PlotDataItem(centres, shown, pen=pen, connect="finite")
            self._add(self.plot, curve)
            self.legend.addItem(curve, "model" if total else name)
        for i, (x, text) in enumerate(self._markers):
            colour = _MARKER_COLOURS[i % len(_MARKER_COLOURS)]
            line = pg.InfiniteLine(
                x, angle=90, pen=pg.mkPen(colour, width=1.2, style=Qt.PenStyle.DotLine),
                label=text, labelOpts={"position": 0.93 - 0.09 * i, "color": colour,
                                       "fill": pg.mkBrush(255, 255, 255, 200)},
            )  # fmt: skip
            self._add(self.plot, line)
        self._draw_residuals(centres)

    def _draw_residuals(self, centres: NDArray[np.float64]) -> None:
        m = self._model.get("total")
        if m is None:
            self._residuals.setData([], [])
            return
        use = m > 0.5
        if self._range is not None:
            use &= (centres >= self._range[0]) & (centres <= self._range[1])
        with np.errstate(divide="ignore", invalid="ignore"):
            r = (self._counts - m) / np.sqrt(m)
        self._residuals.setData(centres[use], r[use])
        lim = max(3.0, float(np.nanmax(np.abs(r[use]))) * 1.1) if use.any() else 3.0
        self.residual_plot.setYRange(-min(lim, 10.0), min(lim, 10.0), padding=0.0)

    def _add(self, plot: pg.PlotItem, item: pg.GraphicsObject) -> None:
        plot.addItem(item)
        self._items.append((plot, item))

    def _place_message(self) -> None:
        rect = self.plot.getViewBox().boundingRect()
        self._message.setPos(rect.center())

    def resizeEvent(self, event: object) -> None:  # noqa: N802, D102
        super().resizeEvent(event)  # type: ignore[arg-type]
        self._place_message()


def demo() -> ChargeSpectrumPlot:
    """Return a plot of a synthetic LED spectrum (pedestal + Poisson x Gaussian SPE)."""
    rng = np.random.default_rng(1)
    n_pe = rng.poisson(1.5, 20_000)
    q = rng.normal(0, 30, n_pe.size) + np.array([rng.normal(210, 95, k).sum() for k in n_pe])
    edges = np.arange(-150, 1200, 8.0)
    counts = np.histogram(q, edges)[0]
    c = 0.5 * (edges[1:] + edges[:-1])
    comps = {}
    for k, name in enumerate(("pedestal", "1 PE", "2 PE")):
        s = np.hypot(30, 95 * np.sqrt(k))
        w = np.exp(-1.5) * 1.5**k / np.prod(range(1, k + 1))
        comps[name] = 20_000 * w * 8 * np.exp(-0.5 * ((c - 210 * k) / s) ** 2) / (s * 2.5066)
    comps["total"] = sum(comps.values())
    w = ChargeSpectrumPlot()
    w.set_spectrum(edges, counts, title="demo: LED charge, top PMT")
    w.set_model(comps)
    w.set_markers([(210.0, "μ = 210"), (180.0, "mean = 180")])
    w.setWindowTitle("ChargeSpectrumPlot demo")
    return w


if __name__ == "__main__":  # pragma: no cover
    app = QApplication.instance() or QApplication(sys.argv)
    widget = demo()
    widget.resize(800, 560)
    widget.show()
    app.exec()
