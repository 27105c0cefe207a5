"""Source activity from gamma lines, combined with the correlated uncertainties handled.

What to use when
----------------
- ``line_activity(line)``: one line. Without a decay constant it is the paper's Eq. (3.1)
  exactly, ``A = N / (eta' mu t Y)``; with ``decay_constant_per_s`` and ``real_time_s`` it is the
  extended form ``A(t_start) = N / (eta' mu t_live Y D)``, ``D = (1 - e^{-lambda t_real}) /
  (lambda t_real)``, dead time entering through the live time.
- ``combine_activities(lines, ...)``: every line and their generalised-least-squares (GLS)
  combination, with the uncertainty budget term by term for each line and for the combined value
  (the squares of the terms add up to the total). Correlations between lines, per term:

  ============== ===============================================================================
  counting       independent
  efficiency     ``efficiency_covariance`` (relative, e.g. ``J C J^T`` of a fitted curve) or a
                 stated correlation coefficient ``efficiency_correlation`` (default 1: all
                 efficiencies read from one curve at nearby energies)
  attenuation    ``attenuation_covariance`` or ``attenuation_correlation`` (default 1: one
                 container measurement gives every mu)
  intensity      independent (each line's own emission-probability uncertainty)
  normalisation  fully correlated (``normalisation_rel_err``, 5.4 % for 83Rb in ENSDF)
  ============== ===============================================================================

  The covariance is built from relative errors times the combined value (not each line's own
  value), which avoids Peelle's-puzzle bias with fully correlated multiplicative errors; the
  weights then depend on relative errors only. The independent inverse-variance mean (what the
  paper's "weighted average" is) is reported beside it for comparison.
- ``ActivityResult.decayed_to(date, half_life_s, half_life_err_s)``: the activity on another
  date, with the half-life term added to the budget.
- ``expected_daughter_activity(result_or_bq, parent, "Kr-83m")``: the 83mKr activity in
  equilibrium, ``0.743 x T_p / (T_p - T_d) x A(83Rb)`` (factor 1.0009).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray

from analysis_core.errors import CalibrationError
from analysis_core.hpge.activity_result import (
    ActivityResult,
    BudgetTerm,
    DaughterActivity,
    LineActivity,
)
from analysis_core.hpge.nuclides import Nuclide, get_nuclide
from analysis_core.hpge.sources import counting_decay_factor

__all__ = [
    "ActivityLineInput",
    "ActivityResult",
    "BudgetTerm",
    "DaughterActivity",
    "LineActivity",
    "combine_activities",
    "expected_daughter_activity",
    "line_activity",
]

TERMS = ("counting", "efficiency", "attenuation", "intensity", "normalisation")


@dataclass(frozen=True, slots=True)
class ActivityLineInput:
    """Inputs of Eq. (3.1) for one gamma line.

    Attributes
    ----------
    energy_kev : float
        Line energy (label only).
    counts, counts_err : float
        Net counts ``N`` in the full-energy peak.
    efficiency, efficiency_err : float
        Full-energy-peak efficiency ``eta'`` without the container.
    intensity, intensity_err : float
        Emission probability ``Y`` (fraction) and its own (independent) uncertainty.
    live_time_s : float
        Counting time ``t`` (live time in the extended form).
    attenuation, attenuation_err : float
        Container transmission ``mu`` (1 without container).
    """

    energy_kev: float
    counts: float
    counts_err: float
    efficiency: float
    efficiency_err: float
    intensity: float
    intensity_err: float
    live_time_s: float
    attenuation: float = 1.0
    attenuation_err: float = 0.0

    def __post_init__(self) -> None:
        for name in ("counts", "efficiency", "intensity", "live_time_s", "attenuation"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v > 0):
                raise CalibrationError(f"line {self.energy_kev} keV: {name} must be > 0, got {v!r}")
        for name in ("counts_err", "efficiency_err", "intensity_err", "attenuation_err"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v >= 0):
                raise CalibrationError(
                    f"line {self.energy_kev} keV: {name} must be >= 0, got {v!r}"
                )

    def rel_errs(self, normalisation_rel_err: float = 0.0) -> dict[str, float]:
        """Return the relative uncertainty of each budget term."""
        return {
            "counting": self.counts_err / self.counts,
            "efficiency": self.efficiency_err / self.efficiency,
            "attenuation": self.attenuation_err / self.attenuation,
            "intensity": self.intensity_err / self.intensity,
            "normalisation": normalisation_rel_err,
        }


def line_activity(
    line: ActivityLineInput,
    *,
    decay_constant_per_s: float = 0.0,
    real_time_s: float | None = None,
    normalisation_rel_err: float = 0.0,
) -> LineActivity:
    """Return ``A = N / (eta' mu t Y D)`` for one line with its budget.

    With ``decay_constant_per_s = 0`` (default) ``D = 1``: the paper's Eq. (3.1). Otherwise
    ``real_time_s`` is required and the result is the activity at the start of the count.
    """
    d = 1.0
    if decay_constant_per_s > 0:
        if real_time_s is None:
            raise CalibrationError("the decay-during-counting factor needs the real time")
        d = counting_decay_factor(decay_constant_per_s, real_time_s)
    a = line.counts / (line.efficiency * line.attenuation * line.live_time_s * line.intensity * d)
    rel = line.rel_errs(normalisation_rel_err)
    budget = tuple(BudgetTerm(k, r, a * r, "") for k, r in rel.items())
    return LineActivity(
        line.energy_kev, a, a * math.sqrt(sum(r * r for r in rel.values())), budget, d
    )


def _term_matrix(
    name: str, rel: NDArray[np.float64], spec: float | NDArray[np.float64] | None
) -> tuple[NDArray[np.float64], str]:
    """Return the relative covariance of one term and a description of its correlation."""
    n = rel.size
    if spec is None:
        return np.diag(rel**2), "independent"
    if np.ndim(spec) == 0:
        rho = float(spec)
        if not -1.0 <= rho <= 1.0:
            raise CalibrationError(f"{name} correlation must be in [-1, 1], got {rho}")
        corr = np.full((n, n), rho)
        np.fill_diagonal(corr, 1.0)
        text = "fully correlated" if rho == 1.0 else "independent" if rho == 0 else f"rho={rho:g}"
        return np.outer(rel, rel) * corr, text
    cov = np.asarray(spec, dtype=float)
    if cov.shape != (n, n):
        raise CalibrationError(f"{name} covariance must be {n}x{n}, got {cov.shape}")
    return 0.5 * (cov + cov.T), "covariance"


def combine_activities(
    lines: Sequence[ActivityLineInput],
    *,
    efficiency_correlation: float = 1.0,
    efficiency_covariance: NDArray[np.float64] | None = None,
    attenuation_correlation: float = 1.0,
    attenuation_covariance: NDArray[np.float64] | None = None,
    normalisation_rel_err: float = 0.0,
    decay_constant_per_s: float = 0.0,
    real_time_s: float | None = None,
    start: datetime | None = None,
    nuclide: str = "",
    library: str = "",
    extra: Mapping[str, Any] | None = None,
) -> ActivityResult:
    """Return the per-line activities and their GLS combination with the budget.

    Parameters
    ----------
    lines : sequence of ActivityLineInput
        One entry per gamma line.
    efficiency_correlation, attenuation_correlation : float
        Correlation coefficient between lines for that term, used when no covariance is given.
    efficiency_covariance, attenuation_covariance : ndarray, optional
        Relative covariance (covariance of ``ln eta'``/``ln mu``) between the lines; its
        diagonal replaces the per-line ``efficiency_err``/``attenuation_err``.
    normalisation_rel_err : float
        Relative intensity uncertainty common to all lines (fully correlated).
    decay_constant_per_s, real_time_s : float
        Give both for the decay-during-counting factor (activity at the count start).
    start : datetime, optional
        Start of the count; sets ``reference_time``.

    Raises
    ------
    CalibrationError
        No lines, bad correlation or covariance shape, or a singular covariance.
    """
    if not lines:
        raise CalibrationError("no lines to compute an activity from")
    per_line = [
        line_activity(
            ln,
            decay_constant_per_s=decay_constant_per_s,
            real_time_s=real_time_s,
            normalisation_rel_err=normalisation_rel_err,
        )
        for ln in lines
    ]
    a = np.array([p.activity_bq for p in per_line])
    rel = {k: np.array([ln.rel_errs(normalisation_rel_err)[k] for ln in lines]) for k in TERMS}
    specs: dict[str, Any] = {
        "counting": None,
        "efficiency": (
            efficiency_covariance if efficiency_covariance is not None else efficiency_correlation
        ),
        "attenuation": (
            attenuation_covariance
            if attenuation_covariance is not None
            else attenuation_correlation
        ),
        "intensity": None,
        "normalisation": 1.0,
    }
    mats, corr_text = {}, {}
    for k in TERMS:
        mats[k], corr_text[k] = _term_matrix(k, rel[k], specs[k])
        rel[k] = np.sqrt(np.clip(np.diag(mats[k]), 0.0, None))
    v = sum(mats.values())
    ones = np.ones(a.size)
    try:
        vinv_1 = np.linalg.solve(v, ones)
    except np.linalg.LinAlgError:
        raise CalibrationError("the covariance of the line activities is singular") from None
    norm = float(ones @ vinv_1)
    if not norm > 0:
        raise CalibrationError("the covariance of the line activities is not positive definite")
    w = vinv_1 / norm
    a_hat = float(w @ a)
    terms = []
    for k in TERMS:
        r = math.sqrt(max(float(w @ mats[k] @ w), 0.0))
        terms.append(BudgetTerm(k, r, a_hat * r, corr_text[k]))
    rel_total = math.sqrt(sum(t.rel_err**2 for t in terms))
    resid = a - a_hat
    chi2 = float(resid @ np.linalg.solve(v * a_hat**2, resid))
    lines_out = []
    for i, p in enumerate(per_line):
        budget = tuple(
            BudgetTerm(k, float(rel[k][i]), p.activity_bq * float(rel[k][i]), corr_text[k])
            for k in TERMS
        )
        err = p.activity_bq * math.sqrt(sum(t.rel_err**2 for t in budget))
        lines_out.append(replace(p, budget=budget, activity_err_bq=err, weight=float(w[i])))
    err_ind = np.array([ln.activity_err_bq for ln in lines_out])
    wi = 1.0 / err_ind**2
    method = "decay-corrected" if decay_constant_per_s > 0 else "eq3.1"
    ref = start
    if start is not None and method == "eq3.1" and real_time_s:
        ref = start + timedelta(seconds=real_time_s / 2.0)
    return ActivityResult(
        lines=tuple(lines_out),
        activity_bq=a_hat,
        activity_err_bq=a_hat * rel_total,
        budget=tuple(terms),
        chi2=chi2,
        ndf=a.size - 1,
        naive_mean_bq=float(np.sum(wi * a) / np.sum(wi)),
        naive_mean_err_bq=float(1.0 / math.sqrt(np.sum(wi))),
        correlations=corr_text,
        method=method,
        reference_time=ref,
        nuclide=nuclide,
        library=library,
        extra=dict(extra or {}),
    )


def expected_daughter_activity(
    parent_activity_bq: float,
    parent_activity_err_bq: float,
    parent: str | Nuclide = "Rb-83",
    daughter: str = "Kr-83m",
) -> DaughterActivity:
    """Return the daughter activity in transient equilibrium with the parent.

    ``A_d = b * T_p / (T_p - T_d) * A_p`` with ``b`` the branching ratio to the daughter and the
    half-lives from the nuclear data (83Rb -> 83mKr: 0.743 x 1.0009). The branching uncertainty is
    added when the table quotes one.
    """
    nuc = parent if isinstance(parent, Nuclide) else get_nuclide(parent)
    d = nuc.daughter(daughter)
    t_p, t_d = nuc.half_life_s, get_nuclide(d.name).half_life_s
    if not t_d < t_p:
        raise CalibrationError(f"{d.name} does not reach equilibrium with {nuc.name}")
    factor = t_p / (t_p - t_d)
    a = d.branching * factor * parent_activity_bq
    b_rel = d.branching_err / d.branching if math.isfinite(d.branching_err) else 0.0
    err = a * math.hypot(parent_activity_err_bq / parent_activity_bq, b_rel)
    return DaughterActivity(d.name, a, err, d.branching, factor)
