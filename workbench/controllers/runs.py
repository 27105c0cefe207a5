"""Runs controller: the run list, opening files, and reduction jobs started from the GUI.

What to use when
----------------
- ``build(ctx)`` is the pane's entry in ``workbench.registry``.
- ``RunsController.reduce(path)`` asks ``ctx.reductions`` (``workbench.reductions``) to reduce
  a run in a job; on success the RQ table is attached to the run ("reduced").
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, QSignalBlocker, Slot

from widgets.run_list import RunRow, format_duration_s
from workbench.context import AppContext
from workbench.panes.runs import RunsPane
from workbench.registry import PaneBinding
from workbench.state import RunInfo

__all__ = ["RunsController", "build", "run_details", "run_row"]

log = logging.getLogger(__name__)


def run_row(info: RunInfo, activity: str = "") -> RunRow:
    """Return the run-list row of a run."""
    status = activity or ("reduced" if info.is_reduced else "raw only")
    return RunRow(
        key=info.path,
        name=info.name,
        run_type=info.run_type,
        n_events=info.n_events,
        livetime_s=info.livetime_s,
        status=status,
        tooltip=info.path,
    )


def run_details(info: RunInfo) -> str:
    """Return the plain-text details of a run shown under the list."""
    rq = info.rq_path or f"none yet (Reduce writes {Path(info.default_rq_path).name})"
    return (
        f"{info.name}  ·  run {info.run_id or '?'}  ·  {info.run_type}\n"
        f"start {info.start_time_utc}  ·  live time {format_duration_s(info.livetime_s)}\n"
        f"{info.n_events:,} events  ·  channels {', '.join(info.channel_names)}\n"
        f"{info.n_samples} samples × {info.sample_period_ns:g} ns, trigger at sample "
        f"{info.trigger_index}, {info.adc_bits}-bit, polarity {info.polarity:+d}\n"
        f"RQ file: {rq}\n{info.path}"
    )


class RunsController(QObject):
    """Wires the Runs pane to the session, the run loader and reduction jobs.

    Parameters
    ----------
    ctx : AppContext
        Shared services.
    pane : RunsPane
        The view.
    """

    def __init__(self, ctx: AppContext, pane: RunsPane) -> None:
        super().__init__(pane)
        self._ctx = ctx
        self._state = ctx.state
        self._pane = pane
        self._state.runs_changed.connect(self._on_runs_changed)
        self._state.current_run_changed.connect(self._on_current_run_changed)
        pane.run_selected.connect(self._on_run_selected)
        pane.files_dropped.connect(ctx.loader.open_files)
        pane.open_requested.connect(self._on_open_requested)
        pane.demo_requested.connect(ctx.loader.open_demo)
        pane.reduce_requested.connect(self.reduce)
        pane.close_requested.connect(self._on_close_requested)
        pane.recent_requested.connect(self._on_recent_requested)
        pane.clear_recent_requested.connect(self._on_clear_recent_requested)
        ctx.loader.run_loaded.connect(self._on_run_loaded)
        pane.show_recent(ctx.settings.recent_files())
        self._on_runs_changed()

    # ------------------------------------------------------------------ state -> pane
    @Slot()
    def _on_runs_changed(self) -> None:
        rows = [run_row(i, self._state.activity(p)) for p, i in self._state.runs.items()]
        with QSignalBlocker(self._pane):
            self._pane.show_runs(rows)
        self._on_current_run_changed(self._state.current_run or "")

    @Slot(str)
    def _on_current_run_changed(self, path: str) -> None:
        self._pane.show_current(path or None)
        info = self._state.current_info
        self._pane.show_details(run_details(info) if info else "")

    @Slot(str)
    def _on_run_loaded(self, _path: str) -> None:
        self._pane.show_recent(self._ctx.settings.recent_files())

    # ------------------------------------------------------------------ intents
    @Slot(str)
    def _on_run_selected(self, path: str) -> None:
        self._state.set_current_run(path)

    @Slot()
    def _on_open_requested(self) -> None:
        paths = self._pane.ask_open_files(self._ctx.settings.last_directory())
        if paths:
            self._ctx.loader.open_files(paths)

    @Slot(str)
    def _on_recent_requested(self, path: str) -> None:
        self._ctx.loader.open_files([path])

    @Slot()
    def _on_clear_recent_requested(self) -> None:
        self._ctx.settings.clear_recent_files()
        self._pane.show_recent([])

    @Slot(str)
    def _on_close_requested(self, path: str) -> None:
        if self._ctx.reductions.is_reducing(path):
            self._ctx.notifier.warning("Close run", f"{path}: still being reduced; cancel first")
            return
        self._state.remove_run(path)

    @Slot(str)
    def reduce(self, path: str) -> None:
        """Reduce the run ``path`` in a job (``ctx.reductions``)."""
        self._ctx.reductions.reduce(path)


def build(ctx: AppContext) -> PaneBinding:
    """Create the Runs pane and its controller."""
    pane = RunsPane()
    controller = RunsController(ctx, pane)
    return PaneBinding(
        pane,
        controller,
        {
            "File": [
                pane.open_action,
                pane.recent_menu,
                pane.demo_action,
                pane.reduce_action,
                pane.close_action,
            ]
        },
    )
