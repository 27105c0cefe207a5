"""Replay a saved calibration session headless: reduce, run the steps, build the constants.

What to use when
----------------
- ``replay(session, run_overrides=None, ...)``: the constants document of the session, on its
  own runs or on new ones (``run_overrides``: role -> raw file). This is what
  ``larcal session run`` does. ``replay_steps`` returns the step results as well.
- ``STEP_FUNCTIONS``: where each calibration step's ``compute_<step>(inputs, settings)`` lives.
- ``step_warnings(result)``: the warnings of the fits in one step result (poor fit, fit not
  valid); a replay collects them in ``ReplayOutcome.warnings``.

Order: SPE gains (``spe``; recomputed when asked, see ``replay``), reduction of each run whose
RQ file is missing or does not belong to its raw file (written as ``<stem>_rq.h5`` beside the
raw file like the GUI does, or in ``rq_dir``), then every step that has settings in the
session, in workflow order (peak fits, half-life, delay, components A and B, linearity), each
with exactly the settings the GUI stored, so the numbers equal the GUI's. HPGe results are
carried over from the session as recorded in the GUI (they are not recomputed headless).
"""

from __future__ import annotations

import dataclasses
import importlib
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from analysis_core.constants import build_constants, run_input
from analysis_core.constants.build import STEP_ORDER
from analysis_core.errors import CalibrationError, LarcalError, RQFormatError
from analysis_core.progress import CancelToken, ProgressFn, check_cancel
from analysis_core.session.model import CalibrationSession, SessionRun
from analysis_core.steps import ROLES, StepInputs

__all__ = [
    "STEP_FUNCTIONS",
    "ReplayOutcome",
    "constants_for",
    "replay",
    "replay_steps",
    "rq_path_beside",
    "step_function",
    "step_warnings",
]

log = logging.getLogger(__name__)

#: Step name -> (module, function) of its STEP-CONTRACT function.
STEP_FUNCTIONS: dict[str, tuple[str, str]] = {
    "spe": ("analysis_core.spe", "compute_spe"),
    "peak_fit": ("analysis_core.fitting.peak_step", "compute_peak_fit"),
    "halflife": ("analysis_core.fitting.timing_steps", "compute_halflife"),
    "delay": ("analysis_core.fitting.timing_steps", "compute_delay"),
    "components_a": ("analysis_core.components.analysis_a", "compute_components_a"),
    "components_b": ("analysis_core.components.analysis_b", "compute_components_b"),
    "linearity": ("analysis_core.linearity", "compute_linearity"),
}

#: Roles whose runs are reduced (the LED run is only read as waveforms by the SPE step).
REDUCED_ROLES = ("background", "kr", "co57", "am241")


@dataclass(frozen=True)
class ReplayOutcome:
    """Everything a replay produced.

    Attributes
    ----------
    constants : dict
        The calibration-constants document.
    results : dict
        Step results by step name.
    session : CalibrationSession
        The session as replayed (overridden runs, RQ paths used, gains after SPE).
    reduced : tuple of str
        Roles whose runs were reduced during the replay.
    failed : dict of str to str
        Steps that raised (only with ``strict=False``) and why; they have no result.
    warnings : dict of str to str
        Steps whose fits warn (``FitResult.extra["warning"]``, e.g. a poor chi2) or are not
        valid, and the warnings ("; "-joined), see ``step_warnings``.
    """

    constants: dict[str, Any]
    results: dict[str, Any] = field(default_factory=dict)
    session: CalibrationSession | None = None
    reduced: tuple[str, ...] = ()
    failed: dict[str, str] = field(default_factory=dict)
    warnings: dict[str, str] = field(default_factory=dict)


def step_function(step: str) -> Callable[[StepInputs, Mapping[str, Any]], Any]:
    """Return ``compute_<step>``; ``CalibrationError`` when this version lacks it."""
    try:
        module, name = STEP_FUNCTIONS[step]
        return getattr(importlib.import_module(module), name)
    except (KeyError, ImportError, AttributeError):
        raise CalibrationError(f"step {step!r} of the session is not available") from None


def _fits(obj: Any, depth: int = 0) -> list[tuple[str, Any]]:
    """Return ``(label, FitResult)`` of every fit inside a step result (fields, dicts)."""
    from analysis_core.fitting.result import FitResult

    if isinstance(obj, FitResult):
        return [("", obj)]
    if depth >= 4:
        return []
    if isinstance(obj, Mapping):
        items = [(str(k), v) for k, v in obj.items()]
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        items = [(f.name, getattr(obj, f.name)) for f in dataclasses.fields(obj)]
    elif isinstance(obj, list | tuple):
        items = [(str(i), v) for i, v in enumerate(obj)]
    else:
        return []
    found = []
    for key, value in items:
        if key == "settings":
            continue
        for label, fit in _fits(value, depth + 1):
            found.append((f"{key}.{label}" if label else key, fit))
    return found


def step_warnings(result: Any) -> str | None:
    """Return the warnings of the fits in a step result ("; "-joined), or None.

    A fit warns with ``extra["warning"]`` (e.g. "poor fit: chi2/ndf = ...") or when it is not
    valid (its ``message``). Each is prefixed with where the fit is in the result (e.g.
    ``peaks.kr.fit``) when the result holds more than one fit.
    """
    fits = _fits(result)
    texts = []
    for label, fit in fits:
        where = f"{label.removesuffix('.fit')}: " if len(fits) > 1 and label else ""
        if not fit.valid:
            texts.append(f"{where}fit not valid: {fit.message or 'no reason given'}")
        elif fit.extra.get("warning"):
            texts.append(f"{where}{fit.extra['warning']}")
    return "; ".join(dict.fromkeys(texts)) or None


def rq_path_beside(raw_path: str | os.PathLike[str]) -> Path:
    """``<stem>_rq.h5`` beside the raw file (where the GUI writes reductions)."""
    p = Path(raw_path)
    return p.with_name(f"{p.stem}_rq.h5")


def _matching_rq(raw_path: str | None, rq_path: str | None) -> Any:
    """Read ``rq_path`` if it exists and belongs to ``raw_path`` (size and rows), else None."""
    from analysis_core.rawfile import RawFile
    from analysis_core.rqfile import read_rq

    if not rq_path or not os.path.isfile(rq_path):
        return None
    try:
        table = read_rq(rq_path)
    except RQFormatError as exc:
        log.warning("%s", exc)
        return None
    if raw_path is None:
        return table
    if not os.path.isfile(raw_path):
        return None
    size = table.metadata.get("input_size_bytes")
    if isinstance(size, int) and size != os.path.getsize(raw_path):
        return None
    with RawFile(raw_path) as raw:
        return table if len(table) == raw.n_events else None


def _config(session: CalibrationSession, raw_path: str) -> Any:
    from analysis_core.rawfile import RawFile
    from analysis_core.reduction import ReductionConfig

    params = dict(session.reduction or {})
    params.pop("spe_gain_adc_ns", None)
    gains = session.gains.get(session.active_gain_analysis)
    if gains is not None:
        with RawFile(raw_path) as raw:
            names = list(raw.channel_names)
        by_name = {"top": gains[0], "bottom": gains[1]}
        ordered = [by_name[n] for n in names] if set(names) <= set(by_name) else list(gains)
        params["spe_gain_adc_ns"] = tuple(ordered)
    return ReductionConfig.from_dict(params)


def _spe_gains(result: Any) -> tuple[dict[str, tuple], dict[str, tuple]]:
    """Return the valid gains and errors by analysis of an SPE step result (``SpeResult``)."""
    gains: dict[str, tuple] = {}
    errors: dict[str, tuple] = {}
    for analysis, part in getattr(result, "analyses", {}).items():
        if part.valid:
            gains[analysis] = tuple(float(g) for g in part.gains_adc_ns[:2])
            errors[analysis] = tuple(float(e) for e in part.errors_adc_ns[:2])
    if not gains:
        raise CalibrationError("the SPE step gave no valid gains to reduce the runs with")
    return gains, errors


def replay_steps(
    session: CalibrationSession,
    run_overrides: Mapping[str, str | os.PathLike[str]] | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
    *,
    session_file: str | os.PathLike[str] | None = None,
    rq_dir: str | os.PathLike[str] | None = None,
    spe: bool | None = None,
    strict: bool = True,
    created_utc: str | None = None,
) -> ReplayOutcome:
    """Replay ``session`` and return the constants with the step results.

    Parameters
    ----------
    session : CalibrationSession
        The saved session.
    run_overrides : mapping, optional
        Role -> raw file replacing the session's run (its RQ file is looked for beside it and
        reduced with the session's gains when absent or stale).
    progress, cancel : optional
        ``progress(done, total)`` over reductions and steps; cancellation between them (and
        inside reductions).
    session_file : path, optional
        Recorded in the constants' provenance.
    rq_dir : path, optional
        Where new reductions are written (created if needed; default: beside each raw file).
    spe : bool, optional
        Recompute the SPE gains with the session's ``spe`` settings: None (default) does it
        whenever the session has ``spe`` settings (the gains were fitted in the GUI: the fit
        is deterministic, so unchanged runs give the session's gains again and the constants
        carry the same SPE fit results; a replaced LED or background run gets new gains);
        True always (settings required); False never (the session's gains are used).
    strict : bool
        True (default): a step that raises stops the replay. False: it is left without a
        result (as in the GUI when its fit failed), reported in ``ReplayOutcome.failed``, and
        the later steps run without it.
    created_utc : str, optional
        Creation date of the constants (default: now).

    Raises
    ------
    CalibrationError
        Unknown role, missing run file, or (``strict``) a step that raised, naming the step.
    Cancelled
        If ``cancel`` was set.
    """
    overrides = {k: str(Path(v).resolve()) for k, v in (run_overrides or {}).items()}
    for role in overrides:
        if role not in ROLES:
            raise CalibrationError(f"unknown run role {role!r}; expected one of {ROLES}")
    runs = dict(session.runs)
    for role, raw in overrides.items():
        runs[role] = SessionRun(raw, None)
    for role, run in runs.items():
        if run.raw_path and not os.path.isfile(run.raw_path):
            raise CalibrationError(f"{run.raw_path}: raw file of the {role!r} run not found")
    steps = [s for s in STEP_ORDER if s in session.settings and s != "spe"]
    do_spe = spe if spe is not None else "spe" in session.settings
    total = len(REDUCED_ROLES) + len(steps) + (1 if do_spe else 0)
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    raw_paths = {r: run.raw_path for r, run in runs.items() if run.raw_path}
    results: dict[str, Any] = {}
    if do_spe:
        check_cancel(cancel)
        spe_result = _run_step("spe", StepInputs(raw_paths=raw_paths), session.settings)
        results["spe"] = spe_result
        gains, errors = _spe_gains(spe_result)
        session = replace(
            session, gains={**session.gains, **gains}, gain_errors={**session.gain_errors, **errors}
        )
        tick()
    tables: dict[str, Any] = {}
    reduced: list[str] = []
    for role in REDUCED_ROLES:
        check_cancel(cancel)
        run = runs.get(role)
        if run is None:
            tick()
            continue
        rq_path = None if role in overrides else run.rq_path
        if rq_path is None and run.raw_path:
            rq_path = str(rq_path_beside(run.raw_path))
        table = _matching_rq(run.raw_path, rq_path)
        check_gains = do_spe or role in overrides or run.rq_path is None
        if check_gains and table is not None and not _same_gains(table, session):
            table = None
        if table is None and run.raw_path:
            table, rq_path = _reduce(session, role, run.raw_path, rq_dir, cancel)
            reduced.append(role)
        if table is None:
            raise CalibrationError(f"the {role!r} run has neither a usable RQ file nor a raw file")
        tables[role] = table
        runs[role] = SessionRun(run.raw_path, rq_path)
        tick()
    if "led" in runs and runs["led"].rq_path:
        led_table = _matching_rq(runs["led"].raw_path, runs["led"].rq_path)
        if led_table is not None:
            tables["led"] = led_table
    cuts = None
    if session.cuts is not None:
        from analysis_core.cuts import CutSet

        cuts = CutSet.from_dict(session.cuts)
    failed: dict[str, str] = {}
    for step in steps:
        check_cancel(cancel)
        inputs = StepInputs(
            rq=tables,
            raw_paths=raw_paths,
            cuts=cuts,
            gains=session.gains,
            results=results,
            gain_errors=session.gain_errors,
        )
        try:
            results[step] = _run_step(step, inputs, session.settings)
        except CalibrationError as exc:
            if strict:
                raise
            log.warning("%s", exc)
            failed[step] = str(exc)
        tick()
    session = replace(session, runs=runs)
    constants = constants_for(session, tables, results, session_file, created_utc)
    warnings = {step: text for step, r in results.items() if (text := step_warnings(r))}
    return ReplayOutcome(constants, results, session, tuple(reduced), failed, warnings)


def _same_gains(table: Any, session: CalibrationSession) -> bool:
    used = table.metadata.get("spe_gain_adc_ns")
    gains = session.gains.get(session.active_gain_analysis)
    if not isinstance(used, Mapping) or gains is None:
        return used is None and gains is None
    want = {"top": gains[0], "bottom": gains[1]}
    return all(abs(float(used.get(k, 0.0)) - v) <= 1e-9 * abs(v) for k, v in want.items())


def _reduce(
    session: CalibrationSession,
    role: str,
    raw_path: str,
    rq_dir: str | os.PathLike[str] | None,
    cancel: CancelToken | None,
) -> tuple[Any, str]:
    from analysis_core.reduction import reduce_file

    out = rq_path_beside(raw_path)
    if rq_dir is not None:
        Path(rq_dir).mkdir(parents=True, exist_ok=True)
        out = Path(rq_dir) / out.name
    log.info("reducing the %s run %s -> %s", role, raw_path, out)
    table = reduce_file(raw_path, out, _config(session, raw_path), cancel=cancel)
    return table, str(out)


def _run_step(step: str, inputs: StepInputs, settings: Mapping[str, Any]) -> Any:
    fn = step_function(step)
    try:
        return fn(inputs, dict(settings.get(step, {})))
    except LarcalError as exc:
        raise CalibrationError(f"step {step!r}: {exc}") from exc


def constants_for(
    session: CalibrationSession,
    tables: Mapping[str, Any],
    results: Mapping[str, Any],
    session_file: str | os.PathLike[str] | None = None,
    created_utc: str | None = None,
) -> dict[str, Any]:
    """Build the constants of a calibration state (the GUI's Export pane calls this too).

    ``tables`` are the RQ tables by role; ``session.runs`` gives the files.
    """
    runs = [
        run_input(role, session.runs[role].raw_path, session.runs[role].rq_path, tables.get(role))
        for role in ROLES
        if role in session.runs
    ]
    hpge = (session.hpge or {}).get("results")
    return build_constants(
        gains=session.gains,
        gain_errors=session.gain_errors,
        active_analysis=session.active_gain_analysis,
        results=results,
        cuts=session.cuts,
        runs=runs,
        hpge=hpge,
        session_file=session_file,
        created_utc=created_utc,
    )


def replay(
    session: CalibrationSession,
    run_overrides: Mapping[str, str | os.PathLike[str]] | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
    **options: Any,
) -> dict[str, Any]:
    """Replay ``session`` and return the calibration-constants document.

    Same parameters as ``replay_steps`` (``session_file``, ``rq_dir``, ``spe``, ``strict``,
    ``created_utc`` as keywords).
    """
    return replay_steps(session, run_overrides, progress, cancel, **options).constants
