"""Event RQs controller: shows the RQ row of the event published by the event browser.

What to use when
----------------
- ``build(ctx)`` is the Event RQs pane's entry in ``workbench.registry``. It listens to
  ``SessionState.event_view_changed`` only, so it shows exactly the numbers of the event drawn.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Slot

from workbench.context import AppContext
from workbench.event_view import SOURCE_RQ_FILE, EventView
from workbench.panes.event_rqs import EventRQPane
from workbench.registry import PaneBinding

__all__ = ["EventRQController", "build", "rq_caption"]


def rq_caption(view: EventView) -> str:
    """Say where the numbers of ``view`` come from and in which units."""
    name = Path(view.run_path).name
    where = (
        f"from {Path(view.rq_path).name}"
        if view.source == SOURCE_RQ_FILE and view.rq_path
        else "computed for this event (run not reduced)"
    )
    unit = view.units.get("total_pe", "PE")
    gains = "" if unit == "PE" else f"; integrals in {unit}: no SPE gains set"
    return f"{name}, event {view.event:,}: {where}{gains}"


class EventRQController(QObject):
    """Wires the Event RQs pane to the current event view.

    Parameters
    ----------
    ctx : AppContext
        Shared services.
    pane : EventRQPane
        The view.
    """

    def __init__(self, ctx: AppContext, pane: EventRQPane) -> None:
        super().__init__(pane)
        self._state = ctx.state
        self._pane = pane
        self._state.event_view_changed.connect(self._on_event_view_changed)
        self._on_event_view_changed()

    @Slot()
    def _on_event_view_changed(self) -> None:
        view = self._state.event_view
        if view is None:
            self._pane.show_rqs({}, caption="No event shown.")
            return
        self._pane.show_rqs(view.rq, view.units, view.descriptions, rq_caption(view))


def build(ctx: AppContext) -> PaneBinding:
    """Create the Event RQs pane and its controller."""
    pane = EventRQPane()
    return PaneBinding(pane, EventRQController(ctx, pane))
