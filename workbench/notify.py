"""User notifications: errors and information for the status bar and message boxes.

What to use when
----------------
- ``Notifier.error(title, text)`` from controllers (and, through ``JobRunner.job_failed``, from
  failed jobs): logged, kept in ``history``, and emitted on ``posted`` so the main window can
  show it in the status bar and a non-blocking message box.
- ``Notifier.info(text)``: transient status-bar information.

Tests read ``history`` (or ``last_error``) instead of looking for dialogs.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal, Slot

__all__ = ["Notice", "Notifier"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Notice:
    """One notification.

    Attributes
    ----------
    level : str
        ``"error"``, ``"warning"`` or ``"info"``.
    title : str
        Short heading (what was being done).
    text : str
        The message (for file errors: ``"path: fault"``).
    """

    level: str
    title: str
    text: str


class Notifier(QObject):
    """Collects notifications and re-emits them for the user interface.

    Parameters
    ----------
    max_history : int
        Number of notices kept.
    parent : QObject, optional
        Qt parent.

    Signals
    -------
    posted(str, str, str)
        ``level, title, text`` of a new notice.
    """

    posted = Signal(str, str, str)

    def __init__(self, max_history: int = 200, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.history: deque[Notice] = deque(maxlen=max_history)

    def _post(self, level: str, title: str, text: str) -> None:
        self.history.append(Notice(level, title, text))
        self.posted.emit(level, title, text)

    @Slot(str, str)
    def error(self, title: str, text: str) -> None:
        """Report an error (e.g. a file that cannot be read)."""
        log.error("%s: %s", title, text)
        self._post("error", title, text)

    @Slot(str, str)
    def warning(self, title: str, text: str) -> None:
        """Report something the user should know but that did not stop the work."""
        log.warning("%s: %s", title, text)
        self._post("warning", title, text)

    @Slot(str)
    def info(self, text: str) -> None:
        """Report transient information (status bar)."""
        log.info("%s", text)
        self._post("info", "", text)

    @property
    def errors(self) -> list[Notice]:
        """Error notices, oldest first."""
        return [n for n in self.history if n.level == "error"]

    @property
    def last_error(self) -> Notice | None:
        """The most recent error notice, if any."""
        errors = self.errors
        return errors[-1] if errors else None
