"""Helpers shared by the fit steps (peak, half-life, delay): settings checks and event selection.

What to use when
----------------
- ``check_settings(step, settings, allowed)``: reject unknown keys (typos would otherwise be
  silently ignored in a replayed session) with a ``CalibrationError`` naming the step.
- ``selection(inputs, role, apply_cuts)``: the RQ table of ``role`` and the mask of rows
  passing ``inputs.cuts`` (all rows when there are no cuts or ``apply_cuts`` is false).
- ``column(table, name)``: one column as float, with a ``CalibrationError`` naming the run.
- ``table_name(table)``: the file behind a table, for messages.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from analysis_core.errors import CalibrationError
from analysis_core.rqfile import RQTable
from analysis_core.steps import StepInputs

__all__ = ["check_range", "check_settings", "column", "selection", "table_name"]


def table_name(table: Any) -> str:
    """Return the file of an RQ table (or its run id) for messages."""
    meta = getattr(table, "metadata", {}) or {}
    for key in ("rq_path", "input_path"):
        if isinstance(meta.get(key), str):
            return str(meta[key])
    run = meta.get("run", {}) if isinstance(meta.get("run"), Mapping) else {}
    return str(run.get("run_id", "RQ table"))


def check_settings(step: str, settings: Mapping[str, Any], allowed: Iterable[str]) -> None:
    """Raise ``CalibrationError`` when ``settings`` has keys outside ``allowed``."""
    allowed = set(allowed)
    unknown = sorted(set(settings) - allowed)
    if unknown:
        raise CalibrationError(
            f"{step} settings: unknown key(s) {', '.join(map(repr, unknown))}; "
            f"known: {', '.join(sorted(allowed))}"
        )


def check_range(step: str, key: str, value: Any) -> tuple[float, float]:
    """Return ``(lo, hi)`` from a two-number setting, or raise ``CalibrationError``."""
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError):
        raise CalibrationError(f"{step} settings: {key} must be [lo, hi], got {value!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise CalibrationError(f"{step} settings: {key} must have lo < hi, got [{lo}, {hi}]")
    return lo, hi


def column(table: RQTable, name: str) -> NDArray[np.float64]:
    """Return column ``name`` as float; ``CalibrationError`` naming the run when missing."""
    if name not in table:
        raise CalibrationError(f"{table_name(table)}: the RQ table has no column {name!r}")
    return np.asarray(table[name], dtype=float)


def selection(
    inputs: StepInputs, role: str, apply_cuts: bool = True
) -> tuple[RQTable, NDArray[np.bool_]]:
    """Return the table of ``role`` and the rows passing the cuts."""
    table = inputs.table(role)
    if apply_cuts and inputs.cuts is not None:
        mask = np.asarray(inputs.cuts.mask(table), dtype=bool)
    else:
        mask = np.ones(len(table), dtype=bool)
    return table, mask


def check_same_gains(table: RQTable, other: RQTable, what: str, rel_tol: float = 1e-9) -> None:
    """Refuse to combine PE columns of two runs reduced with different SPE gains.

    Parameters
    ----------
    table, other : RQTable
        The run analysed and the run combined with it (background, template, ...).
    what : str
        What ``other`` is used for, for the message (e.g. ``"background"``).
    rel_tol : float
        Relative difference of a PMT's gain tolerated (rounding of stored metadata).

    Raises
    ------
    CalibrationError
        When the units differ, or both are in PE with different gains, naming both runs.
    """
    if table.pe_units != other.pe_units:
        raise CalibrationError(
            f"{table_name(other)}: {what} run is in {other.pe_units}, {table_name(table)} in "
            f"{table.pe_units}; reduce both with the same gains"
        )
    gains, gains_other = (t.metadata.get("spe_gain_adc_ns") or {} for t in (table, other))
    for pmt in sorted(set(gains) | set(gains_other)):
        a, b = gains.get(pmt), gains_other.get(pmt)
        if a is None or b is None or not math.isclose(float(a), float(b), rel_tol=rel_tol):
            raise CalibrationError(
                f"{table_name(other)}: {what} run reduced with SPE gain {pmt} = {b}, "
                f"{table_name(table)} with {a} ADC*ns per PE; reduce both with the same gains"
            )
