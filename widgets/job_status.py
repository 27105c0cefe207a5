"""Status-bar progress display for a running task, with a Cancel button.

What to use when
----------------
- ``JobStatusWidget``: put it in a status bar. ``show_task(title, done, total)`` while work runs
  (``total=0`` shows a busy indicator), ``finish()`` when nothing runs any more; the user's click
  on Cancel emits ``cancel_requested``. ``set_queue_length(n)`` shows how many more tasks wait.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QApplication, QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

__all__ = ["JobStatusWidget"]


class JobStatusWidget(QWidget):
    """Title, progress bar and Cancel button of the current task; hidden when idle.

    Parameters
    ----------
    parent : QWidget, optional
        Qt parent.

    Signals
    -------
    cancel_requested()
        The user clicked Cancel.
    """

    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._label = QLabel(self)
        self._more = QLabel(self)
        self._bar = QProgressBar(self)
        self._bar.setFixedWidth(180)
        self._bar.setTextVisible(True)
        self._cancel = QPushButton("Cancel", self)
        self._cancel.setToolTip("Stop this task (nothing partial is written)")
        self._cancel.clicked.connect(self._on_cancel_clicked)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._label)
        layout.addWidget(self._more)
        layout.addWidget(self._bar)
        layout.addWidget(self._cancel)
        self._active = False
        self.setVisible(False)

    def title(self) -> str:
        """Title of the task shown ("" when idle)."""
        return self._label.text() if self._active else ""

    def is_active(self) -> bool:
        """Return True while a task is shown."""
        return self._active

    def progress(self) -> tuple[int, int]:
        """``(done, total)`` as shown (total 0 while busy without a count)."""
        return max(self._bar.value(), 0), self._bar.maximum()

    def show_task(self, title: str, done: int = 0, total: int = 0) -> None:
        """Show ``title`` with ``done`` of ``total`` units (``total <= 0``: busy indicator)."""
        self._label.setText(title)
        if total > 0:
            self._bar.setRange(0, int(total))
            self._bar.setValue(min(int(done), int(total)))
            self._bar.setFormat("%p %")
        else:
            self._bar.setRange(0, 0)
        self._cancel.setEnabled(True)
        self._active = True
        self.setVisible(True)

    def set_queue_length(self, n: int) -> None:
        """Show that ``n`` further tasks are running or queued (hidden for 0)."""
        self._more.setText(f"(+{n} more)" if n > 0 else "")

    def set_cancelling(self) -> None:
        """Show that cancellation was requested and is pending."""
        self._cancel.setEnabled(False)
        self._label.setText(f"{self._label.text()} (cancelling…)")

    def finish(self) -> None:
        """Hide the display (no task running)."""
        self._label.setText("")
        self._more.setText("")
        self._active = False
        self.setVisible(False)

    @Slot()
    def _on_cancel_clicked(self) -> None:
        self.cancel_requested.emit()


def demo() -> JobStatusWidget:
    """Return the widget showing a half-done task (``python -m widgets.job_status``)."""
    w = JobStatusWidget()
    w.show_task("Reducing kr_run.h5", 50, 100)
    w.set_queue_length(1)
    w.setWindowTitle("JobStatusWidget demo")
    return w


if __name__ == "__main__":  # pragma: no cover
    app = QApplication(sys.argv)
    widget = demo()
    widget.cancel_requested.connect(widget.finish)
    widget.show()
    sys.exit(app.exec())
