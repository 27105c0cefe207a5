"""Full-energy-peak efficiency points from reference-source peaks.

What to use when
----------------
- ``efficiency_points(analysis, certificate)``: one ``EfficiencyPoint`` per identified line of
  the certified nuclide in a ``SpectrumAnalysis`` (from ``analysis_core.hpge.identify``). Times
  come from the spectrum unless given. Then fit the points with
  ``analysis_core.hpge.efficiency.fit_efficiency``.
- ``make_efficiency_point(line, counts, counts_err, certificate, counting)``: one point from a
  net peak area you already have (another program's report, a hand fit).

Each point is ``eps = N / (A(t_start) Y t_live D)`` with ``D`` the decay-during-counting factor
(spec/physics.md section 2). Its uncertainty is split into an independent part (peak area and
emission probability) and a part common to every point of the same source (certificate,
half-life over the decay interval, and the nuclide's intensity normalisation), which the curve fit
treats as fully correlated within the source.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from typing import Any

from analysis_core.errors import CalibrationError
from analysis_core.hpge.nuclides import FLAG_ANNIHILATION, FLAG_XRAY, GammaLine
from analysis_core.hpge.sources import CountingInterval, SourceCertificate

__all__ = [
    "EfficiencyPoint",
    "efficiency_points",
    "exclude_points",
    "make_efficiency_point",
    "peak_area",
    "source_label",
]

#: Lines never used for efficiency (their peak is not a clean full-energy peak of the nuclide).
NEVER_USE_FLAGS = frozenset({FLAG_ANNIHILATION, FLAG_XRAY})


@dataclass(frozen=True, slots=True)
class EfficiencyPoint:
    """One measured full-energy-peak efficiency.

    Attributes
    ----------
    energy_kev : float
        Line energy from the nuclear data.
    efficiency, efficiency_err : float
        Efficiency (counts in the peak per emitted photon) and its total standard uncertainty.
    source_label : str
        Which source (certificate) it comes from; points with the same label share
        ``correlated_rel_err``.
    nuclide : str
        Emitting nuclide.
    independent_rel_err : float
        Relative uncertainty of this point alone (peak area, emission probability).
    correlated_rel_err : float
        Relative uncertainty common to all points of the source (certificate, half-life,
        intensity normalisation).
    flags : frozenset of str
        Line flags from the nuclear data (``summing-loss``, ``doublet``, ...).
    counts, counts_err : float
        Net peak area and its uncertainty.
    intensity, intensity_err : float
        Emission probability used.
    activity_bq : float
        Source activity at the start of the count.
    live_time_s : float
        Live time of the count.
    counting_decay_factor : float
        ``D`` of the count.
    fwhm_kev, fwhm_err_kev : float
        Peak width (NaN when not measured).
    measured_energy_kev : float
        Fitted peak position (NaN when not measured).
    excluded : bool
        True when the point is not used in curve fits.
    excluded_reason : str
        Why, in plain words.
    """

    energy_kev: float
    efficiency: float
    efficiency_err: float
    source_label: str
    nuclide: str
    independent_rel_err: float
    correlated_rel_err: float
    flags: frozenset[str] = frozenset()
    counts: float = float("nan")
    counts_err: float = float("nan")
    intensity: float = float("nan")
    intensity_err: float = float("nan")
    activity_bq: float = float("nan")
    live_time_s: float = float("nan")
    counting_decay_factor: float = 1.0
    fwhm_kev: float = float("nan")
    fwhm_err_kev: float = float("nan")
    measured_energy_kev: float = float("nan")
    excluded: bool = False
    excluded_reason: str = ""

    @classmethod
    def from_value(
        cls,
        energy_kev: float,
        efficiency: float,
        efficiency_err: float,
        *,
        source_label: str = "",
        nuclide: str = "",
        correlated_rel_err: float = 0.0,
        flags: Iterable[str] = (),
    ) -> EfficiencyPoint:
        """Build a point from an efficiency value (total error includes ``correlated_rel_err``).

        Raises
        ------
        CalibrationError
            When the efficiency is not positive or the correlated part exceeds the total.
        """
        if not (efficiency > 0 and efficiency_err > 0):
            raise CalibrationError(
                f"efficiency point at {energy_kev} keV: efficiency and its error must be "
                f"positive (got {efficiency!r} +- {efficiency_err!r})"
            )
        total = efficiency_err / efficiency
        if correlated_rel_err > total:
            raise CalibrationError(
                f"efficiency point at {energy_kev} keV: correlated part {correlated_rel_err:.3g} "
                f"exceeds the total relative error {total:.3g}"
            )
        return cls(
            energy_kev=float(energy_kev),
            efficiency=float(efficiency),
            efficiency_err=float(efficiency_err),
            source_label=source_label,
            nuclide=nuclide,
            independent_rel_err=math.sqrt(total**2 - correlated_rel_err**2),
            correlated_rel_err=float(correlated_rel_err),
            flags=frozenset(flags),
        )

    @property
    def rel_err(self) -> float:
        """Total relative uncertainty."""
        return self.efficiency_err / self.efficiency

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dictionary (flags as a sorted list)."""
        d = asdict(self)
        d["flags"] = sorted(self.flags)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> EfficiencyPoint:
        """Rebuild a point from ``to_dict`` output (None means NaN)."""
        kw: dict[str, Any] = {}
        for name in cls.__dataclass_fields__:
            if name not in d:
                continue
            v = d[name]
            if name == "flags":
                kw[name] = frozenset(v)
            elif name in ("source_label", "nuclide", "excluded_reason"):
                kw[name] = str(v)
            elif name == "excluded":
                kw[name] = bool(v)
            else:
                kw[name] = float("nan") if v is None else float(v)
        return cls(**kw)


def source_label(certificate: SourceCertificate) -> str:
    """Return the label identifying a source's points (its ``label`` or a description)."""
    if certificate.label:
        return certificate.label
    return (
        f"{certificate.nuclide} {certificate.activity_bq:.6g} Bq "
        f"{certificate.reference_date:%Y-%m-%d}"
    )


def make_efficiency_point(
    line: GammaLine,
    counts: float,
    counts_err: float,
    certificate: SourceCertificate,
    counting: CountingInterval,
    *,
    fwhm_kev: float = float("nan"),
    fwhm_err_kev: float = float("nan"),
    measured_energy_kev: float = float("nan"),
    excluded_reason: str = "",
) -> EfficiencyPoint:
    """Return the efficiency of one line: ``N / (A(t_start) Y t_live D)``.

    Parameters
    ----------
    line : GammaLine
        The line (its nuclide must be the certificate's).
    counts, counts_err : float
        Net peak area and its standard uncertainty.
    certificate : SourceCertificate
        The source.
    counting : CountingInterval
        Start, live and real time of the count.
    excluded_reason : str
        Non-empty to mark the point excluded (it is still computed when possible).

    Raises
    ------
    CalibrationError
        When the line belongs to another nuclide.
    """
    if line.nuclide != certificate.nuclide:
        raise CalibrationError(
            f"line {line.label()} does not belong to source {certificate.display_name}"
        )
    nuc = certificate.nuclide_data
    activity = certificate.activity_at(counting.start)
    d = counting.decay_factor(nuc.half_life_s)
    budget = certificate.activity_budget_at(counting.start)
    correlated = math.sqrt(sum(v**2 for v in budget.values()) + nuc.normalisation_rel_err**2)
    reason = excluded_reason
    if not reason and line.flags & NEVER_USE_FLAGS:
        reason = f"{', '.join(sorted(line.flags & NEVER_USE_FLAGS))} line"
    if not (math.isfinite(counts) and counts > 0 and math.isfinite(counts_err)):
        reason = reason or f"no positive peak area ({counts!r} +- {counts_err!r})"
        eff = float("nan")
        independent = float("nan")
    else:
        eff = counts / (activity * line.intensity * counting.live_time_s * d)
        i_rel = line.intensity_rel_err if math.isfinite(line.intensity_err) else 0.0
        independent = math.hypot(counts_err / counts, i_rel)
    return EfficiencyPoint(
        energy_kev=line.energy_kev,
        efficiency=eff,
        efficiency_err=eff * math.hypot(independent, correlated),
        source_label=source_label(certificate),
        nuclide=line.nuclide,
        independent_rel_err=independent,
        correlated_rel_err=correlated,
        flags=line.flags,
        counts=float(counts),
        counts_err=float(counts_err),
        intensity=line.intensity,
        intensity_err=line.intensity_err,
        activity_bq=activity,
        live_time_s=counting.live_time_s,
        counting_decay_factor=d,
        fwhm_kev=float(fwhm_kev),
        fwhm_err_kev=float(fwhm_err_kev),
        measured_energy_kev=float(measured_energy_kev),
        excluded=bool(reason),
        excluded_reason=reason,
    )


def peak_area(peak: Any, area: str = "fit") -> tuple[float, float, str]:
    """Return ``(net area, error, caveat)`` of an ``IdentifiedPeak``: fit or ROI sum (``"roi"``).

    The caveat is empty when the area belongs to this line alone. An ROI that spans a multiplet
    or whose continuum channels touch other peaks (``RoiArea.note``), or a missing ROI, gives a
    caveat: such an area must not be used for this line.
    """
    if area == "roi":
        roi = getattr(peak, "roi", None)
        if roi is None:
            return float("nan"), float("nan"), "no ROI area for this peak"
        note = str(getattr(roi, "note", "") or "")
        return float(roi.net), float(roi.net_err), f"ROI area not usable: {note}" if note else ""
    return float(peak.fit.area), float(peak.fit.area_err), ""


def efficiency_points(
    analysis: Any,
    certificate: SourceCertificate,
    *,
    live_time_s: float | None = None,
    real_time_s: float | None = None,
    start: date | datetime | None = None,
    area: str = "fit",
) -> list[EfficiencyPoint]:
    """Return one efficiency point per identified line of the certificate's nuclide.

    Parameters
    ----------
    analysis : SpectrumAnalysis
        Output of ``analysis_core.hpge.identify.analyse_source_spectrum``: its ``spectrum`` and
        ``peaks`` (``IdentifiedPeak`` with ``line``, ``fit``, ``roi``, ``excluded_reason``).
    certificate : SourceCertificate
        The source measured.
    live_time_s, real_time_s, start : optional
        Override the spectrum's times.
    area : {"fit", "roi"}
        Net area from the peak fit (default) or from the ROI sum with continuum subtraction.

    Returns
    -------
    list of EfficiencyPoint
        Sorted by energy. Peaks whose fit failed, that the identification excluded, or that are
        x-ray/annihilation lines come back with ``excluded=True`` and the reason.

    Raises
    ------
    CalibrationError
        Missing times, or no identified line of the nuclide.
    """
    if area not in ("fit", "roi"):
        raise CalibrationError(f"area must be 'fit' or 'roi', got {area!r}")
    counting = CountingInterval.from_spectrum(
        analysis.spectrum, start=start, live_time_s=live_time_s, real_time_s=real_time_s
    )
    points = []
    for peak in analysis.peaks:
        line = peak.line
        if line.nuclide != certificate.nuclide:
            continue
        fit = peak.fit
        counts, counts_err, caveat = peak_area(peak, area)
        reason = str(getattr(peak, "excluded_reason", "") or "")
        if not reason and not fit.valid:
            reason = f"peak fit not valid: {fit.message}" if fit.message else "peak fit not valid"
        reason = reason or caveat
        points.append(
            make_efficiency_point(
                line,
                counts,
                counts_err,
                certificate,
                counting,
                fwhm_kev=float(fit.fwhm_kev),
                fwhm_err_kev=float(fit.fwhm_err_kev),
                measured_energy_kev=float(fit.energy_kev),
                excluded_reason=reason,
            )
        )
    if not points:
        name = getattr(analysis.spectrum, "path", "") or "spectrum"
        raise CalibrationError(f"{name}: no identified line of {certificate.nuclide}")
    return sorted(points, key=lambda p: p.energy_kev)


def exclude_points(
    points: Sequence[EfficiencyPoint],
    *,
    energies_kev: Iterable[float] = (),
    flags: Iterable[str] = (),
    tolerance_kev: float = 1.0,
) -> list[EfficiencyPoint]:
    """Return ``points`` with those near ``energies_kev`` or carrying ``flags`` excluded.

    Already excluded points keep their first reason.
    """
    energies = [float(e) for e in energies_kev]
    flag_set = frozenset(flags)
    out = []
    for p in points:
        reason = p.excluded_reason
        if not p.excluded:
            if any(abs(p.energy_kev - e) <= tolerance_kev for e in energies):
                reason = "excluded by the user"
            elif p.flags & flag_set:
                reason = f"excluded by flag: {', '.join(sorted(p.flags & flag_set))}"
        out.append(replace(p, excluded=bool(reason), excluded_reason=reason) if reason else p)
    return out
