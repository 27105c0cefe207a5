"""Calibration, resolution and ROI steps of ``identify.analyse_source_spectrum``.

What to use when
----------------
- ``refit_energy_scale(lines, fits, reasons, base, n_channels)``: re-fit the energy scale on
  identified lines, dropping gross outliers.
- ``fwhm_model_from_lines(peaks, region_of, members)``: FWHM(E) from clean single lines.
- ``line_roi(spectrum, fit, region_peaks)``: the Genie ROI of a line (spanning its multiplet).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from analysis_core.errors import FitError
from analysis_core.hpge.energycal import (
    EnergyCalFit,
    FwhmModel,
    fit_calibration_correction,
    fit_energy_calibration,
    fit_fwhm_model,
)
from analysis_core.hpge.nuclides import FLAG_ANNIHILATION, FLAG_DOUBLET
from analysis_core.hpge.peakmodel import PeakFit
from analysis_core.hpge.peakroi import RoiArea, roi_net_area
from analysis_core.hpge.spectrum import EnergyCalibration, Spectrum

if TYPE_CHECKING:
    from analysis_core.hpge.identify import IdentifiedPeak
    from analysis_core.hpge.nuclides import GammaLine

__all__ = [
    "CAL_SYSTEMATIC_KEV",
    "FULL_FIT_SPAN",
    "GAIN_FIT_SPAN",
    "fwhm_model_from_lines",
    "line_roi",
    "refit_energy_scale",
]

#: Systematic centroid uncertainty added to every energy-calibration point (keV).
CAL_SYSTEMATIC_KEV = 0.03
#: A full quadratic E(ch) needs 4 lines spanning this fraction of the spectrum's energy range.
FULL_FIT_SPAN = 0.2
#: A gain correction of the stored calibration needs lines spanning this fraction.
GAIN_FIT_SPAN = 0.1


def refit_energy_scale(
    lines: Sequence[GammaLine],
    line_fit: dict[int, PeakFit],
    reasons: dict[int, str],
    base: EnergyCalibration,
    n_channels: int,
) -> tuple[EnergyCalFit | None, dict[int, str], str]:
    """Fit the energy scale on usable lines, dropping gross outliers one at a time.

    Four or more lines spanning at least ``FULL_FIT_SPAN`` of the spectrum's energy range get
    a quadratic ``E(ch)``; fewer or closely spaced lines only correct the stored calibration
    (offset and gain when they span ``GAIN_FIT_SPAN``, else the offset), so that its shape is
    not replaced by a line through two neighbouring points.

    Each point's error is its centroid error and table error plus ``CAL_SYSTEMATIC_KEV`` in
    quadrature: strong peaks have centroid errors of a few eV, far below the peak-shape and ADC
    non-linearity effects, and would otherwise pin the fit. The point with the largest residual
    is dropped while that residual exceeds both 5 times its error and 4 robust standard
    deviations (1.4826 x median absolute residual) of the others: typically an unresolved line
    of another nuclide (at most a quarter of the lines, and never below 4).
    """
    use = [i for i, f in line_fit.items() if not reasons[i] and f.valid]
    dropped: dict[int, str] = {}
    fit: EnergyCalFit | None = None
    full_range = float(base.energy(n_channels - 1) - base.energy(0))
    how = ""
    while use:
        ch = [line_fit[i].centroid_ch for i in use]
        e = [lines[i].energy_kev for i in use]
        kw = {
            "channel_err": [line_fit[i].centroid_err_ch for i in use],
            "energy_err_kev": np.hypot(
                np.nan_to_num([lines[i].energy_err_kev for i in use]), CAL_SYSTEMATIC_KEV
            ),
            "n_channels": n_channels,
        }
        span = (max(e) - min(e)) / full_range
        if len(use) >= 4 and span >= FULL_FIT_SPAN:
            fit = fit_energy_calibration(ch, e, order=2, **kw)
            how = "quadratic E(ch)"
        else:
            order = 1 if len(use) >= 2 and span >= GAIN_FIT_SPAN else 0
            fit = fit_calibration_correction(ch, e, base, order=order, **kw)
            how = (
                "gain and offset of the stored calibration"
                if order
                else ("offset of the stored calibration")
            )
        r = np.abs(np.array(fit.residuals_kev))
        limit = np.maximum(4.0 * _robust_spread(r), 5.0 * np.array(fit.errors_kev))
        worst = int(np.argmax(r / limit))
        if len(use) <= 4 or len(dropped) >= len(line_fit) // 4 or r[worst] <= limit[worst]:
            break
        i = use.pop(worst)
        dropped[i] = (
            f"energy residual {fit.residuals_kev[worst]:+.2f} keV: an unresolved line of "
            "another nuclide, or a misidentified or distorted peak"
        )
    if fit is None:
        return None, dropped, "no usable line: energy scale not re-fitted"
    rms = float(np.sqrt(np.mean(np.square(fit.residuals_kev))))
    note = f"energy scale re-fitted ({how}) on {len(use)} line(s): residual rms {rms:.3f} keV" + (
        f"; {fit.message}" if fit.message else ""
    )
    return fit, dropped, note


def _robust_spread(r: NDArray[np.float64]) -> NDArray[np.float64]:
    """Per point: 1.4826 x median absolute value of the other points (0 if none)."""
    out = np.zeros_like(r)
    for k in range(r.size):
        others = np.delete(r, k)
        out[k] = 1.4826 * float(np.median(others)) if others.size else 0.0
    return out


def fwhm_model_from_lines(
    peaks: Sequence[IdentifiedPeak], region_of: dict[int, int], members: Sequence[tuple[int, ...]]
) -> tuple[FwhmModel | None, str]:
    """FWHM(E) from clean single lines with free, well-measured widths."""
    pts = [
        p.fit
        for i, p in enumerate(peaks)
        if not p.excluded
        and p.fit.valid
        and p.fit.width == "free"
        and region_of.get(i, -1) >= 0
        and len(members[region_of[i]]) == 1
        and not (p.line.flags & {FLAG_DOUBLET, FLAG_ANNIHILATION})
        and p.fit.significance >= 10.0
        and p.fit.fwhm_err_kev > 0
    ]
    if not pts:
        return None, "no clean single line to fit the FWHM(E) model"
    model = fit_fwhm_model(
        [f.energy_kev for f in pts], [f.fwhm_kev for f in pts], [f.fwhm_err_kev for f in pts]
    )
    return model, f"FWHM(E) fitted on {len(pts)} single lines"


def line_roi(spectrum: Spectrum, fit: PeakFit, group: Sequence[PeakFit]) -> RoiArea | None:
    """ROI of one peak, spanning the peaks of its region whose +-1.5 FWHM windows overlap."""
    if not (fit.valid and math.isfinite(fit.centroid_ch)):
        return None
    span = [
        g
        for g in group
        if g.valid and abs(g.centroid_ch - fit.centroid_ch) < 1.5 * (g.fwhm_ch + fit.fwhm_ch)
    ] or [fit]
    note = ""
    if len(span) > 1:
        kev = " + ".join(f"{g.energy_kev:.1f}" for g in sorted(span, key=lambda g: g.energy_kev))
        note = f"ROI spans the multiplet {kev} keV: net is the sum of {len(span)} peaks"
    lo = round(min(g.centroid_ch - 1.5 * g.fwhm_ch for g in span))
    hi = round(max(g.centroid_ch + 1.5 * g.fwhm_ch for g in span))
    n_side = max(3, math.ceil(max(g.fwhm_ch for g in span)))
    reach = [
        g.energy_kev
        for g in group
        if g.valid
        and g not in span
        and (lo - n_side - 1.5 * g.fwhm_ch < g.centroid_ch < hi + n_side + 1.5 * g.fwhm_ch)
    ]
    if reach:
        extra = (
            f"continuum channels touch the peak(s) at {', '.join(f'{e:.1f}' for e in reach)} keV"
        )
        note = f"{note}; {extra}" if note else extra
    try:
        return roi_net_area(spectrum, (lo, hi), n_side, note=note)
    except FitError:
        return None
