"""Grouping of peaks into fit regions, and region fits with fallbacks (used by ``identify``).

What to use when
----------------
- ``fit_peak_list(spectrum, channels, fwhm_ch, ...)``: fit many peaks of one spectrum at once:
  peaks closer than ``CLUSTER_GAP_FWHM`` FWHM to a neighbour share a region (multiplets such as
  152Eu 1085.8 + 1089.7 keV), each region is fitted with ``peakfit.fit_region``, and a region
  whose free-width fit fails is refitted with the width held at the expected FWHM, then
  without the step term; the note on each peak says so. Each region's residuals are then
  searched for peaks the main search missed (shoulders of strong peaks; ``residual_peaks``).

Regions reach 3.5 FWHM beyond their outer peaks; with clusters split at gaps of 5 FWHM, a
neighbouring region's peak then sits at least 1.5 FWHM (3.5 sigma) outside, so its tail adds
well under 1 % of its area to the region.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import scipy.signal
from numpy.typing import NDArray

from analysis_core.errors import FitError
from analysis_core.hpge.peakfit import fit_region
from analysis_core.hpge.peakmodel import PeakFit, RegionFit, region_curves
from analysis_core.hpge.peaks import FWHM_PER_SIGMA, kernel
from analysis_core.hpge.spectrum import Spectrum
from analysis_core.progress import CancelToken, ProgressFn, check_cancel

__all__ = [
    "CLUSTER_GAP_FWHM",
    "MAX_PEAKS_PER_REGION",
    "PeakListFit",
    "fit_peak_list",
    "residual_peaks",
]

#: Peaks closer than this many FWHM (the larger of the two) are fitted in one region.
CLUSTER_GAP_FWHM = 5.0
#: Larger clusters are split at their widest gap.
MAX_PEAKS_PER_REGION = 8
_REGION_HALF_FWHM = 3.5
#: Threshold of the residual search (filter significance, as the main search).
RESIDUAL_SIGNIFICANCE = 5.0
#: Residual peaks closer than this many FWHM to a fitted peak are not added (a shape mismatch
#: of a strong peak, e.g. its low-energy tail, leaves residuals within about one FWHM).
RESIDUAL_MIN_SEP_FWHM = 1.0
#: An added peak within this many FWHM below a peak more than 1 / TAIL_RATIO times stronger is
#: taken for that peak's low-energy tail and not added.
TAIL_REACH_FWHM = 2.5
TAIL_RATIO = 0.05
#: A refit with residual peaks must reach a reduced chi-square below this.
RESIDUAL_MAX_CHI2_NDF = 3.0


@dataclass(frozen=True)
class PeakListFit:
    """Fits of a list of peaks.

    Attributes
    ----------
    fits : tuple of PeakFit
        One per input peak, in input order (invalid with the reason when its region failed).
    region_index : tuple of int
        Index into ``regions`` of each peak's region (-1 when the region could not be set up).
    regions : tuple of RegionFit
        The fitted regions (for plotting and covariances). A region's ``peaks`` hold its input
        peaks first, then the peaks the residual search added.
    members : tuple of tuple of int
        Input indices of the peaks of each region.
    added : tuple of PeakFit
        Peaks found in the fit residuals (shoulders the search missed next to strong peaks).
    """

    fits: tuple[PeakFit, ...]
    region_index: tuple[int, ...]
    regions: tuple[RegionFit, ...]
    members: tuple[tuple[int, ...], ...]
    added: tuple[PeakFit, ...] = ()


def _clusters(ch: NDArray[np.float64], fw: NDArray[np.float64]) -> list[list[int]]:
    order = [int(i) for i in np.argsort(ch)]
    groups: list[list[int]] = []
    for i in order:
        if groups:
            j = groups[-1][-1]
            if ch[i] - ch[j] < CLUSTER_GAP_FWHM * max(fw[i], fw[j]):
                groups[-1].append(i)
                continue
        groups.append([i])
    out: list[list[int]] = []
    stack = groups[::-1]
    while stack:
        g = stack.pop()
        if len(g) <= MAX_PEAKS_PER_REGION:
            out.append(g)
            continue
        gaps = np.diff(ch[g]) / fw[g][1:]
        k = int(gaps.argmax()) + 1
        stack += [g[k:], g[:k]]
    return out


def _region(
    g: list[int], ch: NDArray[np.float64], fw: NDArray[np.float64], data: tuple[int, int]
) -> tuple[int, int]:
    lo = math.floor(ch[g[0]] - _REGION_HALF_FWHM * fw[g[0]])
    hi = math.ceil(ch[g[-1]] + _REGION_HALF_FWHM * fw[g[-1]])
    # A split cluster: stop halfway to the neighbours that are fitted in another region.
    left = ch[(ch < ch[g[0]])]
    right = ch[(ch > ch[g[-1]])]
    if left.size and ch[g[0]] - left.max() < CLUSTER_GAP_FWHM * fw[g[0]]:
        lo = max(lo, math.ceil(0.5 * (ch[g[0]] + left.max())))
    if right.size and right.min() - ch[g[-1]] < CLUSTER_GAP_FWHM * fw[g[-1]]:
        hi = min(hi, math.floor(0.5 * (ch[g[-1]] + right.min())))
    return max(lo, data[0]), min(hi, data[1])


def _fit_with_fallbacks(
    spectrum: Spectrum,
    cents: NDArray[np.float64],
    fw: NDArray[np.float64],
    region: tuple[int, int],
    cost: str,
) -> RegionFit:
    attempts = (
        ("free", "auto", ""),
        ("fixed", "auto", "width held at the expected FWHM"),
        ("fixed", "none", "width held at the expected FWHM, no step term"),
    )
    first: RegionFit | None = None
    for width, step, note in attempts:
        fit = fit_region(
            spectrum, cents, region_ch=region, fwhm_ch=fw, cost=cost, step=step, width=width
        )
        if first is None:
            first = fit
        if fit.valid:
            if not note:
                return fit
            why = f"{note} (the free fit failed: {first.message})"
            peaks = tuple(replace(p, message=why) for p in fit.peaks)
            return replace(fit, peaks=peaks)
    assert first is not None
    return first


def residual_peaks(
    spectrum: Spectrum, fit: RegionFit, min_significance: float = RESIDUAL_SIGNIFICANCE
) -> list[float]:
    """Return centroids of significant unmodelled peaks in the residuals of ``fit``.

    Most significant first.

    The residual ``n - model`` (the model extrapolated half a filter width beyond the region)
    goes through the search filter matched to the fitted width, with variance from the model;
    maxima above ``min_significance``, at least ``RESIDUAL_MIN_SEP_FWHM`` FWHM from every
    fitted peak and half an FWHM inside the region are returned.
    """
    if not fit.valid:
        return []
    fw = float(np.mean([p.fwhm_ch for p in fit.peaks]))
    sigma = fw / FWHM_PER_SIGMA
    lo, hi = fit.region_ch
    half = math.ceil(4.0 * sigma) + 1
    a, b = max(lo - half, 0), min(hi + half, spectrum.n_channels - 1)
    ch = np.arange(a, b + 1, dtype=float)
    curves = region_curves(fit, ch)
    resid = np.asarray(spectrum.counts[a : b + 1], dtype=float) - curves.total
    var = np.maximum(curves.total, 1.0)
    k = kernel(sigma)
    y = np.convolve(resid, k, mode="same")
    sig = y / np.sqrt(np.convolve(var, k * k, mode="same"))
    out: list[tuple[float, float]] = []
    centres = np.array([p.centroid_ch for p in fit.peaks])
    idx, _ = scipy.signal.find_peaks(sig, height=min_significance)
    for i in idx:
        c = ch[i]
        if not lo + 0.5 * fw <= c <= hi - 0.5 * fw:
            continue
        if np.min(np.abs(centres - c)) < RESIDUAL_MIN_SEP_FWHM * fw:
            continue
        out.append((float(sig[i]), float(c)))
    return [c for _, c in sorted(out, reverse=True)]


def fit_peak_list(
    spectrum: Spectrum,
    channels: Sequence[float],
    fwhm_ch: Sequence[float],
    *,
    cost: str = "auto",
    residual_search: bool = True,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> PeakListFit:
    """Fit all ``channels`` of ``spectrum``, grouped into regions.

    Parameters
    ----------
    spectrum : Spectrum
        The spectrum.
    channels : sequence of float
        Starting centroids.
    fwhm_ch : sequence of float
        Expected FWHM of each peak in channels (ties the widths within a region and sets the
        region size; used as the fixed width of the fallback fits).
    cost : {"auto", "poisson", "chi2"}
        As ``fit_region``.
    residual_search : bool
        Look for unmodelled peaks in each region's residuals (``residual_peaks``) and refit the
        region with them; they are returned in ``added``.
    progress, cancel : optional
        ``progress(done, total)`` after each region; ``cancel`` is checked between regions.

    Returns
    -------
    PeakListFit
    """
    ch = np.asarray(channels, dtype=float)
    fw = np.asarray(fwhm_ch, dtype=float)
    groups = _clusters(ch, fw)
    # Regions stay within the channels that hold data: below a discriminator cut-off the
    # zeros are not a background level.
    nz = np.flatnonzero(np.asarray(spectrum.counts) > 0)
    data = (int(nz[0]), int(nz[-1])) if nz.size else (0, spectrum.n_channels - 1)
    fits: list[PeakFit | None] = [None] * ch.size
    where = [-1] * ch.size
    regions: list[RegionFit] = []
    members: list[tuple[int, ...]] = []
    added: list[PeakFit] = []
    for k, g in enumerate(groups):
        check_cancel(cancel)
        region = _region(g, ch, fw, data)
        try:
            rf = _fit_with_fallbacks(spectrum, ch[g], fw[g], region, cost)
            if residual_search:
                rf, extra_fits = _add_residual_peaks(spectrum, rf, ch[g], fw[g], region, cost)
                added.extend(extra_fits)
        except FitError as exc:
            for i in g:
                fits[i] = _failed(spectrum, str(exc), region, cost)
        else:
            for j, i in enumerate(g):
                fits[i] = rf.peaks[j]
                where[i] = len(regions)
            regions.append(rf)
            members.append(tuple(g))
        if progress is not None:
            progress(k + 1, len(groups))
    return PeakListFit(
        tuple(f for f in fits if f is not None),
        tuple(where),
        tuple(regions),
        tuple(members),
        tuple(added),
    )


def _add_residual_peaks(
    spectrum: Spectrum,
    rf: RegionFit,
    cents: NDArray[np.float64],
    fw: NDArray[np.float64],
    region: tuple[int, int],
    cost: str,
) -> tuple[RegionFit, tuple[PeakFit, ...]]:
    """Refit ``rf`` adding its residual peaks one at a time (most significant first).

    A peak is kept when the refit is valid, describes the region (reduced chi-square below
    ``RESIDUAL_MAX_CHI2_NDF``: added peaks complete a model that lacks a line, they do not
    patch a wrong peak shape) and none of the added peaks is rejected (``_rejected_added``);
    otherwise the previous fit stands.
    """
    names = rf.result.names
    step = "none" if "step_0" not in names and "step_ratio" not in names else "ratio"
    best, kept = rf, []
    for c in residual_peaks(spectrum, rf):
        if cents.size + len(kept) + 1 > MAX_PEAKS_PER_REGION:
            break
        trial = [*kept, c]
        refit = fit_region(
            spectrum,
            np.concatenate([cents, trial]),
            region_ch=region,
            fwhm_ch=np.concatenate([fw, np.interp(trial, cents, fw)]),
            cost=cost,
            step=step,
            width=rf.peaks[0].width,
        )
        if (
            refit.valid
            and refit.result.chi2_ndf < RESIDUAL_MAX_CHI2_NDF
            and not _rejected_added(refit, cents.size)
        ):
            best, kept = refit, trial
    if best is rf:
        return rf, ()
    if rf.peaks[0].message:
        msg = rf.peaks[0].message
        best = replace(best, peaks=tuple(replace(p, message=msg) for p in best.peaks))
    return best, best.peaks[cents.size :]


def _rejected_added(fit: RegionFit, n_old: int) -> set[int]:
    """Return the indices of added peaks (``>= n_old``) not worth keeping.

    Each added peak must be significant (area > 3 errors), still
    ``RESIDUAL_MIN_SEP_FWHM`` from every other peak, and not a "tail peak": less than
    ``TAIL_RATIO`` of a peak lying within ``TAIL_REACH_FWHM`` above it. Real HPGe peaks have a
    low-energy tail of a few per cent that a Gaussian does not describe; a weak added peak just
    below a strong one would be fitting that tail (and taking counts from the strong peak's
    area), and with this model it cannot be told apart from a real line.
    """
    cents = np.array([p.centroid_ch for p in fit.peaks])
    areas = np.array([p.area for p in fit.peaks])
    bad = set()
    for k in range(n_old, len(fit.peaks)):
        p = fit.peaks[k]
        d = np.delete(cents, k) - p.centroid_ch
        above = (d > 0) & (d < TAIL_REACH_FWHM * p.fwhm_ch)
        if (
            not p.significance > 3.0
            or np.min(np.abs(d)) < RESIDUAL_MIN_SEP_FWHM * p.fwhm_ch
            or np.any(np.delete(areas, k)[above] * TAIL_RATIO > p.area)
        ):
            bad.add(k)
    return bad


def _failed(spectrum: Spectrum, message: str, region: tuple[int, int], cost: str) -> PeakFit:
    cal = spectrum.energy_cal
    nan = float("nan")
    kev = (
        (float(cal.energy(region[0] - 0.5)), float(cal.energy(region[1] + 0.5)))
        if cal is not None
        else (nan, nan)
    )
    return PeakFit.failed(message, region_ch=region, region_kev=kev, cost=cost)
