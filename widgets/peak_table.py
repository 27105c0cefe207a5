"""Sortable table of fitted gamma peaks with an "exclude" checkbox per line.

What to use when
----------------
- ``PeakTableWidget``: list the peaks of one spectrum (energy, line, net area +- error, FWHM,
  centroid residual, chi2/ndf, cost function, status or why the peak is not used). Feed it
  ``PeakRow`` values with ``set_rows``; the user sorts by any column, ticks "Excl." to leave a
  line out (``exclusion_changed(energy_kev, excluded)``) and selects a row to look at it
  (``peak_selected(energy_kev)``). Rows are identified by their energy.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QSignalBlocker, Qt, Signal, Slot
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

__all__ = ["COLUMNS", "PeakRow", "PeakTableWidget"]

#: Column titles, in order.
COLUMNS = (
    "Excl.",
    "E (keV)",
    "Line",
    "Net area",
    "± area",
    "FWHM (keV)",
    "ΔE (keV)",
    "χ²/ndf",
    "Cost",
    "Status",
)
_TIPS = (
    "Tick to leave this line out of the efficiency / attenuation / activity",
    "Line energy from the nuclear data (fitted centroid for unidentified peaks)",
    "Nuclide and line, with its flags",
    "Net counts in the full-energy peak",
    "Standard uncertainty of the net counts",
    "Fitted full width at half maximum",
    "Fitted centroid minus the table energy",
    "Goodness of fit of the peak's region",
    "Fit cost: chi2 (Pearson) or poisson (likelihood, low counts)",
    "ok, or why the peak is not used",
)
_KEY = Qt.ItemDataRole.UserRole
_SORT = Qt.ItemDataRole.UserRole + 1
_GREY = QBrush(QColor("#8a8a8a"))
_WARN = QBrush(QColor("#b45309"))


@dataclass(frozen=True, slots=True)
class PeakRow:
    """One row of the peak table.

    Attributes
    ----------
    energy_kev : float
        Row key: the line energy (or the fitted centroid of an unidentified / manual peak).
    label : str
        ``"Eu-152 344.28"``, ``"unidentified"``, ``"manual fit"``...
    area, area_err : float
        Net peak area and its error.
    fwhm_kev : float
        Fitted FWHM.
    centroid_residual_kev : float
        Fitted centroid minus table energy (NaN when not applicable).
    chi2_ndf : float
        Reduced chi-square of the region.
    cost : str
        ``"chi2"`` or ``"poisson"``.
    status : str
        ``"ok"`` or the reason the peak is not used.
    excluded : bool
        Excluded by the user (the checkbox).
    excludable : bool
        Whether the checkbox is offered (not for unidentified peaks).
    flags : str
        Line flags, comma separated (shown after the label).
    """

    energy_kev: float
    label: str
    area: float
    area_err: float
    fwhm_kev: float
    centroid_residual_kev: float
    chi2_ndf: float
    cost: str
    status: str
    excluded: bool = False
    excludable: bool = True
    flags: str = ""


def _num(v: float, fmt: str) -> str:
    return "–" if not math.isfinite(v) else format(v, fmt)


class _Item(QTableWidgetItem):
    """Item sorted by its ``_SORT`` value (numbers numerically, NaN last)."""

    def __lt__(self, other: QTableWidgetItem) -> bool:
        a, b = self.data(_SORT), other.data(_SORT)
        if isinstance(a, float) and isinstance(b, float):
            a = math.inf if math.isnan(a) else a
            b = math.inf if math.isnan(b) else b
            return a < b
        return str(a) < str(b)


class PeakTableWidget(QTableWidget):
    """Peaks of one spectrum.

    Parameters
    ----------
    parent : QWidget, optional
        Qt parent.

    Signals
    -------
    exclusion_changed(float, bool)
        ``energy_kev, excluded``: the user ticked or cleared "Excl." of a row.
    peak_selected(float)
        ``energy_kev`` of the row the user selected.
    """

    exclusion_changed = Signal(float, bool)
    peak_selected = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(COLUMNS), parent)
        self._rows: list[PeakRow] = []
        self.setHorizontalHeaderLabels(list(COLUMNS))
        for i, tip in enumerate(_TIPS):
            self.horizontalHeaderItem(i).setToolTip(tip)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        header.setHighlightSections(False)
        self.setSortingEnabled(True)
        self.sortByColumn(1, Qt.SortOrder.AscendingOrder)
        self.itemChanged.connect(self._on_item_changed)
        self.itemSelectionChanged.connect(self._on_item_selection_changed)

    # ------------------------------------------------------------------ content
    def set_rows(self, rows: Sequence[PeakRow]) -> None:
        """Show ``rows`` (sorting and the selected energy are kept; emits nothing)."""
        selected = self.selected_energy()
        self._rows = list(rows)
        with QSignalBlocker(self):
            sorting = self.isSortingEnabled()
            self.setSortingEnabled(False)
            self.setRowCount(len(rows))
            for r, row in enumerate(rows):
                self._fill(r, row)
            self.setSortingEnabled(sorting)
            if selected is not None:
                self._select(selected)

    def _fill(self, r: int, row: PeakRow) -> None:
        label = f"{row.label} [{row.flags}]" if row.flags else row.label
        cells = (
            ("", row.excluded),
            (_num(row.energy_kev, ".2f"), row.energy_kev),
            (label, label),
            (_num(row.area, ",.0f"), row.area),
            (_num(row.area_err, ",.0f"), row.area_err),
            (_num(row.fwhm_kev, ".3f"), row.fwhm_kev),
            (_num(row.centroid_residual_kev, "+.3f"), row.centroid_residual_kev),
            (_num(row.chi2_ndf, ".2f"), row.chi2_ndf),
            (row.cost, row.cost),
            (row.status, row.status),
        )
        used = row.status == "ok" and not row.excluded
        for c, (text, key) in enumerate(cells):
            item = _Item(text)
            item.setData(_KEY, float(row.energy_kev))
            item.setData(_SORT, float(key) if isinstance(key, (int, float)) else str(key))
            flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
            if c == 0:
                if row.excludable:
                    flags |= Qt.ItemFlag.ItemIsUserCheckable
                    item.setCheckState(
                        Qt.CheckState.Checked if row.excluded else Qt.CheckState.Unchecked
                    )
                item.setData(_SORT, float(row.excluded))
            elif c in (1, 3, 4, 5, 6, 7):
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            item.setFlags(flags)
            if not used:
                item.setForeground(_GREY)
            if c == 9 and row.status != "ok":
                item.setForeground(_WARN)
                item.setToolTip(row.status)
            self.setItem(r, c, item)

    def rows(self) -> list[PeakRow]:
        """Return the rows given to ``set_rows`` (in that order)."""
        return list(self._rows)

    def row_for(self, energy_kev: float, tolerance_kev: float = 0.01) -> PeakRow | None:
        """Return the row whose energy is within ``tolerance_kev`` of ``energy_kev``."""
        best = min(self._rows, key=lambda r: abs(r.energy_kev - energy_kev), default=None)
        if best is None or abs(best.energy_kev - energy_kev) > tolerance_kev:
            return None
        return best

    def excluded_energies(self) -> list[float]:
        """Return the energies whose "Excl." box is ticked."""
        out = []
        for r in range(self.rowCount()):
            item = self.item(r, 0)
            if item is not None and item.checkState() == Qt.CheckState.Checked:
                out.append(float(item.data(_KEY)))
        return sorted(out)

    def selected_energy(self) -> float | None:
        """Return the energy of the selected row, if any."""
        items = self.selectedItems()
        return float(items[0].data(_KEY)) if items else None

    def select_energy(self, energy_kev: float) -> None:
        """Select the row of ``energy_kev`` without emitting ``peak_selected``."""
        with QSignalBlocker(self):
            self._select(energy_kev)

    def set_excluded(self, energy_kev: float, excluded: bool) -> None:
        """Tick or clear the box of ``energy_kev`` without emitting ``exclusion_changed``."""
        with QSignalBlocker(self):
            for r in range(self.rowCount()):
                item = self.item(r, 0)
                if item is not None and abs(float(item.data(_KEY)) - energy_kev) < 1e-6:
                    state = Qt.CheckState.Checked if excluded else Qt.CheckState.Unchecked
                    item.setCheckState(state)
                    item.setData(_SORT, float(excluded))

    def _select(self, energy_kev: float) -> None:
        self.clearSelection()
        for r in range(self.rowCount()):
            item = self.item(r, 1)
            if item is not None and abs(float(item.data(_KEY)) - energy_kev) < 1e-6:
                self.selectRow(r)
                self.scrollToItem(item)
                return

    # ------------------------------------------------------------------ events
    @Slot(QTableWidgetItem)
    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        if item.column() != 0 or not item.flags() & Qt.ItemFlag.ItemIsUserCheckable:
            return
        excluded = item.checkState() == Qt.CheckState.Checked
        if bool(item.data(_SORT)) == excluded:
            return  # not a real change
        with QSignalBlocker(self):
            item.setData(_SORT, float(excluded))
        self.exclusion_changed.emit(float(item.data(_KEY)), excluded)

    @Slot()
    def _on_item_selection_changed(self) -> None:
        energy = self.selected_energy()
        if energy is not None:
            self.peak_selected.emit(energy)


def demo() -> PeakTableWidget:
    """Return a table with a few 152Eu peaks (``python -m widgets.peak_table``)."""
    w = PeakTableWidget()
    w.set_rows(
        [
            PeakRow(121.78, "Eu-152 121.78", 494474, 776, 1.089, -0.02, 1.3, "chi2", "ok",
                    flags="summing-loss"),
            PeakRow(344.28, "Eu-152 344.28", 213491, 472, 1.279, 0.01, 1.1, "chi2", "ok",
                    flags="summing-loss"),
            PeakRow(1005.27, "Eu-152 1005.27", 2706, 88, 1.9, -0.29, 1.0, "poisson",
                    "energy residual -0.29 keV"),
            PeakRow(1173.2, "unidentified", 150, 30, 2.0, math.nan, 0.9, "poisson", "ok",
                    excludable=False),
        ]
    )  # fmt: skip
    w.resize(900, 240)
    w.setWindowTitle("PeakTableWidget demo")
    return w


if __name__ == "__main__":  # pragma: no cover
    app = QApplication(sys.argv)
    widget = demo()
    widget.show()
    sys.exit(app.exec())
