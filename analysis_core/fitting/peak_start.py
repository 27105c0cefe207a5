"""Robust starting values of the peak fits, estimated from the histogram itself.

What to use when
----------------
``estimate_start(model, centres, widths, counts, x_ref)`` is called by ``fit_peak`` when the
caller gives no (or only partial) start values. It never fails: for flat or empty data it
returns something finite, and the fit then says why it failed.

Method: a straight background fitted to the bins more than 2.5 sigma from a first guess of
the peak (zero for the pure ``gauss`` model), the mode of the 3-bin smoothed excess, the width
from the half-maximum crossings around the mode (cross-checked by the second moment within
+-2 FWHM), and the area as the excess summed within +-3 sigma.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

__all__ = ["estimate_start"]

_FWHM_PER_SIGMA = 2.0 * math.sqrt(2.0 * math.log(2.0))


def _background_line(
    centres: NDArray[np.float64],
    widths: NDArray[np.float64],
    dens: NDArray[np.float64],
    x_ref: float,
) -> tuple[float, float]:
    """Straight background under a peak: ``(density at x_ref, slope)``.

    A first guess of the peak (mode and width of the raw density) marks the bins within
    2.5 sigma of it; the line is a least-squares fit to the others (median of the outer 15 %
    of the bins on either side when fewer than four are left).
    """
    n = dens.size
    _, mean, sigma = _single_peak(centres, widths, dens - float(np.min(dens)))
    away = np.abs(centres - mean) > 2.5 * sigma
    if np.count_nonzero(away) >= 4 and np.ptp(centres[away]) > 0:
        c1, c0 = np.polyfit(centres[away] - x_ref, dens[away], 1)
        return float(c0), float(c1)
    m = max(1, int(round(0.15 * n)))
    left, right = dens[:m], dens[-m:]
    xl, xr = float(np.mean(centres[:m])), float(np.mean(centres[-m:]))
    yl, yr = float(np.median(left)), float(np.median(right))
    slope = (yr - yl) / (xr - xl) if xr > xl else 0.0
    c0 = yl + slope * (x_ref - xl)
    return c0, slope


def _single_peak(
    centres: NDArray[np.float64], widths: NDArray[np.float64], excess: NDArray[np.float64]
) -> tuple[float, float, float]:
    """Return (area, mean, sigma) of the dominant peak of a density ``excess``."""
    n = excess.size
    span = float(centres[-1] - centres[0]) + float(widths[0])
    if n >= 5:
        smooth = np.convolve(excess, np.ones(3) / 3.0, mode="same")
    else:
        smooth = excess.copy()
    i = int(np.argmax(smooth))
    top = float(smooth[i])
    mean = float(centres[i])
    if not top > 0:
        return 0.0, float(np.mean(centres)), span / 6.0
    half = 0.5 * top
    j_lo = i
    while j_lo > 0 and smooth[j_lo - 1] > half:
        j_lo -= 1
    j_hi = i
    while j_hi < n - 1 and smooth[j_hi + 1] > half:
        j_hi += 1
    fwhm = float(centres[j_hi] - centres[j_lo]) + float(widths[i])
    sigma = max(fwhm / _FWHM_PER_SIGMA, 0.5 * float(widths[i]))
    # refine the mean and width by moments of the positive excess within +-2 FWHM
    sel = (np.abs(centres - mean) <= 2.0 * fwhm) & (excess > 0)
    w = excess[sel] * widths[sel]
    if w.sum() > 0:
        m1 = float(np.sum(w * centres[sel]) / w.sum())
        var = float(np.sum(w * (centres[sel] - m1) ** 2) / w.sum())
        if abs(m1 - mean) < fwhm:
            mean = m1
        if var > 0:
            # truncated moments underestimate; keep the larger of the two, within reason
            sigma = min(max(sigma, math.sqrt(var)), span / 2.0)
    near = np.abs(centres - mean) <= 3.0 * sigma
    area = float(np.sum(np.clip(excess[near], 0.0, None) * widths[near]))
    if area <= 0:
        area = top * sigma * math.sqrt(2.0 * math.pi)
    return area, mean, sigma


def estimate_start(
    model: str,
    centres: NDArray[np.float64],
    widths: NDArray[np.float64],
    counts: NDArray[np.float64],
    x_ref: float,
    template_counts: NDArray[np.float64] | None = None,
) -> dict[str, float]:
    """Return starting values of every parameter of ``model``.

    Parameters
    ----------
    model : str
        One of ``analysis_core.fitting.peaks.MODELS``.
    centres, widths, counts : ndarray
        Bin centres, widths and contents inside the fit range.
    x_ref : float
        Reference point of the background parameters (the centre of the fit range).
    template_counts : ndarray, optional
        The background template inside the fit range (``gauss_exptail+template``).
    """
    dens = counts / widths
    start: dict[str, float] = {}
    bkg = np.zeros_like(dens)
    if model.endswith("+linear") or model == "gauss+exp":
        c0, c1 = _background_line(centres, widths, dens, x_ref)
        c0 = max(c0, 0.0)
        if model == "gauss+exp":
            start["bkg_c0"] = max(c0, 1e-3 * float(np.max(np.abs(dens))) or 1e-3)
            start["bkg_slope"] = c1 / start["bkg_c0"] if c0 > 0 else 0.0
        else:
            start["bkg_c0"], start["bkg_c1"] = c0, c1
        bkg = c0 + c1 * (centres - x_ref)
    elif template_counts is not None:
        tsum = float(np.sum(template_counts))
        m = max(1, int(round(0.15 * counts.size)))
        outer = np.r_[:m, counts.size - m : counts.size]
        t_out = float(np.sum(template_counts[outer]))
        scale = float(np.sum(counts[outer])) / t_out if t_out > 0 else 0.0
        if not scale > 0 and tsum > 0:
            scale = 0.5 * float(np.sum(counts)) / tsum
        start["template_scale"] = max(scale, 0.0)
        bkg = start["template_scale"] * template_counts / widths
    area, mean, sigma = _single_peak(centres, widths, dens - bkg)
    peak = {"area": max(area, 1.0), "mean": mean, "sigma": sigma}
    if model.startswith("two_gauss"):
        resid = dens - bkg - _gauss_density(centres, area, mean, sigma)
        resid[np.abs(centres - mean) < 1.5 * sigma] = 0.0
        a2, m2, s2 = _single_peak(centres, widths, resid)
        if not a2 > 0:
            m2 = mean + 2.5 * sigma if mean + 2.5 * sigma < centres[-1] else mean - 2.5 * sigma
            a2, s2 = 0.3 * area, sigma
        peak.update({"area_2": max(a2, 1.0), "mean_2": m2, "sigma_2": s2})
    if model.startswith("gauss_exptail"):
        peak["tail"] = 1.5
    if model.startswith("gauss_doublet"):
        peak["area_ratio"] = 0.1  # fit_peak sets the known ratio (or this start when free)
    return {**peak, **start}


def _gauss_density(
    x: NDArray[np.float64], area: float, mean: float, sigma: float
) -> NDArray[np.float64]:
    t = (x - mean) / sigma
    return area * np.exp(-0.5 * t * t) / (math.sqrt(2.0 * math.pi) * sigma)
