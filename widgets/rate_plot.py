"""Rate vs time with error bars, the fitted decay curve, an excluded early period and pulls.

What to use when
----------------
- ``RatePlot``: a decay measurement (e.g. the 83mKr peak rate after an injection). Points with
  error bars (``set_points``; points outside the fit drawn hollow), the fitted curve with its
  pulls in a panel below (``set_fit`` with a ``widgets.spectrum_fit_plot.FitCurve``), the
  excluded early period (the filling of the detector) shaded from the first point up to a
  boundary the user drags (``exclusion_changed(x)`` on release; ``set_exclusion`` does not
  emit), a text box in the corner for the result (``set_annotation``, e.g. the half-life),
  a log/linear rate axis and PNG/SVG/CSV export.
- ``clear(message)`` replaces the plot by a sentence saying what to do.

The widget takes arrays and plain numbers in the caller's units (label the axes with
``set_axis_labels``); it computes no physics.
"""

from __future__ import annotations

import sys

import numpy as np
import pyqtgraph as pg
from numpy.typing import ArrayLike, NDArray
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QWidget,
)

from widgets.elided_label import ElidedLabel
from widgets.plot_export import PlotExporter, plot_layout
from widgets.spectrum_fit_items import (
    FitCurve,
    LogView,
    MessageStack,
    SwitchableLogAxis,
    draw_pulls,
    style_plot,
)

__all__ = ["RatePlot"]

_POINT_COLOUR = "#1d3557"
_FIT_PEN = pg.mkPen("#d62728", width=2.2)
_EXCLUDED_BRUSH = pg.mkBrush(120, 120, 120, 45)


class RatePlot(QWidget):
    """Rate points, decay fit, excluded period and pulls (see the module docstring).

    Parameters
    ----------
    parent : QWidget, optional
        Qt parent.
    name : str
        Default file stem of exports.

    Signals
    -------
    exclusion_changed(float)
        The user released the end of the excluded period at this x.
    log_scale_changed(bool)
        The rate axis switched to log (True) or linear.
    """

    exclusion_changed = Signal(float)
    log_scale_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None, *, name: str = "rate") -> None:
        super().__init__(parent)
        self._x = np.zeros(0)
        self._y = np.zeros(0)
        self._err = np.zeros(0)
        self._used = np.zeros(0, dtype=bool)
        self._fit: FitCurve | None = None
        self._setting = False
        self._view = LogView()
        self._items: list[pg.GraphicsObject] = []

        self._title = ElidedLabel(self)
        self._log_box = QCheckBox("Log scale", self)
        self._log_box.setToolTip("Logarithmic rate axis (an exponential decay is a line)")
        self._log_box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._log_box.toggled.connect(self.set_log_scale)

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
            offset=(-10, 10), brush=pg.mkBrush(255, 255, 255, 220), pen=pg.mkPen("#c0c0c0"),
            labelTextColor="#303030",
        )  # fmt: skip
        self._pulls = pg.ScatterPlotItem(size=5, pen=None, brush=pg.mkBrush("#d62728"))
        self.residual_plot.addItem(self._pulls)
        # The excluded period starts at the first point; only its end is dragged.
        self.exclusion = pg.LinearRegionItem((0.0, 0.0), brush=_EXCLUDED_BRUSH)
        self.exclusion.setMovable(False)
        self.exclusion.lines[1].setMovable(True)
        self.exclusion.lines[1].setPen(pg.mkPen("#555555", width=2))
        self.exclusion.lines[1].setHoverPen(pg.mkPen("#e63946", width=3))
        self.exclusion.lines[0].setPen(pg.mkPen(0, 0, 0, 0))
        self.exclusion.setToolTip("Excluded from the fit (filling period): drag its right edge")
        self.exclusion.setZValue(-5)
        self.exclusion.setVisible(False)
        self.plot.addItem(self.exclusion, ignoreBounds=True)
        self.exclusion.sigRegionChangeFinished.connect(self._on_exclusion_finished)
        self.annotation = pg.TextItem(
            color="#202020", fill=pg.mkBrush(255, 255, 255, 220), border=pg.mkPen("#c0c0c0"),
            anchor=(1, 0),
        )  # fmt: skip
        # Parented to the view box (not its data group): fixed below the legend, top right,
        # where a decay leaves the plot empty.
        self.annotation.setParentItem(self.plot.getViewBox())
        self.annotation.setVisible(False)
        self.plot.getViewBox().sigResized.connect(self._place_annotation)
        self.set_axis_labels("Time", "Rate (Hz)")

        self._stack = MessageStack(self.graphics, self)

        self.exporter = PlotExporter(
            self.graphics.ci, [("rate", self.plot), ("pulls", self.residual_plot)], self,
            name=name, csv_provider=self.csv_columns,
        )  # fmt: skip
        self.exporter.add_to_view_menus()
        plot_layout(self, self._title, self._stack, self._log_box, exporter=self.exporter)
        self.clear("")

    # ------------------------------------------------------------------ data
    def set_axis_labels(self, x: str, y: str = "Rate (Hz)") -> None:
        """Label the time axis (on the pull panel) and the rate axis."""
        self.residual_plot.setLabel("bottom", x)
        self.plot.setLabel("left", y)

    def set_points(
        self,
        x: ArrayLike,
        rate: ArrayLike,
        rate_err: ArrayLike,
        *,
        used: ArrayLike | None = None,
        title: str = "",
    ) -> None:
        """Show rate points with 1-sigma errors; ``used`` False marks points left out of the fit."""
        self._x = np.asarray(x, dtype=float)
        self._y = np.asarray(rate, dtype=float)
        self._err = np.asarray(rate_err, dtype=float)
        if not (self._x.shape == self._y.shape == self._err.shape):
            raise ValueError(f"{self._x.size} times, {self._y.size} rates, {self._err.size} errors")
        n = self._x.size
        self._used = np.ones(n, bool) if used is None else np.asarray(used, dtype=bool)
        if self._used.shape != (n,):
            raise ValueError(f"{self._used.size} 'used' flags for {n} points")
        self._title.setText(title)
        self._stack.show_message("")
        self._redraw()
        vb = self.plot.getViewBox()
        vb.enableAutoRange()

    def clear(self, message: str = "") -> None:
        """Remove everything; show ``message`` instead of the plot when given."""
        self._x = self._y = self._err = np.zeros(0)
        self._used = np.zeros(0, dtype=bool)
        self._fit = None
        self._title.setText("")
        self.set_annotation("")
        self.exclusion.setVisible(False)
        self._redraw()
        self._stack.show_message(message)

    def message(self) -> str:
        """Return the sentence shown instead of the plot ("" when the plot is shown)."""
        return self._stack.message()

    def points(self) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        """Return the points shown: x, rate, error (copies)."""
        return self._x.copy(), self._y.copy(), self._err.copy()

    def set_fit(self, fit: FitCurve | None) -> None:
        """Draw (or remove with None) the fitted curve and its pulls."""
        self._fit = fit
        self._redraw()

    def residual_points(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Return the pulls drawn (x, pull)."""
        x, y = self._pulls.getData()
        return np.asarray(x, dtype=float), np.asarray(y, dtype=float)

    def set_annotation(self, text: str) -> None:
        """Show ``text`` (several lines allowed) below the legend; "" hides it."""
        self.annotation.setText(text)
        self.annotation.setVisible(bool(text))
        self._place_annotation()

    @Slot()
    def _place_annotation(self, *_: object) -> None:
        vb = self.plot.getViewBox()
        below = self.legend.boundingRect().height() + 18 if self.legend.items else 8
        self.annotation.setPos(vb.width() - 10, below)

    def annotation_text(self) -> str:
        """Return the corner text."""
        return self.annotation.toPlainText() if self.annotation.isVisible() else ""

    # ------------------------------------------------------------------ exclusion
    def set_exclusion(self, start: float, end: float) -> None:
        """Shade ``start .. end`` as excluded, without emitting ``exclusion_changed``."""
        self._setting = True
        try:
            self.exclusion.setRegion((start, max(start, end)))
        finally:
            self._setting = False
        self.exclusion.setVisible(True)

    def exclusion_end(self) -> float:
        """Return the end of the excluded period."""
        return float(self.exclusion.getRegion()[1])

    @Slot()
    def _on_exclusion_finished(self) -> None:
        if not self._setting:
            self.exclusion_changed.emit(self.exclusion_end())

    # ------------------------------------------------------------------ drawing
    @Slot(bool)
    def set_log_scale(self, on: bool) -> None:
        """Switch the rate axis between log and linear."""
        if self._view.switch(on, self._y_axis, self._log_box):
            self._redraw()
            self.plot.getViewBox().enableAutoRange(axis=pg.ViewBox.YAxis)
            self.log_scale_changed.emit(bool(on))

    def is_log_scale(self) -> bool:
        """Return True when the rate axis is logarithmic."""
        return self._view.is_log

    def _redraw(self) -> None:
        for item in self._items:
            self.plot.removeItem(item)
        self._items = []
        self._view.set_floor_from([self._y])
        if self._x.size:
            y, top, bottom = self._view.error_bars(self._y, self._err)
            bars = pg.ErrorBarItem(
                x=self._x, y=y, top=top, bottom=bottom, beam=0, pen=pg.mkPen(_POINT_COLOUR)
            )
            self._add(bars)
            for used, label in ((True, "rate"), (False, "not fitted")):
                sel = self._used == used
                if not sel.any():
                    continue
                brush = pg.mkBrush(_POINT_COLOUR) if used else pg.mkBrush("w")
                pts = pg.PlotDataItem(
                    self._x[sel], y[sel], pen=None, symbol="o", symbolSize=5,
                    symbolBrush=brush, symbolPen=pg.mkPen(_POINT_COLOUR), name=label,
                )  # fmt: skip
                self._add(pts)
        fit = self._fit
        if fit is not None and len(fit.x):
            curve = pg.PlotDataItem(fit.x, self._view.y(fit.y), pen=_FIT_PEN, name=fit.label)
            curve.setZValue(3)
            self._add(curve)
            draw_pulls(self._pulls, self.residual_plot, fit.residual_x, fit.residual)
        else:
            draw_pulls(self._pulls, self.residual_plot, [], [])
        self._place_annotation()

    def _add(self, item: pg.GraphicsObject) -> None:
        self.plot.addItem(item)
        self._items.append(item)

    # ------------------------------------------------------------------ export
    def csv_columns(self) -> tuple[list[str], list[NDArray[np.float64]]]:
        """Return the points, their use in the fit, the model and pulls as CSV columns."""
        header = ["x", "rate", "rate_err", "used_in_fit"]
        cols = [self._x, self._y, self._err, self._used.astype(float)]
        if self._fit is not None and len(self._fit.x) and self._x.size:
            fx = np.asarray(self._fit.x, dtype=float)
            inside = (self._x >= fx.min()) & (self._x <= fx.max())
            model = np.where(inside, np.interp(self._x, fx, np.asarray(self._fit.y, float)), np.nan)
            pull = np.full(self._x.size, np.nan)
            rx = np.asarray(self._fit.residual_x, dtype=float)
            for xi, ri in zip(rx, np.asarray(self._fit.residual, dtype=float), strict=True):
                pull[np.argmin(np.abs(self._x - xi))] = ri
            header += ["model", "pull"]
            cols += [model, pull]
        return header, cols


def demo() -> RatePlot:
    """Return the widget with a synthetic 1.83 h decay over a constant background (``-m``)."""
    rng = np.random.default_rng(4)
    t_h = np.arange(0.125, 8.0, 0.25)
    model = 12.0 * np.exp(-np.log(2) * t_h / 1.83) + 2.0
    counts = rng.poisson(model * 900.0)
    rate, err = counts / 900.0, np.sqrt(counts) / 900.0
    used = t_h > 0.5
    fine = np.linspace(0.5, 8.0, 300)
    curve = 12.0 * np.exp(-np.log(2) * fine / 1.83) + 2.0
    w = RatePlot()
    w.set_axis_labels("Time since run start (h)")
    w.set_points(t_h, rate, err, used=used, title="demo: 83mKr peak rate")
    w.set_fit(FitCurve(fine, curve, t_h[used], ((rate - model) / err)[used], "decay + constant"))
    w.set_exclusion(0.0, 0.5)
    w.set_annotation("T½ = 1.83 ± 0.02 h\nbackground 2.00 ± 0.02 Hz")
    w.resize(900, 520)
    w.setWindowTitle("RatePlot demo")
    return w


if __name__ == "__main__":  # pragma: no cover
    app = QApplication(sys.argv)
    widget = demo()
    widget.show()
    sys.exit(app.exec())
