"""The table of active cuts: enable flags, definitions, survival fractions; typed cuts.

What to use when
----------------
- ``CutListWidget``: one row per cut (``CutRowView``: name, kind, enabled, definition, survival
  alone and cumulative with their errors). The check box toggles a cut, an expression cut's
  definition is edited in place, a line at the bottom adds a typed expression cut (validated
  as you type through an injected ``validator``), "Remove" deletes the selected cut. Errors
  (e.g. a bad expression from the controller) appear in red under the table with
  ``show_error``; they never raise.
- ``format_fraction(f, lo, hi)``: ``"97.31 ± 0.12 %"`` (``+a/−b`` when asymmetric, ``−b``
  alone at 100 %).

The widget emits intents with plain values; the controller changes the cut set.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QSignalBlocker, Qt, Signal, Slot
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

__all__ = ["COLUMNS", "CutListWidget", "CutRowView", "format_fraction"]

#: Column titles.
COLUMNS = ("On", "Cut", "Definition", "Alone", "Cumulative")
_ON, _NAME, _DEF, _ALONE, _CUM = range(5)
_ERROR_STYLE = "color: #c1121f;"


@dataclass(frozen=True)
class CutRowView:
    """What one row shows (plain values).

    Attributes
    ----------
    name, kind, definition : str
        Cut name, kind (``expression``, ``range``, ``polygon``, ``rotated``), parameters.
    enabled : bool
        Check box state.
    editable : bool
        Whether the definition may be typed (expression cuts).
    alone, alone_lo, alone_hi : float
        Survival fraction of the cut alone and its interval (NaN: not computed yet).
    cumulative, cumulative_lo, cumulative_hi : float
        Cumulative survival after this cut and its interval.
    """

    name: str
    kind: str
    enabled: bool
    definition: str
    editable: bool = False
    alone: float = math.nan
    alone_lo: float = math.nan
    alone_hi: float = math.nan
    cumulative: float = math.nan
    cumulative_lo: float = math.nan
    cumulative_hi: float = math.nan


def format_fraction(f: float, lo: float, hi: float) -> str:
    """Return ``f`` in percent with its interval: ``"97.31 ± 0.12 %"`` or ``"+a/-b"``."""
    if not math.isfinite(f):
        return "–"
    up, down = 100 * (hi - f), 100 * (f - lo)
    err = max(up, down)
    digits = 2 if err >= 0.01 or err == 0 else 3
    if not (math.isfinite(up) and math.isfinite(down)):
        return f"{100 * f:.{digits}f} %"
    if abs(up - down) <= 0.2 * max(err, 1e-12):
        return f"{100 * f:.{digits}f} ± {err:.{digits}f} %"
    if up <= 0.0 or down <= 0.0:  # at 0 % or 100 % the interval is one-sided
        sign, size = ("−", down) if up <= 0.0 else ("+", up)
        return f"{100 * f:.{digits}f} {sign}{size:.{digits}f} %"
    return f"{100 * f:.{digits}f} +{up:.{digits}f}/−{down:.{digits}f} %"


class CutListWidget(QWidget):
    """Table of cuts with survival fractions and a line to add typed cuts.

    Parameters
    ----------
    parent : QWidget, optional
        Qt parent.

    Signals
    -------
    enabled_toggled(str, bool)
        ``name, enabled``: the user ticked or unticked a cut.
    expression_edited(str, str)
        ``name, text``: the user changed the definition of an expression cut.
    add_requested(str, str)
        ``name, expression``: add a typed cut (already passed the validator).
    remove_requested(str)
        Remove the named cut.
    cut_selected(str)
        The current row changed to the named cut.
    """

    enabled_toggled = Signal(str, bool)
    expression_edited = Signal(str, str)
    add_requested = Signal(str, str)
    remove_requested = Signal(str)
    cut_selected = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[CutRowView] = []
        self._validator: Callable[[str], str] = lambda _text: ""

        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
        )
        header = self.table.horizontalHeader()
        for col in (_ON, _ALONE, _CUM):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(_NAME, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(_DEF, QHeaderView.ResizeMode.Stretch)
        self.table.setColumnWidth(_NAME, 150)
        self.table.itemChanged.connect(self._on_item_changed)
        self.table.currentCellChanged.connect(self._on_current_changed)

        self.name_edit = QLineEdit(self)
        self.name_edit.setPlaceholderText("name")
        self.name_edit.setMaximumWidth(160)
        self.expr_edit = QLineEdit(self)
        self.expr_edit.setPlaceholderText("new cut, e.g. total_pe > 20 and abs(ftop - 0.5) < 0.2")
        self.expr_edit.textChanged.connect(self._on_expr_text_changed)
        self.expr_edit.returnPressed.connect(self._on_add_clicked)
        self.add_button = QPushButton("Add cut", self)
        self.add_button.clicked.connect(self._on_add_clicked)
        self.remove_button = QPushButton("Remove", self)
        self.remove_button.setToolTip("Remove the selected cut")
        self.remove_button.clicked.connect(self._on_remove_clicked)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)

        add_row = QHBoxLayout()
        add_row.setContentsMargins(0, 0, 0, 0)
        add_row.addWidget(self.name_edit)
        add_row.addWidget(self.expr_edit, 1)
        add_row.addWidget(self.add_button)
        add_row.addWidget(self.remove_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        layout.addWidget(self.table, 1)
        layout.addLayout(add_row)
        layout.addWidget(self.message)

    # ------------------------------------------------------------------ model -> view
    def set_validator(self, validator: Callable[[str], str]) -> None:
        """Check typed expressions with ``validator(text) -> error message or ""``."""
        self._validator = validator
        self._on_expr_text_changed(self.expr_edit.text())

    def set_rows(self, rows: Sequence[CutRowView]) -> None:
        """Show ``rows``; when only numbers changed, cells are updated in place."""
        rows = list(rows)
        same_layout = [(r.name, r.kind, r.editable) for r in rows] == [
            (r.name, r.kind, r.editable) for r in self._rows
        ]
        self._rows = rows
        with QSignalBlocker(self.table):
            if not same_layout:
                current = self.current_name()
                self.table.setRowCount(len(rows))
                for i, row in enumerate(rows):
                    self._fill_static(i, row)
                if current:
                    self.select(current)
            for i, row in enumerate(rows):
                self._fill_dynamic(i, row)

    def _fill_static(self, i: int, row: CutRowView) -> None:
        on = QTableWidgetItem()
        on.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
        self.table.setItem(i, _ON, on)
        name = QTableWidgetItem(row.name)
        name.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
        name.setToolTip(f"{row.name} ({row.kind} cut)")
        self.table.setItem(i, _NAME, name)
        definition = QTableWidgetItem()
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if row.editable:
            flags |= Qt.ItemFlag.ItemIsEditable
            definition.setToolTip(f"{row.definition}\n(double-click to edit the expression)")
        definition.setFlags(flags)
        self.table.setItem(i, _DEF, definition)
        for col in (_ALONE, _CUM):
            item = QTableWidgetItem()
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.setItem(i, col, item)

    def _fill_dynamic(self, i: int, row: CutRowView) -> None:
        state = Qt.CheckState.Checked if row.enabled else Qt.CheckState.Unchecked
        self.table.item(i, _ON).setCheckState(state)
        definition = self.table.item(i, _DEF)
        if definition.text() != row.definition:
            definition.setText(row.definition)
        grey = QColor("#8a8a8a") if not row.enabled else QColor("#202020")
        for col in (_NAME, _DEF, _ALONE):
            self.table.item(i, col).setForeground(grey)
        self.table.item(i, _ALONE).setText(format_fraction(row.alone, row.alone_lo, row.alone_hi))
        cum = self.table.item(i, _CUM)
        cum.setText(format_fraction(row.cumulative, row.cumulative_lo, row.cumulative_hi))
        cum.setToolTip(
            "Fraction of all events passing this cut and every enabled cut above it "
            "(1-sigma Wilson interval)"
        )

    def rows(self) -> list[CutRowView]:
        """Return the rows shown."""
        return list(self._rows)

    def cell_text(self, name: str, column: str) -> str:
        """Return the text of ``column`` (a title of ``COLUMNS``) in the row of cut ``name``."""
        return self.table.item(self._index(name), COLUMNS.index(column)).text()

    def show_error(self, message: str) -> None:
        """Show an error under the table ("" clears it)."""
        self.message.setStyleSheet(_ERROR_STYLE if message else "")
        self.message.setText(message)

    def error_text(self) -> str:
        """Return the message shown under the table."""
        return self.message.text()

    def current_name(self) -> str:
        """Return the name of the selected cut ("" when none)."""
        row = self.table.currentRow()
        return self._rows[row].name if 0 <= row < len(self._rows) else ""

    def select(self, name: str) -> None:
        """Select the row of cut ``name``."""
        self.table.setCurrentCell(self._index(name), _NAME)

    def _index(self, name: str) -> int:
        for i, row in enumerate(self._rows):
            if row.name == name:
                return i
        raise KeyError(f"no cut row {name!r}")

    # ------------------------------------------------------------------ user intents
    def set_enabled(self, name: str, enabled: bool) -> None:
        """Tick or untick cut ``name`` as the user does (emits ``enabled_toggled``)."""
        state = Qt.CheckState.Checked if enabled else Qt.CheckState.Unchecked
        self.table.item(self._index(name), _ON).setCheckState(state)

    def edit_definition(self, name: str, text: str) -> None:
        """Type ``text`` into the definition of cut ``name`` (emits ``expression_edited``)."""
        self.table.item(self._index(name), _DEF).setText(text)

    def type_new_cut(self, name: str, expression: str) -> None:
        """Fill the add line and press "Add cut" as the user does."""
        self.name_edit.setText(name)
        self.expr_edit.setText(expression)
        self.add_button.click()

    @Slot(QTableWidgetItem)
    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        i = item.row()
        if not 0 <= i < len(self._rows):
            return
        row = self._rows[i]
        if item.column() == _ON:
            enabled = item.checkState() == Qt.CheckState.Checked
            if enabled != row.enabled:
                self.enabled_toggled.emit(row.name, enabled)
        elif item.column() == _DEF and row.editable:
            text = item.text().strip()
            if text != row.definition:
                self.expression_edited.emit(row.name, text)

    @Slot(int, int, int, int)
    def _on_current_changed(self, row: int, _col: int, _prev_row: int, _prev_col: int) -> None:
        if 0 <= row < len(self._rows):
            self.cut_selected.emit(self._rows[row].name)

    @Slot(str)
    def _on_expr_text_changed(self, text: str) -> None:
        error = self._validator(text) if text.strip() else ""
        self.expr_edit.setStyleSheet("QLineEdit { border: 1px solid #c1121f; }" if error else "")
        self.expr_edit.setToolTip(error)
        self.add_button.setEnabled(bool(text.strip()) and not error)
        self.show_error(error)

    @Slot()
    def _on_add_clicked(self) -> None:
        text = self.expr_edit.text().strip()
        if not text:
            return
        error = self._validator(text)
        if error:
            self.show_error(error)
            return
        name = self.name_edit.text().strip() or f"cut {len(self._rows) + 1}"
        self.add_requested.emit(name, text)

    def clear_new_cut(self) -> None:
        """Empty the add line (after the controller accepted the new cut)."""
        self.name_edit.clear()
        self.expr_edit.clear()

    @Slot()
    def _on_remove_clicked(self) -> None:
        name = self.current_name()
        if name:
            self.remove_requested.emit(name)


def demo() -> CutListWidget:
    """Return the widget with three cuts and survival numbers."""
    w = CutListWidget()
    w.set_rows(
        [
            CutRowView("quality: not saturated", "expression", True, "not saturated", True,
                       0.998, 0.9975, 0.9984, 0.998, 0.9975, 0.9984),
            CutRowView("ER F90 band", "range", True, "0.2 <= f90 < 0.45", False,
                       0.91, 0.905, 0.915, 0.905, 0.90, 0.91),
            CutRowView("I35:I55 rotated", "rotated", False, "i35_pe cos(37.5 deg) - ...", False,
                       0.12, 0.11, 0.13, 0.905, 0.90, 0.91),
        ]
    )  # fmt: skip
    w.set_validator(lambda t: "" if "f90" in t or "ftop" in t else "unknown column")
    w.resize(760, 260)
    w.setWindowTitle("CutListWidget demo")
    return w


if __name__ == "__main__":  # pragma: no cover
    app = QApplication(sys.argv)
    widget = demo()
    widget.show()
    sys.exit(app.exec())
