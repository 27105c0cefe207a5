"""Work of the HPGe pane, run in job threads: the same core calls as ``larcal hpge``.

What to use when
----------------
- ``HpgeController`` submits these functions to the ``JobRunner``; they take core objects and
  plain values, never widgets, and return frozen results.
- ``analyse_spectrum``: ``analyse_source_spectrum`` with the options of ``larcal hpge``.
- ``fit_manual_region``: a region the user dragged or double-clicked: the peaks found inside
  it, fitted together (Gaussian + step on a line).
- ``fit_efficiency_curve``: efficiency points of every calibration spectrum and the curve, with
  the metadata ``larcal hpge efficiency --out`` stores (``curve.save`` writes the same file).
- ``fit_container_attenuation``: ``mu`` at the lines of inside/outside pairs and its model.
- ``assay_activity``: the unknown source's activity per line and combined
  (``larcal hpge activity --spectrum``), decayed to a date, with the expected 83mKr activity;
  ``ActivityReport.to_dict()`` is the CLI's ``--json`` object (plus ``line_inputs``).

The CLI and the GUI must give the same numbers: tests run both on the same real spectrum.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from analysis_core.errors import CalibrationError, FitError
from analysis_core.hpge.activity import (
    ActivityResult,
    DaughterActivity,
    expected_daughter_activity,
)
from analysis_core.hpge.activity_spectrum import (
    ActivityInputs,
    activity_from_analysis,
    activity_lines_from_analysis,
)
from analysis_core.hpge.attenuation import (
    AttenuationModel,
    AttenuationPoint,
    attenuation_points,
    fit_attenuation,
)
from analysis_core.hpge.efficiency import EfficiencyCurve, fit_efficiency
from analysis_core.hpge.efficiency_points import efficiency_points, exclude_points
from analysis_core.hpge.identify import SpectrumAnalysis, analyse_source_spectrum
from analysis_core.hpge.nuclides import SUMMING_FLAGS, get_nuclide, nuclear_data_info
from analysis_core.hpge.peakfit import RegionFit, fit_region
from analysis_core.hpge.peaks import find_peaks
from analysis_core.hpge.readers import read_spectra
from analysis_core.hpge.sources import CountingInterval, SourceCertificate, parse_datetime
from analysis_core.hpge.spectrum import Spectrum
from analysis_core.progress import CancelToken, ProgressFn

__all__ = [
    "MAX_MANUAL_PEAKS",
    "ActivityReport",
    "AttenuationResult",
    "CalibrationSource",
    "ContainerPair",
    "analyse_spectrum",
    "analysis_summary",
    "assay_activity",
    "fit_container_attenuation",
    "fit_efficiency_curve",
    "fit_manual_region",
    "read_spectrum_file",
]

#: A manual region fit takes at most this many peaks (the most significant ones).
MAX_MANUAL_PEAKS = 4
#: ``larcal hpge attenuation`` matches inside and outside lines within this (keV).
ATTENUATION_TOLERANCE_KEV = 0.5


def read_spectrum_file(path: str) -> list[Spectrum]:
    """Read every spectrum of ``path`` (``SpectrumFormatError`` names the file and fault)."""
    return read_spectra(path)


def analyse_spectrum(
    spectrum: Spectrum,
    nuclide: str,
    *,
    tolerance_kev: float = 2.0,
    min_intensity: float = 0.005,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> SpectrumAnalysis:
    """Find, identify and fit the lines of ``nuclide`` (``larcal hpge``'s analysis step)."""
    if not nuclide:
        raise CalibrationError(f"{spectrum.path or 'spectrum'}: choose the source nuclide first")
    return analyse_source_spectrum(
        spectrum,
        [get_nuclide(nuclide)],
        energy_tolerance_kev=tolerance_kev,
        min_intensity=min_intensity,
        progress=progress,
        cancel=cancel,
    )


def analysis_summary(analysis: SpectrumAnalysis) -> dict[str, Any]:
    """Return the per-spectrum summary ``larcal hpge`` stores with its results."""
    cal = analysis.energy_cal
    fwhm = analysis.fwhm_model
    return {
        "path": analysis.spectrum.path,
        "energy_calibration": {"coefficients": list(cal.coefficients), "source": cal.source},
        "energy_cal_residuals_kev": list(analysis.energy_cal_residuals_kev),
        "fwhm_model": fwhm.to_dict() if fwhm is not None else None,
        "notes": list(analysis.notes),
    }


def fit_manual_region(
    spectrum: Spectrum,
    lo_kev: float,
    hi_kev: float,
    *,
    fwhm_kev: float | None = None,
    cost: str = "auto",
) -> RegionFit:
    """Fit the peaks inside ``lo_kev .. hi_kev`` together.

    The peaks are those the search finds in the region with the expected width (at most
    ``MAX_MANUAL_PEAKS``, the most significant), or the highest channel when it finds none.

    Raises
    ------
    FitError
        No energy calibration, a region outside the spectrum or too narrow for the model.
    """
    where = spectrum.path or "spectrum"
    cal = spectrum.energy_cal
    if cal is None:
        raise FitError(f"{where}: no energy calibration to place a region in keV")
    lo, hi = sorted((float(lo_kev), float(hi_kev)))
    a, b = (float(c) for c in cal.channel([lo, hi]))
    ch_lo, ch_hi = max(math.ceil(min(a, b)), 0), min(math.floor(max(a, b)), spectrum.n_channels - 1)
    if ch_hi - ch_lo < 6:
        raise FitError(f"{where}: region {lo:.2f}-{hi:.2f} keV spans too few channels to fit")
    centre = 0.5 * (ch_lo + ch_hi)
    gain = abs(float(cal.gain_kev_per_channel(centre)))
    fw_ch = (fwhm_kev / gain) if fwhm_kev and fwhm_kev > 0 else max(3.0, 0.04 * (ch_hi - ch_lo))
    found = find_peaks(spectrum, fwhm_ch=fw_ch, channel_range=(ch_lo, ch_hi))
    best = sorted(found, key=lambda c: -c.significance)[:MAX_MANUAL_PEAKS]
    if best:
        cents = sorted(c.channel for c in best)
    else:
        counts = np.asarray(spectrum.counts[ch_lo : ch_hi + 1], dtype=float)
        cents = [float(ch_lo + int(np.argmax(counts)))]
    return fit_region(spectrum, cents, region_ch=(ch_lo, ch_hi), fwhm_ch=fw_ch, cost=cost)


@dataclass(frozen=True)
class CalibrationSource:
    """A calibration spectrum's analysis with its certificate and the user's exclusions."""

    analysis: SpectrumAnalysis
    certificate: SourceCertificate
    excluded_kev: tuple[float, ...] = ()

    @classmethod
    def from_entry(cls, entry: Any, analysis: SpectrumAnalysis) -> CalibrationSource:
        """Build from a ``SpectrumEntry``; raise ``CalibrationError`` naming what is missing."""
        name = entry.name or entry.path
        if not (math.isfinite(entry.activity_bq) and entry.activity_bq > 0):
            raise CalibrationError(f"{name}: give the certified activity of the source")
        if not entry.reference_date:
            raise CalibrationError(f"{name}: give the reference date of the certificate")
        cert = SourceCertificate(
            entry.nuclide,
            float(entry.activity_bq),
            float(entry.activity_err_bq),
            parse_datetime(entry.reference_date),
            entry.label,
        )
        return cls(analysis, cert, tuple(entry.excluded_kev))


def fit_efficiency_curve(
    sources: Sequence[CalibrationSource],
    *,
    order: int = 3,
    e0_kev: float = 300.0,
    exclude_summing: bool = False,
    area: str = "fit",
) -> EfficiencyCurve:
    """Return the efficiency curve of ``sources`` as ``larcal hpge efficiency`` fits it.

    The user's exclusions of each spectrum mark its points "excluded by the user" before the
    fit (the CLI's ``--exclude``); ``extra`` holds the per-spectrum summaries and warnings the
    CLI stores, so ``curve.save`` writes the file ``--out`` writes.
    """
    if not sources:
        raise CalibrationError("no analysed calibration spectrum with a certificate")
    points = []
    spectra = []
    warnings = []
    for src in sources:
        cert, analysis = src.certificate, src.analysis
        path = analysis.spectrum.path
        if cert.activity_err_bq == 0:
            warnings.append(f"{path}: no activity uncertainty: the source uncertainty is left out")
        pts = efficiency_points(analysis, cert, area=area)
        points += exclude_points(pts, energies_kev=src.excluded_kev)
        counting = CountingInterval.from_spectrum(analysis.spectrum)
        spectra.append(
            {
                **analysis_summary(analysis),
                "certificate": cert.to_dict(),
                "counting": counting.to_dict(),
                "activity_at_start_bq": cert.activity_at(counting.start),
            }
        )
    return fit_efficiency(
        points,
        order=order,
        e0_kev=e0_kev,
        exclude_flags=SUMMING_FLAGS if exclude_summing else (),
        extra={"spectra": spectra, "warnings": warnings},
    )


@dataclass(frozen=True)
class ContainerPair:
    """One source counted inside and outside the container."""

    nuclide: str
    inside: SpectrumAnalysis
    outside: SpectrumAnalysis
    excluded_kev: tuple[float, ...] = ()


@dataclass(frozen=True)
class AttenuationResult:
    """Measured transmissions and their model (None when not wanted or not fittable)."""

    model: AttenuationModel | None
    points: tuple[AttenuationPoint, ...]
    message: str = ""


def fit_container_attenuation(
    pairs: Sequence[ContainerPair], kind: str = "power"
) -> AttenuationResult:
    """Return the transmission points of every pair and their model of ``kind``.

    ``kind="none"`` gives no model. A model that cannot be fitted to the points (too few
    energies, no attenuation for a power law) gives no model and the reason in ``message``:
    the points are still worth showing, and another kind may fit.

    Raises
    ------
    CalibrationError
        No line common to a pair (nothing measured at all).
    """
    points: list[AttenuationPoint] = []
    for pair in pairs:
        nuc = get_nuclide(pair.nuclide).name
        pts = attenuation_points(
            pair.inside, pair.outside, nuc, tolerance_kev=ATTENUATION_TOLERANCE_KEV
        )
        points += [p for p in pts if all(abs(p.energy_kev - e) > 1e-3 for e in pair.excluded_kev)]
    if kind == "none":
        return AttenuationResult(None, tuple(points), "no container correction chosen (μ = 1)")
    if not points:
        raise CalibrationError("no container transmission measured (every line excluded)")
    try:
        return AttenuationResult(fit_attenuation(points, kind=kind), tuple(points))
    except FitError as exc:
        return AttenuationResult(None, tuple(points), f"no {kind} model: {exc}")


@dataclass(frozen=True)
class ActivityReport:
    """An activity assay as the pane shows and exports it.

    Attributes
    ----------
    result : ActivityResult
        At the chosen date (or at the count when no date was chosen).
    measured : ActivityResult
        At the count.
    inputs : ActivityInputs
        Per-line N, efficiency, transmission and emission probability used.
    daughters : tuple of DaughterActivity
        Expected daughter activities (83mKr) at the chosen date.
    """

    result: ActivityResult
    measured: ActivityResult
    inputs: ActivityInputs
    daughters: tuple[DaughterActivity, ...]

    def to_dict(self) -> dict[str, Any]:
        """Return the object ``larcal hpge activity --json`` prints, plus ``line_inputs``."""
        d = self.result.to_dict()
        m = self.measured
        d["activity_at_measurement"] = {
            "activity_bq": m.activity_bq,
            "activity_err_bq": m.activity_err_bq,
            "reference_time": m.reference_time.isoformat() if m.reference_time else None,
        }
        d["expected_daughters"] = [x.to_dict() for x in self.daughters]
        kr = next((x for x in self.daughters if x.name == "Kr-83m"), None)
        d["kr83m"] = kr.to_dict() if kr else None
        d["nuclear_data_version"] = nuclear_data_info()["version"]
        d["line_inputs"] = [
            {
                "energy_kev": ln.energy_kev,
                "counts": ln.counts,
                "counts_err": ln.counts_err,
                "efficiency": ln.efficiency,
                "efficiency_err": ln.efficiency_err,
                "attenuation": ln.attenuation,
                "attenuation_err": ln.attenuation_err,
                "intensity": ln.intensity,
                "intensity_err": ln.intensity_err,
                "live_time_s": ln.live_time_s,
            }
            for ln in self.inputs.lines
        ]
        return d


def assay_activity(
    analysis: SpectrumAnalysis,
    nuclide: str,
    curve: EfficiencyCurve,
    attenuation: AttenuationModel | None = None,
    *,
    date: str = "",
    excluded_kev: Sequence[float] = (),
    exclude_summing: bool = False,
    area: str = "fit",
    curve_source: str = "fitted in the workbench",
) -> ActivityReport:
    """Return the activity of ``nuclide`` in ``analysis`` (``larcal hpge activity --spectrum``).

    The decay-during-counting factor is applied (the CLI's default for spectra), so the
    result refers to the start of the count; ``date`` (``YYYY-MM-DD``) decays it, adding the
    half-life uncertainty to the budget.
    """
    nuc = get_nuclide(nuclide)
    options = {
        "attenuation": attenuation,
        "counting": CountingInterval.from_spectrum(analysis.spectrum),
        "exclude_energies_kev": list(excluded_kev),
        "exclude_flags": SUMMING_FLAGS if exclude_summing else (),
        "area": area,
    }
    result = activity_from_analysis(analysis, nuc, curve, decay_during_counting=True, **options)
    inputs = activity_lines_from_analysis(analysis, nuc, curve, **options)
    result.extra["analysis"] = analysis_summary(analysis)
    result.extra["efficiency_curve"] = curve_source
    measured = result
    if date:
        result = result.decayed_to(parse_datetime(date), nuc.half_life_s, nuc.half_life_err_s)
    daughters = tuple(
        expected_daughter_activity(result.activity_bq, result.activity_err_bq, nuc, d.name)
        for d in nuc.daughters
    )
    return ActivityReport(result, measured, inputs, daughters)
