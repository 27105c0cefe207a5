"""A table of data files (runs) that accepts dropped files.

What to use when
----------------
- ``RunListWidget``: list runs with a few plain columns (name, type, events, live time, status).
  Feed it ``RunRow`` values with ``set_rows``; it emits ``run_selected(key)`` when the user picks
  a row, ``run_activated(key)`` on double-click/Enter and ``files_dropped(paths)`` when local
  files are dropped on it. ``key`` is any string identifying the run (the application uses
  the file path).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QSignalBlocker, Qt, Signal, Slot
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

__all__ = ["RunListWidget", "RunRow", "format_duration_s"]

_HEADERS = ("Run", "Type", "Events", "Live time", "Status")
_KEY_ROLE = Qt.ItemDataRole.UserRole


@dataclass(frozen=True, slots=True)
class RunRow:
    """One row of the run list.

    Attributes
    ----------
    key : str
        Identity of the run (emitted in signals).
    name : str
        Display name.
    run_type : str
        Kind of run (``kr83m``, ``led``, ...).
    n_events : int
        Number of events.
    livetime_s : float
        Live time in seconds (NaN when unknown).
    status : str
        Short status text (``reduced``, ``raw only``, ``reducing 40 %``).
    tooltip : str
        Extra detail shown on hover (full path, start time).
    """

    key: str
    name: str
    run_type: str
    n_events: int
    livetime_s: float
    status: str
    tooltip: str = ""


def format_duration_s(seconds: float) -> str:
    """Format a duration for humans: ``"12.5 s"``, ``"3 min 20 s"``, ``"2 h 05 min"``."""
    if seconds is None or not math.isfinite(seconds):
        return "–"
    if seconds < 60:
        return f"{seconds:.3g} s" if seconds < 10 else f"{seconds:.1f} s"
    if seconds < 3600:
        m, s = divmod(round(seconds), 60)
        return f"{m} min {s:02d} s"
    h, rem = divmod(round(seconds), 3600)
    return f"{h} h {rem // 60:02d} min"


class _NumericItem(QTableWidgetItem):
    """An item that sorts by a number rather than by its text."""

    def __init__(self, text: str, value: float) -> None:
        super().__init__(text)
        self._value = value

    def __lt__(self, other: QTableWidgetItem) -> bool:
        if isinstance(other, _NumericItem):
            return self._value < other._value
        return super().__lt__(other)


class RunListWidget(QTableWidget):
    """Table of runs; drop files on it to open them.

    Parameters
    ----------
    parent : QWidget, optional
        Qt parent.
    accepted_suffixes : sequence of str
        File suffixes accepted by drops (case-insensitive), e.g. ``(".h5", ".hdf5")``.

    Signals
    -------
    run_selected(str)
        Key of the row the user selected (not emitted by ``set_current``).
    run_activated(str)
        Key of a row double-clicked or activated with Enter.
    files_dropped(list)
        Local file paths (str) dropped on the widget with an accepted suffix.
    """

    run_selected = Signal(str)
    run_activated = Signal(str)
    files_dropped = Signal(list)

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        accepted_suffixes: Sequence[str] = (".h5", ".hdf5"),
    ) -> None:
        super().__init__(0, len(_HEADERS), parent)
        self._suffixes = tuple(s.lower() for s in accepted_suffixes)
        self._rows: list[RunRow] = []
        self.setHorizontalHeaderLabels(list(_HEADERS))
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in range(1, len(_HEADERS)):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setHighlightSections(False)
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)  # opening order until clicked
        self.setAcceptDrops(True)
        self.viewport().setAcceptDrops(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)
        self.itemSelectionChanged.connect(self._on_item_selection_changed)
        self.itemActivated.connect(self._on_item_activated)

    # ------------------------------------------------------------------ public API
    def rows(self) -> list[RunRow]:
        """Rows as last given to ``set_rows`` (the display may be sorted differently)."""
        return list(self._rows)

    def set_rows(self, rows: Sequence[RunRow]) -> None:
        """Replace the rows; the selected key is kept when still present (no signal)."""
        current = self.current_key()
        self._rows = list(rows)
        with QSignalBlocker(self):
            self.setSortingEnabled(False)  # rows move while sorting is on
            self.setRowCount(len(self._rows))
            for r, row in enumerate(self._rows):
                cells = (
                    QTableWidgetItem(row.name),
                    QTableWidgetItem(row.run_type),
                    _NumericItem(f"{row.n_events:,}", row.n_events),
                    _NumericItem(format_duration_s(row.livetime_s), row.livetime_s),
                    QTableWidgetItem(row.status),
                )
                for c, item in enumerate(cells):
                    item.setData(_KEY_ROLE, row.key)
                    item.setToolTip(row.tooltip or row.key)
                    if c in (2, 3):
                        item.setTextAlignment(
                            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                        )
                    self.setItem(r, c, item)
            self.setSortingEnabled(True)
            self._select_key(current)

    def current_key(self) -> str | None:
        """Key of the selected row, or None."""
        items = self.selectedItems()
        return str(items[0].data(_KEY_ROLE)) if items else None

    def set_current(self, key: str | None) -> None:
        """Select the row with ``key`` (None clears the selection) without emitting signals."""
        with QSignalBlocker(self):
            self._select_key(key)

    # ------------------------------------------------------------------ internals
    def _select_key(self, key: str | None) -> None:
        for r in range(self.rowCount()):
            item = self.item(r, 0)
            if item is not None and key is not None and item.data(_KEY_ROLE) == key:
                self.selectRow(r)
                return
        self.clearSelection()

    @Slot()
    def _on_item_selection_changed(self) -> None:
        key = self.current_key()
        if key is not None:
            self.run_selected.emit(key)

    @Slot(QTableWidgetItem)
    def _on_item_activated(self, item: QTableWidgetItem) -> None:
        self.run_activated.emit(str(item.data(_KEY_ROLE)))

    def _accepted_paths(self, event: QDropEvent | QDragEnterEvent | QDragMoveEvent) -> list[str]:
        mime = event.mimeData()
        if not mime.hasUrls():
            return []
        paths = [u.toLocalFile() for u in mime.urls() if u.isLocalFile()]
        return [p for p in paths if p.lower().endswith(self._suffixes)]

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: D102 (Qt override)
        if self._accepted_paths(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: D102 (Qt override)
        if self._accepted_paths(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: D102 (Qt override)
        paths = self._accepted_paths(event)
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        self.files_dropped.emit(paths)


def demo() -> RunListWidget:
    """Return a run list with three example rows (``python -m widgets.run_list``)."""
    w = RunListWidget()
    w.set_rows(
        [
            RunRow("/data/led.h5", "led.h5", "led", 20000, 40.0, "reduced"),
            RunRow("/data/kr_run.h5", "kr_run.h5", "kr83m", 120000, 15120.0, "raw only"),
            RunRow("/data/co57.h5", "co57.h5", "co57", 50000, 600.0, "reducing 40 %"),
        ]
    )
    w.resize(560, 200)
    w.setWindowTitle("RunListWidget demo")
    return w


if __name__ == "__main__":  # pragma: no cover
    app = QApplication(sys.argv)
    widget = demo()
    widget.files_dropped.connect(lambda p: sys.stdout.write(f"dropped {p}\n"))
    widget.show()
    sys.exit(app.exec())
