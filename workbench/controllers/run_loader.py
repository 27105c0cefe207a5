"""Open runs into the session from any source: dialog, drops, command line, demo campaign.

What to use when
----------------
- ``RunLoader.open_files(paths)``: each file is summarised in a job (``load_run``), then added to
  the ``SessionState``. Errors (missing, corrupt, not a raw file) are reported by the job runner
  with the file's name and the fault; other files still open.
- ``RunLoader.open_demo()``: build the demo campaign on first use (simulation, in a job with a
  busy indicator) and open it, selecting the 83mKr run.
"""

from __future__ import annotations

import functools
import logging
import os
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot

from analysis_core.progress import CancelToken, ProgressFn
from workbench.jobs import JobRunner
from workbench.notify import Notifier
from workbench.run_loading import LoadedRun, load_run
from workbench.settings import Settings
from workbench.state import SessionState

__all__ = ["DEMO_SELECTED_RUN", "RunLoader", "prepare_demo_campaign"]

log = logging.getLogger(__name__)

#: File of the demo campaign that becomes current after ``open_demo``.
DEMO_SELECTED_RUN = "kr_run.h5"


def prepare_demo_campaign(
    out_dir: str | None = None,
    *,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> list[Path]:
    """Build (first use) or find the demo campaign; return its raw run files.

    Runs in a worker. The simulator is imported here, not at start-up, because only this
    path needs it.
    """
    from analysis_core.sim.demo import ensure_demo_campaign

    paths = ensure_demo_campaign(out_dir, progress=progress, cancel=cancel)
    return [Path(p) for p in paths if Path(p).suffix.lower() in (".h5", ".hdf5")]


@dataclass(slots=True)
class _Ticket:
    """One requested file: finished once its job ended; ``loaded`` is None if it failed."""

    loaded: LoadedRun | None = None
    finished: bool = False


class RunLoader(QObject):
    """Loads runs with jobs and adds them to the session.

    Parameters
    ----------
    state, jobs, settings, notifier
        The application's shared services.
    parent : QObject, optional
        Qt parent.

    Signals
    -------
    run_loaded(str)
        Path of a run that entered (or was refreshed in) the session.
    """

    run_loaded = Signal(str)

    def __init__(
        self,
        state: SessionState,
        jobs: JobRunner,
        settings: Settings,
        notifier: Notifier,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._state = state
        self._jobs = jobs
        self._settings = settings
        self._notifier = notifier
        self._select_when_loaded: str | None = None
        # Files load in parallel but enter the session in the order they were asked for.
        self._queue: deque[_Ticket] = deque()

    @Slot(list)
    def open_files(
        self, paths: Sequence[str | os.PathLike[str]], select: str | None = None
    ) -> None:
        """Open each file in a job; ``select`` (a path) becomes current once it is loaded.

        Runs enter the session in the order of ``paths`` whatever order their jobs finish in;
        a file that fails is reported (by the job runner) and skipped.
        """
        if select is not None:
            self._select_when_loaded = str(Path(select).resolve())
        for p in paths:
            path = Path(p).resolve()
            ticket = _Ticket()
            self._queue.append(ticket)
            self._jobs.submit(
                load_run,
                path,
                title=f"Opening {path.name}",
                on_done=functools.partial(self._on_ticket_done, ticket),
                on_error=functools.partial(self._on_ticket_failed, ticket),
                on_cancelled=functools.partial(self._on_ticket_failed, ticket, "cancelled"),
            )

    @Slot()
    def open_demo(self, out_dir: str | None = None) -> None:
        """Build the demo campaign if needed (in a job) and open it."""
        self._jobs.submit(
            prepare_demo_campaign,
            out_dir,
            hooks=True,
            title="Preparing the demo campaign (simulated on first use)",
            on_done=self._on_demo_ready,
            on_cancelled=self._on_demo_cancelled,
        )

    def _on_ticket_done(self, ticket: _Ticket, loaded: LoadedRun) -> None:
        ticket.loaded, ticket.finished = loaded, True
        self._flush()

    def _on_ticket_failed(self, ticket: _Ticket, _message: str) -> None:
        ticket.finished = True
        self._flush()

    def _flush(self) -> None:
        while self._queue and self._queue[0].finished:
            loaded = self._queue.popleft().loaded
            if loaded is not None:
                self._on_loaded(loaded)

    def _on_loaded(self, loaded: LoadedRun) -> None:
        info = loaded.info
        self._state.add_run(info, loaded.rq)
        self._settings.add_recent_file(info.path)
        self._settings.set_last_directory(str(Path(info.path).parent))
        if loaded.warning:
            self._notifier.warning(f"Opening {info.name}", loaded.warning)
        else:
            status = "reduced" if loaded.rq is not None else "raw only"
            self._notifier.info(f"Opened {info.name}: {info.n_events:,} events, {status}")
        if self._select_when_loaded == info.path:
            self._select_when_loaded = None
            self._state.set_current_run(info.path)
        self.run_loaded.emit(info.path)

    def _on_demo_cancelled(self) -> None:
        self._notifier.info("Demo campaign cancelled; it is completed on the next request")

    def _on_demo_ready(self, paths: list[Path]) -> None:
        select = next((p for p in paths if p.name == DEMO_SELECTED_RUN), None)
        self.open_files(paths, select=None if select is None else str(select))
