"""Cuts pane: 2D histograms and spectra of a run with draggable cuts and their survival.

What to use when
----------------
- ``CutsPane`` is a passive view: F90 vs total PE and I35 vs I55 as 2D-histogram images, the
  ftop and total-PE distributions before (grey) and after (colour) the cuts, the cut table
  (``widgets.cut_list``) with survival fractions, and the events of a clicked bin
  (``BinEventsPanel``). Cut shapes (bands, polygons, rotated lines) are placed by
  ``set_shapes``; dragging one emits ``shape_changed`` continuously and ``shape_finished`` on
  release. ``CutsController`` (``workbench.controllers.cuts``) wires it; no physics here.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from widgets.cut_list import CutListWidget
from widgets.elided_label import ElidedLabel
from widgets.hist1d_plot import FractionPlot, Hist1DPlot
from widgets.hist2d_image import Hist2DImage
from workbench.panes.cuts_events import BinEventsPanel
from workbench.panes.cuts_shapes import Shape, ShapeLayer

__all__ = ["CutsPane"]

#: 2D plots: key -> (x label, y label, title).
_PLOTS_2D = {
    "f90_pe": ("total_pe (PE)", "f90", "F90 vs total PE"),
    "i35_i55": ("i35_pe (PE)", "i55_pe (PE)", "I35 vs I55"),
}
#: 1D plots: key -> (x label, title).
_PLOTS_1D = {
    "ftop": ("ftop", "ftop: all (grey), after cuts (blue)"),
    "pe": ("total_pe (PE)", "total PE: all (grey), after cuts (blue)"),
}


class CutsPane(QWidget):
    """The Cuts pane (see the module docstring).

    Signals
    -------
    run_selected(str)
        The user chose the run with this path.
    pe_max_changed(float)
        Upper end of the total-PE axis (0: automatic).
    shape_changed(str, str, object)
        ``name, kind, params`` while a shape is dragged (``kind``: band, polygon, line).
    shape_finished(str, str, object)
        The same on release.
    add_polygon_requested(str, object)
        ``plot, vertices``: add a polygon cut on a 2D plot (vertices of a starting box).
    add_rotated_requested(object)
        Add the rotated I35:I55 cut; the argument is ``((x0, x1), (y0, y1))`` of the view.
    reset_requested()
        Replace the cuts by the default set.
    bin_clicked(str, float, float, float, float)
        ``plot, x_lo, x_hi, y_lo, y_hi`` of a clicked 2D bin.
    event_chosen(int)
        Raw-file index of an event of the clicked bin to show.
    """

    run_selected = Signal(str)
    pe_max_changed = Signal(float)
    shape_changed = Signal(str, str, object)
    shape_finished = Signal(str, str, object)
    add_polygon_requested = Signal(str, object)
    add_rotated_requested = Signal(object)
    reset_requested = Signal()
    bin_clicked = Signal(str, float, float, float, float)
    event_chosen = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sized = False
        self.shape_layer = ShapeLayer(self._plot_item, self._view_range, self)
        self.shape_layer.shape_changed.connect(self.shape_changed)
        self.shape_layer.shape_finished.connect(self.shape_finished)

        self.run_combo = QComboBox(self)
        self.run_combo.setMinimumContentsLength(18)
        self.run_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.run_combo.setToolTip("Run whose events the plots and survival fractions show")
        self.run_combo.activated.connect(self._on_run_activated)
        self.status = ElidedLabel(self)
        self.poly_f90_button = QPushButton("+ Polygon F90:PE", self)
        self.poly_f90_button.setToolTip("Add a polygon cut on the F90 vs total PE plot")
        self.poly_f90_button.clicked.connect(self._on_poly_f90_clicked)
        self.poly_i35_button = QPushButton("+ Polygon I35:I55", self)
        self.poly_i35_button.setToolTip("Add a polygon cut on the I35 vs I55 plot")
        self.poly_i35_button.clicked.connect(self._on_poly_i35_clicked)
        self.rotated_button = QPushButton("+ Rotated cut", self)
        self.rotated_button.setToolTip(
            "Add the paper's rotated-axis cut i35 cos(a) - i55 sin(a) < c (a = 37.5 deg); "
            "drag the line's ends to rotate it"
        )
        self.rotated_button.clicked.connect(self._on_rotated_clicked)
        self.reset_button = QPushButton("Defaults", self)
        self.reset_button.setToolTip("Replace every cut by the default quality, F90 and ftop cuts")
        self.reset_button.clicked.connect(self.reset_requested)
        self.pe_max_spin = QDoubleSpinBox(self)
        self.pe_max_spin.setRange(0.0, 1e7)
        self.pe_max_spin.setDecimals(0)
        self.pe_max_spin.setSingleStep(50.0)
        self.pe_max_spin.setSpecialValueText("PE axis: auto")
        self.pe_max_spin.setPrefix("PE axis to ")
        self.pe_max_spin.setKeyboardTracking(False)
        self.pe_max_spin.setToolTip(
            "Upper end of the total-PE axis (0 = auto: the 99.5th percentile, at most three "
            "times the median, so a calibration peak stays readable above a long tail)"
        )
        self.pe_max_spin.valueChanged.connect(self._on_pe_max_changed)
        top = self._top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(QLabel("Run:", self))
        top.addWidget(self.run_combo, 1)
        top.addWidget(self.pe_max_spin)
        for button in (
            self.poly_f90_button,
            self.poly_i35_button,
            self.rotated_button,
            self.reset_button,
        ):
            top.addWidget(button)

        self.hist2d: dict[str, Hist2DImage] = {}
        self.hist1d: dict[str, Hist1DPlot] = {}
        grid_widget = QWidget(self)
        grid = QGridLayout(grid_widget)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(6)
        for col, (key, (xl, yl, title)) in enumerate(_PLOTS_2D.items()):
            image = Hist2DImage(grid_widget, name=key)
            image.set_axis_labels(xl, yl)
            image.set_title(title)
            image.bin_clicked.connect(functools.partial(self._on_bin_clicked, key))
            self.hist2d[key] = image
            grid.addWidget(image, 0, col)
        for col, (key, (xl, title)) in enumerate(_PLOTS_1D.items()):
            plot = Hist1DPlot(grid_widget, name=key)
            plot.set_axis_label(xl)
            plot.set_title(title)
            self.hist1d[key] = plot
            grid.addWidget(plot, 1, col)
        # The PE spectrum shares its cell with the efficiency of the cuts vs PE (tabs).
        self.efficiency = FractionPlot(grid_widget, name="cut_efficiency_vs_pe")
        self.efficiency.set_axis_label("total_pe (PE)")
        self.efficiency.set_title("Efficiency of the enabled cuts vs total PE (1σ Wilson)")
        self.pe_tabs = QTabWidget(grid_widget)
        self.pe_tabs.setDocumentMode(True)
        grid.removeWidget(self.hist1d["pe"])
        self.pe_tabs.addTab(self.hist1d["pe"], "Spectrum")
        self.pe_tabs.addTab(self.efficiency, "Efficiency")
        grid.addWidget(self.pe_tabs, 1, list(_PLOTS_1D).index("pe"))
        grid.setRowStretch(0, 3)
        grid.setRowStretch(1, 2)

        self.cut_list = CutListWidget(self)
        self.bin_events = BinEventsPanel(self)
        self.bin_events.event_chosen.connect(self.event_chosen)
        cuts_box = QGroupBox("Cuts, in order (survival of all events, 1σ Wilson intervals)", self)
        QVBoxLayout(cuts_box).addWidget(self.cut_list)
        events_box = QGroupBox("Events of the clicked bin", self)
        QVBoxLayout(events_box).addWidget(self.bin_events)
        below = QSplitter(Qt.Orientation.Horizontal, self)
        below.addWidget(cuts_box)
        below.addWidget(events_box)
        below.setStretchFactor(0, 4)
        below.setStretchFactor(1, 1)

        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.addWidget(grid_widget)
        self.splitter.addWidget(below)
        self.splitter.setStretchFactor(0, 5)
        self.splitter.setStretchFactor(1, 2)

        self._message = QLabel(self)
        self._message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._message.setWordWrap(True)
        self._message.setStyleSheet("color: #555; font-size: 13pt; padding: 24px;")
        self._stack = QStackedWidget(self)
        self._stack.addWidget(self._message)
        self._stack.addWidget(self.splitter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addWidget(self._stack, 1)

    # ------------------------------------------------------------------ runs and states
    def show_runs(self, runs: Sequence[tuple[str, str]], current: str | None) -> None:
        """List ``(path, label)`` runs and select ``current``."""
        with QSignalBlocker(self.run_combo):
            self.run_combo.clear()
            for path, label in runs:
                self.run_combo.addItem(label, path)
                self.run_combo.setItemData(
                    self.run_combo.count() - 1, path, Qt.ItemDataRole.ToolTipRole
                )
            index = self.run_combo.findData(current) if current else -1
            self.run_combo.setCurrentIndex(index)

    def show_pe_max(self, value: float) -> None:
        """Show the total-PE axis end (0: automatic) without emitting."""
        with QSignalBlocker(self.pe_max_spin):
            self.pe_max_spin.setValue(float(value))

    @Slot(float)
    def _on_pe_max_changed(self, value: float) -> None:
        self.pe_max_changed.emit(float(value))

    def current_run(self) -> str:
        """Return the path of the selected run ("" when none)."""
        data = self.run_combo.currentData()
        return str(data) if data else ""

    def choose_run(self, path: str) -> None:
        """Select the run ``path`` as the user does (emits ``run_selected``)."""
        index = self.run_combo.findData(path)
        if index >= 0:
            self.run_combo.setCurrentIndex(index)
            self._on_run_activated(index)

    def show_empty(self, message: str) -> None:
        """Show ``message`` instead of the plots."""
        self._message.setText(message)
        self._stack.setCurrentWidget(self._message)
        self.status.setText("")
        for button in (
            self.poly_f90_button,
            self.poly_i35_button,
            self.rotated_button,
            self.reset_button,
        ):
            button.setEnabled(False)

    def show_plots(self) -> None:
        """Show the plots (after ``show_empty``)."""
        self._stack.setCurrentWidget(self.splitter)
        for button in (
            self.poly_f90_button,
            self.poly_i35_button,
            self.rotated_button,
            self.reset_button,
        ):
            button.setEnabled(True)

    def message(self) -> str:
        """Return the sentence shown instead of the plots ("" when the plots are shown)."""
        return self._message.text() if self._stack.currentWidget() is self._message else ""

    def show_status(self, text: str) -> None:
        """Show a one-line summary (events passing, timing)."""
        self.status.setText(text)

    def add_undo_actions(self, undo: QAction, redo: QAction) -> None:
        """Put Undo/Redo buttons in the top bar; their shortcuts act anywhere in the pane."""
        for index, action in ((2, undo), (3, redo)):  # after the run chooser
            button = QToolButton(self)
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            self._top.insertWidget(index, button)
            self.addAction(action)

    def showEvent(self, event: Any) -> None:  # noqa: N802 (Qt override)
        """Give the plots 60 % of the height the first time the pane is shown."""
        super().showEvent(event)
        if not self._sized:
            self._sized = True
            total = max(self.splitter.height(), 400)
            self.splitter.setSizes([int(0.62 * total), int(0.38 * total)])

    def set_units(self, pe_units: str) -> None:
        """Label the integral axes in ``pe_units`` ("PE", or "ADC*ns" without SPE gains)."""
        self.hist2d["f90_pe"].set_axis_labels(f"total_pe ({pe_units})", "f90")
        self.hist2d["i35_i55"].set_axis_labels(f"i35_pe ({pe_units})", f"i55_pe ({pe_units})")
        self.hist1d["pe"].set_axis_label(f"total_pe ({pe_units})")
        self.efficiency.set_axis_label(f"total_pe ({pe_units})")

    # ------------------------------------------------------------------ histograms
    def show_hist2d(self, key: str, x_edges: Any, y_edges: Any, counts: Any) -> None:
        """Show the 2D histogram of plot ``key``."""
        self.hist2d[key].set_histogram(x_edges, y_edges, counts)

    def show_efficiency(self, edges: Any, fraction: Any, lo: Any, hi: Any) -> None:
        """Show the efficiency of the cuts per total-PE bin with its interval."""
        self.efficiency.set_fractions(edges, fraction, lo, hi)

    def show_hist1d(self, key: str, edges: Any, series: Mapping[str, Any]) -> None:
        """Show the 1D histograms (``"all"``, ``"selected"``) of plot ``key``."""
        self.hist1d[key].set_histograms(edges, series)

    # ------------------------------------------------------------------ shapes
    def set_shapes(self, specs: Sequence[Any]) -> None:
        """Place the cut shapes (see ``ShapeLayer.set_shapes``)."""
        self.shape_layer.set_shapes(specs)

    @property
    def shapes(self) -> dict[tuple[str, str], Shape]:
        """The shapes shown, by ``(plot, cut name)``."""
        return self.shape_layer.shapes

    def shape(self, plot: str, name: str) -> Shape:
        """Return the shape of cut ``name`` on ``plot`` (``KeyError`` when absent)."""
        return self.shape_layer.shapes[(plot, name)]

    def _plot_item(self, plot: str) -> Any:
        return self.hist2d[plot].plot if plot in self.hist2d else self.hist1d[plot].plot

    def _view_range(self, plot: str) -> tuple[tuple[float, float], tuple[float, float]]:
        return self.hist2d[plot].view_range()

    # ------------------------------------------------------------------ intents
    @Slot(int)
    def _on_run_activated(self, index: int) -> None:
        path = self.run_combo.itemData(index)
        if path:
            self.run_selected.emit(str(path))

    def _box(self, plot: str) -> list[tuple[float, float]]:
        (x0, x1), (y0, y1) = self.hist2d[plot].view_range()
        dx, dy = x1 - x0, y1 - y0
        return [
            (x0 + 0.3 * dx, y0 + 0.3 * dy),
            (x0 + 0.7 * dx, y0 + 0.3 * dy),
            (x0 + 0.7 * dx, y0 + 0.7 * dy),
            (x0 + 0.3 * dx, y0 + 0.7 * dy),
        ]

    @Slot()
    def _on_poly_f90_clicked(self) -> None:
        self.add_polygon_requested.emit("f90_pe", self._box("f90_pe"))

    @Slot()
    def _on_poly_i35_clicked(self) -> None:
        self.add_polygon_requested.emit("i35_i55", self._box("i35_i55"))

    @Slot()
    def _on_rotated_clicked(self) -> None:
        self.add_rotated_requested.emit(self.hist2d["i35_i55"].view_range())

    def _on_bin_clicked(
        self, key: str, _ix: int, _iy: int, x0: float, x1: float, y0: float, y1: float
    ) -> None:
        self.bin_clicked.emit(key, x0, x1, y0, y1)
