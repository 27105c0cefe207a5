"""Peak search in gamma spectra: candidate centroids, rough widths, areas and significances.

What to use when
----------------
- ``find_peaks(spectrum)``: the usual entry point. Without a width it runs a scale-space search
  (several filter widths), fits the width trend ``FWHM^2(ch) = a + b ch + c ch^2`` of the
  strongest narrow candidates and searches again with the filter matched to that trend.
- ``find_peaks(spectrum, fwhm_ch=...)``: one matched pass when the width is known (a number, or
  a callable of the channel number, e.g. from an ``energycal.FwhmModel``).
- ``search_filter(counts, sigma_ch)``: the filtered spectrum and its significance, for plots.
- ``estimate_fwhm_ch(counts, channel)``: the width of one peak (starting value for a fit).

Method
------
The spectrum is convolved with a zero-area "Mexican hat" kernel
``k_j = (1 - j^2/s^2) exp(-j^2 / 2 s^2)`` (minus its mean over the support, so a constant and,
by symmetry, a linear continuum give exactly zero), which is the negative second derivative of a
Gaussian: a Mariscotti-type smoothed second difference. Its output ``y = k * n`` has Poisson
variance ``v = k^2 * n``, and ``y / sqrt(v)`` is the significance of a local excess of counts
curvature. For a Gaussian peak of area ``A`` and width ``sigma`` the filter peaks at the centroid
with ``y = A (s / T)^3``, ``T^2 = sigma^2 + s^2``, and the signal-to-noise ratio is largest for
``s = sigma``, which is how the scale-space pass measures rough widths. The significance is a
filter statistic, not ``net / sqrt(background)``; 5 keeps the false-positive rate low on a
16384-channel spectrum (about 3000 independent resolution elements).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.signal
import scipy.stats
from numpy.typing import ArrayLike, NDArray

from analysis_core.errors import FitError
from analysis_core.hpge.spectrum import Spectrum

__all__ = [
    "FWHM_PER_SIGMA",
    "PeakCandidate",
    "estimate_fwhm_ch",
    "find_peaks",
    "fit_fwhm_trend",
    "kernel",
    "search_filter",
]

#: FWHM / sigma of a Gaussian.
FWHM_PER_SIGMA = 2.0 * math.sqrt(2.0 * math.log(2.0))
#: Ratio between successive filter widths of the scale-space pass (4 per octave).
_SCALE_STEP = 2.0**0.25


@dataclass(frozen=True, slots=True)
class PeakCandidate:
    """A peak found by the search.

    Attributes
    ----------
    channel : float
        Centroid (fractional channel) from a parabola through the filter maximum.
    energy_kev : float
        ``channel`` through the spectrum's energy calibration (NaN when uncalibrated).
    significance : float
        Filter output over its Poisson standard deviation at the centroid.
    fwhm_ch, fwhm_kev : float
        Rough width: the best-matching filter width (scale-space pass) or the expected width
        (matched pass); ``fwhm_kev`` is NaN when uncalibrated.
    area : float
        Rough net area (counts) from the filter amplitude.
    """

    channel: float
    energy_kev: float
    significance: float
    fwhm_ch: float
    fwhm_kev: float
    area: float


def kernel(sigma_ch: float) -> NDArray[np.float64]:
    """Return the zero-area second-derivative search kernel of width ``sigma_ch`` (channels)."""
    half = max(2, math.ceil(4.0 * sigma_ch))
    j = np.arange(-half, half + 1, dtype=float)
    u = (j / sigma_ch) ** 2
    k = (1.0 - u) * np.exp(-0.5 * u)
    return k - k.mean()


def search_filter(
    counts: ArrayLike, sigma_ch: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Filter ``counts`` with the zero-area second-derivative kernel of width ``sigma_ch``.

    Parameters
    ----------
    counts : array_like
        Counts per channel.
    sigma_ch : float
        Kernel width in channels (matches a peak of that Gaussian sigma).

    Returns
    -------
    response, significance : ndarray
        ``y = k * n`` and ``y / sqrt(k^2 * n)`` (0 where the variance is 0). Channels closer
        than the kernel half-width to either end of the data (the first and last channels
        with counts: a discriminator cut-off is a cliff, not a peak) are set to 0.
    """
    n = np.asarray(counts, dtype=float)
    k = kernel(sigma_ch)
    # Direct (not FFT) convolution: exact zeros where there are no counts.
    y = np.convolve(n, k, mode="same")
    v = np.convolve(n, k * k, mode="same")
    half = k.size // 2
    nz = np.flatnonzero(n)
    first, last = (int(nz[0]), int(nz[-1])) if nz.size else (0, n.size - 1)
    y[: first + half] = 0.0
    y[max(first + half, last + 1 - half) :] = 0.0
    sig = np.zeros_like(y)
    ok = v > 0
    sig[ok] = y[ok] / np.sqrt(v[ok])
    return y, sig


def _scales(lo: float, hi: float) -> NDArray[np.float64]:
    m = max(1, math.ceil(math.log(hi / lo) / math.log(_SCALE_STEP)))
    return lo * _SCALE_STEP ** np.arange(m + 1)


def _parabola_vertex(ym: float, y0: float, yp: float) -> float:
    den = ym - 2.0 * y0 + yp
    if den >= 0:
        return 0.0
    return float(np.clip(0.5 * (ym - yp) / den, -0.5, 0.5))


def _maxima(sig: NDArray[np.float64], threshold: float, min_dist: float) -> NDArray[np.intp]:
    idx, _ = scipy.signal.find_peaks(sig, height=threshold, distance=max(1, int(min_dist)))
    return idx


def _candidates(
    counts: NDArray[np.float64],
    sigma_of_ch: NDArray[np.float64],
    scales: NDArray[np.float64],
    min_significance: float,
    matched: bool,
) -> list[tuple[float, float, float, float]]:
    """Return ``(channel, significance, sigma_ch, area)`` for each significant local maximum."""
    responses = []
    sigs = []
    for s in scales:
        y, g = search_filter(counts, float(s))
        responses.append(y)
        sigs.append(g)
    ys = np.array(responses)
    gs = np.array(sigs)
    if matched:
        # Per channel, the scale nearest (in log) to the expected width.
        pick = np.abs(np.log(sigma_of_ch)[None, :] - np.log(scales)[:, None]).argmin(axis=0)
    else:
        pick = gs.argmax(axis=0)
    cols = np.arange(counts.size)
    best_sig = gs[pick, cols]
    min_dist = 0.8 * float(np.min(sigma_of_ch)) if matched else 0.8 * float(scales[0])
    # Scale-normalised response y / s^1.5 peaks at s = sigma for a Gaussian peak, whatever the
    # background (the significance does not: it prefers wider filters).
    norm = ys / scales[:, None] ** 1.5
    out = []
    for i in _maxima(best_sig, min_significance, min_dist):
        if i < 1 or i >= counts.size - 1:
            continue
        if matched:
            sigma = float(sigma_of_ch[i])
            p = int(pick[i])
        else:
            col = norm[:, i]
            p = int(col.argmax())
            sigma = float(scales[p])
            if 0 < p < scales.size - 1:
                t = _parabola_vertex(
                    math.log(col[p - 1]) if col[p - 1] > 0 else -1e300,
                    math.log(col[p]),
                    math.log(col[p + 1]) if col[p + 1] > 0 else -1e300,
                )
                sigma = float(scales[p] * _SCALE_STEP**t)
        y = ys[p]
        # Centroid: the filter maximum near i at the width-matched scale.
        j = i
        for _ in range(3):
            if 0 < j < counts.size - 1 and y[j - 1] > y[j]:
                j -= 1
            elif 0 < j < counts.size - 1 and y[j + 1] > y[j]:
                j += 1
        if not 0 < j < counts.size - 1:
            continue
        dx = _parabola_vertex(y[j - 1], y[j], y[j + 1])
        s = float(scales[p])
        area = float(y[j]) * ((sigma**2 + s**2) ** 1.5) / s**3
        out.append((j + dx, float(best_sig[i]), sigma, area))
    return out


def estimate_fwhm_ch(
    counts: ArrayLike, channel: float, fwhm_range_ch: tuple[float, float] = (1.5, 60.0)
) -> float:
    """Estimate the FWHM (channels) of the peak at ``channel`` from the scale-space filter.

    The scale-normalised filter response ``y / s^1.5`` at the peak peaks at ``s = sigma``
    (module docstring); the best of the scales spanning ``fwhm_range_ch`` is refined by a
    parabola in ``log s``; each scale's response is taken at its maximum within two filter
    widths of ``channel``. Meant for starting values (a peak clicked in a GUI).

    Raises
    ------
    FitError
        ``channel`` outside the spectrum, or no filter significance of 3 there (no peak).
    """
    n = np.asarray(counts, dtype=float)
    c = round(float(channel))
    if not 0 <= c < n.size:
        raise FitError(f"channel {channel} outside the spectrum (0..{n.size - 1})")
    scales = _scales(fwhm_range_ch[0] / FWHM_PER_SIGMA, fwhm_range_ch[1] / FWHM_PER_SIGMA)
    half = math.ceil(4.0 * scales[-1]) + 2
    lo, hi = max(c - 2 * half, 0), min(c + 2 * half + 1, n.size)
    window = n[lo:hi]
    norm = np.empty(scales.size)
    best_sig = 0.0
    for k, s in enumerate(scales):
        # The maximum near the given channel: a click (or a stored calibration) may be off by
        # a few channels, and the response off-centre favours wide filters.
        reach = max(3, round(2.0 * s))
        y, sig = search_filter(window, float(s))
        near = slice(max(c - lo - reach, 0), c - lo + reach + 1)
        norm[k] = y[near].max() / s**1.5
        best_sig = max(best_sig, float(sig[near].max()))
    p = int(norm.argmax())
    if not (norm[p] > 0 and best_sig >= 3.0):
        raise FitError(f"no peak at channel {channel}: filter significance {best_sig:.1f} < 3")
    sigma = float(scales[p])
    if 0 < p < scales.size - 1 and norm[p - 1] > 0 and norm[p + 1] > 0:
        t = _parabola_vertex(math.log(norm[p - 1]), math.log(norm[p]), math.log(norm[p + 1]))
        sigma = float(scales[p] * _SCALE_STEP**t)
    return sigma * FWHM_PER_SIGMA


def fit_fwhm_trend(
    channels: ArrayLike, fwhm_ch: ArrayLike, weights: ArrayLike | None = None
) -> Callable[[ArrayLike], NDArray[np.float64]]:
    """Fit ``FWHM^2(ch) = a + b ch + c ch^2`` robustly and return it as ``fwhm(ch)``.

    A Theil-Sen line through ``FWHM^2`` starts the fit (insensitive to the wide features:
    Compton edges, backscatter bumps, unresolved x-ray groups); points more than 30 % off the
    trend are then dropped and the quadratic is refitted until the kept set is stable. Fewer than
    three points give a constant (the median).

    Parameters
    ----------
    channels, fwhm_ch : array_like
        Rough peak positions and widths, in channels.
    weights : array_like, optional
        Relative weights (e.g. significances); capped at 10x their median so that a few huge
        peaks do not decide the trend alone.

    Returns
    -------
    callable
        ``fwhm(ch)`` in channels, floored at half the smallest input width.
    """
    ch = np.asarray(channels, dtype=float)
    f = np.asarray(fwhm_ch, dtype=float)
    if ch.size == 0:
        raise FitError("no peaks to estimate the width trend from")
    w = np.ones_like(f) if weights is None else np.asarray(weights, dtype=float)
    w = np.minimum(w, 10.0 * float(np.median(w)))
    floor = 0.5 * float(f.min())
    if ch.size < 3 or np.ptp(ch) == 0:
        coef = np.array([float(np.median(f)) ** 2, 0.0, 0.0])
    else:
        slope, icpt, *_ = scipy.stats.theilslopes(f**2, ch)
        coef = np.array([icpt, slope, 0.0])
        keep = np.ones(ch.size, dtype=bool)
        for _ in range(10):
            model = np.sqrt(np.maximum(np.polynomial.polynomial.polyval(ch, coef), floor**2))
            new_keep = np.abs(np.log(f / model)) < 0.3
            if new_keep.sum() < 3:
                break
            keep = new_keep
            order = 2 if keep.sum() >= 6 else 1
            x = ch[keep] / ch.max()
            sw = np.sqrt(w[keep])
            a = np.vander(x, order + 1, increasing=True)
            sol, *_ = np.linalg.lstsq(a * sw[:, None], f[keep] ** 2 * sw, rcond=None)
            new = np.zeros(3)
            new[: order + 1] = sol / ch.max() ** np.arange(order + 1)
            if np.allclose(new, coef, rtol=1e-6, atol=0):
                break
            coef = new

    def fwhm(c: ArrayLike) -> NDArray[np.float64]:
        v = np.polynomial.polynomial.polyval(np.asarray(c, dtype=float), coef)
        return np.sqrt(np.maximum(v, floor**2))

    return fwhm


def find_peaks(
    spectrum: Spectrum,
    *,
    fwhm_ch: float | Callable[[ArrayLike], ArrayLike] | None = None,
    min_significance: float = 5.0,
    fwhm_range_ch: tuple[float, float] = (1.5, 60.0),
    channel_range: tuple[int, int] | None = None,
) -> tuple[PeakCandidate, ...]:
    """Search ``spectrum`` for peaks.

    Parameters
    ----------
    spectrum : Spectrum
        The spectrum (its energy calibration, if any, converts results to keV).
    fwhm_ch : float or callable, optional
        Expected FWHM in channels, constant or as a function of the channel. None: estimate it
        (scale-space pass, robust width trend, then a matched pass).
    min_significance : float
        Threshold on the filter significance (see the module docstring).
    fwhm_range_ch : (float, float)
        Widths tried by the scale-space pass, in channels.
    channel_range : (int, int), optional
        Only report peaks with ``lo <= channel <= hi``.

    Returns
    -------
    tuple of PeakCandidate
        Sorted by channel.

    Raises
    ------
    FitError
        The spectrum is empty or too short to search.
    """
    counts = np.asarray(spectrum.counts, dtype=float)
    where = spectrum.path or "spectrum"
    if counts.size < 16:
        raise FitError(f"{where}: {counts.size} channels are too few for a peak search")
    if not np.all(np.isfinite(counts)) or counts.sum() <= 0:
        raise FitError(f"{where}: no counts (or non-finite counts) to search")
    lo_f, hi_f = fwhm_range_ch
    if not 0 < lo_f < hi_f:
        raise FitError(f"fwhm_range_ch must satisfy 0 < lo < hi, got {fwhm_range_ch}")
    chans = np.arange(counts.size, dtype=float)
    if fwhm_ch is None:
        scales = _scales(lo_f / FWHM_PER_SIGMA, hi_f / FWHM_PER_SIGMA)
        found = _candidates(
            counts, np.full(counts.size, scales[0]), scales, min_significance, False
        )
        # Interior of the scale range only: a width at the edge of the range is not measured.
        inner = [c for c in found if scales[0] * 1.05 < c[2] < scales[-1] / 1.05]
        strong = [c for c in inner if c[1] >= 2.0 * min_significance] or inner or found
        if not strong:
            return ()
        trend = fit_fwhm_trend(
            [c[0] for c in strong],
            [c[2] * FWHM_PER_SIGMA for c in strong],
            [c[1] for c in strong],
        )
        expected = np.asarray(trend(chans), dtype=float)
    elif callable(fwhm_ch):
        expected = np.broadcast_to(np.asarray(fwhm_ch(chans), dtype=float), chans.shape).copy()
    else:
        expected = np.full(counts.size, float(fwhm_ch))
    if not np.all(np.isfinite(expected)) or np.any(expected <= 0):
        raise FitError("expected FWHM must be finite and positive over the spectrum")
    sigma_of_ch = np.maximum(expected / FWHM_PER_SIGMA, 0.5)
    scales = _scales(
        float(sigma_of_ch.min()), max(float(sigma_of_ch.max()), 1.01 * sigma_of_ch.min())
    )
    found = _candidates(counts, sigma_of_ch, scales, min_significance, True)
    cal = spectrum.energy_cal
    out = []
    for ch, sig, sigma, area in found:
        if channel_range is not None and not channel_range[0] <= ch <= channel_range[1]:
            continue
        fw = sigma * FWHM_PER_SIGMA
        if cal is not None:
            e = float(cal.energy(ch))
            fw_kev = float(fw * cal.gain_kev_per_channel(ch))
        else:
            e = fw_kev = float("nan")
        out.append(PeakCandidate(float(ch), e, float(sig), float(fw), fw_kev, float(area)))
    return tuple(out)
