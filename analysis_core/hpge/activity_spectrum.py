"""Activity of a source from its analysed spectrum, a fitted efficiency curve and attenuation.

What to use when
----------------
- ``activity_from_analysis(analysis, "Rb-83", curve, attenuation=model)``: the usual
  assay. Every identified, valid line of the nuclide becomes an ``ActivityLineInput``; the
  efficiencies come from ``curve`` with the covariance ``J C J^T`` between the lines, the
  transmissions from an ``AttenuationModel`` with its covariance (or one ``(mu, mu_err)`` pair
  for all lines, fully correlated), the emission probabilities and their common normalisation
  from the nuclear data. The decay-during-counting factor uses the nuclide's half-life and the
  spectrum's real time; pass ``date`` to decay the result to that date.
- ``activity_lines_from_analysis``: just the inputs, to inspect or edit them before combining.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date as date_type
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray

from analysis_core.errors import CalibrationError
from analysis_core.hpge.activity import ActivityLineInput, ActivityResult, combine_activities
from analysis_core.hpge.attenuation import AttenuationModel
from analysis_core.hpge.efficiency import EfficiencyCurve
from analysis_core.hpge.efficiency_points import NEVER_USE_FLAGS, peak_area
from analysis_core.hpge.nuclides import DATA_VERSION, Nuclide, get_nuclide
from analysis_core.hpge.sources import CountingInterval, as_datetime

__all__ = ["ActivityInputs", "activity_from_analysis", "activity_lines_from_analysis"]


@dataclass(frozen=True)
class ActivityInputs:
    """Per-line inputs gathered from an analysis, with the covariances between lines.

    Attributes
    ----------
    lines : tuple of ActivityLineInput
        One per used line.
    efficiency_covariance, attenuation_covariance : ndarray
        Relative covariances (of ``ln eps`` and ``ln mu``) between the used lines.
    attenuation_correlation : float
        Used instead of ``attenuation_covariance`` when that is None (one stated ``mu``).
    counting : CountingInterval
        Times of the count.
    nuclide : Nuclide
        Decay data used.
    skipped : tuple of (float, str)
        Lines not used and why.
    """

    lines: tuple[ActivityLineInput, ...]
    efficiency_covariance: NDArray[np.float64]
    attenuation_covariance: NDArray[np.float64] | None
    attenuation_correlation: float
    counting: CountingInterval
    nuclide: Nuclide
    skipped: tuple[tuple[float, str], ...]


def activity_lines_from_analysis(
    analysis: Any,
    nuclide: str | Nuclide,
    curve: EfficiencyCurve,
    *,
    attenuation: AttenuationModel | tuple[float, float] | None = None,
    counting: CountingInterval | None = None,
    exclude_energies_kev: Iterable[float] = (),
    exclude_flags: Iterable[str] = (),
    area: str = "fit",
    tolerance_kev: float = 1.0,
) -> ActivityInputs:
    """Gather the per-line inputs of ``activity_from_analysis`` (same parameters).

    Raises
    ------
    CalibrationError
        When no line of the nuclide is usable.
    """
    nuc = nuclide if isinstance(nuclide, Nuclide) else get_nuclide(nuclide)
    counting = counting or CountingInterval.from_spectrum(analysis.spectrum)
    excl_e = [float(e) for e in exclude_energies_kev]
    excl_f = frozenset(exclude_flags) | NEVER_USE_FLAGS
    chosen, skipped = [], []
    for peak in analysis.peaks:
        line = peak.line
        if line.nuclide != nuc.name:
            continue
        counts, counts_err, caveat = peak_area(peak, area)
        reason = str(getattr(peak, "excluded_reason", "") or "")
        if not reason and not peak.fit.valid:
            reason = f"peak fit not valid: {peak.fit.message}".rstrip(": ")
        reason = reason or caveat
        if not reason and any(abs(line.energy_kev - e) <= tolerance_kev for e in excl_e):
            reason = "excluded by the user"
        if not reason and line.flags & excl_f:
            reason = f"excluded by flag: {', '.join(sorted(line.flags & excl_f))}"
        if not reason and not (counts > 0 and math.isfinite(counts_err)):
            reason = "no positive peak area"
        if reason:
            skipped.append((line.energy_kev, reason))
        else:
            chosen.append((line, counts, counts_err))
    if not chosen:
        name = getattr(analysis.spectrum, "path", "") or "spectrum"
        why = "; ".join(f"{e:.1f} keV: {r}" for e, r in skipped) or "none identified"
        raise CalibrationError(f"{name}: no usable line of {nuc.name} ({why})")
    energies = np.array([c[0].energy_kev for c in chosen])
    eff = np.atleast_1d(curve.efficiency(energies))
    eff_cov = curve.ln_efficiency_covariance(energies)
    eff_rel = np.sqrt(np.diag(eff_cov))
    if isinstance(attenuation, AttenuationModel):
        mu = np.atleast_1d(attenuation.mu(energies))
        att_cov = attenuation.ln_mu_covariance(energies)
        mu_rel = np.sqrt(np.diag(att_cov))
    elif attenuation is None:
        mu, mu_rel, att_cov = np.ones(energies.size), np.zeros(energies.size), None
    else:
        m, m_err = (float(v) for v in attenuation)
        mu, mu_rel, att_cov = np.full(energies.size, m), np.full(energies.size, m_err / m), None
    lines = tuple(
        ActivityLineInput(
            energy_kev=line.energy_kev,
            counts=counts,
            counts_err=counts_err,
            efficiency=float(eff[i]),
            efficiency_err=float(eff[i] * eff_rel[i]),
            intensity=line.intensity,
            intensity_err=line.intensity_err if math.isfinite(line.intensity_err) else 0.0,
            live_time_s=counting.live_time_s,
            attenuation=float(mu[i]),
            attenuation_err=float(mu[i] * mu_rel[i]),
        )
        for i, (line, counts, counts_err) in enumerate(chosen)
    )
    return ActivityInputs(lines, eff_cov, att_cov, 1.0, counting, nuc, tuple(skipped))


def activity_from_analysis(
    analysis: Any,
    nuclide: str | Nuclide,
    curve: EfficiencyCurve,
    *,
    attenuation: AttenuationModel | tuple[float, float] | None = None,
    counting: CountingInterval | None = None,
    date: date_type | datetime | None = None,
    exclude_energies_kev: Iterable[float] = (),
    exclude_flags: Iterable[str] = (),
    area: str = "fit",
    decay_during_counting: bool = True,
) -> ActivityResult:
    """Return the activity of ``nuclide`` in an analysed spectrum, per line and combined.

    Parameters
    ----------
    analysis : SpectrumAnalysis
        From ``analysis_core.hpge.identify.analyse_source_spectrum``.
    nuclide : str or Nuclide
        The nuclide to assay (its lines must have been identified).
    curve : EfficiencyCurve
        Efficiency without the container (``eta'``).
    attenuation : AttenuationModel or (mu, mu_err), optional
        Container transmission; None for a bare source.
    counting : CountingInterval, optional
        Override the spectrum's start, live and real time.
    date : date or datetime, optional
        Decay the result to this date (default: the start of the count).
    exclude_energies_kev, exclude_flags : optional
        Lines to leave out.
    area : {"fit", "roi"}
        Net areas from the peak fits or the ROI sums.
    decay_during_counting : bool
        Apply ``D`` (default); False reproduces Eq. (3.1), referring to mid-count.

    Returns
    -------
    ActivityResult
        ``extra`` lists the skipped lines, the curve's energy range and lines outside it.
    """
    inputs = activity_lines_from_analysis(
        analysis,
        nuclide,
        curve,
        attenuation=attenuation,
        counting=counting,
        exclude_energies_kev=exclude_energies_kev,
        exclude_flags=exclude_flags,
        area=area,
    )
    nuc, c = inputs.nuclide, inputs.counting
    energies = [ln.energy_kev for ln in inputs.lines]
    outside = [e for e, ok in zip(energies, curve.in_range(energies), strict=True) if not ok]
    extra = {
        "spectrum": getattr(analysis.spectrum, "path", ""),
        "counting": c.to_dict(),
        "skipped_lines": [{"energy_kev": e, "reason": r} for e, r in inputs.skipped],
        "efficiency_range_kev": list(curve.energy_range_kev),
        "extrapolated_lines_kev": outside,
        "nuclear_data_version": DATA_VERSION,
        "attenuation": (
            attenuation.kind
            if isinstance(attenuation, AttenuationModel)
            else "none"
            if attenuation is None
            else "stated mu"
        ),
    }
    result = combine_activities(
        inputs.lines,
        efficiency_covariance=inputs.efficiency_covariance,
        attenuation_covariance=inputs.attenuation_covariance,
        attenuation_correlation=inputs.attenuation_correlation,
        normalisation_rel_err=nuc.normalisation_rel_err,
        decay_constant_per_s=nuc.decay_constant_per_s if decay_during_counting else 0.0,
        real_time_s=c.real_time_s,
        start=c.start,
        nuclide=nuc.name,
        library=nuc.library,
        extra=extra,
    )
    if date is not None:
        result = result.decayed_to(as_datetime(date), nuc.half_life_s, nuc.half_life_err_s)
    return result
