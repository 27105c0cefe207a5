"""Views of a JSON document and of a list of changes: the calibration-constants preview.

What to use when
----------------
- ``ConstantsView``: a nested dict/list shown as an expandable tree (key, value) and as
  formatted JSON text, in two tabs. ``set_document(doc)``; ``find(path)`` returns the tree item
  of a dotted path (``light_yield.A.y_pe_per_kev``).
- ``ChangesTable``: rows of (path, kind, old, new, relative change) with added / removed /
  changed entries coloured; ``set_changes(rows)`` takes plain tuples.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontDatabase
from PySide6.QtWidgets import (
    QApplication,
    QHeaderView,
    QPlainTextEdit,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

__all__ = ["demo", "ChangesTable", "ConstantsView"]

_KIND_MARKS = {"added": "+", "removed": "−", "changed": "~"}
_KIND_COLOURS = {"added": "#e6f4ea", "removed": "#fce8e6", "changed": "#fff4d6"}


def _value_text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _nested(values: Sequence[Any]) -> bool:
    return any(isinstance(x, (Mapping, list)) for x in values)


def _count_text(value: Mapping[str, Any] | list[Any]) -> str:
    n = len(value)
    if isinstance(value, Mapping):
        return f"{n} entr{'y' if n == 1 else 'ies'}"
    if n > 32 and not _nested(value):
        return f"[{n} numbers]"
    return f"{n} item{'s' if n != 1 else ''}"


class ConstantsView(QWidget):
    """Tree and JSON views of a document.

    Parameters
    ----------
    parent : QWidget, optional
        Qt parent.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tree = QTreeWidget(self)
        self.tree.setHeaderLabels(["Entry", "Value"])
        self.tree.setAlternatingRowColors(True)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.text = QPlainTextEdit(self)
        self.text.setReadOnly(True)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.tabs = QTabWidget(self)
        self.tabs.addTab(self.tree, "Tree")
        self.tabs.addTab(self.text, "JSON")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)
        self._items: dict[str, QTreeWidgetItem] = {}

    def set_document(self, doc: Mapping[str, Any] | None, *, expand_depth: int = 1) -> None:
        """Show ``doc`` (None clears); top levels are expanded to ``expand_depth``."""
        self.tree.clear()
        self._items.clear()
        if doc is None:
            self.text.setPlainText("")
            return
        self._fill(self.tree.invisibleRootItem(), doc, "")
        self.tree.expandToDepth(expand_depth - 1)
        self.text.setPlainText(json.dumps(doc, indent=2))

    def _fill(self, parent: QTreeWidgetItem, value: Any, path: str) -> None:
        if isinstance(value, Mapping):
            entries = [(str(k), v, f"{path}.{k}" if path else str(k)) for k, v in value.items()]
        else:
            entries = [(f"[{i}]", v, f"{path}[{i}]") for i, v in enumerate(value)]
        for name, v, sub in entries:
            item = QTreeWidgetItem(parent, [name, ""])
            self._items[sub] = item
            if isinstance(v, (Mapping, list)) and v:
                item.setText(1, _count_text(v))
                item.setForeground(1, QBrush(QColor("#808080")))
                if isinstance(v, list) and len(v) > 32 and not _nested(v):
                    continue  # long plain arrays (histograms) stay a one-line summary
                self._fill(item, v, sub)
            elif isinstance(v, (Mapping, list)):
                item.setText(1, "empty")
            else:
                item.setText(1, _value_text(v))

    def find(self, path: str) -> QTreeWidgetItem | None:
        """Return the tree item of a dotted path, or None."""
        return self._items.get(path)


class ChangesTable(QTreeWidget):
    """Changes between two documents, one row each.

    Parameters
    ----------
    parent : QWidget, optional
        Qt parent.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setRootIsDecorated(False)
        self.setHeaderLabels(["Entry", "", "Previous", "New", "Relative"])
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        for col in (2, 3):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(col, 84)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.ResizeToContents)

    def set_changes(
        self, rows: Sequence[tuple[str, str, Any, Any, float | None]], empty_text: str = ""
    ) -> None:
        """Show rows ``(path, kind, old, new, relative_change)``; ``empty_text`` when none."""
        self.clear()
        for path, kind, old, new, rel in rows:
            item = QTreeWidgetItem(
                self,
                [
                    path,
                    _KIND_MARKS.get(kind, kind),
                    "" if kind == "added" else _short(old),
                    "" if kind == "removed" else _short(new),
                    "" if rel is None else f"{100 * rel:+.3g} %",
                ],
            )
            item.setToolTip(0, path)
            item.setToolTip(1, kind)
            for col in range(5):
                item.setBackground(col, QBrush(QColor(_KIND_COLOURS.get(kind, "#ffffff"))))
        if not rows and empty_text:
            item = QTreeWidgetItem(self, [empty_text])
            font = QFont(item.font(0))
            font.setItalic(True)
            item.setFont(0, font)

    def paths(self) -> list[str]:
        """Return the entry paths listed (excluding an empty-state line)."""
        return [
            self.topLevelItem(i).text(0)
            for i in range(self.topLevelItemCount())
            if self.topLevelItem(i).text(1)
        ]


def _short(value: Any) -> str:
    text = _value_text(value) if not isinstance(value, (Mapping, list)) else json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "…"


def demo() -> ConstantsView:
    """Return a ConstantsView with example data (``python -m widgets.constants_view``)."""
    w = ConstantsView()
    w.set_document({"light_yield": {"A": {"y_pe_per_kev": 4.31, "points": [1, 2]}}, "cuts": None})
    w.setWindowTitle("ConstantsView demo")
    return w


if __name__ == "__main__":  # pragma: no cover
    app = QApplication(sys.argv)
    widget = demo()
    widget.show()
    sys.exit(app.exec())
