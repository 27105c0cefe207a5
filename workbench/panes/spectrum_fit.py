"""The "Spectrum & fit" pane: a peak's PE spectrum with background, a dragged fit range, the fit.

What to use when
----------------
- ``SpectrumFitPane`` is a passive view: a form on the left (peak, run, column, binning,
  background overlay and subtraction, cuts, model, cost, fit range), the fit parameters below it
  (``widgets.fit_params_table``) and the spectrum with the fit and pulls on the right
  (``widgets.spectrum_fit_plot``). It emits user intents (``peak_changed``, ``edited``,
  ``range_dragged``, ``fit_requested``) and shows what the controller
  (``workbench.controllers.spectrum_fit``) pushes into its ``show_*`` methods. It contains no
  physics and never reads the session itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from widgets.fit_params_table import FitParamsTable
from widgets.spectrum_fit_plot import SpectrumFitPlot

__all__ = ["SpectrumFitPane", "range_row", "spin_box"]

_PE_MAX = 1e7


def spin_box(parent: QWidget, lo: float, hi: float, decimals: int, tip: str) -> QDoubleSpinBox:
    """Return a number box for a form: edits emit once per value, not per keystroke."""
    box = QDoubleSpinBox(parent)
    box.setRange(lo, hi)
    box.setDecimals(decimals)
    box.setKeyboardTracking(False)  # one edit per value, not per keystroke
    box.setToolTip(tip)
    return box


def range_row(a: QWidget, b: QWidget, between: str = "to") -> QHBoxLayout:
    """Return a form row ``a <between> b`` (a range's two ends)."""
    row = QHBoxLayout()
    row.setContentsMargins(0, 0, 0, 0)
    row.addWidget(a, 1)
    row.addWidget(QLabel(between))
    row.addWidget(b, 1)
    return row


class SpectrumFitPane(QWidget):
    """Peak spectrum, background, fit range and fit result (see the module docstring).

    Signals
    -------
    peak_changed(str)
        The user chose another peak (its key).
    run_chosen(str), background_chosen(str)
        The user chose the run of the peak, or the background run (path; "" for none).
    edited()
        Any other option was changed (read them with ``values()``).
    range_dragged(float, float)
        The user released the fit range on the plot at ``lo, hi``.
    fit_requested()
        Fit again now (button).
    """

    peak_changed = Signal(str)
    run_chosen = Signal(str)
    background_chosen = Signal(str)
    edited = Signal()
    range_dragged = Signal(float, float)
    fit_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._runs_shown: tuple[object, ...] = ()
        self.peak = QComboBox(self)
        self.peak.setToolTip("The peak to fit; each peak keeps its own settings")
        self.run = QComboBox(self)
        self.run.setToolTip("The run whose spectrum shows this peak (sets its run role)")
        self.run_label = QLabel(self)
        self.run_label.setWordWrap(True)
        self.run_label.setStyleSheet("color: #555;")
        self.column = QComboBox(self)
        self.column.setToolTip("RQ column histogrammed (total_pe: the whole 6 us integral)")
        self.bin_width = spin_box(self, 1e-3, 1e5, 3, "Bin width (the bins end on the fit range)")
        self.hist_lo = spin_box(self, -_PE_MAX, _PE_MAX, 1, "Histogram range: low edge")
        self.hist_hi = spin_box(self, -_PE_MAX, _PE_MAX, 1, "Histogram range: high edge")
        self.background = QComboBox(self)
        self.background.setToolTip("The pre-injection background run (39Ar) to subtract")
        self.background_label = QLabel(self)
        self.background_label.setWordWrap(True)
        self.background_label.setStyleSheet("color: #555;")
        self.subtract = QCheckBox("Subtract background (scaled by live time)", self)
        self.subtract.setToolTip(
            "Fit signal - (live time ratio) x background, with variances var_s + scale^2 var_b "
            "(the fit then uses chi2)"
        )
        self.show_background = QCheckBox("Show the run and the scaled background too", self)
        self.show_background.setToolTip("Overlay the two spectra that were subtracted")
        self.show_background.setChecked(True)
        self.apply_cuts = QCheckBox("Apply cuts", self)
        self.apply_cuts.setToolTip("Histogram only events passing the enabled cuts (Cuts pane)")
        self.model = QComboBox(self)
        self.model.setToolTip("Fit model: a Gaussian peak with or without a background shape")
        self.cost = QComboBox(self)
        self.cost.setToolTip(
            "chi2: least squares with the bin variances (needed for subtracted spectra); "
            "poisson: binned likelihood (raw counts); auto: poisson when bins hold few counts"
        )
        self.fit_lo = spin_box(self, -_PE_MAX, _PE_MAX, 1, "Fit range: low end")
        self.fit_hi = spin_box(self, -_PE_MAX, _PE_MAX, 1, "Fit range: high end")
        self.fit_button = QPushButton("Fit", self)
        self.fit_button.setToolTip("Fit the range again (dragging the range on the plot fits too)")
        self.params = FitParamsTable(self)
        self.plot = SpectrumFitPlot(self, name="peak_spectrum")

        spectrum_box = QGroupBox("Spectrum", self)
        form = QFormLayout(spectrum_box)
        form.addRow("Peak", self.peak)
        form.addRow("Run", self.run)
        form.addRow("", self.run_label)
        form.addRow("Column", self.column)
        form.addRow("Bin width", self.bin_width)
        form.addRow("Range", range_row(self.hist_lo, self.hist_hi))
        form.addRow("Background", self.background)
        form.addRow("", self.background_label)
        form.addRow(self.subtract)
        form.addRow(self.show_background)
        form.addRow(self.apply_cuts)
        fit_box = QGroupBox("Fit", self)
        fit_form = QFormLayout(fit_box)
        fit_form.addRow("Model", self.model)
        fit_form.addRow("Cost", self.cost)
        fit_form.addRow("Range", range_row(self.fit_lo, self.fit_hi))
        self._fit_row = QHBoxLayout()
        self._fit_row.setContentsMargins(0, 0, 0, 0)
        self._fit_row.addWidget(self.fit_button, 1)
        fit_form.addRow(self._fit_row)
        side = QWidget(self)
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(4, 4, 4, 4)
        side_layout.addWidget(spectrum_box)
        side_layout.addWidget(fit_box)
        side_layout.addWidget(self.params)
        side_layout.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(side)
        scroll.setMinimumWidth(375)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(scroll)
        splitter.addWidget(self.plot)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([375, 1100])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

        self._form_widgets = (
            self.column, self.bin_width, self.hist_lo, self.hist_hi, self.apply_cuts,
            self.model, self.cost, self.fit_lo, self.fit_hi, self.fit_button,
        )  # fmt: skip
        self.peak.currentIndexChanged.connect(self._on_peak_index_changed)
        self.run.activated.connect(self._on_run_activated)
        self.background.activated.connect(self._on_background_activated)
        for combo in (self.column, self.model, self.cost):
            combo.currentIndexChanged.connect(self._on_edited)
        for box in (self.show_background, self.subtract, self.apply_cuts):
            box.toggled.connect(self._on_edited)
        for spin in (self.bin_width, self.hist_lo, self.hist_hi, self.fit_lo, self.fit_hi):
            spin.valueChanged.connect(self._on_edited)
        self.plot.range_changed.connect(self._on_plot_range)
        self.fit_button.clicked.connect(self.fit_requested)

    # ------------------------------------------------------------------ choices
    def show_peaks(self, peaks: Sequence[tuple[str, str]], current: str) -> None:
        """Fill the peak chooser with ``(key, label)`` pairs and select ``current``."""
        with QSignalBlocker(self.peak):
            self.peak.clear()
            for key, label in peaks:
                self.peak.addItem(label, key)
            self.peak.setCurrentIndex(max(0, self.peak.findData(current)))

    def show_choices(self, *, columns: Sequence[str], models: Sequence[str], costs: Sequence[str]):
        """Set the items of the column, model and cost choosers (keeps the current ones)."""
        for combo, items in ((self.column, columns), (self.model, models), (self.cost, costs)):
            current = combo.currentData()
            with QSignalBlocker(combo):
                combo.clear()
                for item in items:
                    combo.addItem(item, item)
                index = combo.findData(current)
                combo.setCurrentIndex(index if index >= 0 else 0)

    def current_peak(self) -> str:
        """Return the key of the chosen peak."""
        return str(self.peak.currentData() or "")

    def set_form_enabled(self, on: bool) -> None:
        """Enable the spectrum and fit options (off while there is no spectrum to act on)."""
        for w in self._form_widgets:
            w.setEnabled(on)
        if on:
            self._update_enabled()

    def show_values(self, v: dict[str, Any]) -> None:
        """Show option values (the keys of ``values()``) without emitting ``edited``."""
        widgets = (
            self.column, self.model, self.cost, self.bin_width, self.hist_lo, self.hist_hi,
            self.fit_lo, self.fit_hi, self.show_background, self.subtract, self.apply_cuts,
        )  # fmt: skip
        blockers = [QSignalBlocker(w) for w in widgets]
        try:
            for combo, key in ((self.column, "column"), (self.model, "model"), (self.cost, "cost")):
                if key in v:
                    index = combo.findData(v[key])
                    if index < 0:
                        combo.addItem(str(v[key]), v[key])
                        index = combo.count() - 1
                    combo.setCurrentIndex(index)
            if "bins" in v:
                self.bin_width.setValue(float(v["bins"]))
            if "hist_range" in v:
                self.hist_lo.setValue(float(v["hist_range"][0]))
                self.hist_hi.setValue(float(v["hist_range"][1]))
            if "range" in v:
                self.fit_lo.setValue(float(v["range"][0]))
                self.fit_hi.setValue(float(v["range"][1]))
                self.plot.set_range(float(v["range"][0]), float(v["range"][1]))
            for box, key in (
                (self.show_background, "show_background"),
                (self.subtract, "subtract"),
                (self.apply_cuts, "apply_cuts"),
            ):
                if key in v:
                    box.setChecked(bool(v[key]))
        finally:
            del blockers
        self._update_enabled()

    def values(self) -> dict[str, Any]:
        """Return the options shown (``bins`` is a bin width; see ``show_values``)."""
        return {
            "column": str(self.column.currentData() or ""),
            "bins": float(self.bin_width.value()),
            "hist_range": [float(self.hist_lo.value()), float(self.hist_hi.value())],
            "range": [float(self.fit_lo.value()), float(self.fit_hi.value())],
            "model": str(self.model.currentData() or ""),
            "cost": str(self.cost.currentData() or ""),
            "show_background": self.show_background.isChecked(),
            "subtract": self.subtract.isChecked(),
            "apply_cuts": self.apply_cuts.isChecked(),
        }

    def show_runs(
        self,
        runs: Sequence[tuple[str, str]],
        run: str | None,
        background: str | None,
        notes: tuple[str, str],
        has_background: bool,
    ) -> None:
        """Offer the loaded ``(path, text)`` runs for the peak and the background.

        ``run`` and ``background`` are the paths chosen now (None: none); ``notes`` the lines
        shown under each chooser (state of the run or what is missing).
        """
        self.run_label.setText(notes[0])
        self.background_label.setText(notes[1])
        self.subtract.setEnabled(has_background)
        self._update_enabled()
        shown = (tuple(runs), run, background)
        if shown == self._runs_shown:
            return  # unchanged: keep an open drop-down undisturbed
        self._runs_shown = shown
        for combo, current in ((self.run, run), (self.background, background)):
            with QSignalBlocker(combo):
                combo.clear()
                combo.addItem("— none —", "")
                for path, text in runs:
                    combo.addItem(text, path)
                combo.setCurrentIndex(max(0, combo.findData(current or "")))

    def add_undo_actions(self, undo: QAction, redo: QAction) -> None:
        """Put Undo/Redo buttons beside "Fit"; their shortcuts act anywhere in the pane."""
        for action in (undo, redo):
            button = QToolButton(self)
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            self._fit_row.addWidget(button)
            self.addAction(action)

    def show_cut_summary(self, text: str) -> None:
        """Say which cuts "Apply cuts" applies (e.g. "Apply cuts (3 enabled)")."""
        self.apply_cuts.setText(text)

    def _update_enabled(self) -> None:
        self.fit_button.setEnabled(bool(self.column.currentData()))
        self.show_background.setEnabled(self.subtract.isChecked() and self.subtract.isEnabled())

    # ------------------------------------------------------------------ events
    @Slot(int)
    def _on_peak_index_changed(self, _index: int) -> None:
        self.peak_changed.emit(self.current_peak())

    @Slot(int)
    def _on_run_activated(self, index: int) -> None:
        self.run_chosen.emit(str(self.run.itemData(index) or ""))

    @Slot(int)
    def _on_background_activated(self, index: int) -> None:
        self.background_chosen.emit(str(self.background.itemData(index) or ""))

    @Slot()
    def _on_edited(self, *_: object) -> None:
        lo, hi = self.fit_lo.value(), self.fit_hi.value()
        self.plot.set_range(lo, hi)
        self._update_enabled()
        self.edited.emit()

    @Slot(float, float)
    def _on_plot_range(self, lo: float, hi: float) -> None:
        with QSignalBlocker(self.fit_lo), QSignalBlocker(self.fit_hi):
            self.fit_lo.setValue(lo)
            self.fit_hi.setValue(hi)
        self.range_dragged.emit(float(self.fit_lo.value()), float(self.fit_hi.value()))
