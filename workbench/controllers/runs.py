"""Runs controller: the run list, opening files, and reduction jobs started from the GUI.

What to use when
----------------
- ``build(ctx)`` is the pane's entry in ``workbench.registry``.
- ``RunsController.reduce(path)`` reduces a run in a job (``reduce_file``: atomic, cancellable);
  on success the RQ table is attached to the run ("reduced"), on cancel nothing is written.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

from PySide6.QtCore import QObject, QSignalBlocker, Slot

from analysis_core.progress import CancelToken, ProgressFn
from analysis_core.reduction import ReductionConfig, reduce_file
from analysis_core.rqfile import RQTable
from widgets.run_list import RunRow, format_duration_s
from workbench.context import AppContext
from workbench.panes.runs import RunsPane
from workbench.registry import PaneBinding
from workbench.run_loading import rq_path_for
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


def reduce_run(
    raw_path: str,
    rq_path: str,
    config: ReductionConfig,
    *,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> RQTable:
    """Reduce ``raw_path`` to ``rq_path`` (runs in a worker; opens its own files)."""
    return reduce_file(raw_path, rq_path, config, progress=progress, cancel=cancel)


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
        self._reducing: dict[int, str] = {}  # job id -> run path
        self._state.runs_changed.connect(self._on_runs_changed)
        self._state.current_run_changed.connect(self._on_current_run_changed)
        ctx.jobs.job_progress.connect(self._on_job_progress)
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
        if path in self._reducing.values():
            self._ctx.notifier.warning("Close run", f"{path}: still being reduced; cancel first")
            return
        self._state.remove_run(path)

    @Slot(str)
    def reduce(self, path: str) -> None:
        """Reduce the run ``path`` to ``<stem>_rq.h5`` in a job with progress and cancel."""
        if path in self._reducing.values():
            self._ctx.notifier.info(f"{Path(path).name} is already being reduced")
            return
        rq_path = str(rq_path_for(path))
        handle = self._ctx.jobs.submit(
            reduce_run,
            path,
            rq_path,
            self._state.reduction_config,
            hooks=True,
            title=f"Reducing {Path(path).name}",
            on_done=functools.partial(self._on_reduced, path, rq_path),
            on_error=functools.partial(self._on_reduce_stopped, path, ""),
            on_cancelled=functools.partial(
                self._on_reduce_stopped, path, "cancelled; no RQ file written"
            ),
        )
        if handle.is_running:  # an inline runner has already finished it
            self._reducing[handle.job_id] = path
            self._state.set_activity(path, "reducing…")

    # ------------------------------------------------------------------ job callbacks
    @Slot(int, int, int)
    def _on_job_progress(self, job_id: int, done: int, total: int) -> None:
        path = self._reducing.get(job_id)
        if path is not None and total > 0:
            self._state.set_activity(path, f"reducing {100 * done // total} %")

    def _forget(self, path: str) -> None:
        self._reducing = {j: p for j, p in self._reducing.items() if p != path}
        self._state.set_activity(path, "")

    def _on_reduced(self, path: str, rq_path: str, table: RQTable) -> None:
        self._forget(path)
        if path not in self._state.runs:
            return  # closed meanwhile; the file is written all the same
        self._state.set_rq(path, table, rq_path)
        self._ctx.notifier.info(f"Reduced {Path(path).name}: {len(table):,} events → {rq_path}")

    def _on_reduce_stopped(self, path: str, why: str, *_: object) -> None:
        self._forget(path)
        if why:
            self._ctx.notifier.info(f"Reduction of {Path(path).name} {why}")


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
