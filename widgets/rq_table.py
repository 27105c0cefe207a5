"""A two-column table of named quantities with units (quantity | value unit).

What to use when
----------------
- ``RQTableWidget``: show one record of numbers (the reduced quantities of an event, fit
  parameters). Feed it ``set_values(values, units, descriptions)``; read back what is shown with
  ``values()`` and ``display_text(name)``. Selecting a row emits ``quantity_selected(name)``.
- ``format_value``: the number formatting used by the table, for consistent text elsewhere.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping

from PySide6.QtCore import QSignalBlocker, Qt, Signal, Slot
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

__all__ = ["RQTableWidget", "format_value"]

_NAME_ROLE = Qt.ItemDataRole.UserRole
_DIMENSIONLESS = ("", "-", "bool")


def format_value(value: object, unit: str = "") -> str:
    """Format a number for display, with its unit.

    Booleans read ``yes``/``no``; integers, and floats with an integral value below 1e6, read
    as integers; other floats keep 4 significant digits in fixed point between 1e-3 and 1000,
    one decimal up to 1e6 and exponent notation beyond; NaN reads ``NaN``.
    """
    if isinstance(value, bool) or (hasattr(value, "dtype") and value.dtype.kind == "b"):
        text = "yes" if value else "no"
        unit = ""
    elif isinstance(value, int) or (hasattr(value, "dtype") and value.dtype.kind in "iu"):
        text = f"{int(value):,}"
    else:
        try:
            v = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return str(value)
        if math.isnan(v):
            text = "NaN"
        elif math.isinf(v):
            text = "∞" if v > 0 else "-∞"
        elif v == int(v) and abs(v) < 1e6:  # e.g. times quantised to samples: no false digits
            text = f"{int(v):,}"
        elif abs(v) >= 1e6 or abs(v) < 1e-3:
            text = f"{v:.4g}"
        elif abs(v) >= 1000:
            text = f"{v:,.1f}"
        else:  # four significant digits in fixed point
            decimals = max(0, 3 - math.floor(math.log10(abs(v))))
            text = f"{v:.{decimals}f}"
    if unit in _DIMENSIONLESS:
        return text
    return f"{text} {unit}"


class RQTableWidget(QTableWidget):
    """Read-only table: one row per quantity, ``Quantity`` and ``Value`` columns.

    Parameters
    ----------
    parent : QWidget, optional
        Qt parent.

    Signals
    -------
    quantity_selected(str)
        Name of the quantity the user selected.
    """

    quantity_selected = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, 2, parent)
        self._values: dict[str, object] = {}
        self._units: dict[str, str] = {}
        self.setHorizontalHeaderLabels(["Quantity", "Value"])
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        header = self.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setHighlightSections(False)
        self._mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.itemSelectionChanged.connect(self._on_item_selection_changed)

    def set_values(
        self,
        values: Mapping[str, object],
        units: Mapping[str, str] | None = None,
        descriptions: Mapping[str, str] | None = None,
    ) -> None:
        """Show ``values`` in the given order.

        Parameters
        ----------
        values : mapping of str to number or bool
            Quantity name -> value.
        units : mapping of str to str, optional
            Quantity name -> unit text (``"-"`` or missing for dimensionless).
        descriptions : mapping of str to str, optional
            Quantity name -> meaning, shown as a tooltip.
        """
        units = dict(units or {})
        descriptions = dict(descriptions or {})
        selected = self.selected_quantity()
        self._values = dict(values)
        self._units = {k: units.get(k, "") for k in self._values}
        with QSignalBlocker(self):
            self.setRowCount(len(self._values))
            for r, (name, value) in enumerate(self._values.items()):
                unit = self._units[name]
                tip = descriptions.get(name, "")
                if unit not in _DIMENSIONLESS:
                    tip = f"{tip} [{unit}]" if tip else f"[{unit}]"
                name_item = QTableWidgetItem(name)
                value_item = QTableWidgetItem(format_value(value, unit))
                value_item.setFont(self._mono)
                value_item.setTextAlignment(
                    Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                )
                for item in (name_item, value_item):
                    item.setData(_NAME_ROLE, name)
                    item.setToolTip(tip)
                self.setItem(r, 0, name_item)
                self.setItem(r, 1, value_item)
                if name == selected:
                    self.selectRow(r)

    def clear_values(self) -> None:
        """Remove every row."""
        self.set_values({})

    def values(self) -> dict[str, object]:
        """Return the values shown, by quantity name (a copy)."""
        return dict(self._values)

    def units(self) -> dict[str, str]:
        """Return the unit of each quantity shown."""
        return dict(self._units)

    def display_text(self, name: str) -> str:
        """Return the text shown in the Value column for ``name``."""
        for r in range(self.rowCount()):
            item = self.item(r, 0)
            if item is not None and item.text() == name:
                return self.item(r, 1).text()
        raise KeyError(name)

    def selected_quantity(self) -> str | None:
        """Name of the selected quantity, or None."""
        items = self.selectedItems()
        return str(items[0].data(_NAME_ROLE)) if items else None

    @Slot()
    def _on_item_selection_changed(self) -> None:
        name = self.selected_quantity()
        if name is not None:
            self.quantity_selected.emit(name)


def demo() -> RQTableWidget:
    """Return a table with a few reduced quantities (``python -m widgets.rq_table``)."""
    w = RQTableWidget()
    w.set_values(
        {"t0_ns": -2.0, "total_pe": 176.8, "f90": 0.2934, "saturated": False, "event": 42},
        {"t0_ns": "ns", "total_pe": "PE", "f90": "-", "saturated": "bool", "event": "-"},
        {"total_pe": "integral from t0 over 6 us, both PMTs"},
    )
    w.resize(300, 220)
    w.setWindowTitle("RQTableWidget demo")
    return w


if __name__ == "__main__":  # pragma: no cover
    app = QApplication(sys.argv)
    widget = demo()
    widget.show()
    sys.exit(app.exec())
