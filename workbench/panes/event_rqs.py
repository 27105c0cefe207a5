"""Event RQs pane: the reduced quantities of the event shown in the waveform browser.

What to use when
----------------
- ``EventRQPane.show_rqs(values, units, descriptions, caption)`` from its controller; the pane
  says where the numbers come from (the run's RQ file, or computed for this event alone).
"""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from widgets.rq_table import RQTableWidget

__all__ = ["EventRQPane"]


class EventRQPane(QWidget):
    """A caption and a two-column table of the current event's RQs."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.caption = QLabel(self)
        self.caption.setWordWrap(True)
        self.caption.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.table = RQTableWidget(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        layout.addWidget(self.caption)
        layout.addWidget(self.table, 1)
        self.show_rqs({}, caption="No event shown.")

    def show_rqs(
        self,
        values: Mapping[str, object],
        units: Mapping[str, str] | None = None,
        descriptions: Mapping[str, str] | None = None,
        caption: str = "",
    ) -> None:
        """Show one event's RQs and a caption saying where they come from."""
        self.caption.setText(caption)
        self.caption.setToolTip(caption)
        self.table.set_values(values, units, descriptions)

    def values(self) -> dict[str, object]:
        """Return the values shown, by RQ name."""
        return self.table.values()
