"""Detector efficiency vs energy on log-log axes: points per source, curve with band, residuals.

What to use when
----------------
- ``EfficiencyPlot``: show measured full-energy-peak efficiencies with error bars, one symbol
  and colour per source (legend), the fitted curve with its 1-sigma band (dashed outside the
  fitted energy range), summing-prone points ringed, excluded points hollow; below it the
  residuals, relative (%) with the band as a grey strip, or as pulls. Clicking a point emits
  ``point_clicked(index, energy_kev)``, ``index`` into the arrays given to ``set_points``
  (panes use it to exclude or include the line).
- Feed it arrays with ``set_points`` and ``set_curve``; it computes nothing but log10 for the
  drawing (see ``widgets.plot_log_axis``).
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
    QComboBox,
    QLabel,
    QSizePolicy,
    QWidget,
)

from widgets.plot_export import PlotExporter, plot_layout
from widgets.plot_log_axis import LogAxis

__all__ = ["RESIDUAL_MODES", "SOURCE_STYLES", "EfficiencyPlot"]

#: (colour, symbol) per source, in order of appearance.
SOURCE_STYLES = (
    ("#1f77b4", "o"),
    ("#d62728", "s"),
    ("#2ca02c", "t"),
    ("#9467bd", "d"),
    ("#ff7f0e", "t1"),
    ("#17becf", "p"),
)
RESIDUAL_MODES = ("relative", "pull")
_FLAG_PEN = pg.mkPen("#f59e0b", width=2)
_CURVE_PEN = pg.mkPen("#202020", width=1.6)
_EXTRAP_PEN = pg.mkPen("#202020", width=1.2, style=Qt.PenStyle.DashLine)
_BAND_BRUSH = pg.mkBrush(120, 120, 120, 60)
_AXIS_COLOUR = "#303030"


def _log10(x: ArrayLike) -> NDArray[np.float64]:
    a = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(a > 0, np.log10(np.where(a > 0, a, 1.0)), np.nan)


class EfficiencyPlot(QWidget):
    """Efficiency points, fitted curve and residual panel.

    Parameters
    ----------
    parent : QWidget, optional
        Qt parent.

    Signals
    -------
    point_clicked(int, float)
        Index (in the arrays of ``set_points``) and energy (keV) of the point clicked.
    residual_mode_changed(str)
        ``"relative"`` or ``"pull"``.
    """

    point_clicked = Signal(int, float)
    residual_mode_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._mode = "relative"
        self._pts: dict[str, NDArray] = {}
        self._sources: list[str] = []
        self._curve: dict[str, NDArray] = {}
        self._fit_range: tuple[float, float] | None = None
        self._items: list[pg.GraphicsObject] = []
        self._res_items: list[pg.GraphicsObject] = []

        self._title = QLabel(self)
        self._title.setTextFormat(Qt.TextFormat.PlainText)
        self._title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._mode_box = QComboBox(self)
        self._mode_box.addItem("Residuals: relative (%)", "relative")
        self._mode_box.addItem("Residuals: pulls", "pull")
        self._mode_box.setToolTip(
            "relative: measured / curve - 1, error bars from the point's own (independent) "
            "uncertainty, grey strip = curve band; pulls: the same in units of that uncertainty"
        )
        self._mode_box.currentIndexChanged.connect(self._on_mode_index_changed)

        self.graphics = pg.GraphicsLayoutWidget(self)
        self.graphics.setBackground("w")
        self.plot = self.graphics.addPlot(
            row=0, col=0, axisItems={"bottom": LogAxis("bottom"), "left": LogAxis("left")}
        )
        self.residual_plot = self.graphics.addPlot(
            row=1, col=0, axisItems={"bottom": LogAxis("bottom")}
        )
        self.graphics.ci.layout.setRowStretchFactor(0, 3)
        self.graphics.ci.layout.setRowStretchFactor(1, 1)
        for p in (self.plot, self.residual_plot):
            p.showGrid(x=True, y=True, alpha=0.18)
            p.setMenuEnabled(False, enableViewBoxMenu=True)
            p.getAxis("left").setWidth(64)
            for name in ("left", "bottom"):
                axis = p.getAxis(name)
                axis.setPen(pg.mkPen(_AXIS_COLOUR))
                axis.setTextPen(pg.mkPen(_AXIS_COLOUR))
                axis.enableAutoSIPrefix(False)
        self.residual_plot.setXLink(self.plot)
        self.plot.setLabel("left", "Full-energy-peak efficiency")
        self.plot.getAxis("bottom").setStyle(showValues=False)
        self.residual_plot.setLabel("bottom", "Energy (keV)")
        self.residual_plot.addItem(pg.InfiniteLine(0.0, angle=0, pen=pg.mkPen("#808080")))
        self.legend = self.plot.addLegend(
            offset=(-10, 10),
            brush=pg.mkBrush(255, 255, 255, 220),
            pen=pg.mkPen("#c0c0c0"),
            labelTextColor=_AXIS_COLOUR,
        )
        self._set_residual_label()

        self.exporter = PlotExporter(
            self.graphics.ci,
            [("efficiency", self.plot), ("residuals", self.residual_plot)],
            self,
            name="efficiency",
        )
        self.exporter.add_to_view_menus()
        plot_layout(self, self._title, self.graphics, self._mode_box, exporter=self.exporter)

    # ------------------------------------------------------------------ data
    def set_points(
        self,
        energy_kev: ArrayLike,
        efficiency: ArrayLike,
        efficiency_err: ArrayLike,
        sources: Sequence[str],
        *,
        flagged: ArrayLike | None = None,
        excluded: ArrayLike | None = None,
        residual_rel: ArrayLike | None = None,
        residual_rel_err: ArrayLike | None = None,
        pull: ArrayLike | None = None,
    ) -> None:
        """Show efficiency points (NaN efficiencies are skipped).

        Parameters
        ----------
        energy_kev, efficiency, efficiency_err : array_like
            Points and their total standard uncertainties.
        sources : sequence of str
            Source label of each point (one colour and symbol per distinct label).
        flagged : array_like of bool, optional
            Summing-prone (or otherwise flagged) points, drawn ringed.
        excluded : array_like of bool, optional
            Points left out of the fit, drawn hollow.
        residual_rel, residual_rel_err, pull : array_like, optional
            Residuals with respect to the curve for the lower panel.
        """
        e = np.asarray(energy_kev, dtype=float)
        n = e.size
        if len(sources) != n:
            raise ValueError(f"{n} points but {len(sources)} source labels")

        def arr(x: ArrayLike | None, fill: float | bool) -> NDArray:
            return np.full(n, fill) if x is None else np.asarray(x).reshape(n)

        self._pts = {
            "e": e,
            "eff": arr(efficiency, np.nan).astype(float),
            "err": arr(efficiency_err, np.nan).astype(float),
            "flag": arr(flagged, False).astype(bool),
            "excl": arr(excluded, False).astype(bool),
            "rel": arr(residual_rel, np.nan).astype(float),
            "rel_err": arr(residual_rel_err, np.nan).astype(float),
            "pull": arr(pull, np.nan).astype(float),
        }
        self._sources = [str(s) for s in sources]
        self._redraw()

    def set_curve(
        self,
        energy_kev: ArrayLike,
        efficiency: ArrayLike,
        band_lo: ArrayLike,
        band_hi: ArrayLike,
        *,
        fit_range_kev: tuple[float, float] | None = None,
        label: str = "fit",
    ) -> None:
        """Show the fitted curve and its band (solid inside ``fit_range_kev``, dashed outside)."""
        self._curve = {
            "e": np.asarray(energy_kev, dtype=float),
            "eff": np.asarray(efficiency, dtype=float),
            "lo": np.asarray(band_lo, dtype=float),
            "hi": np.asarray(band_hi, dtype=float),
        }
        self._curve_label = label
        self._fit_range = fit_range_kev
        self._redraw()

    def clear_curve(self) -> None:
        """Remove the curve and band."""
        self._curve = {}
        self._redraw()

    def clear(self) -> None:
        """Remove everything."""
        self._pts, self._sources, self._curve = {}, [], {}
        self._title.setText("")
        self._redraw()

    def set_title(self, text: str) -> None:
        """Set the one-line caption above the plot."""
        self._title.setText(text)

    def source_labels(self) -> list[str]:
        """Return the distinct sources shown, in legend order."""
        return list(dict.fromkeys(self._sources))

    def curve_data(self) -> dict[str, NDArray]:
        """Return copies of the curve arrays shown (keys ``e``, ``eff``, ``lo``, ``hi``)."""
        return {k: v.copy() for k, v in self._curve.items()}

    # ------------------------------------------------------------------ residual mode
    def set_residual_mode(self, mode: str) -> None:
        """Show relative residuals (``"relative"``) or pulls (``"pull"``)."""
        if mode not in RESIDUAL_MODES:
            raise ValueError(f"residual mode must be one of {RESIDUAL_MODES}, got {mode!r}")
        if mode == self._mode:
            return
        self._mode = mode
        with QSignalBlocker(self._mode_box):
            self._mode_box.setCurrentIndex(RESIDUAL_MODES.index(mode))
        self._set_residual_label()
        self._redraw()
        self.residual_mode_changed.emit(mode)

    def residual_mode(self) -> str:
        """Return ``"relative"`` or ``"pull"``."""
        return self._mode

    def _set_residual_label(self) -> None:
        text = "Data/fit − 1 (%)" if self._mode == "relative" else "Pull (σ)"
        self.residual_plot.setLabel("left", text)

    # ------------------------------------------------------------------ drawing
    def _add(self, plot: pg.PlotItem, item: pg.GraphicsObject, store: list) -> None:
        plot.addItem(item)
        store.append(item)

    def _redraw(self) -> None:
        for item in self._items:
            self.plot.removeItem(item)
        for item in self._res_items:
            self.residual_plot.removeItem(item)
        self._items, self._res_items = [], []
        self.legend.clear()
        self._draw_curve()
        self._draw_points()

    def _draw_curve(self) -> None:
        c = self._curve
        if not c or c["e"].size == 0:
            return
        x = _log10(c["e"])
        lo_c = pg.PlotCurveItem(x, _log10(c["lo"]), pen=pg.mkPen(None))
        hi_c = pg.PlotCurveItem(x, _log10(c["hi"]), pen=pg.mkPen(None))
        band = pg.FillBetweenItem(lo_c, hi_c, brush=_BAND_BRUSH)
        for item in (lo_c, hi_c, band):
            self._add(self.plot, item, self._items)
        inside = np.ones(x.size, dtype=bool)
        if self._fit_range is not None:
            inside = (c["e"] >= self._fit_range[0]) & (c["e"] <= self._fit_range[1])
        y = _log10(c["eff"])
        curve = pg.PlotDataItem(x, np.where(inside, y, np.nan), pen=_CURVE_PEN, connect="finite")
        self._add(self.plot, curve, self._items)
        self.legend.addItem(curve, self._curve_label)
        # A FillBetweenItem cannot be a legend sample (no opts): a grey square stands in.
        sample = pg.ScatterPlotItem(symbol="s", size=13, pen=pg.mkPen(None), brush=_BAND_BRUSH)
        self.legend.addItem(sample, "1σ band")
        if not inside.all():
            extrap = pg.PlotDataItem(x, np.where(inside, np.nan, y), pen=_EXTRAP_PEN)
            extrap.opts["connect"] = "finite"
            self._add(self.plot, extrap, self._items)
            self.legend.addItem(extrap, "extrapolated")
        if self._mode == "relative":
            with np.errstate(divide="ignore", invalid="ignore"):
                rlo = 100.0 * (c["lo"] / c["eff"] - 1.0)
                rhi = 100.0 * (c["hi"] / c["eff"] - 1.0)
            a = pg.PlotCurveItem(x, rlo, pen=pg.mkPen(None))
            b = pg.PlotCurveItem(x, rhi, pen=pg.mkPen(None))
            for item in (a, b, pg.FillBetweenItem(a, b, brush=_BAND_BRUSH)):
                self._add(self.residual_plot, item, self._res_items)

    def _draw_points(self) -> None:
        p = self._pts
        if not p:
            return
        good = np.isfinite(p["eff"]) & (p["eff"] > 0)
        x, y = _log10(p["e"]), _log10(p["eff"])
        up = _log10(p["eff"] + p["err"]) - y
        down = y - _log10(np.maximum(p["eff"] - p["err"], p["eff"] * 1e-3))
        if self._mode == "relative":
            ry, rerr = 100.0 * p["rel"], 100.0 * p["rel_err"]
        else:
            ry, rerr = p["pull"], np.where(np.isfinite(p["pull"]), 1.0, np.nan)
        labels = self.source_labels()
        for k, src in enumerate(labels):
            colour, symbol = SOURCE_STYLES[k % len(SOURCE_STYLES)]
            sel = good & np.array([s == src for s in self._sources])
            if not sel.any():
                continue
            pen = pg.mkPen(colour, width=1.2)
            bars = pg.ErrorBarItem(x=x[sel], y=y[sel], top=up[sel], bottom=down[sel], pen=pen)
            self._add(self.plot, bars, self._items)
            brushes = [pg.mkBrush("w") if ex else pg.mkBrush(colour) for ex in p["excl"][sel]]
            spots = pg.ScatterPlotItem(
                x=x[sel], y=y[sel], data=np.flatnonzero(sel), symbol=symbol, size=9, pen=pen,
                brush=brushes, hoverable=True, tip=None,
            )  # fmt: skip
            spots.sigClicked.connect(self._on_points_clicked)
            self._add(self.plot, spots, self._items)
            self.legend.addItem(
                pg.ScatterPlotItem(symbol=symbol, pen=pen, brush=pg.mkBrush(colour), size=9), src
            )
            rsel = sel & np.isfinite(ry)
            if rsel.any():
                rbars = pg.ErrorBarItem(x=x[rsel], y=ry[rsel], height=2 * rerr[rsel], pen=pen)
                rspots = pg.ScatterPlotItem(
                    x=x[rsel], y=ry[rsel], symbol=symbol, size=7, pen=pen,
                    brush=[b for b, ok in zip(brushes, rsel[sel], strict=True) if ok],
                )  # fmt: skip
                self._add(self.residual_plot, rbars, self._res_items)
                self._add(self.residual_plot, rspots, self._res_items)
        self._fit_residual_range(good & ~p["excl"] & np.isfinite(ry), ry, rerr)
        ring = good & p["flag"]
        if ring.any():
            rings = pg.ScatterPlotItem(
                x=x[ring], y=y[ring], symbol="o", size=17, pen=_FLAG_PEN, brush=None
            )
            self._add(self.plot, rings, self._items)
            self.legend.addItem(rings, "summing-prone")
        if (good & p["excl"]).any():
            sample = pg.ScatterPlotItem(symbol="o", size=9, pen=pg.mkPen("#555555"), brush="w")
            self.legend.addItem(sample, "excluded (hollow)")

    def _fit_residual_range(self, used: NDArray, ry: NDArray, rerr: NDArray) -> None:
        """Fit the residual axis to the fitted points (an excluded outlier may fall outside)."""
        vb = self.residual_plot.getViewBox()
        if not used.any():
            vb.enableAutoRange(axis=pg.ViewBox.YAxis)
            return
        reach = np.abs(ry[used]) + np.nan_to_num(rerr[used])
        floor = 2.0 if self._mode == "relative" else 3.0
        top = 1.25 * max(floor, float(reach.max()))
        vb.setYRange(-top, top, padding=0.0)

    @Slot(object, object)
    def _on_points_clicked(self, _item: object, points: object) -> None:
        pts = list(points)  # type: ignore[call-overload]
        if pts:
            i = int(pts[0].data())
            self.point_clicked.emit(i, float(self._pts["e"][i]))

    @Slot(int)
    def _on_mode_index_changed(self, index: int) -> None:
        self.set_residual_mode(RESIDUAL_MODES[index])


def demo() -> EfficiencyPlot:
    """Return the plot with 152Eu-like points and a curve (``python -m ...``)."""
    e = np.array([121.8, 244.7, 344.3, 411.1, 444.0, 778.9, 964.1, 1112.1, 1408.0])
    coef = (-4.05, -0.89, -0.12, 0.056)
    lx = np.log(e / 300.0)
    eff = np.exp(np.polynomial.polynomial.polyval(lx, coef)) * (1 + 0.01 * np.sin(e))
    grid = np.geomspace(80, 1600, 200)
    curve = np.exp(np.polynomial.polynomial.polyval(np.log(grid / 300.0), coef))
    w = EfficiencyPlot()
    w.set_curve(grid, curve, curve * 0.98, curve * 1.02, fit_range_kev=(121.8, 1408.0))
    rel = 0.01 * np.sin(e)
    w.set_points(
        e, eff, 0.03 * eff, ["Eu-152 37 kBq"] * 6 + ["Co-57"] * 3,
        flagged=e < 400, excluded=e == 444.0, residual_rel=rel,
        residual_rel_err=np.full(e.size, 0.005), pull=rel / 0.005,
    )  # fmt: skip
    w.set_title("order 3, demo data")
    w.resize(900, 600)
    w.setWindowTitle("EfficiencyPlot demo")
    return w


if __name__ == "__main__":  # pragma: no cover
    app = QApplication(sys.argv)
    widget = demo()
    widget.show()
    sys.exit(app.exec())
