"""Assemble the calibration-constants document from a calibration's gains, results and runs.

What to use when
----------------
- ``build_constants(...)``: the one function the Export pane and ``larcal session run`` call.
- ``run_input(role, raw_path, rq_path, table=None)``: the ``RunInput`` of one run, read from its
  RQ table's metadata (or the raw file when not reduced); SHA-256 of both files are computed
  (and cached per path, size and modification time).
- ``git_commit()``: the commit of the source tree the software runs from, or None.
"""

from __future__ import annotations

import functools
import math
import os
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np

from analysis_core import __version__
from analysis_core.constants.io import json_ready

__all__ = [
    "CONSTANTS_FORMAT",
    "CONSTANTS_VERSION",
    "STEP_ORDER",
    "RunInput",
    "build_constants",
    "git_commit",
    "run_input",
]

CONSTANTS_FORMAT = "larcal-calibration-constants"
CONSTANTS_VERSION = 1

#: Calibration steps in workflow order (the order of ``fit_results`` in the file).
STEP_ORDER = (
    "spe",
    "peak_fit",
    "halflife",
    "delay",
    "components_a",
    "components_b",
    "linearity",
)

#: Energies of the 83mKr lines (keV) reported under ``kr_peaks``.
KR_LINES_KEV = (9.4, 32.1, 41.5)


@dataclass(frozen=True, slots=True)
class RunInput:
    """One run a calibration used.

    Attributes
    ----------
    role : str
        ``led``, ``background``, ``kr``, ``co57`` or ``am241``.
    raw_path, rq_path : str or None
        The raw waveform file and the RQ file in use.
    raw_sha256, rq_sha256 : str or None
        Their SHA-256 (None when the file is absent).
    run_id : str or None
        From the raw file's metadata.
    start_utc, end_utc : str or None
        Run start and last event time (ISO 8601, UTC).
    """

    role: str
    raw_path: str | None
    rq_path: str | None
    raw_sha256: str | None
    rq_sha256: str | None
    run_id: str | None
    start_utc: str | None
    end_utc: str | None


@functools.lru_cache(maxsize=64)
def _sha256_cached(path: str, size: int, mtime_ns: int) -> str | None:
    from analysis_core.reduction.stream import file_sha256

    return file_sha256(path)


def _sha256(path: str | None) -> str | None:
    if not path or not os.path.isfile(path):
        return None
    st = os.stat(path)
    return _sha256_cached(str(Path(path).resolve()), st.st_size, st.st_mtime_ns)


def _end_utc(start: str | None, last_s: float) -> str | None:
    if not start or not math.isfinite(last_s):
        return None
    try:
        t0 = datetime.fromisoformat(start.replace("Z", "+00:00"))
    except ValueError:
        return None
    if t0.tzinfo is None:
        t0 = t0.replace(tzinfo=timezone.utc)
    end = t0 + timedelta(seconds=float(last_s))
    return end.astimezone(timezone.utc).isoformat(timespec="seconds")


def _start_utc(start: str | None) -> str | None:
    return _end_utc(start, 0.0)


def run_input(role: str, raw_path: str | None, rq_path: str | None, table: Any = None) -> RunInput:
    """Describe one input run (metadata from ``table`` if given, else from the raw file)."""
    run_id = start = None
    last_s = float("nan")
    if table is not None:
        meta = table.metadata.get("run", {}) if hasattr(table, "metadata") else {}
        run_id, start = meta.get("run_id"), meta.get("start_time_utc")
        times = np.asarray(table["time_s"], dtype=float) if "time_s" in table else np.array([])
        times = times[np.isfinite(times)]
        last_s = float(times.max()) if times.size else float("nan")
    elif raw_path and os.path.isfile(raw_path):
        from analysis_core.rawfile import RawFile

        with RawFile(raw_path) as raw:
            run_id, start = raw.metadata.run_id, raw.metadata.start_time_utc
            times = raw.event_time_s()
            last_s = float(times[-1]) if len(times) else float("nan")
    return RunInput(
        role,
        None if raw_path is None else str(raw_path),
        None if rq_path is None else str(rq_path),
        _sha256(raw_path),
        _sha256(rq_path),
        None if run_id is None else str(run_id),
        _start_utc(start),
        _end_utc(start, last_s),
    )


@functools.lru_cache(maxsize=1)
def git_commit() -> str | None:
    """Return the git commit of the software's source tree, or None (not a checkout, no git)."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = out.stdout.strip()
    return commit if out.returncode == 0 and len(commit) == 40 else None


def _gains(
    gains: Mapping[str, Sequence[float]], errors: Mapping[str, Sequence[float] | None]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for analysis in ("A", "B"):
        if analysis not in gains:
            continue
        errs = errors.get(analysis) or (None, None)
        out[analysis] = {
            pmt: {"gain_adc_ns": float(g), "gain_err_adc_ns": None if e is None else float(e)}
            for pmt, g, e in zip(("top", "bottom"), gains[analysis], errs, strict=True)
        }
    return out


def _light_yield(fit: Any) -> dict[str, Any]:
    o, w = fit.through_origin, fit.with_offset
    has_w = w.valid
    return {
        "y_pe_per_kev": o["y_pe_per_kev"],
        "y_err_pe_per_kev": fit.y_err_pe_per_kev,
        "y_stat_err_pe_per_kev": fit.y_stat_err_pe_per_kev,
        "y_gain_err_pe_per_kev": fit.y_gain_err_pe_per_kev,
        "chi2_scale": fit.chi2_scale,
        "chi2": o.chi2,
        "ndf": o.ndf,
        "chi2_pvalue": o.extra.get("chi2_pvalue"),
        "gain_systematic": fit.gain_systematic,
        "warnings": list(fit.warnings),
        "with_offset": {
            "valid": has_w,
            "slope_pe_per_kev": w["slope_pe_per_kev"] if has_w else None,
            "slope_err_pe_per_kev": w.error("slope_pe_per_kev") if has_w else None,
            "offset_pe": w["offset_pe"] if has_w else None,
            "offset_err_pe": w.error("offset_pe") if has_w else None,
            "covariance": [list(r) for r in w.covariance] if has_w else [],
            "chi2": w.chi2 if has_w else None,
            "ndf": w.ndf,
        },
        "points": [
            {"energy_kev": p.energy_kev, "pe": p.pe, "pe_err": p.pe_err, "label": p.label}
            for p in fit.points
        ],
    }


def _resolution(res: Any) -> dict[str, Any]:
    a, b, c = res.abc
    x = res.fit.extra
    return {
        "model": "sigma/E = sqrt(a^2/E + b^2 + c^2/E^2), E in keV",
        "a_sqrt_kev": a,
        "b": b,
        "c_kev": c,
        "a_err_sqrt_kev": x.get("a_sqrt_kev_err"),
        "b_err": x.get("b_err"),
        "c_err_kev": x.get("c_kev_err"),
        "covariance_squares": [list(r) for r in res.fit.covariance],
        "valid": res.fit.valid,
        "fitted_terms": list(res.fitted_terms),
        "constrained": res.constrained,
        "chi2": res.fit.chi2,
        "ndf": res.fit.ndf,
    }


def _kr_peaks(linearity: Any) -> list[dict[str, Any]]:
    out = []
    for analysis, fit in linearity.fits.items():
        for p in fit.points:
            if not any(abs(p.energy_kev - e) < 0.1 for e in KR_LINES_KEV):
                continue
            res = p.resolution
            out.append(
                {
                    "energy_kev": p.energy_kev,
                    "analysis": analysis,
                    "pe": p.pe,
                    "pe_err": p.pe_err,
                    "sigma_pe": None if res is None else res * p.pe,
                    "resolution": res,
                    "source": p.label,
                }
            )
    return out


def _result_dict(result: Any) -> dict[str, Any] | None:
    if result is None:
        return None
    if hasattr(result, "to_dict"):
        return json_ready(result.to_dict())
    if isinstance(result, Mapping):
        return json_ready(result)
    return None


def build_constants(
    *,
    gains: Mapping[str, Sequence[float]],
    gain_errors: Mapping[str, Sequence[float] | None] | None = None,
    active_analysis: str = "A",
    results: Mapping[str, Any] | None = None,
    cuts: Any = None,
    runs: Sequence[RunInput] = (),
    hpge: Mapping[str, Any] | None = None,
    session_file: str | os.PathLike[str] | None = None,
    created_utc: str | None = None,
) -> dict[str, Any]:
    """Return the calibration-constants document (JSON-ready, not yet validated).

    Parameters
    ----------
    gains, gain_errors : mapping
        SPE gains ``(top, bottom)`` in ADC x ns per PE and their errors, by analysis.
    active_analysis : str
        The gains the reductions used.
    results : mapping
        Step results by step name (objects with ``to_dict()``); ``"linearity"`` gives the light
        yields, resolution models and Kr peak positions.
    cuts : CutSet, dict or None
        The cut set (stored with its ``to_dict()``).
    runs : sequence of RunInput
        The input runs, for validity and provenance.
    hpge : mapping, optional
        HPGe results (efficiency curve, activity) as JSON-ready data.
    session_file : path, optional
        The session that produced the constants.
    created_utc : str, optional
        Creation date (default: now).
    """
    results = dict(results or {})
    linearity = results.get("linearity")
    starts = sorted(r.start_utc for r in runs if r.start_utc)
    ends = sorted(r.end_utc for r in runs if r.end_utc)
    order = [s for s in STEP_ORDER if s in results] + sorted(set(results) - set(STEP_ORDER))
    fit_results = {s: d for s in order if (d := _result_dict(results[s])) is not None}
    doc = {
        "format": CONSTANTS_FORMAT,
        "format_version": CONSTANTS_VERSION,
        "created_utc": created_utc or datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "spe_gains": {
            "active_analysis": active_analysis,
            "analyses": _gains(gains, gain_errors or {}),
        },
        "light_yield": {}
        if linearity is None
        else {a: _light_yield(f) for a, f in linearity.fits.items()},
        "resolution": {}
        if linearity is None
        else {a: _resolution(r) for a, r in linearity.resolution.items()},
        "kr_peaks": [] if linearity is None else _kr_peaks(linearity),
        "cuts": None if cuts is None else _result_dict(cuts),
        "fit_results": fit_results,
        "hpge": None if hpge is None else json_ready(hpge),
        "validity": {
            "runs": [r.run_id or Path(r.raw_path or "?").name for r in runs],
            "first_run_start_utc": starts[0] if starts else None,
            "last_run_end_utc": ends[-1] if ends else None,
        },
        "provenance": {
            "software": "larcal",
            "software_version": __version__,
            "git_commit": git_commit(),
            "session_file": None if session_file is None else str(Path(session_file).resolve()),
            "inputs": [
                {
                    "role": r.role,
                    "run_id": r.run_id,
                    "raw_path": r.raw_path,
                    "raw_sha256": r.raw_sha256,
                    "rq_path": r.rq_path,
                    "rq_sha256": r.rq_sha256,
                }
                for r in runs
            ],
        },
    }
    return json_ready(doc)
