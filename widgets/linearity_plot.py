"""Light vs deposited energy for both SPE definitions: points, linear fits, residual panel.

What to use when
----------------
- ``LinearityPlot``: one series per analysis (``"A"``, ``"B"``): measured peak light (PE) with
  error bars at each energy (keV), the fit through the origin (solid) and with an offset
  (dashed); below, the relative residuals to the through-origin fit (%) with the points' error
  bars. A line of text under the plot gives Y +- error and chi2/ndf of each analysis. Feed it
  plain arrays and numbers with ``set_series``; it computes nothing but the drawn lines.
- The Export button saves PNG/SVG of plot + residuals and the points as CSV.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from widgets.plot_export import PlotExporter

__all__ = ["demo", "SERIES_STYLES", "LinearityPlot", "LinearitySeries"]

#: (colour, symbol) per analysis key.
SERIES_STYLES = {"A": ("#1f77b4", "o"), "B": ("#d62728", "s")}
_OTHER_STYLE = ("#2ca02c", "t")
_AXIS_COLOUR = "#303030"


@dataclass(frozen=True)
class LinearitySeries:
    """What one analysis shows (plain numbers; NaN/None where unknown)."""

    energy_kev: np.ndarray
    pe: np.ndarray
    pe_err: np.ndarray
    labels: tuple[str, ...]
    y_pe_per_kev: float
    y_err_pe_per_kev: float
    chi2: float
    ndf: int
    slope_pe_per_kev: float | None
    offset_pe: float | None
    offset_err_pe: float | None
    y_stat_err_pe_per_kev: float | None = None
    y_gain_err_pe_per_kev: float | None = None
    chi2_scale: float = 1.0


def _fmt(value: float, err: float) -> str:
    if not (np.isfinite(value) and np.isfinite(err) and err > 0):
        return f"{value:.4g}"
    digits = max(0, 1 - int(np.floor(np.log10(err))))
    return f"{value:.{digits}f} ± {err:.{digits}f}"


def _error_parts(s: LinearitySeries) -> str:
    """``stat 0.013 scaled ×4.2, SPE gain 0.039`` or "" when only a total is known.

    The statistical error is scaled by sqrt(chi2/ndf) when that is above 1 (PDG).
    """
    parts = []
    if s.y_stat_err_pe_per_kev is not None:
        scale = f" scaled ×{s.chi2_scale:.1f}" if s.chi2_scale > 1 else ""
        parts.append(f"stat {s.y_stat_err_pe_per_kev:.3f}{scale}")
    if s.y_gain_err_pe_per_kev is not None:
        parts.append(f"SPE gain {s.y_gain_err_pe_per_kev:.3f}")
    elif s.y_stat_err_pe_per_kev is not None:
        parts.append("SPE gain error unknown")
    return ", ".join(parts)


class LinearityPlot(QWidget):
    """PE vs keV per analysis with fits and relative residuals.

    Parameters
    ----------
    parent : QWidget, optional
        Qt parent.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._series: dict[str, LinearitySeries] = {}
        self.graphics = pg.GraphicsLayoutWidget(self)
        self.graphics.setBackground("w")
        self.plot = self.graphics.addPlot(row=0, col=0)
        self.residual_plot = self.graphics.addPlot(row=1, col=0)
        self.graphics.ci.layout.setRowStretchFactor(0, 3)
        self.graphics.ci.layout.setRowStretchFactor(1, 1)
        for p in (self.plot, self.residual_plot):
            p.showGrid(x=True, y=True, alpha=0.18)
            p.getAxis("left").setWidth(64)
            for name in ("left", "bottom"):
                axis = p.getAxis(name)
                axis.setPen(pg.mkPen(_AXIS_COLOUR))
                axis.setTextPen(pg.mkPen(_AXIS_COLOUR))
                axis.enableAutoSIPrefix(False)
        self.residual_plot.setXLink(self.plot)
        self.plot.setLabel("left", "Light (PE)")
        self.plot.getAxis("bottom").setStyle(showValues=False)
        self.residual_plot.setLabel("left", "Data / fit − 1 (%)")
        self.residual_plot.setLabel("bottom", "Deposited energy (keV)")
        self.residual_plot.addItem(pg.InfiniteLine(0.0, angle=0, pen=pg.mkPen("#808080")))
        self.legend = self.plot.addLegend(
            offset=(10, 10),
            brush=pg.mkBrush(255, 255, 255, 220),
            pen=pg.mkPen("#c0c0c0"),
            labelTextColor=_AXIS_COLOUR,
        )
        self._items: list[tuple[pg.PlotItem, pg.GraphicsObject]] = []
        self.summary = QLabel(self)
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setWordWrap(True)
        self.summary.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.exporter = PlotExporter(
            self.graphics.ci,
            [("points", self.plot), ("residuals", self.residual_plot)],
            self,
            name="linearity",
            csv_provider=self._csv,
        )
        self.exporter.add_to_view_menus()
        title = QLabel("Linearity: light vs deposited energy", self)
        top = QHBoxLayout()
        top.addWidget(title, 1)
        top.addWidget(self.exporter.tool_button(self))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(top)
        layout.addWidget(self.graphics, 1)
        layout.addWidget(self.summary)
        self._redraw()

    # ------------------------------------------------------------------ data in
    def set_series(
        self,
        key: str,
        energy_kev: Sequence[float],
        pe: Sequence[float],
        pe_err: Sequence[float],
        *,
        labels: Sequence[str] = (),
        y_pe_per_kev: float,
        y_err_pe_per_kev: float,
        chi2: float = float("nan"),
        ndf: int = 0,
        slope_pe_per_kev: float | None = None,
        offset_pe: float | None = None,
        offset_err_pe: float | None = None,
        y_stat_err_pe_per_kev: float | None = None,
        y_gain_err_pe_per_kev: float | None = None,
        chi2_scale: float = 1.0,
    ) -> None:
        """Show (or replace) the points and fits of analysis ``key``.

        ``y_err_pe_per_kev`` is the total error; when given, its statistical part (already
        scaled by ``chi2_scale`` when that is above 1) and its SPE-gain part are shown too.
        """
        self._series[key] = LinearitySeries(
            np.asarray(energy_kev, dtype=float),
            np.asarray(pe, dtype=float),
            np.asarray(pe_err, dtype=float),
            tuple(labels),
            float(y_pe_per_kev),
            float(y_err_pe_per_kev),
            float(chi2),
            int(ndf),
            slope_pe_per_kev,
            offset_pe,
            offset_err_pe,
            None if y_stat_err_pe_per_kev is None else float(y_stat_err_pe_per_kev),
            None if y_gain_err_pe_per_kev is None else float(y_gain_err_pe_per_kev),
            float(chi2_scale),
        )
        self._redraw()

    def clear(self, message: str = "") -> None:
        """Remove every series; ``message`` replaces the summary line."""
        self._series.clear()
        self._redraw(message)

    def series(self) -> dict[str, LinearitySeries]:
        """Return the series shown, by analysis."""
        return dict(self._series)

    def summary_text(self) -> str:
        """Return the summary line under the plot."""
        return self.summary.text()

    # ------------------------------------------------------------------ drawing
    def _redraw(self, message: str = "") -> None:
        for plot, item in self._items:
            plot.removeItem(item)
        self._items.clear()
        self.legend.clear()
        lines = []
        e_max = max((float(np.max(s.energy_kev)) for s in self._series.values()), default=130.0)
        x_line = np.array([0.0, 1.08 * e_max])
        for key, s in self._series.items():
            colour, symbol = SERIES_STYLES.get(key, _OTHER_STYLE)
            pen = pg.mkPen(colour, width=1.6)
            err = pg.ErrorBarItem(
                x=s.energy_kev, y=s.pe, height=2 * s.pe_err, beam=1.5, pen=pg.mkPen(colour)
            )
            pts = pg.ScatterPlotItem(
                s.energy_kev, s.pe, symbol=symbol, size=9, brush=pg.mkBrush(colour), pen=None
            )
            fit = pg.PlotDataItem(x_line, s.y_pe_per_kev * x_line, pen=pen)
            self._add(self.plot, err, pts, fit)
            self.legend.addItem(
                pts, f"{key}: Y = {_fmt(s.y_pe_per_kev, s.y_err_pe_per_kev)} PE/keV"
            )
            if s.slope_pe_per_kev is not None and s.offset_pe is not None:
                dashed = pg.mkPen(colour, width=1.2, style=Qt.PenStyle.DashLine)
                off = pg.PlotDataItem(x_line, s.slope_pe_per_kev * x_line + s.offset_pe, pen=dashed)
                self._add(self.plot, off)
                self.legend.addItem(off, f"{key} + offset ({s.offset_pe:+.1f} PE)")
            model = s.y_pe_per_kev * s.energy_kev
            with np.errstate(divide="ignore", invalid="ignore"):
                rel = 100 * (s.pe / model - 1)
                rel_err = 100 * s.pe_err / model
            # analyses side by side (2 % of the range apart) so equal residuals stay visible
            step = 0.02 * e_max
            shift = step * (list(self._series).index(key) - (len(self._series) - 1) / 2)
            x_res = s.energy_kev + shift
            self._add(
                self.residual_plot,
                pg.ErrorBarItem(x=x_res, y=rel, height=2 * rel_err, beam=1.5, pen=pg.mkPen(colour)),
                pg.ScatterPlotItem(
                    x_res, rel, symbol=symbol, size=7, brush=pg.mkBrush(colour), pen=None
                ),
            )
            text = f"{key}: Y = {_fmt(s.y_pe_per_kev, s.y_err_pe_per_kev)} PE/keV"
            parts = _error_parts(s)
            if parts:
                text += f" [{parts}]"
            if np.isfinite(s.chi2):
                text += f", χ²/ndf = {s.chi2:.1f}/{s.ndf}"
            if s.offset_pe is not None and s.offset_err_pe is not None:
                text += f"; with offset: {_fmt(s.offset_pe, s.offset_err_pe)} PE"
            lines.append(text)
        self.plot.setXRange(0, 1.08 * e_max, padding=0)
        self.plot.enableAutoRange(axis="y")
        self.summary.setText("\n".join(lines) if lines else (message or "No linearity points yet."))

    def _add(self, plot: pg.PlotItem, *items: pg.GraphicsObject) -> None:
        for item in items:
            plot.addItem(item)
            self._items.append((plot, item))

    def _csv(self) -> tuple[list[str], list[list[float]]]:
        header = ["analysis", "energy_kev", "pe", "pe_err", "fit_pe", "residual_percent"]
        cols: list[list] = [[] for _ in header]
        for key, s in self._series.items():
            for e, m, d in zip(s.energy_kev, s.pe, s.pe_err, strict=True):
                fit = s.y_pe_per_kev * e
                for c, v in zip(cols, (key, e, m, d, fit, 100 * (m / fit - 1)), strict=True):
                    c.append(v)
        return header, cols


def demo() -> LinearityPlot:
    """Return a LinearityPlot with example data (``python -m widgets.linearity_plot``)."""
    w = LinearityPlot()
    e = np.array([9.4, 32.1, 41.5, 59.5, 122.0])
    w.set_series(
        "A",
        e,
        4.3 * e + [1, -3, 2, 1, -4],
        0.03 * 4.3 * e,
        y_pe_per_kev=4.29,
        y_err_pe_per_kev=0.05,
        y_stat_err_pe_per_kev=0.03,
        y_gain_err_pe_per_kev=0.04,
        chi2=2.1,
        ndf=4,
        slope_pe_per_kev=4.31,
        offset_pe=-0.6,
        offset_err_pe=1.5,
    )
    w.set_series(
        "B", e[2:], 4.9 * e[2:], 0.02 * 4.9 * e[2:], y_pe_per_kev=4.9, y_err_pe_per_kev=0.06
    )
    w.resize(800, 600)
    w.setWindowTitle("LinearityPlot demo")
    return w


if __name__ == "__main__":  # pragma: no cover
    app = QApplication(sys.argv)
    widget = demo()
    widget.show()
    sys.exit(app.exec())
