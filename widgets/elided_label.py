"""A one-line label that shortens its text with "…" when it is too narrow.

What to use when
----------------
- ``ElidedLabel``: captions in tool bars and panes whose text may be longer than the space
  (file names, event summaries). ``text()`` returns the full text, which is also the tooltip.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

__all__ = ["ElidedLabel"]


class ElidedLabel(QLabel):
    """A plain-text label that elides on the right instead of widening its parent.

    Parameters
    ----------
    parent : QWidget, optional
        Qt parent.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def setText(self, text: str) -> None:  # noqa: N802 (Qt override)
        """Show ``text`` (elided to the width) and use it as the tooltip."""
        self._full = text
        self.setToolTip(text)
        self._elide()

    def text(self) -> str:
        """Return the full text, not the elided one."""
        return self._full

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: D102 (Qt override)
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        metrics = self.fontMetrics()
        super().setText(metrics.elidedText(self._full, Qt.TextElideMode.ElideRight, self.width()))
