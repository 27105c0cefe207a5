"""Reductions started from the GUI: one service every pane asks (``ctx.reductions``).

What to use when
----------------
- ``ctx.reductions.reduce(path)`` reduces an open run to ``<stem>_rq.h5`` in a job with the
  session's ``reduction_config`` (``reduce_file``: atomic, cancellable, progress). The run's
  activity text follows the progress; on success the RQ table is attached to the run
  (``SessionState.set_rq``), on cancel or error nothing is written and the user is told.
- ``is_reducing(path)``: a reduction of the run is in flight (e.g. refuse to close it).

The Runs pane ("Reduce selected run") and the SPE pane ("Reduce all runs with these gains")
both call it, so the job, progress and error handling are the same whoever asks.
"""

from __future__ import annotations

import functools
from pathlib import Path

from PySide6.QtCore import QObject, Slot

from analysis_core.progress import CancelToken, ProgressFn
from analysis_core.reduction import ReductionConfig, reduce_file
from analysis_core.rqfile import RQTable
from workbench.jobs import JobRunner
from workbench.notify import Notifier
from workbench.run_loading import rq_path_for
from workbench.state import SessionState

__all__ = ["Reductions", "reduce_run"]


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


class Reductions(QObject):
    """Reduction jobs of the open runs.

    Parameters
    ----------
    state : SessionState
        The runs, their reduction parameters and their RQ tables.
    jobs : JobRunner
        Where the reductions run.
    notifier : Notifier
        Tells the user what finished, stopped or was refused.
    parent : QObject, optional
        Qt parent.
    """

    def __init__(
        self,
        state: SessionState,
        jobs: JobRunner,
        notifier: Notifier,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._state, self._jobs, self._notifier = state, jobs, notifier
        self._reducing: dict[int, str] = {}  # job id -> run path
        jobs.job_progress.connect(self._on_job_progress)

    def is_reducing(self, path: str) -> bool:
        """Return True while a reduction of the run ``path`` is in flight."""
        return path in self._reducing.values()

    @Slot(str)
    def reduce(self, path: str) -> None:
        """Reduce the run ``path`` to ``<stem>_rq.h5`` in a job with progress and cancel."""
        if self.is_reducing(path):
            self._notifier.info(f"{Path(path).name} is already being reduced")
            return
        rq_path = str(rq_path_for(path))
        handle = self._jobs.submit(
            reduce_run,
            path,
            rq_path,
            self._state.reduction_config,
            hooks=True,
            title=f"Reducing {Path(path).name}",
            on_done=functools.partial(self._on_reduced, path, rq_path),
            on_error=functools.partial(self._on_stopped, path, ""),
            on_cancelled=functools.partial(self._on_stopped, path, "cancelled; no RQ file written"),
        )
        if handle.is_running:  # an inline runner has already finished it
            self._reducing[handle.job_id] = path
            self._state.set_activity(path, "reducing…")

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
        self._notifier.info(f"Reduced {Path(path).name}: {len(table):,} events → {rq_path}")

    def _on_stopped(self, path: str, why: str, *_: object) -> None:
        self._forget(path)
        if why:
            self._notifier.info(f"Reduction of {Path(path).name} {why}")
