"""What the event browser shows for one event, computed with the core's own reduction code.

What to use when
----------------
- ``compute_event_view(...)``: from the raw samples of one event, return an ``EventView``: the
  baseline-subtracted traces (``analysis_core.reduction.waveform_traces``, the same math as the
  reduction), the raw samples, the baselines, and the event's RQ row. The row comes from the
  run's RQ table when there is one, else from ``reduce_block`` on this single event, so the
  numbers shown are exactly those a reduction writes. Pure function (no Qt): safe in a worker.
- ``rq_row(table, event)``: the RQ row of an event in a table, or None.
- ``rq_units(pe_units)``: display unit of each RQ column.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from analysis_core.reduction import ReductionConfig, SampleWindows, reduce_block, waveform_traces
from analysis_core.rqfile import RQ_COLUMNS, RQTable
from workbench.state import RunInfo

__all__ = [
    "SOURCE_COMPUTED",
    "SOURCE_RQ_FILE",
    "EventView",
    "compute_event_view",
    "config_for_rq",
    "rq_row",
    "rq_units",
]

log = logging.getLogger(__name__)

SOURCE_RQ_FILE = "rq_file"
SOURCE_COMPUTED = "computed"


@dataclass(frozen=True, slots=True)
class EventView:
    """Everything drawn for one event.

    Attributes
    ----------
    run_path : str
        Raw file of the run.
    event : int
        Event index in the run.
    time_ns : ndarray
        Sample times relative to the trigger.
    traces_adc : dict of str to ndarray
        Baseline-subtracted, positive-going traces per channel and their ``sum``.
    raw_adc : dict of str to ndarray
        Raw samples per channel.
    baselines_adc : dict of str to float
        Baseline per channel (from the RQ row when it has one for the channel).
    rq : dict of str to value
        The event's reduced quantities, in ``RQ_COLUMNS`` order.
    units : dict of str to str
        Display unit of each RQ (``PE`` replaced by ``ADC*ns`` without SPE gains).
    source : str
        ``SOURCE_RQ_FILE`` or ``SOURCE_COMPUTED``.
    rq_path : str or None
        The RQ file the row came from.
    windows_ns : tuple of float
        Integration windows from t0 used for the RQs.
    delayed_after_ns : float
        Start of the delayed-pulse search after t0.
    """

    run_path: str
    event: int
    time_ns: NDArray[np.float64]
    traces_adc: dict[str, NDArray[np.float64]]
    raw_adc: dict[str, NDArray[np.float64]]
    baselines_adc: dict[str, float]
    rq: dict[str, Any]
    units: dict[str, str]
    source: str
    rq_path: str | None = None
    windows_ns: tuple[float, ...] = (35.0, 55.0, 90.0, 240.0)
    delayed_after_ns: float = 152.0
    descriptions: dict[str, str] = field(default_factory=dict)

    @property
    def t0_ns(self) -> float:
        """Pulse onset relative to the trigger (NaN when no pulse was found)."""
        return float(self.rq.get("t0_ns", math.nan))

    @property
    def markers(self) -> dict[str, tuple[float, float]]:
        """Labelled points on the summed trace: prompt peak and delayed pulse."""
        t0 = self.t0_ns
        out: dict[str, tuple[float, float]] = {}
        if not math.isfinite(t0):
            return out
        pairs = (
            ("prompt peak", "peak_time_ns", "peak_amp_adc"),
            ("delayed pulse", "delayed_time_ns", "delayed_amp_adc"),
        )
        for label, t_col, a_col in pairs:
            t, a = float(self.rq.get(t_col, math.nan)), float(self.rq.get(a_col, math.nan))
            if math.isfinite(t) and math.isfinite(a):
                out[label] = (t0 + t, a)
        return out


def rq_units(pe_units: str) -> dict[str, str]:
    """Return the display unit of every RQ column for tables in ``pe_units``."""
    return {k: (pe_units if unit == "PE" else unit) for k, (_, unit, _) in RQ_COLUMNS.items()}


def rq_row(table: RQTable | None, event: int) -> dict[str, Any] | None:
    """Return the row of ``event`` in ``table`` (by its ``event`` column), or None."""
    if table is None or len(table) == 0:
        return None
    events = table["event"]
    if event < len(events) and int(events[event]) == event:
        i = event
    else:
        hits = np.flatnonzero(events == event)
        if hits.size == 0:
            return None
        i = int(hits[0])
    return {k: table.columns[k][i].item() for k in RQ_COLUMNS if k in table.columns}


def config_for_rq(table: RQTable | None, fallback: ReductionConfig) -> ReductionConfig:
    """Return the reduction parameters recorded in an RQ table's metadata, else ``fallback``.

    The browser draws traces with the parameters that produced the RQs it shows (baseline
    window, capacitive correction), so trace and numbers agree.
    """
    if table is None:
        return fallback
    recorded = table.metadata.get("reduction")
    if not isinstance(recorded, Mapping):
        return fallback
    try:
        return ReductionConfig.from_dict(dict(recorded))
    except (TypeError, ValueError) as exc:
        log.warning("RQ metadata has unusable reduction parameters (%s); using session's", exc)
        return fallback


def compute_event_view(
    info: RunInfo,
    event: int,
    raw_event: NDArray[np.integer],
    event_time_s: float,
    config: ReductionConfig,
    table: RQTable | None = None,
) -> EventView:
    """Compute the traces and RQ row of one event.

    Parameters
    ----------
    info : RunInfo
        The run (acquisition parameters, channel names).
    event : int
        Index of the event.
    raw_event : ndarray, shape (channel, sample)
        Raw samples of the event.
    event_time_s : float
        Trigger time of the event.
    config : ReductionConfig
        Session reduction parameters (used when ``table`` has no row for the event).
    table : RQTable, optional
        The run's RQ table.

    Returns
    -------
    EventView
    """
    raw = np.asarray(raw_event)
    row = rq_row(table, event)
    if row is not None and table is not None:
        cfg = config_for_rq(table, config)
        source, pe_units, rq_path = SOURCE_RQ_FILE, table.pe_units, table.metadata.get("rq_path")
    else:
        cfg = config
        cols = reduce_block(
            raw[np.newaxis],
            sample_period_ns=info.sample_period_ns,
            trigger_index=info.trigger_index,
            adc_bits=info.adc_bits,
            polarity=info.polarity,
            config=cfg,
            first_event=event,
            event_time_s=np.array([event_time_s]),
            channel_names=info.channel_names,
        )
        row = {k: v[0].item() for k, v in cols.items()}
        source, pe_units, rq_path = SOURCE_COMPUTED, cfg.pe_units, None
    windows = SampleWindows.resolve(cfg, info.sample_period_ns, info.trigger_index, raw.shape[-1])
    traces = waveform_traces(
        raw,
        polarity=info.polarity,
        baseline_samples=(windows.baseline_start, windows.baseline_stop),
        capacitive_tau_ns=cfg.capacitive_tau_ns,
        sample_period_ns=info.sample_period_ns,
    )
    names = list(info.channel_names)
    trace_map = {name: traces[i] for i, name in enumerate(names)}
    trace_map["sum"] = traces.sum(axis=0)
    raw_map = {name: raw[i].astype(np.float64) for i, name in enumerate(names)}
    baselines = {}
    for i, name in enumerate(names):
        value = row.get(f"baseline_adc_{name}", math.nan)
        if not math.isfinite(value):
            value = float(raw[i, windows.baseline_start : windows.baseline_stop].mean())
        baselines[name] = float(value)
    time_ns = (np.arange(raw.shape[-1]) - info.trigger_index) * info.sample_period_ns
    return EventView(
        run_path=info.path,
        event=event,
        time_ns=time_ns,
        traces_adc=trace_map,
        raw_adc=raw_map,
        baselines_adc=baselines,
        rq=row,
        units=rq_units(pe_units),
        source=source,
        rq_path=None if rq_path is None else str(rq_path),
        windows_ns=tuple(cfg.windows_ns),
        delayed_after_ns=float(cfg.delayed_after_ns),
        descriptions={k: meaning for k, (_, _, meaning) in RQ_COLUMNS.items()},
    )
