"""Job status controller: the status-bar progress display of running jobs, and Cancel.

What to use when
----------------
- Created by the main window around its ``JobStatusWidget``. It shows the most recently started
  titled job that is still running (with ``+n more`` for the others) and cancels that job when
  the user clicks Cancel. Quiet jobs (no title) never appear.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, Slot

from widgets.job_status import JobStatusWidget
from workbench.jobs import JobRunner

__all__ = ["JobStatusController"]


@dataclass(slots=True)
class _Task:
    title: str
    done: int = 0
    total: int = 0
    cancelling: bool = False


class JobStatusController(QObject):
    """Keeps a ``JobStatusWidget`` in step with a ``JobRunner``.

    Parameters
    ----------
    jobs : JobRunner
        The runner to follow.
    widget : JobStatusWidget
        The display.
    """

    def __init__(self, jobs: JobRunner, widget: JobStatusWidget) -> None:
        super().__init__(widget)
        self._jobs = jobs
        self._widget = widget
        self._running: dict[int, _Task] = {}  # in start order
        jobs.job_started.connect(self._on_job_started)
        jobs.job_progress.connect(self._on_job_progress)
        jobs.job_ended.connect(self._on_job_ended)
        widget.cancel_requested.connect(self._on_cancel_requested)

    @property
    def shown_job(self) -> int | None:
        """Id of the job on display, or None."""
        return next(reversed(self._running), None)

    def _refresh(self) -> None:
        job_id = self.shown_job
        if job_id is None:
            self._widget.finish()
            return
        task = self._running[job_id]
        self._widget.show_task(task.title, task.done, task.total)
        if task.cancelling:
            self._widget.set_cancelling()
        self._widget.set_queue_length(len(self._running) - 1)

    @Slot(int, str)
    def _on_job_started(self, job_id: int, title: str) -> None:
        self._running[job_id] = _Task(title)
        self._refresh()

    @Slot(int, int, int)
    def _on_job_progress(self, job_id: int, done: int, total: int) -> None:
        task = self._running.get(job_id)
        if task is None:
            return
        task.done, task.total = done, total
        if job_id == self.shown_job:
            self._refresh()

    @Slot(int)
    def _on_job_ended(self, job_id: int) -> None:
        if self._running.pop(job_id, None) is not None:
            self._refresh()

    @Slot()
    def _on_cancel_requested(self) -> None:
        job_id = self.shown_job
        if job_id is not None:
            self._running[job_id].cancelling = True
            self._jobs.cancel(job_id)
            self._refresh()
