"""What the calibration-step controllers of the Spectrum & fit and Kr timing panes share.

What to use when
----------------
- ``step_inputs(ctx)``: the session as ``StepInputs`` (reduced runs by role, raw paths, cuts,
  SPE gains, earlier results), built in the GUI thread and handed to a job.
- ``inputs_signature(ctx)``: a value that changes when a role, an RQ table or the cut set
  changes; controllers compare it to skip refits on signals that changed nothing for them
  (``runs_changed`` also fires for the activity text of a running reduction).
- ``run_step(fn, inputs, settings)``: call a ``compute_<step>`` function in a job and return a
  ``StepOutcome`` carrying either the result or the plain reason of a ``LarcalError``.
- ``pe_columns(table)``: the columns worth histogramming, ``total_pe`` first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from analysis_core.errors import LarcalError
from analysis_core.steps import StepInputs
from workbench.context import AppContext

__all__ = ["StepOutcome", "inputs_signature", "pe_columns", "run_step", "step_inputs"]


def step_inputs(ctx: AppContext) -> StepInputs:
    """Return the ``StepInputs`` of the session: reduced runs by role, cuts, gains, results."""
    roles = {r: p for r, p in ctx.calib.roles().items() if p}
    rq = {r: t for r, p in roles.items() if (t := ctx.state.rq(p)) is not None}
    gains = {a: g for a in ("A", "B") if (g := ctx.calib.gains(a)) is not None}
    return StepInputs(
        rq=rq, raw_paths=roles, cuts=ctx.calib.cuts, gains=gains, results=ctx.calib.results()
    )


def inputs_signature(ctx: AppContext) -> tuple[Any, ...]:
    """Return what step results depend on besides their settings: runs, tables, cuts."""
    roles = ctx.calib.roles()
    tables = tuple((r, p, id(ctx.state.rq(p)) if p else None) for r, p in sorted(roles.items()))
    return (*tables, id(ctx.calib.cuts))


def pe_columns(table: Any) -> list[str]:
    """Return the PE integral columns of ``table``, ``total_pe`` first."""
    names = [c for c in table if c.endswith("_pe")] if table is not None else []
    names.sort(key=lambda c: (c != "total_pe", c))
    return names or ["total_pe"]


@dataclass(frozen=True)
class StepOutcome:
    """Result of a step job: the settings used and either the result or why there is none."""

    settings: dict[str, Any]
    result: Any = None
    error: str = ""


def run_step(
    fn: Callable[[StepInputs, dict[str, Any]], Any], inputs: StepInputs, settings: dict[str, Any]
) -> StepOutcome:
    """Return ``fn(inputs, settings)`` as a ``StepOutcome`` (``LarcalError`` -> its message)."""
    try:
        return StepOutcome(settings, fn(inputs, settings))
    except LarcalError as exc:
        return StepOutcome(settings, None, str(exc))
