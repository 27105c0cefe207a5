"""Left column of the HPGe pane: the opened spectra, the selected one's role and certificate.

What to use when
----------------
- ``HpgeSourcesPanel`` is part of ``HpgePane`` (a passive view). It lists ``EntryRow`` values,
  edits one ``EntryForm`` (role, nuclide, certified activity with unit, uncertainty, reference
  date, label, container partner) and the analysis options, and emits intents: open, remove,
  analyse, select, ``entry_edited(key, fields)`` and ``options_changed(fields)``.
- Roles and certificates are entered here; what they mean is the controller's business.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from PySide6.QtCore import QDateTime, QSignalBlocker, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateTimeEdit,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

__all__ = ["ACTIVITY_UNITS", "EntryForm", "EntryRow", "HpgeSourcesPanel"]

#: Activity units offered (name, Bq per unit; 1 Ci = 3.7e10 Bq exactly).
ACTIVITY_UNITS = (("Bq", 1.0), ("kBq", 1e3), ("MBq", 1e6), ("µCi", 3.7e4), ("nCi", 37.0))
_ROLES = (
    ("", "— role not set —"),
    ("calibration", "Calibration source (certified)"),
    ("outside", "Outside container"),
    ("inside", "Inside container"),
    ("unknown", "Unknown source (assay)"),
)
_NOT_SET = QDateTime.fromString("1900-01-01T00:00:00", Qt.DateFormat.ISODate)
_ISO = "yyyy-MM-ddTHH:mm:ss"


@dataclass(frozen=True, slots=True)
class EntryRow:
    """One line of the spectra list: ``key``, ``name``, ``role``, ``nuclide``, ``status``."""

    key: str
    name: str
    role: str
    nuclide: str
    status: str
    tooltip: str = ""


@dataclass(frozen=True, slots=True)
class EntryForm:
    """What the form shows for the selected spectrum.

    ``partners`` lists ``(key, name)`` of the spectra an inside spectrum may pair with.
    """

    key: str
    role: str
    nuclide: str
    activity_bq: float
    activity_err_bq: float
    reference_date: str
    label: str
    partner: str
    partners: tuple[tuple[str, str], ...] = ()


class HpgeSourcesPanel(QWidget):
    """Spectra list, role/certificate form and analysis options.

    Signals
    -------
    open_requested()
        Open spectrum files.
    remove_requested(str)
        Remove the spectrum with this key.
    analyse_requested(str)
        (Re-)analyse the spectrum with this key.
    current_requested(str)
        Show the spectrum with this key.
    entry_edited(str, object)
        ``key, {field: value}`` changed in the form (fields of ``SpectrumEntry``).
    options_changed(object)
        ``{"tolerance_kev", "min_intensity", "area"}`` of the analysis.
    """

    open_requested = Signal()
    remove_requested = Signal(str)
    analyse_requested = Signal(str)
    current_requested = Signal(str)
    entry_edited = Signal(str, object)
    options_changed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._key = ""
        self.open_button = QPushButton("Open spectra…", self)
        self.open_button.setToolTip("Open HPGe spectrum files (Spe, Chn, CNF, TKA, N42, XML, CSV)")
        self.open_button.clicked.connect(self.open_requested)
        self.analyse_button = QPushButton("Analyse", self)
        self.analyse_button.setToolTip(
            "Find, identify and fit the source's lines in the selected spectrum"
        )
        self.analyse_button.clicked.connect(self._on_analyse_clicked)
        self.remove_button = QPushButton("Remove", self)
        self.remove_button.clicked.connect(self._on_remove_clicked)

        self.table = QTableWidget(0, 4, self)
        self.table.setHorizontalHeaderLabels(["Spectrum", "Role", "Nuclide", "Status"])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.table.itemSelectionChanged.connect(self._on_selection_changed)

        self.role = QComboBox(self)
        for key, text in _ROLES:
            self.role.addItem(text, key)
        self.role.currentIndexChanged.connect(self._on_role_changed)
        self.nuclide = QComboBox(self)
        self.nuclide.addItem("—", "")
        self.nuclide.currentIndexChanged.connect(self._on_nuclide_changed)
        self.partner = QComboBox(self)
        self.partner.setToolTip("The same source counted outside the container")
        self.partner.currentIndexChanged.connect(self._on_partner_changed)
        self.activity = QDoubleSpinBox(self)
        self.activity_err = QDoubleSpinBox(self)
        for spin in (self.activity, self.activity_err):
            spin.setRange(0.0, 1e12)
            spin.setDecimals(4)
            spin.setGroupSeparatorShown(True)
        self.activity_err.setToolTip(
            "Standard uncertainty (k = 1): halve a k = 2 certificate value"
        )
        self.unit = QComboBox(self)
        for name, factor in ACTIVITY_UNITS:
            self.unit.addItem(name, factor)
        self.unit.setCurrentIndex(1)
        self._unit_factor = 1e3
        self.unit.currentIndexChanged.connect(self._on_unit_changed)
        self.reference = QDateTimeEdit(self)
        self.reference.setCalendarPopup(True)
        self.reference.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.reference.setMinimumDateTime(_NOT_SET)
        self.reference.setSpecialValueText("not set")
        self.label = QLineEdit(self)
        self.label.setPlaceholderText("serial number (optional)")
        self.apply_button = QPushButton("Apply certificate", self)
        self.apply_button.setToolTip("Use this activity, uncertainty, date and label")
        self.apply_button.clicked.connect(self._on_apply_clicked)

        act_row = QHBoxLayout()
        act_row.addWidget(self.activity, 1)
        act_row.addWidget(self.unit)
        self.form_box = QGroupBox("Selected spectrum", self)
        form = QFormLayout(self.form_box)
        form.addRow("Role", self.role)
        form.addRow("Nuclide", self.nuclide)
        form.addRow("Paired with", self.partner)
        form.addRow("Activity", act_row)
        form.addRow("± (k=1)", self.activity_err)
        form.addRow("Reference date", self.reference)
        form.addRow("Label", self.label)
        form.addRow("", self.apply_button)

        self.tolerance = QDoubleSpinBox(self)
        self.tolerance.setRange(0.1, 10.0)
        self.tolerance.setValue(2.0)
        self.tolerance.setSuffix(" keV")
        self.min_intensity = QDoubleSpinBox(self)
        self.min_intensity.setRange(0.0, 50.0)
        self.min_intensity.setDecimals(2)
        self.min_intensity.setValue(0.5)
        self.min_intensity.setSuffix(" %")
        self.area = QComboBox(self)
        self.area.addItem("peak fit", "fit")
        self.area.addItem("ROI sum", "roi")
        for w in (self.tolerance, self.min_intensity):
            w.editingFinished.connect(self._on_options_edited)
        self.area.currentIndexChanged.connect(self._on_options_edited)
        options = QGroupBox("Analysis options", self)
        oform = QFormLayout(options)
        oform.addRow("Line tolerance", self.tolerance)
        oform.addRow("Weakest line", self.min_intensity)
        oform.addRow("Net area from", self.area)

        buttons = QHBoxLayout()
        for b in (self.open_button, self.analyse_button, self.remove_button):
            buttons.addWidget(b)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(buttons)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.form_box)
        layout.addWidget(options)
        self.show_form(None)

    # ------------------------------------------------------------------ show_*
    def show_nuclides(self, names: Sequence[str]) -> None:
        """Fill the nuclide choices."""
        with QSignalBlocker(self.nuclide):
            self.nuclide.clear()
            self.nuclide.addItem("—", "")
            for n in names:
                self.nuclide.addItem(n, n)

    def show_rows(self, rows: Sequence[EntryRow]) -> None:
        """Show the spectra list (the selection follows ``show_form``)."""
        with QSignalBlocker(self.table):
            self.table.setRowCount(len(rows))
            for r, row in enumerate(rows):
                for c, text in enumerate((row.name, row.role, row.nuclide, row.status)):
                    item = QTableWidgetItem(text)
                    item.setData(Qt.ItemDataRole.UserRole, row.key)
                    item.setToolTip(row.tooltip or row.key)
                    self.table.setItem(r, c, item)
            self._select(self._key)

    def show_form(self, form: EntryForm | None) -> None:
        """Show the selected spectrum's fields (None disables the form)."""
        self._key = form.key if form is not None else ""
        self.form_box.setEnabled(form is not None)
        self.analyse_button.setEnabled(form is not None)
        self.remove_button.setEnabled(form is not None)
        with QSignalBlocker(self.table):
            self._select(self._key)
        if form is None:
            return
        blockers = [QSignalBlocker(w) for w in (self.role, self.nuclide, self.partner, self.unit)]
        self.role.setCurrentIndex(max(0, self.role.findData(form.role)))
        self.nuclide.setCurrentIndex(max(0, self.nuclide.findData(form.nuclide)))
        self.partner.clear()
        self.partner.addItem("—", "")
        for key, name in form.partners:
            self.partner.addItem(name, key)
        self.partner.setCurrentIndex(max(0, self.partner.findData(form.partner)))
        f = self._unit_factor
        self.activity.setValue(form.activity_bq / f if math.isfinite(form.activity_bq) else 0.0)
        self.activity_err.setValue(form.activity_err_bq / f)
        ref = QDateTime.fromString(form.reference_date[:19], _ISO)
        if not ref.isValid():
            ref = QDateTime.fromString(form.reference_date[:10] + "T00:00:00", _ISO)
        self.reference.setDateTime(ref if ref.isValid() else _NOT_SET)
        self.label.setText(form.label)
        for b in blockers:
            b.unblock()
        self._enable_fields(form.role)

    def show_options(self, tolerance_kev: float, min_intensity: float, area: str) -> None:
        """Show the analysis options without emitting ``options_changed``."""
        for w in (self.tolerance, self.min_intensity, self.area):
            w.blockSignals(True)
        self.tolerance.setValue(tolerance_kev)
        self.min_intensity.setValue(100.0 * min_intensity)
        self.area.setCurrentIndex(max(0, self.area.findData(area)))
        for w in (self.tolerance, self.min_intensity, self.area):
            w.blockSignals(False)

    def _enable_fields(self, role: str) -> None:
        cert = role == "calibration"
        for w in (self.activity, self.activity_err, self.unit, self.reference, self.label):
            w.setEnabled(cert)
        self.apply_button.setEnabled(cert)
        self.partner.setEnabled(role == "inside")

    def _select(self, key: str) -> None:
        self.table.clearSelection()
        for r in range(self.table.rowCount()):
            item = self.table.item(r, 0)
            if item is not None and item.data(Qt.ItemDataRole.UserRole) == key:
                self.table.selectRow(r)
                return

    # ------------------------------------------------------------------ intents
    def certificate_fields(self) -> dict[str, object]:
        """Return the certificate as entered (activity in Bq, ISO date or "")."""
        ref = self.reference.dateTime()
        return {
            "activity_bq": self._in_bq(self.activity),
            "activity_err_bq": self._in_bq(self.activity_err),
            "reference_date": "" if ref == _NOT_SET else ref.toString(_ISO),
            "label": self.label.text().strip(),
        }

    def _in_bq(self, spin: QDoubleSpinBox) -> float:
        # Through decimals: 1.11 kBq typed is exactly 1110 Bq, as on the command line.
        typed = Decimal(repr(round(spin.value(), spin.decimals())))
        return float(typed * Decimal(repr(self._unit_factor)))

    def _edit(self, **fields: object) -> None:
        if self._key:
            self.entry_edited.emit(self._key, fields)

    @Slot()
    def _on_apply_clicked(self) -> None:
        self._edit(**self.certificate_fields())

    @Slot(int)
    def _on_role_changed(self, _index: int) -> None:
        role = str(self.role.currentData())
        self._enable_fields(role)
        self._edit(role=role)

    @Slot(int)
    def _on_nuclide_changed(self, _index: int) -> None:
        self._edit(nuclide=str(self.nuclide.currentData() or ""))

    @Slot(int)
    def _on_partner_changed(self, _index: int) -> None:
        self._edit(partner=str(self.partner.currentData() or ""))

    @Slot(int)
    def _on_unit_changed(self, _index: int) -> None:
        new = float(self.unit.currentData())
        for spin in (self.activity, self.activity_err):
            spin.setValue(spin.value() * self._unit_factor / new)
        self._unit_factor = new

    @Slot()
    def _on_options_edited(self) -> None:
        self.options_changed.emit(
            {
                "tolerance_kev": self.tolerance.value(),
                "min_intensity": self.min_intensity.value() / 100.0,
                "area": str(self.area.currentData()),
            }
        )

    @Slot()
    def _on_selection_changed(self) -> None:
        items = self.table.selectedItems()
        if items:
            self.current_requested.emit(str(items[0].data(Qt.ItemDataRole.UserRole)))

    @Slot()
    def _on_analyse_clicked(self) -> None:
        if self._key:
            self.analyse_requested.emit(self._key)

    @Slot()
    def _on_remove_clicked(self) -> None:
        if self._key:
            self.remove_requested.emit(self._key)
