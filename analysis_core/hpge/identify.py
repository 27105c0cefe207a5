"""Line identification and the whole source-spectrum analysis (search, fits, recalibration).

What to use when
----------------
- ``analyse_source_spectrum(spectrum, nuclides)``: the one call for a calibration-source
  spectrum. It finds peaks, identifies the nuclides' lines, fits every peak (multiplets
  together), re-fits the energy scale on the identified lines, fits the FWHM(E) model and adds
  the Genie ROI area of each line. The efficiency code divides ``fit.area / live time`` by
  activity and emission probability.
- ``match_lines(energies_kev, lines, tolerance_kev)``: nearest-peak matching on its own.

Procedure
---------
1. Peak search (``peaks.find_peaks``) with the stored calibration.
2. Coarse identification: each line with emission probability >= ``min_intensity`` takes the
   nearest candidate within ``energy_tolerance_kev`` (2 keV covers the 0.1-1.5 keV errors of
   header calibrations); a linear energy scale through those pairs, with 3-sigma outliers
   removed, corrects the stored calibration.
3. Tight identification with that scale: tolerance ``max(0.3 keV, FWHM / 2)`` (never above
   ``energy_tolerance_kev``). A line without a candidate is fitted at its predicted position
   ("forced"); a line within 0.8 FWHM of a stronger line cannot be separated and is reported
   excluded.
4. All peaks (identified, forced and unidentified candidates) are fitted in regions
   (``identify_regions.fit_peak_list``).
5. The energy scale is re-fitted on the fitted centroids of the valid, non-excluded lines: a
   quadratic ``E(ch)`` from 4 lines spanning 20 % of the range on, otherwise a correction of
   the stored calibration; gross outliers are dropped. All keV numbers are recomputed with it.
6. FWHM(E) model from the valid, free-width fits of single, non-doublet, non-annihilation
   lines; the ROI area of each line (the ROI spans the multiplet for multiplet members).

Lines flagged for true-coincidence summing are identified and fitted like the others; the
efficiency code decides about them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from analysis_core.errors import CalibrationError, FitError
from analysis_core.hpge.energycal import (
    EnergyCalFit,
    FwhmModel,
)
from analysis_core.hpge.identify_match import LinePlan, coarse_calibration, match_lines, plan_peaks
from analysis_core.hpge.identify_regions import fit_peak_list
from analysis_core.hpge.identify_steps import fwhm_model_from_lines, line_roi, refit_energy_scale
from analysis_core.hpge.nuclides import FLAG_ANNIHILATION
from analysis_core.hpge.peakmodel import PeakFit, RegionFit
from analysis_core.hpge.peakroi import RoiArea
from analysis_core.hpge.peaks import PeakCandidate, find_peaks
from analysis_core.hpge.spectrum import EnergyCalibration, Spectrum
from analysis_core.progress import CancelToken, ProgressFn

if TYPE_CHECKING:
    from analysis_core.hpge.nuclides import GammaLine, Nuclide

__all__ = ["IdentifiedPeak", "SpectrumAnalysis", "analyse_source_spectrum", "match_lines"]

#: Identified peaks below this significance (area / error) are reported excluded.
MIN_LINE_SIGNIFICANCE = 3.0


@dataclass(frozen=True)
class IdentifiedPeak:
    """A nuclide line with its fitted peak.

    Attributes
    ----------
    line : GammaLine
        The table line.
    fit : PeakFit
        Its peak fit (keV numbers in the re-fitted calibration).
    roi : RoiArea or None
        Genie ROI area (None when the ROI does not fit in the spectrum).
    excluded_reason : str
        Why the peak should not be used (empty when it is fine).
    """

    line: GammaLine
    fit: PeakFit
    roi: RoiArea | None
    excluded_reason: str = ""

    @property
    def excluded(self) -> bool:
        """True when ``excluded_reason`` is set."""
        return bool(self.excluded_reason)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dictionary (NaN becomes None)."""
        ln = self.line
        return {
            "nuclide": ln.nuclide,
            "energy_kev": ln.energy_kev,
            "intensity": ln.intensity,
            "intensity_err": _finite(ln.intensity_err),
            "flags": sorted(ln.flags),
            "fit": self.fit.to_dict(),
            "roi": None if self.roi is None else self.roi.to_dict(),
            "excluded_reason": self.excluded_reason,
        }


@dataclass(frozen=True)
class SpectrumAnalysis:
    """Result of ``analyse_source_spectrum``.

    Attributes
    ----------
    spectrum : Spectrum
        Copy of the input with the re-fitted calibration.
    energy_cal : EnergyCalibration
        The re-fitted calibration (``source="fit"``); the stored one when re-calibration was
        off; the stored one with the coarse offset/gain correction (``source="coarse"``) when
        the re-fit was impossible (see ``notes``).
    energy_cal_residuals_kev : tuple of float
        Per entry of ``peaks``: fitted energy minus table energy (NaN for excluded lines).
    fwhm_model : FwhmModel or None
        FWHM(E) (None when no line qualified).
    peaks : tuple of IdentifiedPeak
        Identified lines, by energy.
    unidentified : tuple of PeakFit
        Fits of the search candidates no line claimed.
    energy_cal_fit : EnergyCalFit or None
        The calibration fit with covariance (None when not re-fitted).
    regions : tuple of RegionFit
        All fitted regions (to draw the models).
    candidates : tuple of PeakCandidate
        Raw search output (stored calibration).
    notes : tuple of str
        Plain-language remarks on the procedure.
    """

    spectrum: Spectrum
    energy_cal: EnergyCalibration
    energy_cal_residuals_kev: tuple[float, ...]
    fwhm_model: FwhmModel | None
    peaks: tuple[IdentifiedPeak, ...]
    unidentified: tuple[PeakFit, ...]
    energy_cal_fit: EnergyCalFit | None = None
    regions: tuple[RegionFit, ...] = ()
    candidates: tuple[PeakCandidate, ...] = ()
    notes: tuple[str, ...] = ()

    def region_of(self, fit: PeakFit) -> RegionFit | None:
        """Return the fitted region that produced ``fit`` (to draw its model), or None."""
        for r in self.regions:
            if r.region_ch == fit.region_ch and any(
                p.centroid_ch == fit.centroid_ch for p in r.peaks
            ):
                return r
        return None

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable summary (no counts; NaN becomes None)."""
        return {
            "spectrum": self.spectrum.path,
            "live_time_s": _finite(self.spectrum.live_time_s),
            "real_time_s": _finite(self.spectrum.real_time_s),
            "energy_cal": {
                "coefficients": list(self.energy_cal.coefficients),
                "source": self.energy_cal.source,
            },
            "energy_cal_fit": None
            if self.energy_cal_fit is None
            else self.energy_cal_fit.to_dict(),
            "energy_cal_residuals_kev": [_finite(r) for r in self.energy_cal_residuals_kev],
            "fwhm_model": None if self.fwhm_model is None else self.fwhm_model.to_dict(),
            "peaks": [p.to_dict() for p in self.peaks],
            "unidentified": [f.to_dict() for f in self.unidentified],
            "notes": list(self.notes),
        }


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def analyse_source_spectrum(
    spectrum: Spectrum,
    nuclides: Sequence[Nuclide],
    *,
    energy_tolerance_kev: float = 2.0,
    min_intensity: float = 0.005,
    cost: str = "auto",
    recalibrate: bool = True,
    min_significance: float = 5.0,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> SpectrumAnalysis:
    """Find, identify and fit the lines of ``nuclides`` in ``spectrum``; re-fit its energy scale.

    Parameters
    ----------
    spectrum : Spectrum
        A source spectrum with a stored energy calibration (good to ``energy_tolerance_kev``).
    nuclides : sequence of Nuclide
        The nuclides expected (``analysis_core.hpge.nuclides.get_nuclide``).
    energy_tolerance_kev : float
        Coarse identification window.
    min_intensity : float
        Lines with a smaller emission probability per decay are ignored.
    cost : {"auto", "poisson", "chi2"}
        Peak-fit cost (``peakfit`` module docstring).
    recalibrate : bool
        Re-fit the energy scale (otherwise the stored calibration is kept).
    min_significance : float
        Peak-search threshold.
    progress, cancel : optional
        Progress over the region fits and cooperative cancellation (raises ``Cancelled``).

    Returns
    -------
    SpectrumAnalysis

    Raises
    ------
    CalibrationError
        The spectrum has no energy calibration, or no nuclide line lies in its range.
    FitError
        The spectrum cannot be searched, or the search finds no peak.
    """
    where = spectrum.path or "spectrum"
    cal0 = spectrum.energy_cal
    if cal0 is None:
        raise CalibrationError(f"{where}: no energy calibration; calibrate roughly first")
    if not math.isfinite(energy_tolerance_kev) or energy_tolerance_kev <= 0:
        raise CalibrationError(f"energy tolerance must be positive, got {energy_tolerance_kev}")
    e_lo, e_hi = (float(x) for x in cal0.energy([8.0, spectrum.n_channels - 9.0]))
    lines = sorted(
        (
            ln
            for nuc in nuclides
            for ln in nuc.lines
            if ln.intensity >= min_intensity
            and e_lo <= ln.energy_kev <= e_hi
            and FLAG_ANNIHILATION not in ln.flags
        ),
        key=lambda ln: ln.energy_kev,
    )
    if not lines:
        names = ", ".join(n.name for n in nuclides) or "no nuclide"
        raise CalibrationError(
            f"{where}: no line of {names} with intensity >= {min_intensity} within "
            f"{e_lo:.1f}-{e_hi:.1f} keV"
        )
    cands = find_peaks(spectrum, min_significance=min_significance)
    if not cands:
        raise FitError(f"{where}: the peak search found no peak above {min_significance} sigma")
    cal1, note = coarse_calibration(cands, lines, energy_tolerance_kev, cal0)
    notes = [note]

    # Expected widths: the search's width trend (smooth in the channel number).
    c_ch = np.array([c.channel for c in cands])
    c_fw = np.array([c.fwhm_ch for c in cands])

    def fwhm_ch_at(ch: ArrayLike) -> NDArray[np.float64]:
        return np.interp(np.asarray(ch, dtype=float), c_ch, c_fw)

    def fwhm_kev_at(e: ArrayLike) -> NDArray[np.float64]:
        ch = cal1.channel(e)
        return fwhm_ch_at(ch) * np.abs(cal1.gain_kev_per_channel(ch))

    plans = plan_peaks(cands, lines, cal1, fwhm_kev_at, energy_tolerance_kev)
    used = {p.candidate for p in plans if p.candidate >= 0}
    fitted = [i for i, p in enumerate(plans) if p.kind != "unresolved"]
    others = [j for j in range(len(cands)) if j not in used]
    chans = [plans[i].channel for i in fitted] + [cands[j].channel for j in others]
    plf = fit_peak_list(
        spectrum.with_calibration(cal1),
        chans,
        fwhm_ch_at(chans),
        cost=cost,
        progress=progress,
        cancel=cancel,
    )
    line_fit = {i: plf.fits[k] for k, i in enumerate(fitted)}
    region_of = {i: plf.region_index[k] for k, i in enumerate(fitted)}

    reasons = {i: _reason(plans[i], line_fit.get(i), lines) for i in range(len(lines))}
    cal_fit: EnergyCalFit | None = None
    cal = cal1
    if recalibrate:
        cal_fit, dropped, cal_note = refit_energy_scale(
            lines, line_fit, reasons, cal0, spectrum.n_channels
        )
        notes.append(cal_note)
        reasons.update(dropped)
        if cal_fit is not None and cal_fit.valid:
            cal = cal_fit.calibration
    else:
        cal = cal0
        notes.append("re-calibration off: the stored calibration is used")
    out_spec = spectrum.with_calibration(cal)

    regions = tuple(
        replace(r, energy_cal=cal, peaks=tuple(p.with_calibration(cal) for p in r.peaks))
        for r in plf.regions
    )
    members = plf.members
    peaks: list[IdentifiedPeak] = []
    resid: list[float] = []
    for i, ln in enumerate(lines):
        plan = plans[i]
        if plan.kind == "unresolved":
            partner = lines[plan.partner].energy_kev
            msg = f"not separable from the {partner:.3f} keV line"
            fit = PeakFit.failed(msg, region_ch=(0, 0), region_kev=(math.nan, math.nan), cost=cost)
            peaks.append(IdentifiedPeak(ln, fit, None, reasons[i]))
            resid.append(math.nan)
            continue
        fit = line_fit[i].with_calibration(cal)
        k = region_of[i]
        group = list(regions[k].peaks) if k >= 0 else [fit]
        roi = line_roi(out_spec, fit, group)
        peaks.append(IdentifiedPeak(ln, fit, roi, reasons[i]))
        ok = not reasons[i] and fit.valid
        resid.append(fit.energy_kev - ln.energy_kev if ok else math.nan)
    n_forced = sum(p.kind == "forced" for p in plans)
    if n_forced:
        notes.append(f"{n_forced} line(s) not found by the search were fitted where predicted")
    fwhm_model, fw_note = fwhm_model_from_lines(peaks, region_of, members)
    notes.append(fw_note)
    unidentified = tuple(
        plf.fits[len(fitted) + k].with_calibration(cal) for k in range(len(others))
    )
    return SpectrumAnalysis(
        spectrum=out_spec,
        energy_cal=cal,
        energy_cal_residuals_kev=tuple(resid),
        fwhm_model=fwhm_model,
        peaks=tuple(peaks),
        unidentified=unidentified,
        energy_cal_fit=cal_fit,
        regions=regions,
        candidates=cands,
        notes=tuple(n for n in notes if n),
    )


def _reason(plan: LinePlan, fit: PeakFit | None, lines: Sequence[GammaLine]) -> str:
    if plan.kind == "unresolved":
        return f"not separable from the {lines[plan.partner].energy_kev:.3f} keV line"
    assert fit is not None
    if not fit.valid:
        return f"peak fit not valid: {fit.message}"
    if not fit.significance >= MIN_LINE_SIGNIFICANCE:
        return f"peak not significant: area {fit.area:.1f} +- {fit.area_err:.1f}"
    if plan.kind == "ambiguous":
        return "nearest peak lies outside the tight identification window"
    return ""
