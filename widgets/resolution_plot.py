"""Relative energy resolution vs energy with the fitted ``sqrt(a^2/E + b^2 + c^2/E^2)`` model.

What to use when
----------------
- ``ResolutionPlot``: measured sigma/E (%) of each peak with error bars per analysis, and the
  fitted model curve of each (computed by the caller and passed as arrays). A summary line
  gives the model coefficients. Export button: PNG/SVG and CSV of the points.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from widgets.linearity_plot import SERIES_STYLES
from widgets.plot_export import PlotExporter

__all__ = ["demo", "ResolutionPlot"]

_AXIS_COLOUR = "#303030"


class ResolutionPlot(QWidget):
    """sigma/E vs E with model curves.

    Parameters
    ----------
    parent : QWidget, optional
        Qt parent.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._data: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, str]] = {}
        self._items: list[pg.GraphicsObject] = []
        self.graphics = pg.GraphicsLayoutWidget(self)
        self.graphics.setBackground("w")
        self.plot = self.graphics.addPlot(row=0, col=0)
        self.plot.showGrid(x=True, y=True, alpha=0.18)
        self.plot.getAxis("left").setWidth(64)
        for name in ("left", "bottom"):
            axis = self.plot.getAxis(name)
            axis.setPen(pg.mkPen(_AXIS_COLOUR))
            axis.setTextPen(pg.mkPen(_AXIS_COLOUR))
            axis.enableAutoSIPrefix(False)
        self.plot.setLabel("left", "σ/E (%)")
        self.plot.setLabel("bottom", "Deposited energy (keV)")
        self.legend = self.plot.addLegend(
            offset=(-10, 10),
            brush=pg.mkBrush(255, 255, 255, 220),
            pen=pg.mkPen("#c0c0c0"),
            labelTextColor=_AXIS_COLOUR,
        )
        self.summary = QLabel(self)
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setWordWrap(True)
        self.summary.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.exporter = PlotExporter(
            self.graphics.ci,
            [("resolution", self.plot)],
            self,
            name="resolution",
            csv_provider=self._csv,
        )
        self.exporter.add_to_view_menus()
        top = QHBoxLayout()
        top.addWidget(QLabel("Energy resolution σ/E = √(a²/E + b² + c²/E²)", self), 1)
        top.addWidget(self.exporter.tool_button(self))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(top)
        layout.addWidget(self.graphics, 1)
        layout.addWidget(self.summary)
        self.clear()

    def set_series(
        self,
        key: str,
        energy_kev: Sequence[float],
        resolution: Sequence[float],
        resolution_err: Sequence[float],
        *,
        curve_energy_kev: Sequence[float] = (),
        curve_resolution: Sequence[float] = (),
        text: str = "",
        constrained: bool = True,
    ) -> None:
        """Add the measured relative resolutions (fractions) and model curve of ``key``.

        To replace what is shown, call ``clear()`` first. A model that is not ``constrained``
        (as many points as fitted terms) is drawn dashed.
        """
        e_true = np.asarray(energy_kev, dtype=float)
        # analyses drawn 2 % of the energy apart so that equal values stay visible
        order = list(SERIES_STYLES).index(key) if key in SERIES_STYLES else 0
        e = e_true * (1 + 0.02 * (order - 0.5))
        r = 100 * np.asarray(resolution, dtype=float)
        dr = 100 * np.asarray(resolution_err, dtype=float)
        colour, symbol = SERIES_STYLES.get(key, ("#2ca02c", "t"))
        self._data[key] = (e_true, r / 100, dr / 100, text)
        err = pg.ErrorBarItem(x=e, y=r, height=2 * dr, beam=1.5, pen=pg.mkPen(colour))
        pts = pg.ScatterPlotItem(e, r, symbol=symbol, size=9, brush=pg.mkBrush(colour), pen=None)
        self._add(err, pts)
        self.legend.addItem(pts, f"Analysis {key}")
        ce = np.asarray(curve_energy_kev, dtype=float)
        if ce.size:
            curve = pg.PlotDataItem(
                ce,
                100 * np.asarray(curve_resolution, dtype=float),
                pen=pg.mkPen(
                    colour,
                    width=1.6,
                    style=Qt.PenStyle.SolidLine if constrained else Qt.PenStyle.DashLine,
                ),
            )
            self._add(curve)
        self.summary.setText("\n".join(t for *_, t in self._data.values() if t))

    def clear(self, message: str = "No resolution points yet.") -> None:
        """Remove every series."""
        for item in self._items:
            self.plot.removeItem(item)
        self._items.clear()
        self._data.clear()
        self.legend.clear()
        self.summary.setText(message)

    def keys(self) -> list[str]:
        """Return the analyses shown."""
        return list(self._data)

    def _add(self, *items: pg.GraphicsObject) -> None:
        for item in items:
            self.plot.addItem(item)
            self._items.append(item)

    def _csv(self) -> tuple[list[str], list[list]]:
        header = ["analysis", "energy_kev", "resolution", "resolution_err"]
        cols: list[list] = [[] for _ in header]
        for key, (e, r, dr, _) in self._data.items():
            for row in zip([key] * len(e), e, r, dr, strict=True):
                for c, v in zip(cols, row, strict=True):
                    c.append(v)
        return header, cols


def demo() -> ResolutionPlot:
    """Return a ResolutionPlot with example data (``python -m widgets.resolution_plot``)."""
    w = ResolutionPlot()
    e = np.array([41.5, 59.5, 122.0])
    r = np.sqrt(0.27 / e + 0.03**2)
    ce = np.linspace(5, 130, 100)
    w.set_series(
        "A", e, r, 0.05 * r, curve_energy_kev=ce, curve_resolution=np.sqrt(0.27 / ce + 9e-4)
    )
    w.setWindowTitle("ResolutionPlot demo")
    return w


if __name__ == "__main__":  # pragma: no cover
    app = QApplication(sys.argv)
    widget = demo()
    widget.show()
    sys.exit(app.exec())
