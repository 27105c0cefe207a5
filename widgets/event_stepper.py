"""Step through numbered items (events): buttons, a spin box, a jump field and shortcuts.

What to use when
----------------
- ``EventStepperWidget``: anywhere a user browses item ``i`` of ``n`` one at a time. Set the
  range with ``set_count(n)`` and the shown index with ``set_index(i)``; listen to
  ``event_changed(int)``. Keys: Left/Right (one), PageUp/PageDown (ten), Home/End (first, last),
  Ctrl+G (focus the jump field). The jump field also accepts negative indices (``-1`` = last).
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QSignalBlocker, Qt, Signal, Slot
from PySide6.QtGui import QIntValidator, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QStyle,
    QToolButton,
    QWidget,
)

__all__ = ["EventStepperWidget"]

#: Events moved by PageUp/PageDown and the double-arrow buttons.
PAGE_STEP = 10


class EventStepperWidget(QWidget):
    """Previous/next buttons, an index spin box, a jump field and keyboard shortcuts.

    Parameters
    ----------
    parent : QWidget, optional
        Qt parent.
    shortcut_context : Qt.ShortcutContext
        Scope of the keyboard shortcuts. The default ``WindowShortcut`` lets the keys work
        wherever the focus is in the window (text fields keep their own arrow keys).

    Signals
    -------
    event_changed(int)
        The shown index changed (by the user or by ``set_index``); 0-based.
    """

    event_changed = Signal(int)

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        shortcut_context: Qt.ShortcutContext = Qt.ShortcutContext.WindowShortcut,
    ) -> None:
        super().__init__(parent)
        self._count = 0
        self._index = 0

        sp = QStyle.StandardPixmap
        self._first = self._button(sp.SP_MediaSkipBackward, "First event (Home)", self.first)
        self._back_page = self._button(
            sp.SP_MediaSeekBackward, f"Back {PAGE_STEP} events (PageUp)", self.page_back
        )
        self._prev = self._button(sp.SP_ArrowLeft, "Previous event (Left)", self.previous)
        self._next = self._button(sp.SP_ArrowRight, "Next event (Right)", self.next)
        self._fwd_page = self._button(
            sp.SP_MediaSeekForward, f"Forward {PAGE_STEP} events (PageDown)", self.page_fwd
        )
        self._last = self._button(sp.SP_MediaSkipForward, "Last event (End)", self.last)

        self._spin = QSpinBox(self)
        self._spin.setKeyboardTracking(False)  # typing "123" emits once, not 1, 12, 123
        self._spin.setRange(0, 0)
        self._spin.setAccelerated(True)
        self._spin.setMinimumWidth(90)
        self._spin.setToolTip("Event index (0-based); type and press Enter")
        self._spin.valueChanged.connect(self._on_spin_value_changed)

        self._of = QLabel("of 0", self)
        self._of.setMinimumWidth(70)

        self._jump = QLineEdit(self)
        self._jump.setPlaceholderText("jump to…")
        self._jump.setClearButtonEnabled(True)
        self._jump.setMaximumWidth(110)
        self._jump.setToolTip("Event index to jump to; negative counts from the end (Ctrl+G)")
        self._jump.setValidator(QIntValidator(self))  # any integer; out of range is clamped
        self._jump.returnPressed.connect(self._on_jump_return_pressed)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        for b in (self._first, self._back_page, self._prev):
            layout.addWidget(b)
        layout.addWidget(QLabel("Event", self))
        layout.addWidget(self._spin)
        layout.addWidget(self._of)
        for b in (self._next, self._fwd_page, self._last):
            layout.addWidget(b)
        layout.addSpacing(8)
        layout.addWidget(self._jump)
        layout.addStretch(1)

        keys = (
            (Qt.Key.Key_Left, self.previous),
            (Qt.Key.Key_Right, self.next),
            (Qt.Key.Key_PageUp, self.page_back),
            (Qt.Key.Key_PageDown, self.page_fwd),
            (Qt.Key.Key_Home, self.first),
            (Qt.Key.Key_End, self.last),
        )
        self._shortcuts: list[QShortcut] = []
        for key, slot in keys:
            sc = QShortcut(QKeySequence(key), self)
            sc.setContext(shortcut_context)
            sc.activated.connect(slot)
            self._shortcuts.append(sc)
        focus = QShortcut(QKeySequence("Ctrl+G"), self)
        focus.setContext(shortcut_context)
        focus.activated.connect(self._on_focus_jump)
        self._shortcuts.append(focus)
        self._update_enabled()
        self.setEnabled(False)  # until set_count gives it something to step through

    def _button(self, icon: QStyle.StandardPixmap, tip: str, slot: object) -> QToolButton:
        b = QToolButton(self)
        b.setIcon(self.style().standardIcon(icon))
        b.setToolTip(tip)
        b.setAutoRaise(True)
        b.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keep arrow keys for stepping
        b.clicked.connect(slot)
        return b

    # ------------------------------------------------------------------ public API
    def count(self) -> int:
        """Return the number of items (events)."""
        return self._count

    def index(self) -> int:
        """Return the current 0-based index."""
        return self._index

    def set_count(self, n: int) -> None:
        """Set the number of items; the index is clamped (``event_changed`` if it moves)."""
        self._count = max(0, int(n))
        with QSignalBlocker(self._spin):
            self._spin.setRange(0, max(self._count - 1, 0))
        self._of.setText(f"of {self._count:,}")
        self.setEnabled(self._count > 0)
        self.set_index(min(self._index, max(self._count - 1, 0)))
        self._update_enabled()

    def set_index(self, index: int) -> None:
        """Show item ``index`` (clamped); emits ``event_changed`` only when it changes."""
        index = min(max(int(index), 0), max(self._count - 1, 0))
        with QSignalBlocker(self._spin):
            self._spin.setValue(index)
        if index == self._index:
            return
        self._index = index
        self._update_enabled()
        self.event_changed.emit(index)

    @Slot()
    def previous(self) -> None:
        """Step one item back."""
        self.set_index(self._index - 1)

    @Slot()
    def next(self) -> None:
        """Step one item forward."""
        self.set_index(self._index + 1)

    @Slot()
    def page_back(self) -> None:
        """Step ``PAGE_STEP`` items back."""
        self.set_index(self._index - PAGE_STEP)

    @Slot()
    def page_fwd(self) -> None:
        """Step ``PAGE_STEP`` items forward."""
        self.set_index(self._index + PAGE_STEP)

    @Slot()
    def first(self) -> None:
        """Go to the first item."""
        self.set_index(0)

    @Slot()
    def last(self) -> None:
        """Go to the last item."""
        self.set_index(self._count - 1)

    def jump_to(self, index: int) -> None:
        """Go to ``index``; negative values count from the end like Python indices (clamped)."""
        if index < 0:
            index += self._count
        self.set_index(index)

    # ------------------------------------------------------------------ internals
    def _update_enabled(self) -> None:
        at_start = self._index <= 0
        at_end = self._index >= self._count - 1
        for b in (self._first, self._back_page, self._prev):
            b.setEnabled(not at_start)
        for b in (self._next, self._fwd_page, self._last):
            b.setEnabled(not at_end)

    @Slot(int)
    def _on_spin_value_changed(self, value: int) -> None:
        self.set_index(value)

    @Slot()
    def _on_jump_return_pressed(self) -> None:
        text = self._jump.text().strip()
        if text and text != "-":
            self.jump_to(int(text))
        self._jump.clear()

    @Slot()
    def _on_focus_jump(self) -> None:
        self._jump.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self._jump.selectAll()


def demo() -> EventStepperWidget:
    """Return a stepper over 1000 events that prints each change (``python -m ...``)."""
    w = EventStepperWidget()
    w.set_count(1000)
    w.setWindowTitle("EventStepperWidget demo")
    return w


if __name__ == "__main__":  # pragma: no cover
    app = QApplication(sys.argv)
    widget = demo()
    widget.event_changed.connect(lambda i: sys.stdout.write(f"event {i}\n"))
    widget.show()
    sys.exit(app.exec())
