"""Result types of the activity calculation: budget terms, per-line and combined activities.

What to use when
----------------
These are returned by ``analysis_core.hpge.activity`` (which re-exports them); import them from
there. ``ActivityResult.decayed_to`` moves a result to another date, ``to_dict`` gives the JSON
written by ``larcal hpge activity --json``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from analysis_core.errors import CalibrationError
from analysis_core.hpge.sources import decay_factor, elapsed_s

__all__ = ["ActivityResult", "BudgetTerm", "DaughterActivity", "LineActivity"]


@dataclass(frozen=True, slots=True)
class BudgetTerm:
    """One term of an uncertainty budget.

    Attributes
    ----------
    name : str
        ``counting``, ``efficiency``, ``attenuation``, ``intensity``, ``normalisation``,
        ``half_life``.
    rel_err : float
        Relative standard uncertainty contributed.
    abs_err_bq : float
        The same in Bq.
    correlation : str
        How it is correlated between lines (``independent``, ``fully correlated``,
        ``rho=0.5``, ``covariance``).
    """

    name: str
    rel_err: float
    abs_err_bq: float
    correlation: str


@dataclass(frozen=True, slots=True)
class LineActivity:
    """Activity from one line with its budget."""

    energy_kev: float
    activity_bq: float
    activity_err_bq: float
    budget: tuple[BudgetTerm, ...]
    counting_decay_factor: float = 1.0
    weight: float = float("nan")

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dictionary."""
        return {
            "energy_kev": self.energy_kev,
            "activity_bq": self.activity_bq,
            "activity_err_bq": self.activity_err_bq,
            "rel_err": self.activity_err_bq / self.activity_bq,
            "counting_decay_factor": self.counting_decay_factor,
            "weight": self.weight,
            "budget": [_term_dict(t) for t in self.budget],
        }


def _term_dict(t: BudgetTerm) -> dict[str, Any]:
    return {
        "term": t.name,
        "rel_err": t.rel_err,
        "abs_err_bq": t.abs_err_bq,
        "correlation": t.correlation,
    }


@dataclass(frozen=True, slots=True)
class DaughterActivity:
    """Expected activity of a daughter in (transient) equilibrium with its parent."""

    name: str
    activity_bq: float
    activity_err_bq: float
    branching: float
    equilibrium_factor: float

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dictionary."""
        return {
            "nuclide": self.name,
            "activity_bq": self.activity_bq,
            "activity_err_bq": self.activity_err_bq,
            "branching": self.branching,
            "equilibrium_factor": self.equilibrium_factor,
        }


@dataclass(frozen=True, slots=True)
class ActivityResult:
    """Per-line activities and their GLS combination.

    Attributes
    ----------
    lines : tuple of LineActivity
        Per-line results (``weight`` filled with the GLS weight).
    activity_bq, activity_err_bq : float
        Combined activity at ``reference_time`` and its standard uncertainty.
    budget : tuple of BudgetTerm
        Combined budget; ``sqrt(sum(rel_err^2))`` equals the total relative error.
    chi2, ndf : float, int
        Consistency of the lines with the combined value (full covariance).
    naive_mean_bq, naive_mean_err_bq : float
        Inverse-variance mean treating every line as independent (for comparison only).
    correlations : dict
        Term -> how it was correlated between lines.
    method : str
        ``"eq3.1"`` (no decay during counting) or ``"decay-corrected"``.
    reference_time : datetime or None
        Time the activity refers to (count start for decay-corrected, mid-count for Eq. 3.1,
        the chosen date after ``decayed_to``); None when the count start is unknown.
    nuclide, library : str
        Nuclide and nuclear-data library, when known.
    extra : dict
        Free metadata.
    """

    lines: tuple[LineActivity, ...]
    activity_bq: float
    activity_err_bq: float
    budget: tuple[BudgetTerm, ...]
    chi2: float
    ndf: int
    naive_mean_bq: float
    naive_mean_err_bq: float
    correlations: dict[str, str]
    method: str = "eq3.1"
    reference_time: datetime | None = None
    nuclide: str = ""
    library: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def rel_err(self) -> float:
        """Relative standard uncertainty of the combined activity."""
        return self.activity_err_bq / self.activity_bq

    def decayed_to(
        self, date: datetime, half_life_s: float, half_life_err_s: float = 0.0
    ) -> ActivityResult:
        """Return the result decayed from ``reference_time`` to ``date``.

        The half-life uncertainty adds a ``half_life`` budget term ``ln2 |dt| sigma_T / T^2``
        (common to all lines). Per-line values are decayed too.
        """
        if self.reference_time is None:
            raise CalibrationError("the activity has no reference time (give the count start)")
        dt = elapsed_s(self.reference_time, date)
        f = decay_factor(dt, half_life_s)
        hl_rel = math.log(2.0) * abs(dt) * half_life_err_s / half_life_s**2

        def scaled(terms: tuple[BudgetTerm, ...], a: float) -> tuple[BudgetTerm, ...]:
            out = [BudgetTerm(t.name, t.rel_err, t.abs_err_bq * f, t.correlation) for t in terms]
            out = [t for t in out if t.name != "half_life"]
            prev = next((t.rel_err for t in terms if t.name == "half_life"), 0.0)
            h = math.hypot(prev, hl_rel)
            return (*out, BudgetTerm("half_life", h, a * h, "fully correlated"))

        a = self.activity_bq * f
        budget = scaled(self.budget, a)
        lines = tuple(
            replace(
                ln,
                activity_bq=ln.activity_bq * f,
                activity_err_bq=ln.activity_bq * f * math.sqrt(sum(t.rel_err**2 for t in b)),
                budget=b,
            )
            for ln in self.lines
            for b in [scaled(ln.budget, ln.activity_bq * f)]
        )
        corr = dict(self.correlations, half_life="fully correlated (decay to the chosen date)")
        return replace(
            self,
            lines=lines,
            activity_bq=a,
            activity_err_bq=a * math.sqrt(sum(t.rel_err**2 for t in budget)),
            budget=budget,
            naive_mean_bq=self.naive_mean_bq * f,
            naive_mean_err_bq=self.naive_mean_err_bq * f,
            correlations=corr,
            reference_time=date,
        )

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dictionary."""
        return {
            "nuclide": self.nuclide,
            "library": self.library,
            "method": self.method,
            "reference_time": self.reference_time.isoformat() if self.reference_time else None,
            "lines": [ln.to_dict() for ln in self.lines],
            "combined": {
                "activity_bq": self.activity_bq,
                "activity_err_bq": self.activity_err_bq,
                "rel_err": self.rel_err,
                "method": "generalised least squares with the full covariance",
                "chi2": self.chi2,
                "ndf": self.ndf,
                "budget": [_term_dict(t) for t in self.budget],
            },
            "independent_weighted_mean": {
                "activity_bq": self.naive_mean_bq,
                "activity_err_bq": self.naive_mean_err_bq,
                "note": "inverse-variance mean ignoring correlations (for comparison only)",
            },
            "correlations": dict(self.correlations),
            "extra": self.extra,
        }
