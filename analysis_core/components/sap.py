"""Peak-to-integral function S_Ap(PE) from 39Ar events and the implicit light solution.

What to use when
----------------
- ``measure_sap(peak_amp_adc, total_pe, ...)``: the binned profile of ``peak amplitude / total
  PE`` versus total PE of background (39Ar, electron-recoil) events and its smooth monotone fit
  ``ln S(I) = a0 + a1 L + a2 L^2``, ``L = ln(I / 100 PE)`` (``SapCurve``; checked that
  ``I S(I)`` rises over the fitted range, so the solution is unique) with the parameter
  covariance. A power law ``c + d I^-p`` leaves 2-sigma wiggles at 10^4 events; the
  log-quadratic does not.
- ``SapCurve.solve(amp_adc, amp_err_adc)``: the paper's Eq. (4.2), ``E Y = A_p / S_Ap(E Y)``,
  solved for the light ``x = E Y`` by ``brentq`` on ``x S(x) = A_p``, with the error from the
  amplitude and from the curve parameters: ``sigma_x^2 = (sigma_A^2 + x^2 g C g^T) /
  (S + x S')^2``, ``g = dS/dparams``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from iminuit.cost import LeastSquares
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import brentq

from analysis_core.errors import CalibrationError
from analysis_core.fitting.result import FitResult, minimize

__all__ = ["SapCurve", "SapProfile", "measure_sap"]

_REF_PE = 100.0


@dataclass(frozen=True, slots=True)
class SapCurve:
    """``ln S_Ap(I) = a0 + a1 L + a2 L^2`` (``L = ln(I / 100 PE)``), ADC per PE, on ``range_pe``.

    Attributes
    ----------
    a0, a1, a2 : float
        Parameters (``exp(a0)`` is S_Ap at 100 PE, ``a1`` the log slope there, ``a2`` its
        curvature).
    covariance : tuple of tuple of float
        3x3 parameter covariance.
    range_pe : (float, float)
        Total-PE range of the data the curve was fitted on (the solution must lie inside).
    """

    a0: float
    a1: float
    a2: float
    covariance: tuple[tuple[float, ...], ...]
    range_pe: tuple[float, float]

    @property
    def params(self) -> NDArray[np.float64]:
        """``[a0, a1, a2]``."""
        return np.array([self.a0, self.a1, self.a2])

    @staticmethod
    def evaluate(params: Any, total_pe: ArrayLike) -> Any:
        """Model with explicit parameters."""
        a0, a1, a2 = params
        lg = np.log(np.asarray(total_pe, dtype=float) / _REF_PE)
        return np.exp(a0 + a1 * lg + a2 * lg * lg)

    def __call__(self, total_pe: ArrayLike) -> Any:
        """Return ``S_Ap(total_pe)`` in ADC per PE."""
        return self.evaluate(self.params, total_pe)

    def gradient(self, total_pe: float) -> NDArray[np.float64]:
        """``dS/d(a0, a1, a2)`` at ``total_pe``."""
        lg = math.log(total_pe / _REF_PE)
        return float(self(total_pe)) * np.array([1.0, lg, lg * lg])

    def band(self, total_pe: ArrayLike) -> NDArray[np.float64]:
        """1-sigma error of ``S_Ap`` from the parameter covariance."""
        x = np.atleast_1d(np.asarray(total_pe, dtype=float))
        cov = np.asarray(self.covariance)
        return np.array([math.sqrt(max(self.gradient(v) @ cov @ self.gradient(v), 0.0)) for v in x])

    def solve(self, amp_adc: float, amp_err_adc: float) -> tuple[float, float, float]:
        """Solve ``x S(x) = amp_adc`` for the light ``x`` (PE); return ``(x, sigma_x, S(x))``.

        Raises
        ------
        CalibrationError
            When the amplitude lies outside what the curve covers.
        """
        lo, hi = self.range_pe

        def f(x: float) -> float:
            return x * float(self(x)) - amp_adc

        if not (math.isfinite(amp_adc) and f(lo) < 0 < f(hi)):
            raise CalibrationError(
                f"S_Ap: amplitude {amp_adc:.1f} ADC is outside the 39Ar profile range "
                f"{lo * float(self(lo)):.0f}-{hi * float(self(hi)):.0f} ADC ({lo:g}-{hi:g} PE)"
            )
        x = float(brentq(f, lo, hi, xtol=1e-10))
        s = float(self(x))
        ds = s * (self.a1 + 2 * self.a2 * math.log(x / _REF_PE)) / x
        g = self.gradient(x)
        var = amp_err_adc**2 + x * x * float(g @ np.asarray(self.covariance) @ g)
        return x, math.sqrt(max(var, 0.0)) / abs(s + x * ds), s

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "model": "ln S = a0 + a1 L + a2 L^2, L = ln(I/100 PE)",
            "a0": self.a0,
            "a1": self.a1,
            "a2": self.a2,
            "covariance": [list(r) for r in self.covariance],
            "range_pe": list(self.range_pe),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SapCurve:
        """Inverse of ``to_dict``."""
        return cls(
            float(d["a0"]),
            float(d["a1"]),
            float(d["a2"]),
            tuple(tuple(float(c) for c in r) for r in d["covariance"]),
            (float(d["range_pe"][0]), float(d["range_pe"][1])),
        )


@dataclass(frozen=True, slots=True)
class SapProfile:
    """Binned S_Ap profile and its fitted curve.

    Attributes
    ----------
    centres_pe, sap, sap_err, spread : tuple of float
        Mean total PE per bin, the mean ratio, its error, and the per-event rms of the ratio.
    counts : tuple of int
        Events per bin.
    curve : SapCurve
        Fitted curve.
    fit : FitResult
        The least-squares fit.
    """

    centres_pe: tuple[float, ...]
    sap: tuple[float, ...]
    sap_err: tuple[float, ...]
    spread: tuple[float, ...]
    counts: tuple[int, ...]
    curve: SapCurve
    fit: FitResult

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "centres_pe": list(self.centres_pe),
            "sap": list(self.sap),
            "sap_err": list(self.sap_err),
            "spread": list(self.spread),
            "counts": list(self.counts),
            "curve": self.curve.to_dict(),
            "fit": self.fit.to_dict(),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SapProfile:
        """Inverse of ``to_dict``."""
        return cls(
            tuple(map(float, d["centres_pe"])),
            tuple(map(float, d["sap"])),
            tuple(map(float, d["sap_err"])),
            tuple(map(float, d["spread"])),
            tuple(map(int, d["counts"])),
            SapCurve.from_dict(d["curve"]),
            FitResult.from_dict(d["fit"]),
        )


def measure_sap(
    peak_amp_adc: ArrayLike,
    total_pe: ArrayLike,
    *,
    range_pe: tuple[float, float] = (20.0, 400.0),
    n_bins: int = 20,
    min_counts: int = 20,
    statistic: str = "mean",
) -> SapProfile:
    """Profile of ``peak_amp_adc / total_pe`` in log bins of total PE, and its fit.

    Parameters
    ----------
    peak_amp_adc, total_pe : array_like
        Per-event prompt peak amplitude (summed channels, ADC) and total light (PE) of 39Ar
        events.
    range_pe : (float, float)
        Total-PE range of the profile; the implicit solution must fall inside it.
    n_bins : int
        Number of logarithmic bins.
    min_counts : int
        Bins with fewer events are left out.
    statistic : {"mean", "median"}
        Per-bin value of the ratio (error ``rms / sqrt(n)``, x 1.2533 for the median).

    Raises
    ------
    CalibrationError
        Fewer than four usable bins or a failed fit.
    """
    a = np.asarray(peak_amp_adc, dtype=float)
    x = np.asarray(total_pe, dtype=float)
    ok = np.isfinite(a) & np.isfinite(x) & (x > 0) & (a > 0)
    a, x = a[ok], x[ok]
    if statistic not in ("mean", "median"):
        raise CalibrationError(f"S_Ap: statistic must be 'mean' or 'median', got {statistic!r}")
    median = statistic == "median"
    lo, hi = range_pe
    if not 0 < lo < hi:
        raise CalibrationError(f"S_Ap: bad total-PE range {range_pe}")
    edges = np.geomspace(lo, hi, n_bins + 1)
    idx = np.digitize(x, edges) - 1
    cen, val, err, spr, cnt = [], [], [], [], []
    for i in range(n_bins):
        m = idx == i
        if m.sum() < min_counts:
            continue
        r = a[m] / x[m]
        cen.append(float(x[m].mean()))
        val.append(float(np.median(r) if median else r.mean()))
        spr.append(float(r.std(ddof=1)))
        err.append((1.2533 if median else 1.0) * spr[-1] / math.sqrt(r.size))
        cnt.append(int(r.size))
    if len(cen) < 4:
        raise CalibrationError(
            f"S_Ap: only {len(cen)} bins with >= {min_counts} background events in "
            f"{lo:g}-{hi:g} PE (is the background run reduced and large enough?)"
        )
    xc, yc, ec = np.array(cen), np.array(val), np.array(err)
    lg = np.log(xc / _REF_PE)
    a2, a1, a0 = np.polyfit(lg, np.log(yc), 2, w=yc / ec)
    cost = LeastSquares(xc, yc, ec, lambda xx, a0, a1, a2: SapCurve.evaluate((a0, a1, a2), xx))
    fit = minimize(cost, {"a0": a0, "a1": a1, "a2": a2}, model="sap-logquad")
    if not fit.valid:
        raise CalibrationError(f"S_Ap fit failed: {fit.message}")
    span = (float(edges[0]), float(edges[-1]))
    curve = SapCurve(fit["a0"], fit["a1"], fit["a2"], fit.covariance, span)
    slope = fit["a1"] + 2 * fit["a2"] * np.log(np.array(span) / _REF_PE)
    if np.any(1.0 + slope <= 0):  # d ln(I S) / d ln I > 0: one amplitude, one light
        raise CalibrationError(
            f"S_Ap fit: amplitude does not rise with light over {span[0]:g}-{span[1]:g} PE "
            f"(log slopes {slope}): narrow the profile range"
        )
    return SapProfile(tuple(cen), tuple(val), tuple(err), tuple(spr), tuple(cnt), curve, fit)
