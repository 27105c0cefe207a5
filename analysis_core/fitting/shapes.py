"""Line shapes of the peak fits, as bin-integrated (cumulative) functions.

What to use when
----------------
These are the building blocks of :func:`analysis_core.fitting.peaks.fit_peak`; call them
directly only to draw or integrate a fitted model yourself.

- ``gauss_cdf`` / ``gauss_pdf``: a Gaussian of total ``area`` (counts over all x).
- ``gaussexp_cdf`` / ``gaussexp_pdf``: the "GaussExp" shape (S. Das, arXiv:1603.08591): a
  Gaussian core whose one side turns into an exponential tail ``k`` sigmas from the mean, with
  a continuous value and slope. The mean is the mode (the paper's "most probable peak height").
- ``linear_cdf`` / ``linear_pdf`` and ``exp_cdf`` / ``exp_pdf``: backgrounds, given as a
  density (counts per unit x) at the reference point ``x_ref`` (the centre of the fit range),
  integrated from ``x_lo`` (the lower edge of the fit range).
- ``template_cdf``: a background histogram (counts per bin on known edges) as a cumulative
  function; linear interpolation inside a bin (flat density per bin).

Every ``*_cdf(x, ...)`` returns the expected counts between the fit range's lower edge (or
minus infinity for peaks) and ``x``; expected counts per bin are differences at the bin edges,
so models are exact for wide bins. Every ``*_pdf`` is the matching density (counts per unit x).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import ndtr

__all__ = [
    "exp_cdf",
    "exp_pdf",
    "gauss_cdf",
    "gauss_pdf",
    "gaussexp_cdf",
    "gaussexp_norm",
    "gaussexp_pdf",
    "linear_cdf",
    "linear_pdf",
    "template_cdf",
    "template_pdf",
]

_SQRT2PI = math.sqrt(2.0 * math.pi)


def gauss_cdf(x: ArrayLike, area: float, mean: float, sigma: float) -> NDArray[np.float64]:
    """Return ``area * Phi((x - mean) / sigma)``."""
    return area * ndtr((np.asarray(x, dtype=float) - mean) / sigma)


def gauss_pdf(x: ArrayLike, area: float, mean: float, sigma: float) -> NDArray[np.float64]:
    """Return the Gaussian density of total ``area``."""
    t = (np.asarray(x, dtype=float) - mean) / sigma
    return area * np.exp(-0.5 * t * t) / (_SQRT2PI * sigma)


def gaussexp_norm(sigma: float, k: float) -> float:
    """Return the integral over all x of the unnormalised GaussExp shape (peak value 1)."""
    return sigma * (_SQRT2PI * float(ndtr(k)) + math.exp(-0.5 * k * k) / k)


def _gaussexp_cdf_high(t: NDArray[np.float64], k: float) -> NDArray[np.float64]:
    """Unnormalised integral from -inf to t (in sigma units) of the high-tail shape."""
    core = _SQRT2PI * ndtr(np.minimum(t, k))
    tail_t = np.maximum(t, k)
    # integral of exp(k^2/2 - k u) from k to t = (exp(-k^2/2) - exp(k^2/2 - k t)) / k
    tail = (math.exp(-0.5 * k * k) - np.exp(0.5 * k * k - k * tail_t)) / k
    return core + tail


def gaussexp_cdf(
    x: ArrayLike, area: float, mean: float, sigma: float, k: float, side: str = "high"
) -> NDArray[np.float64]:
    """Return the cumulative GaussExp counts of total ``area``.

    Parameters
    ----------
    x : array_like
        Points (same unit as ``mean``).
    area, mean, sigma : float
        Total counts, mode and Gaussian width of the core.
    k : float
        Where the tail starts, in sigmas from the mean (> 0); small ``k`` = long tail.
    side : {"high", "low"}
        Side of the exponential tail.
    """
    t = (np.asarray(x, dtype=float) - mean) / sigma
    total = _SQRT2PI * float(ndtr(k)) + math.exp(-0.5 * k * k) / k
    if side == "high":
        return area * _gaussexp_cdf_high(t, k) / total
    return area * (1.0 - _gaussexp_cdf_high(-t, k) / total)


def gaussexp_pdf(
    x: ArrayLike, area: float, mean: float, sigma: float, k: float, side: str = "high"
) -> NDArray[np.float64]:
    """Return the GaussExp density of total ``area`` (see ``gaussexp_cdf``)."""
    t = (np.asarray(x, dtype=float) - mean) / sigma
    if side != "high":
        t = -t
    shape = np.where(t <= k, np.exp(-0.5 * t * t), np.exp(0.5 * k * k - k * np.maximum(t, k)))
    return area * shape / gaussexp_norm(sigma, k)


def linear_cdf(
    x: ArrayLike, c0: float, c1: float, x_ref: float, x_lo: float
) -> NDArray[np.float64]:
    """Integral from ``x_lo`` to ``x`` of ``c0 + c1 (x - x_ref)``."""
    u = np.asarray(x, dtype=float) - x_ref
    u0 = x_lo - x_ref
    return c0 * (u - u0) + 0.5 * c1 * (u * u - u0 * u0)


def linear_pdf(x: ArrayLike, c0: float, c1: float, x_ref: float) -> NDArray[np.float64]:
    """Return ``c0 + c1 (x - x_ref)``."""
    return c0 + c1 * (np.asarray(x, dtype=float) - x_ref)


def exp_cdf(
    x: ArrayLike, c0: float, slope: float, x_ref: float, x_lo: float
) -> NDArray[np.float64]:
    """Integral from ``x_lo`` to ``x`` of ``c0 exp(slope (x - x_ref))``.

    Uses ``expm1`` so that ``slope -> 0`` goes smoothly to the flat background.
    """
    u = np.asarray(x, dtype=float) - x_lo
    # exponents are clipped at +-700 (exp(700) ~ 1e304): a wild trial slope during a fit gives
    # a huge but finite cost instead of an overflow
    start = c0 * math.exp(min(max(slope * (x_lo - x_ref), -700.0), 700.0))
    if abs(slope) * max(float(np.max(np.abs(u))) if u.size else 0.0, 1e-300) < 1e-12:
        return start * u
    return start * np.expm1(np.clip(slope * u, -700.0, 700.0)) / slope


def exp_pdf(x: ArrayLike, c0: float, slope: float, x_ref: float) -> NDArray[np.float64]:
    """Return ``c0 exp(slope (x - x_ref))``."""
    return c0 * np.exp(np.clip(slope * (np.asarray(x, dtype=float) - x_ref), -700.0, 700.0))


def template_cdf(
    x: ArrayLike, scale: float, edges: NDArray[np.float64], counts: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Cumulative ``scale x`` template counts from ``edges[0]`` to ``x`` (flat within bins)."""
    cum = np.concatenate(([0.0], np.cumsum(counts, dtype=float)))
    return scale * np.interp(np.asarray(x, dtype=float), edges, cum)


def template_pdf(
    x: ArrayLike, scale: float, edges: NDArray[np.float64], counts: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Density of the scaled template (counts per unit x; 0 outside its edges)."""
    xa = np.asarray(x, dtype=float)
    dens = np.asarray(counts, dtype=float) / np.diff(edges)
    idx = np.searchsorted(edges, xa, side="right") - 1
    inside = (idx >= 0) & (idx < dens.size)
    return scale * np.where(inside, dens[np.clip(idx, 0, dens.size - 1)], 0.0)
