"""Analysis B: a single Gaussian fitted to the main peak of isolated late single-PE charges.

What to use when
----------------
``fit_single_pe_gauss(charges_adc_ns)`` fits one Gaussian (binned Poisson likelihood, through
``analysis_core.fitting.fit_peak``) to the single-PE peak of one PMT's late-pulse charges
(``late_pe.find_late_pulses``) and returns a ``LateFit`` whose ``gain_adc_ns`` is the
Gaussian mean (the Analysis B gain).

The fit window is iterated: start at the histogram's highest bin above the noise region (the
median charge x 0.3 and the pedestal width), with sigma from the half-maximum width; fit in
``mean +- nsigma sigma``, move the window to the new mean and sigma, and repeat until the mean
moves by less than 0.1 % of sigma, or the window (in whole bins) repeats an earlier one (a
cycle of the binning), at most ``max_iter`` times. ``nsigma`` = 1.5 keeps the fit
on the main peak, away from the under-amplified shoulder below and the two-PE pile-up above.

A single Gaussian does not describe the skewed single-PE peak exactly: with 10^4 pulses the
deviance per degree of freedom is ~4-6 (a Kr run of the simulator). The gain error is the
statistical (HESSE) one; the definition itself (threshold, window) moves the gain by several
per cent, which is the difference between the analyses the paper reports.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from analysis_core.fitting.result import FitResult, minimize

__all__ = ["LateFit", "fit_single_pe_gauss"]

_NAMES = ("area", "mean", "sigma")
_MIN_PULSES = 100


@dataclass(frozen=True)
class LateFit:
    """Analysis B fit of one PMT.

    Attributes
    ----------
    channel : str
        PMT name.
    fit : FitResult
        Gaussian ``area``, ``mean``, ``sigma``; ``extra`` holds the final fit window
        ``fit_range`` and ``iterations``.
    edges_adc_ns, counts : tuple
        The histogram of late-pulse charges.
    """

    channel: str
    fit: FitResult
    edges_adc_ns: tuple[float, ...] = ()
    counts: tuple[int, ...] = ()

    @property
    def valid(self) -> bool:
        """True when the last fit of the iteration converged."""
        return self.fit.valid

    @property
    def gain_adc_ns(self) -> float:
        """Analysis B gain: the Gaussian mean."""
        return self.fit["mean"]

    @property
    def gain_err_adc_ns(self) -> float:
        """HESSE error of the Gaussian mean."""
        return self.fit.error("mean")

    @property
    def n_pulses(self) -> int:
        """Pulses in the histogram."""
        return int(sum(self.counts))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        return {
            "channel": self.channel,
            "fit": self.fit.to_dict(),
            "edges_adc_ns": list(self.edges_adc_ns),
            "counts": list(self.counts),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> LateFit:
        """Inverse of ``to_dict``."""
        return cls(
            channel=str(d["channel"]),
            fit=FitResult.from_dict(d["fit"]),
            edges_adc_ns=tuple(float(x) for x in d.get("edges_adc_ns", ())),
            counts=tuple(int(x) for x in d.get("counts", ())),
        )


def fit_single_pe_gauss(
    charges_adc_ns: ArrayLike,
    *,
    channel: str = "",
    nsigma: float = 1.5,
    bin_width_adc_ns: float | None = None,
    noise_adc_ns: float = 0.0,
    max_iter: int = 20,
) -> LateFit:
    """Fit a Gaussian to the single-PE peak of late-pulse charges, iterating the window.

    Parameters
    ----------
    charges_adc_ns : array_like
        Late-pulse charges of one PMT.
    channel : str
        PMT name, kept in the result.
    nsigma : float
        Half-width of the fit window in fitted sigmas.
    bin_width_adc_ns : float, optional
        Histogram bin width (default: the median charge / 40).
    noise_adc_ns : float
        Pedestal width of a pulse integral; the peak search starts above 3 x this.
    max_iter : int
        Most window iterations.

    Returns
    -------
    LateFit
        ``fit.valid`` False with a plain reason when there are too few pulses or no peak.
    """
    q = np.asarray(charges_adc_ns, dtype=np.float64)
    q = q[np.isfinite(q)]
    model = "gauss (iterated window)"
    if q.size < _MIN_PULSES:
        msg = f"too few isolated late pulses: {q.size} (need {_MIN_PULSES})"
        return LateFit(channel, FitResult.failed(_NAMES, msg, model=model, cost="poisson"))
    med = float(np.median(q))
    if not med > 0:
        msg = f"no single-PE signal: median late-pulse charge {med:.3g} ADC x ns is not positive"
        return LateFit(channel, FitResult.failed(_NAMES, msg, model=model, cost="poisson"))
    width = bin_width_adc_ns or med / 40.0
    hi = float(np.quantile(q, 0.995))
    lo = min(float(q.min()), 0.0)
    edges = np.arange(math.floor(lo / width), math.ceil(hi / width) + 1) * width
    counts = np.histogram(q, edges)[0]
    centres = 0.5 * (edges[1:] + edges[:-1])
    floor = max(0.3 * med, 3.0 * noise_adc_ns)
    above = centres > floor
    k = int(np.flatnonzero(above)[np.argmax(counts[above])])
    half = counts >= 0.5 * counts[k]
    left, right = k, k
    while left > 0 and half[left - 1]:
        left -= 1
    while right < counts.size - 1 and half[right + 1]:
        right += 1
    mean, sigma = centres[k], max((centres[right] - centres[left]) / 2.355, width)
    res = FitResult.failed(_NAMES, "no fit", model=model, cost="poisson")
    it = 0
    rng = (mean - nsigma * sigma, mean + nsigma * sigma)
    seen: list[tuple[int, int]] = []
    for _ in range(max_iter):
        rng = (mean - nsigma * sigma, mean + nsigma * sigma)
        window = (int(np.searchsorted(centres, rng[0])), int(np.searchsorted(centres, rng[1])))
        if window in seen:  # the bin window cycles (binning): stop at this fixed cycle
            break
        seen.append(window)
        it = len(seen)
        res = _fit_gauss(edges, counts, rng, {"area": float(counts.sum()), "mean": mean,
                                              "sigma": sigma})  # fmt: skip
        if not res.valid:
            break
        moved = abs(res["mean"] - mean)
        mean, sigma = res["mean"], abs(res["sigma"])
        if moved < 1e-3 * sigma:
            break
    res = _with(res, model, it, rng)
    return LateFit(channel, res, tuple(edges.tolist()), tuple(int(c) for c in counts))


def _with(res: FitResult, model: str, iterations: int, rng: tuple[float, float]) -> FitResult:
    extra = dict(res.extra) | {"iterations": iterations, "fit_range": [rng[0], rng[1]]}
    return FitResult(
        names=res.names, values=res.values, errors=res.errors, covariance=res.covariance,
        chi2=res.chi2, ndf=res.ndf, valid=res.valid, message=res.message, model=model,
        cost=res.cost, minos=res.minos, extra=extra,
    )  # fmt: skip


def _fit_gauss(
    edges: NDArray[np.float64],
    counts: NDArray[np.int64],
    rng: tuple[float, float],
    start: Mapping[str, float],
) -> FitResult:
    """Binned Poisson fit of ``area`` x Gaussian (integrated over the bins) in ``rng``."""
    centres = 0.5 * (edges[1:] + edges[:-1])
    sel = np.flatnonzero((centres >= rng[0]) & (centres <= rng[1]))
    if sel.size < 4:
        return FitResult.failed(_NAMES, f"fit window {rng[0]:.0f}..{rng[1]:.0f} holds < 4 bins")
    lo, hi = edges[sel], edges[sel + 1]
    n = counts[sel].astype(np.float64)
    if n.sum() < 20:
        return FitResult.failed(_NAMES, f"too few counts in the fit window: {n.sum():.0f}")

    def deviance(area: float, mean: float, sigma: float) -> float:
        z = np.array([lo, hi]) - mean
        cdf = special.ndtr(z / max(abs(sigma), 1e-9))
        nu = np.maximum(area * (cdf[1] - cdf[0]), 1e-300)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_term = np.where(n > 0, n * np.log(n / nu), 0.0)
        return float(2.0 * np.sum(nu - n + log_term))

    return minimize(
        deviance,
        dict(start),
        limits={"area": (0.0, None), "sigma": (1e-6, None)},
        n_data=int(sel.size),
        model="gauss",
        cost_name="poisson",
    )
