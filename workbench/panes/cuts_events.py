"""The events of a clicked 2D-histogram bin, to step through them in the waveform browser.

What to use when
----------------
- ``BinEventsPanel``: part of the Cuts pane. ``show_events(label, events)`` lists the raw-file
  indices of the events in the clicked bin; selecting one (click, Previous/Next) emits
  ``event_chosen(index)``, which the controller turns into the current event of
  ``ctx.state`` (the waveform browser follows).
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QSignalBlocker, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

__all__ = ["BinEventsPanel"]

_HINT = "Click a bin of a 2D histogram to list its events and open them in the waveform browser."


class BinEventsPanel(QWidget):
    """List of the events of a clicked bin with Previous/Next.

    Signals
    -------
    event_chosen(int)
        Raw-file index of the event to show.
    """

    event_chosen = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._events: list[int] = []
        self.label = QLabel(_HINT, self)
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.list = QListWidget(self)
        self.list.currentRowChanged.connect(self._on_row_changed)
        self.prev_button = QPushButton("◀ Previous", self)
        self.next_button = QPushButton("Next ▶", self)
        self.prev_button.clicked.connect(self.previous)
        self.next_button.clicked.connect(self.next)
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.prev_button)
        buttons.addWidget(self.next_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        layout.addWidget(self.label)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        self._update_buttons()

    def show_events(self, label: str, events: Sequence[int]) -> None:
        """List ``events`` under ``label`` and choose the first (emits ``event_chosen``)."""
        self._events = [int(e) for e in events]
        self.label.setText(label)
        with QSignalBlocker(self.list):
            self.list.clear()
            self.list.addItems([f"event {e}" for e in self._events])
        if self._events:
            self.list.setCurrentRow(0)
        self._update_buttons()

    def clear(self) -> None:
        """Forget the listed events."""
        self._events = []
        self.label.setText(_HINT)
        with QSignalBlocker(self.list):
            self.list.clear()
        self._update_buttons()

    def events(self) -> list[int]:
        """Return the listed events."""
        return list(self._events)

    def current_event(self) -> int | None:
        """Return the selected event (None when none)."""
        row = self.list.currentRow()
        return self._events[row] if 0 <= row < len(self._events) else None

    @Slot()
    def next(self) -> None:
        """Choose the next listed event."""
        row = self.list.currentRow()
        if row + 1 < len(self._events):
            self.list.setCurrentRow(row + 1)

    @Slot()
    def previous(self) -> None:
        """Choose the previous listed event."""
        row = self.list.currentRow()
        if row > 0:
            self.list.setCurrentRow(row - 1)

    @Slot(int)
    def _on_row_changed(self, row: int) -> None:
        self._update_buttons()
        if 0 <= row < len(self._events):
            self.event_chosen.emit(self._events[row])

    def _update_buttons(self) -> None:
        row = self.list.currentRow()
        self.prev_button.setEnabled(row > 0)
        self.next_button.setEnabled(0 <= row < len(self._events) - 1)
