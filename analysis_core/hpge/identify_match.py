"""Matching of table lines to found peaks: coarse and tight identification (used by ``identify``).

What to use when
----------------
- ``match_lines(energies_kev, lines, tolerances)``: nearest-peak matching with per-line
  tolerances; each peak goes to at most one line.
- ``coarse_calibration(candidates, lines, tolerance_kev, cal)``: a linear correction of a stored
  calibration from coarse matches, robust to wrong matches (3-sigma clipping on the median
  absolute deviation).
- ``plan_peaks(...)``: tight identification with the corrected scale; decides for each line
  whether it is found, fitted at its predicted position ("forced") or not separable.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from analysis_core.hpge.peaks import PeakCandidate
from analysis_core.hpge.spectrum import EnergyCalibration

if TYPE_CHECKING:
    from analysis_core.hpge.nuclides import GammaLine

__all__ = ["LinePlan", "coarse_calibration", "match_lines", "plan_peaks"]

#: Lines closer than this many FWHM to a stronger line cannot be separated.
UNRESOLVED_FWHM = 0.8
#: Tight tolerance: this fraction of the FWHM, at least ``TIGHT_MIN_KEV``.
TIGHT_FWHM = 0.5
TIGHT_MIN_KEV = 0.3


def match_lines(
    energies_kev: Sequence[float], lines: Sequence[GammaLine], tolerance_kev: Sequence[float]
) -> dict[int, int]:
    """Match each line to the nearest peak within its tolerance.

    Parameters
    ----------
    energies_kev : sequence of float
        Peak energies.
    lines : sequence of GammaLine
        Table lines.
    tolerance_kev : sequence of float
        One tolerance per line.

    Returns
    -------
    dict
        ``line index -> peak index``. A peak claimed by several lines goes to the nearest one
        (ties: the more intense).
    """
    e = np.asarray(energies_kev, dtype=float)
    claims: dict[int, list[int]] = {}
    if e.size == 0:
        return {}
    for i, (line, tol) in enumerate(zip(lines, tolerance_kev, strict=True)):
        d = np.abs(e - line.energy_kev)
        j = int(d.argmin())
        if d[j] <= tol:
            claims.setdefault(j, []).append(i)
    out = {}
    for j, idx in claims.items():
        best = min(idx, key=lambda i: (abs(e[j] - lines[i].energy_kev), -lines[i].intensity))
        out[best] = j
    return out


def _coarse_calibration(
    cands: Sequence[PeakCandidate],
    lines: Sequence[GammaLine],
    tol_kev: float,
    cal0: EnergyCalibration,
) -> tuple[EnergyCalibration, list[str]]:
    """Correct the stored calibration with a robust line through coarse matches."""
    m = match_lines([c.energy_kev for c in cands], lines, [tol_kev] * len(lines))
    if len(m) < 2:
        return cal0, [f"only {len(m)} line(s) matched coarsely: stored calibration kept"]
    li = np.array(list(m))
    ch = np.array([cands[m[i]].channel for i in li])
    e_true = np.array([lines[i].energy_kev for i in li])
    # Fit the correction dE(E_stored) = E_true - E_stored as a line: robust to a bad gain and
    # keeps the stored non-linearity.
    e_st = np.asarray(cal0.energy(ch), dtype=float)
    keep = np.ones(li.size, dtype=bool)
    coef = np.zeros(2)
    for _ in range(5):
        if keep.sum() < 2:
            break
        if np.ptp(e_st[keep]) > 0 and keep.sum() >= 3:
            coef = np.polynomial.polynomial.polyfit(e_st[keep], (e_true - e_st)[keep], 1)
        else:
            coef = np.array([float(np.median((e_true - e_st)[keep])), 0.0])
        r = e_true - e_st - np.polynomial.polynomial.polyval(e_st, coef)
        spread = max(0.05, 1.4826 * float(np.median(np.abs(r[keep]))))
        new = np.abs(r) < 3.0 * spread
        if np.array_equal(new, keep):
            break
        keep = new
    # E_new(ch) = E(ch) + coef0 + coef1 E(ch), as a polynomial in ch.
    c = np.asarray(cal0.coefficients, dtype=float) * (1.0 + coef[1])
    c[0] += coef[0]
    note = (
        f"coarse correction of the stored calibration from {int(keep.sum())} lines: "
        f"{coef[0]:+.3f} keV {coef[1] * 1e3:+.3f} keV/MeV x E"
    )
    return EnergyCalibration(tuple(float(x) for x in c), source="coarse"), [note]


def coarse_calibration(
    cands: Sequence[PeakCandidate],
    lines: Sequence[GammaLine],
    tolerance_kev: float,
    cal0: EnergyCalibration,
) -> tuple[EnergyCalibration, str]:
    """Correct ``cal0`` by ``dE = a + b E`` fitted to coarse line matches.

    With one or two matches only the offset ``a`` is corrected (their median).

    Returns
    -------
    calibration, note
        The corrected calibration (``source="coarse"``; ``cal0`` itself when no line matches)
        and a sentence for the analysis notes.
    """
    e_c = np.asarray(cal0.energy([c.channel for c in cands]), dtype=float)
    m = match_lines(e_c, lines, [tolerance_kev] * len(lines))
    if not m:
        return cal0, "no line matched coarsely: stored calibration kept"
    li = np.array(sorted(m))
    e_st = e_c[[m[i] for i in li]]
    d = np.array([lines[i].energy_kev for i in li]) - e_st
    keep = np.ones(li.size, dtype=bool)
    coef = np.zeros(2)
    for _ in range(6):
        if keep.sum() >= 3 and np.ptp(e_st[keep]) > 0:
            coef = np.polynomial.polynomial.polyfit(e_st[keep], d[keep], 1)
        else:
            coef = np.array([float(np.median(d[keep])), 0.0])
        r = d - np.polynomial.polynomial.polyval(e_st, coef)
        spread = max(0.05, 1.4826 * float(np.median(np.abs(r[keep]))))
        new = np.abs(r) < 3.0 * spread
        if new.sum() < 2 or np.array_equal(new, keep):
            break
        keep = new
    # E_new(ch) = E(ch) (1 + b) + a keeps the stored non-linearity.
    c = np.asarray(cal0.coefficients, dtype=float) * (1.0 + coef[1])
    c[0] += coef[0]
    note = (
        f"stored calibration corrected by {coef[0]:+.3f} keV {coef[1] * 1e3:+.3f} keV/MeV x E "
        f"from {int(keep.sum())} of {li.size} coarse line matches"
    )
    return EnergyCalibration(tuple(float(x) for x in c), source="coarse"), note


@dataclass(frozen=True, slots=True)
class LinePlan:
    """What to do with one line.

    Attributes
    ----------
    kind : str
        ``"found"`` (a candidate matched), ``"forced"`` (fit at the predicted channel),
        ``"unresolved"`` (too close to a stronger line) or ``"ambiguous"`` (an unclaimed peak
        sits near, but outside the tight tolerance).
    channel : float
        Starting centroid (candidate or predicted).
    candidate : int
        Index of the matched or nearby candidate (-1 if none).
    partner : int
        For ``"unresolved"``: index of the stronger line.
    """

    kind: str
    channel: float
    candidate: int = -1
    partner: int = -1


def plan_peaks(
    cands: Sequence[PeakCandidate],
    lines: Sequence[GammaLine],
    cal: EnergyCalibration,
    fwhm_kev: Callable[[ArrayLike], NDArray[np.float64]],
    max_tolerance_kev: float,
) -> list[LinePlan]:
    """Identify lines tightly with calibration ``cal`` and expected widths ``fwhm_kev(E)``."""
    e_line = np.array([ln.energy_kev for ln in lines])
    fw = np.asarray(fwhm_kev(e_line), dtype=float)
    tol = np.minimum(np.maximum(TIGHT_MIN_KEV, TIGHT_FWHM * fw), max_tolerance_kev)
    e_c = np.asarray(cal.energy([c.channel for c in cands]), dtype=float)
    m = match_lines(e_c, lines, tol)
    claimed = set(m.values())
    predicted = np.asarray(cal.channel(e_line), dtype=float)
    plans: list[LinePlan] = []
    for i, ln in enumerate(lines):
        if i in m:
            plans.append(LinePlan("found", cands[m[i]].channel, m[i]))
            continue
        close = [
            k
            for k in range(len(lines))
            if k != i
            and abs(e_line[k] - e_line[i]) < UNRESOLVED_FWHM * fw[i]
            and lines[k].intensity >= ln.intensity
        ]
        if close:
            partner = min(close, key=lambda k: abs(e_line[k] - e_line[i]))
            plans.append(LinePlan("unresolved", predicted[i], -1, partner))
            continue
        near = np.flatnonzero(np.abs(e_c - e_line[i]) < UNRESOLVED_FWHM * fw[i])
        near = [int(j) for j in near if int(j) not in claimed]
        if near:
            j = min(near, key=lambda j: abs(e_c[j] - e_line[i]))
            plans.append(LinePlan("ambiguous", cands[j].channel, j))
            claimed.add(j)
            continue
        plans.append(LinePlan("forced", predicted[i]))
    return plans
