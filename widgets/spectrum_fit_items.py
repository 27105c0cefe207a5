"""Items shared by the fit plots: spectrum and fit data classes, log view, axis, plot style.

What to use when
----------------
- ``SpectrumSeries`` / ``FitCurve``: what ``SpectrumFitPlot`` draws (a binned spectrum with its
  style key and errors; a fitted model on a fine grid with the pulls of the fitted bins).
- ``LogView``: values and error bars as a log or linear axis draws them (empty and negative
  bins at a floor in the log view); ``SwitchableLogAxis``: an axis labelled in plain numbers
  in both views (``widgets.plot_log_axis``).
- ``style_plot(plot)``: the workbench look of a ``PlotItem`` (also used by the Cuts widgets).
- ``MessageStack(content)``: the plot, or a centred sentence instead of it (empty states).
- ``draw_pulls(scatter, panel, x, pulls)``: pulls in a residual panel with a robust range;
  ``spectrum_csv_columns(edges, series, fit)``: what a spectrum's CSV export writes.

Used by ``widgets.spectrum_fit_plot``, ``widgets.rate_plot`` and ``widgets.time_map_plot``,
which re-export them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from numpy.typing import ArrayLike, NDArray
from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtWidgets import QCheckBox, QLabel, QStackedWidget, QWidget

from widgets.plot_log_axis import LogAxis

__all__ = [
    "FitCurve",
    "LogView",
    "MessageStack",
    "SpectrumSeries",
    "SwitchableLogAxis",
    "draw_pulls",
    "spectrum_csv_columns",
    "style_plot",
]

_AXIS_COLOUR = "#303030"


def style_plot(plot: pg.PlotItem) -> None:
    """Give ``plot`` the workbench look: light grid, dark axes, no SI prefixes."""
    plot.showGrid(x=True, y=True, alpha=0.15)
    plot.setMenuEnabled(False, enableViewBoxMenu=True)
    for name in ("left", "bottom"):
        axis = plot.getAxis(name)
        axis.setPen(pg.mkPen(_AXIS_COLOUR))
        axis.setTextPen(pg.mkPen(_AXIS_COLOUR))
        axis.enableAutoSIPrefix(False)
    plot.getAxis("left").setWidth(64)


class SwitchableLogAxis(LogAxis):
    """An axis labelled like ``LogAxis`` while ``is_log`` is True, like a plain axis otherwise."""

    def __init__(self, orientation: str, **kwargs: object) -> None:
        super().__init__(orientation, **kwargs)
        self.is_log = False

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list:  # noqa: N802, D102
        if self.is_log:
            return super().tickValues(minVal, maxVal, size)
        return pg.AxisItem.tickValues(self, minVal, maxVal, size)

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:  # noqa: N802, D102
        if self.is_log:
            return super().tickStrings(values, scale, spacing)
        return pg.AxisItem.tickStrings(self, values, scale, spacing)


class LogView:
    """Maps values (and their error bars) to what a log or linear axis draws.

    In the log view, values are drawn as ``log10(max(v, floor))`` with ``floor`` half the
    smallest positive value shown (empty bins and negative subtracted bins sit at the floor).
    """

    def __init__(self) -> None:
        self.is_log = False
        self.floor = 0.5

    def switch(self, on: bool, axis: SwitchableLogAxis, box: QCheckBox) -> bool:
        """Set log (``on``) or linear here and on ``axis``; ``box`` follows without signalling.

        Returns True when the state changed (the caller then redraws).
        """
        on = bool(on)
        if on == self.is_log:
            return False
        self.is_log = axis.is_log = on
        with QSignalBlocker(box):
            box.setChecked(on)
        return True

    def set_floor_from(self, arrays: Sequence[NDArray[np.float64]]) -> None:
        """Choose the floor from the data about to be drawn."""
        pos = [a[np.isfinite(a) & (a > 0)] for a in arrays]
        pos = [p for p in pos if p.size]
        smallest = min(float(p.min()) for p in pos) if pos else 1.0
        self.floor = min(0.5, 0.5 * smallest)

    def y(self, values: ArrayLike) -> NDArray[np.float64]:
        """Return the drawn coordinate of ``values``."""
        v = np.asarray(values, dtype=float)
        if not self.is_log:
            return v
        return np.log10(np.maximum(np.where(np.isfinite(v), v, self.floor), self.floor))

    def error_bars(
        self, values: ArrayLike, errors: ArrayLike
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        """Return ``(y, top, bottom)`` lengths for a ``pyqtgraph.ErrorBarItem``."""
        v = np.asarray(values, dtype=float)
        e = np.nan_to_num(np.asarray(errors, dtype=float), nan=0.0)
        y = self.y(v)
        if not self.is_log:
            return y, e, e
        return y, self.y(v + e) - y, y - self.y(v - e)


@dataclass(frozen=True)
class SpectrumSeries:
    """One binned spectrum to draw.

    Attributes
    ----------
    key : str
        Style key of ``SERIES_STYLES`` (``"signal"``, ``"background"``, ``"subtracted"``);
        also the CSV column prefix.
    label : str
        Legend text.
    counts : ndarray
        Value per bin (counts, or scaled/subtracted counts).
    errors : ndarray, optional
        1-sigma error per bin (drawn when error bars are on; exported to CSV).
    """

    key: str
    label: str
    counts: NDArray[np.float64]
    errors: NDArray[np.float64] | None = None


@dataclass(frozen=True)
class FitCurve:
    """A fitted model and its pulls.

    Attributes
    ----------
    x, y : ndarray
        The model on a fine grid over the fit range, in the units of the spectrum (per bin).
    residual_x, residual : ndarray
        Bin centres of the fitted bins and the pulls ``(n - model) / sigma`` there.
    label : str
        Legend text.
    """

    x: NDArray[np.float64]
    y: NDArray[np.float64]
    residual_x: NDArray[np.float64]
    residual: NDArray[np.float64]
    label: str = "fit"


class MessageStack(QStackedWidget):
    """A plot (``content``) or, in its place, a centred sentence saying what to do.

    Parameters
    ----------
    content : QWidget
        The plot widget.
    parent : QWidget, optional
        Qt parent.
    """

    def __init__(self, content: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.content = content
        self.label = QLabel(self)
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.label.setWordWrap(True)
        self.label.setStyleSheet("color: #555; font-size: 13pt; padding: 24px;")
        self.addWidget(self.label)
        self.addWidget(content)

    def show_message(self, text: str) -> None:
        """Show ``text`` instead of the plot; "" shows the plot."""
        self.label.setText(text)
        self.setCurrentWidget(self.label if text else self.content)

    def message(self) -> str:
        """Return the sentence shown ("" when the plot is shown)."""
        return self.label.text() if self.currentWidget() is self.label else ""


def draw_pulls(
    scatter: pg.ScatterPlotItem, panel: pg.PlotItem, x: ArrayLike, pulls: ArrayLike
) -> None:
    """Draw the finite ``pulls`` at ``x``; the range shows +-3.5 or the 98th percentile."""
    r = np.asarray(pulls, dtype=float)
    ok = np.isfinite(r)
    scatter.setData(np.asarray(x, dtype=float)[ok], r[ok])
    # A few wild bins must not flatten all the others.
    top = max(3.5, float(np.percentile(np.abs(r[ok]), 98))) if ok.any() else 3.5
    panel.setYRange(-1.1 * top, 1.1 * top, padding=0.0)


def spectrum_csv_columns(
    edges: NDArray[np.float64], series: Sequence[SpectrumSeries], fit: FitCurve | None
) -> tuple[list[str], list[NDArray[np.float64]]]:
    """Return bin edges, each spectrum (and its errors), the model and the pulls as columns.

    The model is the drawn curve interpolated at the bin centres inside its range (NaN
    outside); each pull goes to the bin holding its x.
    """
    e = np.asarray(edges, dtype=float)
    lo, hi = (e[:-1], e[1:]) if e.size else (e, e)
    header, cols = ["bin_lo", "bin_hi"], [lo, hi]
    for s in series:
        header.append(s.key)
        cols.append(s.counts)
        if s.errors is not None:
            header.append(f"{s.key}_err")
            cols.append(s.errors)
    if fit is not None and len(fit.x) and lo.size:
        c = 0.5 * (lo + hi)
        x = np.asarray(fit.x, dtype=float)
        inside = (c >= x.min()) & (c <= x.max())
        model = np.where(inside, np.interp(c, x, np.asarray(fit.y, float)), np.nan)
        pull = np.full(c.size, np.nan)
        rx = np.asarray(fit.residual_x, dtype=float)
        idx = np.clip(np.searchsorted(e, rx, side="right") - 1, 0, c.size - 1)
        pull[idx] = np.asarray(fit.residual, dtype=float)
        header += ["model", "pull"]
        cols += [model, pull]
    return header, cols
