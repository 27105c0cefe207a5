"""The "SPE gains" pane: LED and late single-PE charge spectra, their fits, the gain table.

What to use when
----------------
``SpePane`` is a passive view. Left: the LED run and the source run (Kr or background), the
options of Analysis A (LED window) and B (late-pulse finder and Gaussian window), "Fit gains"
and "Cancel", the table of gains per PMT (A: ``mu``, the model mean, the occupancy; B: the
Gaussian mean; B/A), the choice of the gains the reductions use and "Reduce all runs with
these gains". Right: two tabs of ``widgets.charge_spectrum_plot`` plots, top and bottom PMT,
for Analysis A and B. It emits intents and shows what ``workbench.controllers.spe`` pushes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from widgets.charge_spectrum_plot import ChargeSpectrumPlot

__all__ = ["GAIN_COLUMNS", "SpePane"]

#: Quantities of the gain table (its rows; its columns are the PMTs).
GAIN_COLUMNS = ("A: μ", "A: mean", "A: PE/flash", "B: mean", "B / A")
#: Settings keys edited by the form: (key, label, low, high, decimals, suffix, tooltip).
_FIELDS = (
    ("led_window_ns", "LED window", 8, 1000, 0, " ns", "Integration window around the LED peak"),
    ("led_pre_ns", "starts before peak", 0, 200, 0, " ns", "Window start before the LED peak"),
    ("b_late_start_ns", "pulses after", 200, 7000, 0, " ns", "Earliest pulse after the trigger"),
    ("b_gap_ns", "isolation gap", 8, 2000, 0, " ns", "No other pulse within this time"),
    ("b_threshold_rms", "threshold", 1, 20, 1, " × rms", "Pulse threshold, in baseline rms"),
    ("b_nsigma", "Gaussian window", 0.5, 5, 1, " σ", "Fit window: mean ± this many sigmas"),
)  # fmt: skip


def _spin(parent: QWidget, lo: float, hi: float, dec: int, suffix: str, tip: str) -> QDoubleSpinBox:
    box = QDoubleSpinBox(parent)
    box.setRange(lo, hi)
    box.setDecimals(dec)
    box.setSuffix(suffix)
    box.setToolTip(tip)
    box.setKeyboardTracking(False)
    return box


class SpePane(QWidget):
    """SPE-gain fits of both analyses (see the module docstring).

    Signals
    -------
    led_run_chosen(str), source_run_chosen(str)
        A run path ("" for none) picked in the run boxes.
    settings_edited()
        An option changed (read them with ``settings_values()``).
    fit_requested(), cancel_requested()
        "Fit gains" / "Cancel".
    active_analysis_chosen(str)
        ``"A"`` or ``"B"``: the gains reductions use.
    reduce_all_requested()
        "Reduce all runs with these gains".
    """

    led_run_chosen = Signal(str)
    source_run_chosen = Signal(str)
    settings_edited = Signal()
    fit_requested = Signal()
    cancel_requested = Signal()
    active_analysis_chosen = Signal(str)
    reduce_all_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.led_box = QComboBox(self)
        self.led_box.setToolTip("LED run for Analysis A (DEAP model on the LED charge spectra)")
        self.source_box = QComboBox(self)
        self.source_box.setToolTip(
            "83mKr or background run for Analysis B (isolated late single photoelectrons)"
        )
        self.led_box.activated.connect(lambda _i: self.led_run_chosen.emit(self._path(True)))
        self.source_box.activated.connect(lambda _i: self.source_run_chosen.emit(self._path(False)))
        self.fields: dict[str, QDoubleSpinBox] = {}
        for key, _label, lo, hi, dec, suffix, tip in _FIELDS:
            box = _spin(self, lo, hi, dec, suffix, tip)
            box.valueChanged.connect(self._on_field_changed)
            self.fields[key] = box
        self.fit_button = QPushButton("Fit gains", self)
        self.fit_button.setToolTip("Fit Analysis A on the LED run and B on the source run")
        self.fit_button.setDefault(True)
        self.fit_button.clicked.connect(self.fit_requested)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel_requested)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.table = QTableWidget(len(GAIN_COLUMNS), 2, self)
        self.table.setVerticalHeaderLabels(list(GAIN_COLUMNS))
        self.table.setHorizontalHeaderLabels(["top", "bottom"])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.resizeRowsToContents()
        height = self.table.horizontalHeader().sizeHint().height() + 4
        height += sum(self.table.rowHeight(r) for r in range(self.table.rowCount()))
        self.table.setFixedHeight(height)
        self.table.setToolTip(
            "SPE gains in ADC × ns per PE with their fit errors. A: μ = mean of the fully "
            "amplified component (LED fit), mean = the whole SPE model's mean, PE/flash = LED "
            "occupancy; B: Gaussian mean of isolated late single PE; B / A: ratio of the gains"
        )
        self.radio_a = QRadioButton("Analysis A (μ)", self)
        self.radio_b = QRadioButton("Analysis B (Gaussian)", self)
        self.analysis_group = QButtonGroup(self)
        for b, a in ((self.radio_a, "A"), (self.radio_b, "B")):
            self.analysis_group.addButton(b)
            b.toggled.connect(lambda on, a=a: on and self.active_analysis_chosen.emit(a))
        self.reduce_button = QPushButton("Reduce all runs with these gains", self)
        self.reduce_button.setToolTip(
            "Set the chosen gains in the reduction parameters and reduce every open run again"
        )
        self.reduce_button.clicked.connect(self.reduce_all_requested)
        self.plots = {
            (a, ch): ChargeSpectrumPlot(
                self,
                x_label="Charge (ADC × ns)",
                name=f"spe_{'led' if a == 'A' else 'late_pe'}_{ch}",
            )
            for a in ("A", "B")
            for ch in ("top", "bottom")
        }
        self._build_layout()

    def _build_layout(self) -> None:
        runs = QGroupBox("Runs", self)
        form = QFormLayout(runs)
        form.addRow("LED run (A)", self.led_box)
        form.addRow("Source run (B)", self.source_box)
        opt_a = QGroupBox("Analysis A: DEAP model on LED charges", self)
        form_a = QFormLayout(opt_a)
        opt_b = QGroupBox("Analysis B: Gaussian on late single PE", self)
        form_b = QFormLayout(opt_b)
        for key, label, *_ in _FIELDS:
            (form_a if key.startswith("led") else form_b).addRow(label, self.fields[key])
        buttons = QHBoxLayout()
        buttons.addWidget(self.fit_button, 1)
        buttons.addWidget(self.cancel_button)
        gains = QGroupBox("Gains (ADC × ns per PE)", self)
        g = QVBoxLayout(gains)
        g.addWidget(self.table)
        g.addWidget(QLabel("Reductions use:", self))
        radios = QHBoxLayout()
        radios.addWidget(self.radio_a)
        radios.addWidget(self.radio_b)
        g.addLayout(radios)
        g.addWidget(self.reduce_button)
        left = QWidget(self)
        lv = QVBoxLayout(left)
        for w in (runs, opt_a, opt_b):
            lv.addWidget(w)
        lv.addLayout(buttons)
        lv.addWidget(self.status)
        lv.addWidget(gains)
        lv.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(left)
        scroll.setMinimumWidth(340)
        scroll.setMaximumWidth(420)
        self.tabs = QTabWidget(self)
        for a, title in (("A", "A: LED spectra"), ("B", "B: late single PE")):
            page = QWidget(self)
            pv = QVBoxLayout(page)
            pv.setContentsMargins(2, 2, 2, 2)
            for ch in ("top", "bottom"):
                pv.addWidget(self.plots[(a, ch)], 1)
            self.tabs.addTab(page, title)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(scroll)
        split.addWidget(self.tabs)
        split.setStretchFactor(0, 0)
        split.setStretchFactor(1, 1)
        split.setSizes([350, 900])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(split)

    # ------------------------------------------------------------------ runs
    def _path(self, led: bool) -> str:
        box = self.led_box if led else self.source_box
        return str(box.currentData() or "")

    def show_runs(
        self,
        led: Sequence[tuple[str, str]],
        led_current: str | None,
        source: Sequence[tuple[str, str]],
        source_current: str | None,
    ) -> None:
        """Fill the run boxes with ``(path, label)`` choices and select the current ones."""
        for box, choices, current, none in (
            (self.led_box, led, led_current, "— no LED run —"),
            (self.source_box, source, source_current, "— no source run —"),
        ):
            with QSignalBlocker(box):
                box.clear()
                box.addItem(none, "")
                for path, label in choices:
                    box.addItem(label, path)
                    box.setItemData(box.count() - 1, path, Qt.ItemDataRole.ToolTipRole)
                box.setCurrentIndex(max(0, box.findData(current or "")))

    # ------------------------------------------------------------------ settings
    def settings_values(self) -> dict[str, Any]:
        """Return the options of the form as step settings."""
        return {k: float(b.value()) for k, b in self.fields.items()}

    def show_settings(self, settings: dict[str, Any]) -> None:
        """Show step settings in the form (no ``settings_edited``)."""
        for k, box in self.fields.items():
            if settings.get(k) is not None:
                with QSignalBlocker(box):
                    box.setValue(float(settings[k]))

    @Slot()
    def _on_field_changed(self) -> None:
        self.settings_edited.emit()

    # ------------------------------------------------------------------ state
    def show_busy(self, busy: bool, text: str = "") -> None:
        """Enable Cancel (and disable Fit) while a fit runs; show ``text`` as status."""
        self.fit_button.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)
        self.status.setText(text)

    def show_gain_rows(self, rows: Sequence[Sequence[str]]) -> None:
        """Fill the gain table: per PMT (top, bottom) the texts of ``GAIN_COLUMNS``."""
        for pmt, row in enumerate(rows[:2]):
            for quantity, text in enumerate(row):
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(quantity, pmt, item)

    def gain_text(self, pmt: int, quantity: int) -> str:
        """Return the text of PMT ``pmt`` (0 top) and ``GAIN_COLUMNS[quantity]`` ("" if none)."""
        item = self.table.item(quantity, pmt)
        return item.text() if item is not None else ""

    def show_active(self, analysis: str, available: set[str]) -> None:
        """Check the analysis the reductions use; enable the ones with gains."""
        for button, a in ((self.radio_a, "A"), (self.radio_b, "B")):
            button.setEnabled(a in available)
            with QSignalBlocker(button):
                button.setChecked(a == analysis)
        self.reduce_button.setEnabled(analysis in available)
