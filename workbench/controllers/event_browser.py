"""Event browser controller: reads the current event lazily and publishes its ``EventView``.

What to use when
----------------
- ``build(ctx)`` is the Waveforms pane's entry in ``workbench.registry``.
- The controller keeps one ``RawFile`` open in the GUI thread for the current run: stepping
  costs at most one chunk read (``RawFile.waveform`` caches by chunk). The traces and the RQ
  row of the event are computed in a quiet job keyed ``"event-view"``, so stepping quickly
  drops stale results and the first numba compilation never freezes the window.
"""

from __future__ import annotations

import logging

import numpy as np
from PySide6.QtCore import QObject, Slot

from analysis_core.errors import RawFormatError
from analysis_core.rawfile import RawFile
from workbench.context import AppContext
from workbench.event_view import EventView, compute_event_view
from workbench.panes.waveforms import WaveformPane
from workbench.registry import PaneBinding

__all__ = ["EVENT_VIEW_KEY", "EventBrowserController", "build"]

log = logging.getLogger(__name__)

EVENT_VIEW_KEY = "event-view"


class EventBrowserController(QObject):
    """Wires the Waveforms pane to the current run and event.

    Parameters
    ----------
    ctx : AppContext
        Shared services.
    pane : WaveformPane
        The view.
    """

    def __init__(self, ctx: AppContext, pane: WaveformPane) -> None:
        super().__init__(pane)
        self._ctx = ctx
        self._state = ctx.state
        self._pane = pane
        self._raw: RawFile | None = None
        self._times_s: np.ndarray = np.zeros(0)
        s = self._state
        s.current_run_changed.connect(self._on_current_run_changed)
        s.current_event_changed.connect(self._on_current_event_changed)
        s.rq_changed.connect(self._on_rq_changed)
        s.reduction_config_changed.connect(self._on_reduction_config_changed)
        s.event_view_changed.connect(self._on_event_view_changed)
        pane.event_requested.connect(self._on_event_requested)
        if s.current_run:
            self._on_current_run_changed(s.current_run)
            self._on_current_event_changed(s.current_event)

    @property
    def raw_file(self) -> RawFile | None:
        """The ``RawFile`` open for the current run (GUI thread only)."""
        return self._raw

    def close(self) -> None:
        """Close the open raw file."""
        if self._raw is not None:
            self._raw.close()
            self._raw = None

    # ------------------------------------------------------------------ state -> pane
    @Slot(str)
    def _on_current_run_changed(self, path: str) -> None:
        self.close()
        self._state.set_event_view(None)
        info = self._state.current_info
        if info is None:
            self._pane.show_run("", 0)
            return
        try:
            self._raw = RawFile(path)
            self._times_s = self._raw.event_time_s()
        except RawFormatError as exc:
            self.close()
            self._ctx.notifier.error(f"Reading {info.name}", str(exc))
            self._pane.show_run(info.name, 0)
            return
        self._pane.show_run(info.name, info.n_events)

    @Slot(int)
    def _on_current_event_changed(self, index: int) -> None:
        self._pane.show_index(index)
        self._request_view()

    @Slot(str)
    def _on_rq_changed(self, path: str) -> None:
        if path == self._state.current_run:
            self._request_view()

    @Slot()
    def _on_reduction_config_changed(self) -> None:
        self._request_view()

    @Slot()
    def _on_event_view_changed(self) -> None:
        self._pane.show_event(self._state.event_view)

    # ------------------------------------------------------------------ intents
    @Slot(int)
    def _on_event_requested(self, index: int) -> None:
        self._state.set_current_event(index)

    # ------------------------------------------------------------------ work
    def _request_view(self) -> None:
        info = self._state.current_info
        if info is None or self._raw is None or info.n_events == 0:
            return
        index = self._state.current_event
        try:
            event = np.array(self._raw.waveform(index))  # a copy: the worker owns it
        except (RawFormatError, IndexError) as exc:
            self._ctx.notifier.error(f"Reading event {index} of {info.name}", str(exc))
            return
        time_s = float(self._times_s[index]) if index < self._times_s.size else float("nan")
        self._ctx.jobs.submit(
            compute_event_view,
            info,
            index,
            event,
            time_s,
            self._state.reduction_config,
            self._state.rq(info.path),
            key=EVENT_VIEW_KEY,
            on_done=self._on_view_ready,
        )

    def _on_view_ready(self, view: EventView) -> None:
        if view.run_path == self._state.current_run and view.event == self._state.current_event:
            self._state.set_event_view(view)


def build(ctx: AppContext) -> PaneBinding:
    """Create the Waveforms pane and its controller."""
    pane = WaveformPane()
    return PaneBinding(pane, EventBrowserController(ctx, pane))
