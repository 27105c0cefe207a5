"""Long work off the GUI thread: ``Job``, ``JobSignals`` and ``JobRunner``.

What to use when
----------------
- ``JobRunner.submit(fn, *args, title=..., on_done=...)`` from a controller for anything that may
  take longer than a frame (file I/O, reduction, fits, JIT compilation). ``fn`` runs in a pool
  thread; ``on_done(result)``, ``on_error(message)`` and ``on_cancelled()`` run later in the GUI
  thread. With ``hooks=True`` the callable also receives ``progress=`` and ``cancel=`` keywords
  (the ``analysis_core.progress`` protocol).
- ``key=``: jobs that recompute the same thing (the view of the current event) share a key; a
  newer submission cancels the older one and the older result is dropped (generation numbers).
- ``title=None`` makes a quiet job: it does not appear in the status bar (per-event work) and
  runs in a separate pool, so long titled jobs (reductions, simulations) occupying every
  thread never stall interactive updates.
- ``JobRunner(inline=True)``: run every job synchronously in ``submit`` (deterministic tests).

The worker never touches widgets: it only emits ``JobSignals``, which are connected to bound
``@Slot`` methods of a GUI-thread ``JobHandle`` (never lambdas: PySide6 thread affinity).
Exceptions in the worker are logged with their traceback and reported through ``failed``.
"""

from __future__ import annotations

import itertools
import logging
import time
import weakref
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from analysis_core.errors import LarcalError
from analysis_core.progress import Cancelled, EventCancelToken

__all__ = ["Job", "JobHandle", "JobRunner", "JobSignals", "describe_exception"]

log = logging.getLogger(__name__)

#: Progress is emitted at most this often (seconds), plus always for the last unit.
PROGRESS_INTERVAL_S = 0.05


def describe_exception(exc: BaseException) -> str:
    """Return a one-line, user-facing description of ``exc``.

    Core errors already read ``"path: fault"``; anything else is prefixed with its type, since
    it is a bug rather than bad input and the type helps the report.
    """
    if isinstance(exc, LarcalError):
        return str(exc)
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class JobSignals(QObject):
    """Signals a ``Job`` emits from its worker thread.

    Signals
    -------
    progress(int, int)
        ``done, total`` units, throttled to about 20 Hz.
    finished(object)
        The return value of the callable.
    failed(str)
        One-line description of the exception (traceback is logged).
    cancelled()
        The job stopped because it was cancelled.
    """

    progress = Signal(int, int)
    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal()


class Job(QRunnable):
    """A callable run once in a pool thread.

    Parameters
    ----------
    fn : callable
        The work; must not touch widgets.
    args, kwargs : tuple, dict
        Its arguments.
    hooks : bool
        Pass ``progress=`` and ``cancel=`` keyword arguments to ``fn``.
    """

    def __init__(
        self,
        fn: Callable[..., Any],
        args: tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
        *,
        hooks: bool = False,
    ) -> None:
        super().__init__()
        # Python keeps the object alive (JobHandle holds it); Qt must not delete it under us.
        self.setAutoDelete(False)
        self.signals = JobSignals()
        self.token = EventCancelToken()
        self._fn = fn
        self._args = args
        self._kwargs = dict(kwargs or {})
        self._hooks = hooks
        self._last_progress = 0.0

    def cancel(self) -> None:
        """Ask the job to stop at its next cancellation check (thread safe)."""
        self.token.cancel()

    def _report(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self._last_progress < PROGRESS_INTERVAL_S:
            return
        self._last_progress = now
        self.signals.progress.emit(int(done), int(total))

    def run(self) -> None:
        """Run the callable and emit exactly one of finished, failed or cancelled."""
        if self.token.is_cancelled():
            self.signals.cancelled.emit()
            return
        kwargs = dict(self._kwargs)
        if self._hooks:
            kwargs.update(progress=self._report, cancel=self.token)
        try:
            result = self._fn(*self._args, **kwargs)
        except Cancelled:
            self.signals.cancelled.emit()
        except Exception as exc:
            name = getattr(self._fn, "__qualname__", repr(self._fn))
            if isinstance(exc, LarcalError):
                log.warning("job %s failed: %s", name, exc)
            else:
                log.exception("job %s raised", name)
            self.signals.failed.emit(describe_exception(exc))
        else:
            self.signals.finished.emit(result)


class JobHandle(QObject):
    """GUI-thread end of one job: receives its signals and calls the callbacks.

    Created by ``JobRunner.submit``; keep it to ``cancel()`` the job or read ``job_id``.
    """

    def __init__(
        self,
        runner: JobRunner,
        job: Job,
        job_id: int,
        *,
        title: str | None,
        key: str | None,
        on_done: Callable[[Any], None] | None,
        on_error: Callable[[str], None] | None,
        on_cancelled: Callable[[], None] | None,
    ) -> None:
        super().__init__(runner)
        self.job = job
        self.job_id = job_id
        self.title = title
        self.key = key
        self.is_running = True
        # A child holding a strong reference to its Python-owned parent makes deleteLater()
        # free the parent's wrapper in the middle of the child's destruction (double delete).
        self._runner_ref = weakref.ref(runner)
        self._on_done = on_done
        self._on_error = on_error
        self._on_cancelled = on_cancelled
        job.signals.progress.connect(self._on_job_progress)
        job.signals.finished.connect(self._on_job_finished)
        job.signals.failed.connect(self._on_job_failed)
        job.signals.cancelled.connect(self._on_job_cancelled)

    def cancel(self) -> None:
        """Request cancellation; ``on_cancelled`` runs once the worker has stopped."""
        self.job.cancel()

    @property
    def _runner(self) -> JobRunner:
        runner = self._runner_ref()
        if runner is None:  # pragma: no cover  (handles are children of their runner)
            raise RuntimeError("the JobRunner of this job was deleted")
        return runner

    @property
    def is_superseded(self) -> bool:
        """Return True when a newer job with the same key was submitted."""
        return self._runner.is_superseded(self)

    def _call(self, fn: Callable[..., None] | None, *args: Any) -> None:
        if fn is None:
            return
        try:
            fn(*args)
        except Exception as exc:
            # A bug in result handling must reach the user, not vanish in the event loop.
            log.exception("callback of job %s raised", self.title or self.job_id)
            self._runner.report_failure(self, describe_exception(exc))

    @Slot(int, int)
    def _on_job_progress(self, done: int, total: int) -> None:
        if self.is_running and not self.is_superseded:
            self._runner.job_progress.emit(self.job_id, done, total)

    @Slot(object)
    def _on_job_finished(self, result: object) -> None:
        if not self.is_running:  # released by shutdown()
            return
        superseded = self.is_superseded
        self._runner.release(self)
        if superseded:
            log.debug("dropping result of superseded job %s", self.job_id)
            return
        self._call(self._on_done, result)

    @Slot(str)
    def _on_job_failed(self, message: str) -> None:
        if not self.is_running:
            return
        superseded = self.is_superseded
        self._runner.release(self)
        if superseded:
            return
        self._runner.report_failure(self, message)
        self._call(self._on_error, message)

    @Slot()
    def _on_job_cancelled(self) -> None:
        if not self.is_running:
            return
        superseded = self.is_superseded
        self._runner.release(self)
        if not superseded:
            self._call(self._on_cancelled)


class JobRunner(QObject):
    """Runs ``Job`` objects in its own ``QThreadPool`` and tracks them.

    Parameters
    ----------
    inline : bool
        Run jobs synchronously inside ``submit`` (tests); signals then arrive before it returns.
    max_threads : int, optional
        Pool size (default: Qt's ideal thread count).
    parent : QObject, optional
        Qt parent.

    Signals
    -------
    job_started(int, str)
        ``job_id, title`` of a job with a title (quiet jobs are not announced).
    job_progress(int, int, int)
        ``job_id, done, total``.
    job_ended(int)
        A titled job left the runner (finished, failed or cancelled).
    job_failed(str, str)
        ``title, message`` of any failed job (for the notification area).
    """

    job_started = Signal(int, str)
    job_progress = Signal(int, int, int)
    job_ended = Signal(int)
    job_failed = Signal(str, str)

    def __init__(
        self, *, inline: bool = False, max_threads: int | None = None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.inline = inline
        self.pool = QThreadPool(self)  # titled, long jobs
        self.quick_pool = QThreadPool(self)  # quiet, interactive jobs
        if max_threads is not None:
            for pool in (self.pool, self.quick_pool):
                pool.setMaxThreadCount(max(1, int(max_threads)))
        self._ids = itertools.count(1)
        self._live: dict[int, JobHandle] = {}
        self._latest: dict[str, int] = {}

    def submit(
        self,
        fn: Callable[..., Any],
        /,
        *args: Any,
        title: str | None = None,
        key: str | None = None,
        hooks: bool = False,
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[str], None] | None = None,
        on_cancelled: Callable[[], None] | None = None,
        **kwargs: Any,
    ) -> JobHandle:
        """Run ``fn(*args, **kwargs)`` off the GUI thread and return its handle.

        Parameters
        ----------
        fn : callable
            The work. It must not touch widgets or GUI-thread objects (h5py handles included).
        title : str, optional
            Shown in the status bar while running; None for a quiet job.
        key : str, optional
            Coalescing key: a newer job with the same key cancels this one and drops its result.
        hooks : bool
            Pass ``progress=`` and ``cancel=`` to ``fn``.
        on_done, on_error, on_cancelled : callable, optional
            GUI-thread callbacks (bound methods). Failures are also announced by ``job_failed``.
        """
        job_id = next(self._ids)
        if key is not None:
            previous = self._latest.get(key)
            self._latest[key] = job_id
            if previous is not None and previous in self._live:
                self._live[previous].cancel()
        job = Job(fn, args, kwargs, hooks=hooks)
        handle = JobHandle(
            self,
            job,
            job_id,
            title=title,
            key=key,
            on_done=on_done,
            on_error=on_error,
            on_cancelled=on_cancelled,
        )
        self._live[job_id] = handle
        if title is not None:
            self.job_started.emit(job_id, title)
        if self.inline:
            job.run()
        else:
            (self.pool if title is not None else self.quick_pool).start(job)
        return handle

    def is_superseded(self, handle: JobHandle) -> bool:
        """Return True when a newer job shares ``handle``'s key."""
        return handle.key is not None and self._latest.get(handle.key) != handle.job_id

    def release(self, handle: JobHandle) -> None:
        """Forget a job that has stopped (called by its handle)."""
        if not handle.is_running:
            return
        handle.is_running = False
        self._live.pop(handle.job_id, None)
        if handle.key is not None and self._latest.get(handle.key) == handle.job_id:
            del self._latest[handle.key]
        if handle.title is not None:
            self.job_ended.emit(handle.job_id)
        handle.deleteLater()

    def report_failure(self, handle: JobHandle, message: str) -> None:
        """Announce a failure of ``handle``'s job on ``job_failed``."""
        self.job_failed.emit(handle.title or "Background task", message)

    def active_count(self) -> int:
        """Return the number of jobs submitted and not yet finished, failed or cancelled."""
        return len(self._live)

    def handle(self, job_id: int) -> JobHandle | None:
        """Return the live handle of ``job_id``, if any."""
        return self._live.get(job_id)

    def cancel(self, job_id: int) -> None:
        """Cancel one job by id (no-op when it already ended)."""
        handle = self._live.get(job_id)
        if handle is not None:
            handle.cancel()

    def cancel_all(self) -> None:
        """Ask every live job to stop."""
        for handle in list(self._live.values()):
            handle.cancel()

    def shutdown(self, timeout_ms: int = 2000) -> bool:
        """Cancel everything and wait for the pools; return True when they drained in time."""
        self.cancel_all()
        drained = True
        for pool in (self.pool, self.quick_pool):
            pool.clear()  # jobs still queued never start
            drained = bool(pool.waitForDone(timeout_ms)) and drained
        for handle in list(self._live.values()):
            self.release(handle)  # late queued signals are ignored from now on
        return drained
