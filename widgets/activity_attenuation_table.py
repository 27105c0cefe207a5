"""Container transmission: measured points, the fitted model, and a small plot of both.

What to use when
----------------
- ``AttenuationTableWidget``: show the transmission ``mu`` of a container measured at the
  lines of sources counted inside and outside it (energy, nuclide, mu +- error, model value,
  pull), the smooth model chosen with the kind selector (``model_kind_changed``), and a plot of
  mu vs energy with the model and its band. The activity assay reads mu at its own lines from
  the model. Rows are ``AttenuationRow`` values; the model is arrays.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from numpy.typing import ArrayLike
from PySide6.QtCore import QSignalBlocker, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from widgets.plot_export import PlotExporter

__all__ = ["MODEL_KINDS", "AttenuationRow", "AttenuationTableWidget"]

#: (key, text) of the model kinds offered.
MODEL_KINDS = (
    ("power", "power law: −ln μ ∝ E^−p"),
    ("interp", "interpolation in ln E"),
    ("constant", "constant (weighted mean)"),
    ("none", "no container (μ = 1)"),
)
_COLUMNS = ("E (keV)", "Nuclide", "μ", "± μ", "Model μ", "Pull")
_BAND = pg.mkBrush(120, 120, 120, 60)


@dataclass(frozen=True, slots=True)
class AttenuationRow:
    """One measured transmission: ``energy_kev``, ``nuclide``, ``mu``, ``mu_err``, ``model_mu``."""

    energy_kev: float
    nuclide: str
    mu: float
    mu_err: float
    model_mu: float = math.nan


class AttenuationTableWidget(QWidget):
    """Transmission points, model selector and plot.

    Parameters
    ----------
    parent : QWidget, optional
        Qt parent.

    Signals
    -------
    model_kind_changed(str)
        ``"power"``, ``"interp"``, ``"constant"`` or ``"none"``.
    """

    model_kind_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[AttenuationRow] = []
        self._marks: list[float] = []
        self._kind = QComboBox(self)
        for key, text in MODEL_KINDS:
            self._kind.addItem(text, key)
        self._kind.setToolTip(
            "Smooth model of mu(E) used at the assayed lines; 'none' assays a bare source"
        )
        self._kind.currentIndexChanged.connect(self._on_kind_index_changed)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.table = QTableWidget(0, len(_COLUMNS), self)
        self.table.setHorizontalHeaderLabels(list(_COLUMNS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)

        self.plot_widget = pg.PlotWidget(self, background="w")
        self.plot = self.plot_widget.getPlotItem()
        self.plot.showGrid(x=True, y=True, alpha=0.18)
        self.plot.setMenuEnabled(False, enableViewBoxMenu=True)
        self.plot.setLabel("bottom", "Energy (keV)")
        self.plot.setLabel("left", "Transmission μ")
        for name in ("left", "bottom"):
            axis = self.plot.getAxis(name)
            axis.enableAutoSIPrefix(False)
            axis.setPen(pg.mkPen("#303030"))
            axis.setTextPen(pg.mkPen("#303030"))
        self._items: list[pg.GraphicsObject] = []
        self.legend = self.plot.addLegend(
            offset=(-10, -10), brush=pg.mkBrush(255, 255, 255, 220), pen=pg.mkPen("#c0c0c0"),
            labelTextColor="#303030",
        )  # fmt: skip
        self.exporter = PlotExporter(self.plot, [("attenuation", self.plot)], self, name="mu")
        self.exporter.add_to_view_menus()

        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(QLabel("Model:", self))
        bar.addWidget(self._kind)
        bar.addStretch(1)
        bar.addWidget(self.exporter.tool_button(self))
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(self.table)
        split.addWidget(self.plot_widget)
        split.setStretchFactor(0, 0)
        split.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.summary)
        layout.addWidget(split, 1)

    # ------------------------------------------------------------------ content
    def set_points(self, rows: Sequence[AttenuationRow]) -> None:
        """Show measured transmissions."""
        self._rows = list(rows)
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            pull = (row.mu - row.model_mu) / row.mu_err if row.mu_err > 0 else math.nan
            texts = (
                f"{row.energy_kev:.2f}",
                row.nuclide,
                f"{row.mu:.4f}",
                f"{row.mu_err:.4f}",
                "–" if not math.isfinite(row.model_mu) else f"{row.model_mu:.4f}",
                "–" if not math.isfinite(pull) else f"{pull:+.2f}",
            )
            for c, text in enumerate(texts):
                item = QTableWidgetItem(text)
                if c != 1:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()
        frame = 2 * self.table.frameWidth() + self.table.verticalScrollBar().sizeHint().width()
        self.table.setMinimumWidth(self.table.horizontalHeader().length() + frame)
        self._redraw(None)

    def set_model_curve(
        self,
        energy_kev: ArrayLike,
        mu: ArrayLike,
        mu_err: ArrayLike,
        summary: str,
        marks_kev: Sequence[float] = (),
    ) -> None:
        """Draw the model ``mu(E)`` with its 1-sigma band, show ``summary``.

        ``marks_kev``: energies where the model is used (the assayed lines), drawn dashed.
        """
        self.summary.setText(summary)
        self._marks = [float(e) for e in marks_kev]
        self._redraw((np.asarray(energy_kev, float), np.asarray(mu, float), np.asarray(mu_err)))

    def clear(self, message: str = "") -> None:
        """Remove points and model; show ``message``."""
        self._rows, self._marks = [], []
        self.table.setRowCount(0)
        self.summary.setText(message)
        self._redraw(None)

    def rows(self) -> list[AttenuationRow]:
        """Return the rows shown."""
        return list(self._rows)

    def _redraw(self, curve: tuple | None) -> None:
        for item in self._items:
            self.plot.removeItem(item)
        self._items = []
        self.legend.clear()
        legend: list[tuple[pg.GraphicsObject, str]] = []
        if self._rows:
            e = np.array([r.energy_kev for r in self._rows])
            mu = np.array([r.mu for r in self._rows])
            err = np.array([r.mu_err for r in self._rows])
            pen = pg.mkPen("#1f77b4", width=1.2)
            spots = pg.ScatterPlotItem(x=e, y=mu, symbol="o", size=8, pen=pen, brush="#1f77b4")
            self._items += [pg.ErrorBarItem(x=e, y=mu, height=2 * err, pen=pen), spots]
            legend.append((spots, "measured"))
        if curve is not None and curve[0].size:
            e, mu, err = curve
            lo = pg.PlotCurveItem(e, mu - err, pen=pg.mkPen(None))
            hi = pg.PlotCurveItem(e, mu + err, pen=pg.mkPen(None))
            line = pg.PlotDataItem(e, mu, pen=pg.mkPen("#202020", width=1.5))
            self._items += [lo, hi, pg.FillBetweenItem(lo, hi, brush=_BAND), line]
            legend.append((line, "model ± 1σ"))
            mark_pen = pg.mkPen("#7b1fa2", style=Qt.PenStyle.DashLine)
            for x in self._marks:
                mark = pg.InfiniteLine(x, angle=90, pen=mark_pen)
                mark.setToolTip(f"assayed line {x:.1f} keV")
                self._items.append(mark)
            if self._marks:
                legend.append((pg.PlotDataItem([], [], pen=mark_pen), "assayed lines"))
        for item in self._items:
            self.plot.addItem(item)
        for item, text in legend:
            self.legend.addItem(item, text)

    # ------------------------------------------------------------------ kind
    def set_model_kind(self, kind: str) -> None:
        """Select the model kind without emitting ``model_kind_changed``."""
        keys = [k for k, _ in MODEL_KINDS]
        if kind not in keys:
            raise ValueError(f"model kind must be one of {keys}, got {kind!r}")
        with QSignalBlocker(self._kind):
            self._kind.setCurrentIndex(keys.index(kind))

    def model_kind(self) -> str:
        """Return the selected model kind."""
        return str(self._kind.currentData())

    @Slot(int)
    def _on_kind_index_changed(self, _index: int) -> None:
        self.model_kind_changed.emit(self.model_kind())


def demo() -> AttenuationTableWidget:
    """Return the widget with made-up steel-wall transmissions (``python -m ...``)."""
    e = np.array([121.8, 244.7, 344.3, 778.9, 1112.1, 1408.0])
    mu = np.exp(-0.19 * (e / 500) ** -0.5)
    w = AttenuationTableWidget()
    w.set_points([AttenuationRow(x, "Eu-152", m, 0.01, m) for x, m in zip(e, mu, strict=True)])
    grid = np.linspace(100, 1500, 100)
    model = np.exp(-0.19 * (grid / 500) ** -0.5)
    w.set_model_curve(grid, model, np.full(grid.size, 0.005), "demo: power law")
    w.resize(900, 400)
    w.setWindowTitle("AttenuationTableWidget demo")
    return w


if __name__ == "__main__":  # pragma: no cover
    app = QApplication(sys.argv)
    widget = demo()
    widget.show()
    sys.exit(app.exec())
