"""The session's observable state: loaded runs, their RQ tables, the current run and event.

What to use when
----------------
- ``SessionState``: one instance, created in ``app.py`` and passed to every controller. Mutate
  it only through its setters; listen to its signals. It holds data, never widgets or files.
- ``RunInfo``: the summary of one raw run shown in the run list (plain values, no file handle).

Later issues extend ``SessionState`` with cuts, calibrations and fit results, each with its own
``<noun>_changed`` signal.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from analysis_core.rawfile import RawFile
from analysis_core.reduction import ReductionConfig
from analysis_core.rqfile import RQTable

if TYPE_CHECKING:  # EventView imports RunInfo from here
    from workbench.event_view import EventView

__all__ = ["RunInfo", "SessionState"]


@dataclass(frozen=True, slots=True)
class RunInfo:
    """Summary of one raw run.

    Attributes
    ----------
    path : str
        Absolute path of the raw file (the run's identity in the session).
    run_id, run_type, start_time_utc : str
        From the file's root attributes.
    n_events, n_samples : int
        Events in the run; samples per channel.
    livetime_s : float
        Live time (stored or derived from the event times).
    channel_names : tuple of str
        Channel names, e.g. ``("top", "bottom")``.
    sample_period_ns : float
        Digitizer sample period.
    trigger_index, adc_bits, polarity : int
        Acquisition parameters.
    rq_path : str or None
        The RQ file whose rows are in use; None while the run is raw only.
    """

    path: str
    run_id: str
    run_type: str
    start_time_utc: str
    n_events: int
    n_samples: int
    livetime_s: float
    channel_names: tuple[str, ...]
    sample_period_ns: float
    trigger_index: int
    adc_bits: int
    polarity: int
    rq_path: str | None = None

    @classmethod
    def from_raw(cls, raw: RawFile, rq_path: str | None = None) -> RunInfo:
        """Summarise an open ``RawFile``."""
        m = raw.metadata
        return cls(
            path=str(Path(raw.path).resolve()),
            run_id=m.run_id,
            run_type=m.run_type,
            start_time_utc=m.start_time_utc,
            n_events=raw.n_events,
            n_samples=raw.n_samples,
            livetime_s=float(raw.livetime_s),
            channel_names=tuple(raw.channel_names),
            sample_period_ns=float(m.sample_period_ns),
            trigger_index=int(m.trigger_index),
            adc_bits=int(m.adc_bits),
            polarity=int(m.polarity),
            rq_path=rq_path,
        )

    @property
    def name(self) -> str:
        """File name without directory."""
        return Path(self.path).name

    @property
    def is_reduced(self) -> bool:
        """True when an RQ table is attached."""
        return self.rq_path is not None

    @property
    def default_rq_path(self) -> str:
        """Where the reduction of this run is written: ``<stem>_rq.h5`` beside the raw file."""
        p = Path(self.path)
        return str(p.with_name(f"{p.stem}_rq.h5"))


class SessionState(QObject):
    """Observable state of a workbench session.

    Parameters
    ----------
    reduction_config : ReductionConfig, optional
        Parameters for on-the-fly reductions (default: ``ReductionConfig()``, no SPE gains).
    parent : QObject, optional
        Qt parent.

    Signals
    -------
    runs_changed()
        A run was added, removed or changed (RQ attached, activity text).
    current_run_changed(str)
        Path of the new current run, ``""`` when none.
    current_event_changed(int)
        Index of the event to show; emitted after every run change too.
    rq_changed(str)
        The RQ table of the run with this path was attached or replaced.
    reduction_config_changed()
        The reduction parameters changed.
    event_view_changed()
        The computed view of the current event (traces and RQ row) was replaced or cleared.
    """

    runs_changed = Signal()
    current_run_changed = Signal(str)
    current_event_changed = Signal(int)
    rq_changed = Signal(str)
    reduction_config_changed = Signal()
    event_view_changed = Signal()

    def __init__(
        self, reduction_config: ReductionConfig | None = None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._runs: dict[str, RunInfo] = {}
        self._rq: dict[str, RQTable] = {}
        self._activity: dict[str, str] = {}
        self._current_run: str | None = None
        self._current_event = 0
        self._reduction_config = reduction_config or ReductionConfig()
        self._event_view: EventView | None = None

    # ------------------------------------------------------------------ runs
    @property
    def runs(self) -> dict[str, RunInfo]:
        """Loaded runs by path, in the order they were opened (a copy)."""
        return dict(self._runs)

    def run(self, path: str) -> RunInfo:
        """Return the run with this path (KeyError when not loaded)."""
        return self._runs[path]

    def add_run(self, info: RunInfo, rq: RQTable | None = None) -> None:
        """Add or replace a run (and its RQ table); it becomes current if none is."""
        self._runs[info.path] = info
        if rq is not None:
            self._rq[info.path] = rq
        else:
            self._rq.pop(info.path, None)
        self.runs_changed.emit()
        self.rq_changed.emit(info.path)
        if self._current_run is None:
            self.set_current_run(info.path)
        elif self._current_run == info.path:
            self._emit_current()

    def remove_run(self, path: str) -> None:
        """Unload a run; the next one (if any) becomes current."""
        if path not in self._runs:
            return
        del self._runs[path]
        self._rq.pop(path, None)
        self._activity.pop(path, None)
        self.runs_changed.emit()
        if self._current_run == path:
            self._current_run = next(iter(self._runs), None)
            self._current_event = 0
            self._emit_current()

    def rq(self, path: str) -> RQTable | None:
        """Return the RQ table attached to a run, if any."""
        return self._rq.get(path)

    def set_rq(self, path: str, table: RQTable, rq_path: str) -> None:
        """Attach the RQ table read from (or written to) ``rq_path`` to the run ``path``."""
        self._runs[path] = replace(self._runs[path], rq_path=rq_path)
        self._rq[path] = table
        self.runs_changed.emit()
        self.rq_changed.emit(path)

    def activity(self, path: str) -> str:
        """Return what is being done to a run right now (e.g. ``"reducing 40 %"``), or ``""``."""
        return self._activity.get(path, "")

    def set_activity(self, path: str, text: str) -> None:
        """Set or clear (``""``) the activity text of a run."""
        if self._activity.get(path, "") == text or path not in self._runs:
            return
        if text:
            self._activity[path] = text
        else:
            self._activity.pop(path, None)
        self.runs_changed.emit()

    # ------------------------------------------------------------------ current run and event
    @property
    def current_run(self) -> str | None:
        """Path of the current run, or None."""
        return self._current_run

    @property
    def current_info(self) -> RunInfo | None:
        """``RunInfo`` of the current run, or None."""
        return self._runs.get(self._current_run) if self._current_run else None

    def set_current_run(self, path: str | None) -> None:
        """Make ``path`` the current run (None for none); the event index resets to 0."""
        if path is not None and path not in self._runs:
            raise KeyError(f"run {path!r} is not loaded")
        if path == self._current_run:
            return
        self._current_run = path
        self._current_event = 0
        self._emit_current()

    def _emit_current(self) -> None:
        self.current_run_changed.emit(self._current_run or "")
        self.current_event_changed.emit(self._current_event)

    @property
    def current_event(self) -> int:
        """Index of the current event in the current run."""
        return self._current_event

    def set_current_event(self, index: int) -> None:
        """Show event ``index``, clamped to the run; emits only on a real change."""
        info = self.current_info
        if info is None or info.n_events == 0:
            return
        index = min(max(int(index), 0), info.n_events - 1)
        if index == self._current_event:
            return
        self._current_event = index
        self.current_event_changed.emit(index)

    # ------------------------------------------------------------------ reduction parameters
    @property
    def reduction_config(self) -> ReductionConfig:
        """Parameters of reductions started in this session."""
        return self._reduction_config

    def set_reduction_config(self, config: ReductionConfig) -> None:
        """Replace the reduction parameters."""
        if config == self._reduction_config:
            return
        self._reduction_config = config
        self.reduction_config_changed.emit()

    # ------------------------------------------------------------------ derived: current event
    @property
    def event_view(self) -> EventView | None:
        """The ``workbench.event_view.EventView`` of the current event, or None."""
        return self._event_view

    def set_event_view(self, view: EventView | None) -> None:
        """Publish the computed view of the current event (None clears it)."""
        if view is self._event_view:
            return
        self._event_view = view
        self.event_view_changed.emit()
