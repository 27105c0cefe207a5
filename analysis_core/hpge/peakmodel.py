"""Peak-fit result types and the region model: what ``peakfit`` returns and how to redraw it.

What to use when
----------------
- ``PeakFit``: one fitted peak (centroid, FWHM, net area, step, fit quality, validity).
- ``RegionFit``: a fitted region (one or several peaks) with the shared ``FitResult``.
- ``region_curves(fit, channels)``: the fitted model and its components (peaks, step,
  background) in counts per channel on any grid, for plots.

The model itself is documented in ``analysis_core.hpge.peakfit``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import scipy.special
from numpy.typing import ArrayLike, NDArray

from analysis_core.fitting.result import FitResult
from analysis_core.hpge.spectrum import EnergyCalibration

__all__ = ["PeakFit", "RegionCurves", "RegionFit", "region_curves"]

_SQRT2 = math.sqrt(2.0)
_SQRT_PI = math.sqrt(math.pi)


@dataclass(frozen=True, slots=True)
class PeakFit:
    """One fitted peak.

    Attributes
    ----------
    energy_kev, energy_err_kev : float
        Centroid in keV (spectrum calibration) and its statistical error (NaN if uncalibrated).
    centroid_ch, centroid_err_ch : float
        Centroid in channels.
    fwhm_kev, fwhm_err_kev, fwhm_ch, fwhm_err_ch : float
        Full width at half maximum in keV and channels (errors 0 when the width was fixed).
    area, area_err : float
        Net peak counts (the Gaussian integral) and error.
    step, step_err : float
        Step height ``S`` (counts per channel; 0 when the step was left out).
    valid : bool
        False when the region fit failed; ``message`` says why.
    message : str
        Empty, or why the fit is not trustworthy, or notes (e.g. a width fixed after retry).
    chi2 : float
        Goodness of fit of the whole region (chi-square or Poisson deviance).
    ndf : int
        Channels minus free parameters of the region.
    cost : str
        ``"chi2"`` or ``"poisson"``.
    region_kev : (float, float)
        Region edges in keV (NaN if uncalibrated).
    region_ch : (int, int)
        First and last channel of the region (inclusive).
    method : str
        ``"fit"``.
    width : str
        ``"free"`` or ``"fixed"``.
    """

    energy_kev: float
    energy_err_kev: float
    centroid_ch: float
    centroid_err_ch: float
    fwhm_kev: float
    fwhm_err_kev: float
    fwhm_ch: float
    fwhm_err_ch: float
    area: float
    area_err: float
    step: float
    step_err: float
    valid: bool
    message: str
    chi2: float
    ndf: int
    cost: str
    region_kev: tuple[float, float]
    region_ch: tuple[int, int]
    method: str = "fit"
    width: str = "free"

    @property
    def chi2_ndf(self) -> float:
        """Reduced chi-square of the region (NaN when ``ndf <= 0``)."""
        return self.chi2 / self.ndf if self.ndf > 0 else float("nan")

    @property
    def significance(self) -> float:
        """``area / area_err`` (NaN when the error is not positive)."""
        return self.area / self.area_err if self.area_err > 0 else float("nan")

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dictionary (NaN becomes None)."""
        out: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            v = getattr(self, name)
            if isinstance(v, float):
                v = v if math.isfinite(v) else None
            elif isinstance(v, tuple):
                v = [x if not isinstance(x, float) or math.isfinite(x) else None for x in v]
            out[name] = v
        return out

    def with_calibration(self, cal: EnergyCalibration | None) -> PeakFit:
        """Return a copy whose keV numbers come from ``cal`` (channels are unchanged)."""
        nan = float("nan")
        if cal is None:
            return replace(
                self,
                energy_kev=nan,
                energy_err_kev=nan,
                fwhm_kev=nan,
                fwhm_err_kev=nan,
                region_kev=(nan, nan),
            )
        lo, hi = self.region_ch
        region_kev = (float(cal.energy(lo - 0.5)), float(cal.energy(hi + 0.5)))
        if not math.isfinite(self.centroid_ch):
            return replace(self, region_kev=region_kev)
        gain = abs(float(cal.gain_kev_per_channel(self.centroid_ch)))
        return replace(
            self,
            energy_kev=float(cal.energy(self.centroid_ch)),
            energy_err_kev=gain * self.centroid_err_ch,
            fwhm_kev=gain * self.fwhm_ch,
            fwhm_err_kev=gain * self.fwhm_err_ch,
            region_kev=region_kev,
        )

    @classmethod
    def failed(
        cls, message: str, *, region_ch: tuple[int, int], region_kev: tuple[float, float], cost: str
    ) -> PeakFit:
        """Return an invalid fit with NaN numbers and the reason ``message``."""
        nan = float("nan")
        numbers = dict.fromkeys(
            (
                "energy_kev",
                "energy_err_kev",
                "centroid_ch",
                "centroid_err_ch",
                "fwhm_kev",
                "fwhm_err_kev",
                "fwhm_ch",
                "fwhm_err_ch",
                "area",
                "area_err",
                "step",
                "step_err",
                "chi2",
            ),
            nan,
        )
        return cls(
            **numbers,
            valid=False,
            message=message,
            ndf=0,
            cost=cost,
            region_kev=region_kev,
            region_ch=region_ch,
        )


@dataclass(frozen=True)
class RegionFit:
    """A fitted region: its peaks and everything needed to redraw the model.

    Attributes
    ----------
    peaks : tuple of PeakFit
        In the order of the requested centroids.
    result : FitResult
        Parameters ``area_i, mu_i, [step_i], sigma, b0, [b1]`` with covariance.
    region_ch : (int, int)
        First and last channel (inclusive).
    x_ref_ch : float
        Reference channel of the background line.
    width_ratios : tuple of float
        ``s_i / sigma`` per peak.
    energy_cal : EnergyCalibration or None
        Calibration used for the keV numbers.
    """

    peaks: tuple[PeakFit, ...]
    result: FitResult
    region_ch: tuple[int, int]
    x_ref_ch: float
    width_ratios: tuple[float, ...]
    energy_cal: EnergyCalibration | None

    @property
    def valid(self) -> bool:
        """True when the region fit converged with an accurate covariance."""
        return self.result.valid

    @property
    def message(self) -> str:
        """Why the fit is not valid (empty when it is)."""
        return self.result.message


@dataclass(frozen=True)
class RegionCurves:
    """Model curves in counts per channel on a grid of channels.

    Attributes
    ----------
    channel, energy_kev : ndarray
        The grid (``energy_kev`` is NaN when uncalibrated).
    total, background, step : ndarray
        Whole model, linear background alone, sum of the step terms.
    peaks : tuple of ndarray
        Each peak's Gaussian alone (add ``background + step`` to draw it on the continuum).
    """

    channel: NDArray[np.float64]
    energy_kev: NDArray[np.float64]
    total: NDArray[np.float64]
    background: NDArray[np.float64]
    step: NDArray[np.float64]
    peaks: tuple[NDArray[np.float64], ...]


class RegionLayout:
    """Parameter bookkeeping and the model of one region (internal to the peak-fit modules).

    Parameters are ``area_i, mu_i, [step_i]`` per peak, then ``[step_ratio]``, ``sigma``,
    ``b0``, ``b1``; ``x`` is in channels and ``x_ref`` the background's reference channel.
    """

    def __init__(self, n_peaks: int, ratios: Sequence[float], x_ref: float, step_mode: str) -> None:
        self.n = n_peaks
        self.ratios = np.asarray(ratios, dtype=float)
        self.x_ref = x_ref
        self.step_mode = step_mode
        names = []
        for i in range(n_peaks):
            names += [f"area_{i}", f"mu_{i}"] + ([f"step_{i}"] if step_mode == "per_peak" else [])
        if step_mode == "ratio":
            names.append("step_ratio")
        self.names = [*names, "sigma", "b0", "b1"]
        self._k = 3 if step_mode == "per_peak" else 2

    def unpack(self, p: Sequence[float]) -> tuple[NDArray[np.float64], ...]:
        k, n = self._k, self.n
        arr = np.asarray(p[: k * n], dtype=float).reshape(n, k)
        rest = np.asarray(p[k * n :], dtype=float)
        sig = rest[-3] * self.ratios
        if self.step_mode == "per_peak":
            steps = arr[:, 2]
        elif self.step_mode == "ratio":
            # Step height as a fraction of each peak's height (gf3 convention).
            steps = rest[0] * arr[:, 0] / (math.sqrt(2.0 * math.pi) * sig)
        else:
            steps = np.zeros(n)
        return arr[:, 0], arr[:, 1], steps, sig, rest[-2:]

    def cdf(self, x: NDArray[np.float64], p: Sequence[float]) -> NDArray[np.float64]:
        area, mu, steps, sig, (b0, b1) = self.unpack(p)
        z = (x[None, :] - mu[:, None]) / sig[:, None]
        out = (area[:, None] * scipy.special.ndtr(z)).sum(axis=0)
        if self.step_mode != "none":
            u = z / _SQRT2
            prim = u * scipy.special.erfc(u) - np.exp(-u * u) / _SQRT_PI
            out += (steps[:, None] * (_SQRT2 * sig[:, None] / 2.0) * prim).sum(axis=0)
        dx = x - self.x_ref
        return out + b0 * dx + 0.5 * b1 * dx * dx

    def per_channel(self, ch: NDArray[np.float64], p: Sequence[float]) -> NDArray[np.float64]:
        """Return the expected counts in channels ``ch`` (model integrated over ``ch +- 0.5``)."""
        ch = np.asarray(ch, dtype=float)
        if ch.size > 1 and np.all(np.diff(ch) == 1.0):
            # Contiguous channels share edges: one cdf evaluation instead of two.
            return np.diff(self.cdf(np.append(ch - 0.5, ch[-1] + 0.5), p))
        return self.cdf(ch + 0.5, p) - self.cdf(ch - 0.5, p)

    def density(self, x: NDArray[np.float64], p: Sequence[float]) -> tuple[NDArray, ...]:
        area, mu, steps, sig, (b0, b1) = self.unpack(p)
        z = (x[None, :] - mu[:, None]) / sig[:, None]
        gauss = area[:, None] * np.exp(-0.5 * z * z) / (math.sqrt(2 * math.pi) * sig[:, None])
        stp = (steps[:, None] * scipy.special.erfc(z / _SQRT2) / 2.0).sum(axis=0)
        bkg = b0 + b1 * (x - self.x_ref)
        return gauss, stp, bkg

    def step_with_error(self, res: FitResult, i: int) -> tuple[float, float]:
        """Return step height ``S_i`` and its error (propagated for the ratio mode)."""
        if self.step_mode == "per_peak":
            return float(res[f"step_{i}"]), float(res.error(f"step_{i}"))
        if self.step_mode == "none":
            return 0.0, 0.0
        names = [f"area_{i}", "step_ratio", "sigma"]
        a, q, sg = (res[n] for n in names)
        h = 1.0 / (math.sqrt(2.0 * math.pi) * sg * self.ratios[i])
        s = q * a * h
        jac = np.array([q * h, a * h, -s / sg])
        idx = [res.names.index(n) for n in names]
        cov = res.cov[np.ix_(idx, idx)]
        return float(s), float(math.sqrt(max(float(jac @ cov @ jac), 0.0)))


def region_curves(fit: RegionFit, channels: ArrayLike | None = None) -> RegionCurves:
    """Evaluate the fitted model and its components (counts per channel) for plotting.

    Parameters
    ----------
    fit : RegionFit
        A fitted region (an invalid fit gives NaN curves).
    channels : array_like, optional
        Grid in (fractional) channels; default 10 points per channel over the region.

    Returns
    -------
    RegionCurves
    """
    lo, hi = fit.region_ch
    x = (
        np.linspace(lo - 0.5, hi + 0.5, 10 * (hi - lo + 1) + 1)
        if channels is None
        else np.asarray(channels, dtype=float)
    )
    names = fit.result.names
    mode = "per_peak" if "step_0" in names else "ratio" if "step_ratio" in names else "none"
    layout = RegionLayout(len(fit.peaks), fit.width_ratios, fit.x_ref_ch, mode)
    gauss, stp, bkg = layout.density(x, fit.result.values)
    bkg = np.broadcast_to(bkg, x.shape).astype(float)
    e = fit.energy_cal.energy(x) if fit.energy_cal is not None else np.full(x.shape, np.nan)
    return RegionCurves(x, e, gauss.sum(axis=0) + stp + bkg, bkg, stp, tuple(g for g in gauss))
