"""Survival fractions of cuts, with binomial confidence intervals, and efficiency vs energy.

What to use when
----------------
- ``survival(cutset, table)``: one ``SurvivalRow`` per cut: the fraction of all rows the cut
  keeps on its own, and the cumulative fraction after it and every enabled cut before it (in the
  set's order). Disabled cuts get their own fraction (what enabling would do) and leave the
  cumulative fraction unchanged.
- ``efficiency_vs(column, bins, table, cutset)``: per bin of ``column`` (e.g. ``total_pe``), the
  events passing the enabled cuts over all events (``EfficiencyCurve``).
- ``binomial_interval(k, n)``: the interval both use. Default: the Wilson score interval at
  1 sigma (68.27 %), which stays inside [0, 1] and is well behaved at k = 0 or k = n;
  ``method="clopper-pearson"`` gives the exact (conservative) interval.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from analysis_core.cuts.cutset import CutSet
from analysis_core.errors import CutError
from analysis_core.histograms import histogram1d

__all__ = [
    "CONFIDENCE",
    "EfficiencyCurve",
    "SurvivalRow",
    "binomial_interval",
    "efficiency_vs",
    "survival",
]

#: Coverage of the intervals: 1 sigma.
CONFIDENCE = 0.682689492137086


def binomial_interval(
    k: ArrayLike, n: ArrayLike, method: str = "wilson"
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Return the 1-sigma interval ``(lo, hi)`` of a binomial fraction ``k / n``.

    Parameters
    ----------
    k, n : array_like
        Passed and total counts (``0 <= k <= n``). ``n = 0`` gives NaN bounds.
    method : {"wilson", "clopper-pearson"}
        Wilson score interval (z = 1) or the exact Clopper-Pearson interval.
    """
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "wilson":
            z = 1.0
            p = k / n
            denom = 1.0 + z**2 / n
            centre = (p + z**2 / (2 * n)) / denom
            half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
            # Exactly 0 and 1 at k = 0 and k = n (rounding would leave 1 - 1e-16).
            lo = np.where(k <= 0, 0.0, centre - half)
            hi = np.where(k >= n, 1.0, centre + half)
        elif method == "clopper-pearson":
            alpha = 1.0 - CONFIDENCE
            lo = np.where(k > 0, stats.beta.ppf(alpha / 2, k, n - k + 1), 0.0)
            hi = np.where(k < n, stats.beta.ppf(1 - alpha / 2, k + 1, n - k), 1.0)
        else:
            raise CutError(f"unknown interval method {method!r} (wilson or clopper-pearson)")
    bad = n <= 0
    lo = np.where(bad, np.nan, np.clip(lo, 0.0, 1.0))
    hi = np.where(bad, np.nan, np.clip(hi, 0.0, 1.0))
    return lo, hi


def _scalar_interval(k: int, n: int, method: str) -> tuple[float, float]:
    lo, hi = binomial_interval(k, n, method)
    return float(lo), float(hi)


@dataclass(frozen=True)
class SurvivalRow:
    """Survival of one cut.

    Attributes
    ----------
    name, kind : str
        The cut's name and kind.
    enabled : bool
        Whether the cut counts in the cumulative fraction.
    n_total : int
        Rows of the table.
    n_pass : int
        Rows passing this cut alone.
    fraction, fraction_lo, fraction_hi : float
        ``n_pass / n_total`` and its 1-sigma interval.
    n_cumulative : int
        Rows passing this cut (if enabled) and every enabled cut before it.
    cumulative, cumulative_lo, cumulative_hi : float
        ``n_cumulative / n_total`` and its 1-sigma interval.
    method : str
        Interval method (``"wilson"`` or ``"clopper-pearson"``).
    """

    name: str
    kind: str
    enabled: bool
    n_total: int
    n_pass: int
    fraction: float
    fraction_lo: float
    fraction_hi: float
    n_cumulative: int
    cumulative: float
    cumulative_lo: float
    cumulative_hi: float
    method: str = "wilson"

    @property
    def fraction_errors(self) -> tuple[float, float]:
        """``(minus, plus)`` errors of :attr:`fraction`."""
        return self.fraction - self.fraction_lo, self.fraction_hi - self.fraction

    @property
    def cumulative_errors(self) -> tuple[float, float]:
        """``(minus, plus)`` errors of :attr:`cumulative`."""
        return self.cumulative - self.cumulative_lo, self.cumulative_hi - self.cumulative

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict of every field."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def _frac(k: int, n: int) -> float:
    return k / n if n else float("nan")


def survival(
    cutset: CutSet,
    table: Mapping[str, Any],
    *,
    masks: Mapping[str, NDArray[np.bool_]] | None = None,
    method: str = "wilson",
) -> list[SurvivalRow]:
    """Survival of each cut alone and cumulatively, in the set's order.

    Parameters
    ----------
    cutset : CutSet
        The cuts.
    table : mapping of str to ndarray
        The rows (an ``RQTable``).
    masks : mapping of str to bool ndarray, optional
        Precomputed masks by cut name (e.g. cached while one cut is dragged); missing ones are
        computed.
    method : {"wilson", "clopper-pearson"}
        Interval method.
    """
    rows: list[SurvivalRow] = []
    cumulative: NDArray[np.bool_] | None = None
    n_total = None
    for cut in cutset:
        mask = masks[cut.name] if masks is not None and cut.name in masks else cut.mask(table)
        if n_total is None:
            n_total = len(mask)
        n_pass = int(np.count_nonzero(mask))
        if cut.enabled:
            cumulative = mask.copy() if cumulative is None else cumulative & mask
        n_cum = n_total if cumulative is None else int(np.count_nonzero(cumulative))
        f_lo, f_hi = _scalar_interval(n_pass, n_total, method)
        c_lo, c_hi = _scalar_interval(n_cum, n_total, method)
        rows.append(
            SurvivalRow(
                cut.name,
                cut.kind,
                bool(cut.enabled),
                n_total,
                n_pass,
                _frac(n_pass, n_total),
                f_lo,
                f_hi,
                n_cum,
                _frac(n_cum, n_total),
                c_lo,
                c_hi,
                method,
            )
        )
    return rows


@dataclass(frozen=True, eq=False)
class EfficiencyCurve:
    """Cut efficiency in bins of one column.

    Attributes
    ----------
    column : str
        The binned column (e.g. ``total_pe``).
    edges : ndarray
        Bin edges (units of ``column``).
    passed, total : ndarray of int
        Events passing the cuts / all events per bin.
    efficiency, lo, hi : ndarray of float
        ``passed / total`` (NaN for empty bins) and its 1-sigma interval.
    method : str
        Interval method.
    """

    column: str
    edges: NDArray[np.float64]
    passed: NDArray[np.int64]
    total: NDArray[np.int64]
    efficiency: NDArray[np.float64]
    lo: NDArray[np.float64]
    hi: NDArray[np.float64]
    method: str = "wilson"

    @property
    def centers(self) -> NDArray[np.float64]:
        """Bin centres."""
        return 0.5 * (self.edges[1:] + self.edges[:-1])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "column": self.column,
            "edges": self.edges.tolist(),
            "passed": self.passed.tolist(),
            "total": self.total.tolist(),
            "efficiency": self.efficiency.tolist(),
            "lo": self.lo.tolist(),
            "hi": self.hi.tolist(),
            "method": self.method,
        }


def efficiency_vs(
    column: str,
    bins: int | ArrayLike,
    table: Mapping[str, Any],
    cutset: CutSet,
    range_: tuple[float, float] | None = None,
    *,
    base_mask: NDArray[np.bool_] | None = None,
    method: str = "wilson",
) -> EfficiencyCurve:
    """Efficiency of the enabled cuts in bins of ``column``.

    Parameters
    ----------
    column : str
        Column to bin in (e.g. ``"total_pe"``).
    bins, range_ :
        As for :func:`analysis_core.histograms.histogram1d`.
    table : mapping
        The rows (an ``RQTable``).
    cutset : CutSet
        Cuts whose efficiency is measured.
    base_mask : bool ndarray, optional
        Rows forming the denominator (default all rows), e.g. events passing quality cuts.
    method : {"wilson", "clopper-pearson"}
        Interval method.
    """
    if column not in table:
        raise CutError(f"efficiency: the table has no column {column!r}")
    values = np.asarray(table[column])
    base = np.ones(len(values), dtype=bool) if base_mask is None else np.asarray(base_mask)
    passed_mask = base & cutset.mask(table)
    total = histogram1d(values[base], bins, range_)
    passed = histogram1d(values[passed_mask], total.edges)
    n_tot = np.rint(total.counts).astype(np.int64)
    n_pass = np.rint(passed.counts).astype(np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        eff = np.where(n_tot > 0, n_pass / np.maximum(n_tot, 1), np.nan)
    lo, hi = binomial_interval(n_pass, n_tot, method)
    return EfficiencyCurve(column, total.edges, n_pass, n_tot, eff, lo, hi, method)
