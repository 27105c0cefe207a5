"""The electron-recoil F90(I) curve: F90 as a smooth function of the total light.

What to use when
----------------
- ``F90Curve(a, b, scale_pe)``: the parametrisation ``F90(I) = a + b exp(-I / scale_pe)``
  (monotone; the singlet fraction of electron recoils falls with energy and levels off). Call
  it with PE; ``covariance`` holds the parameter covariance for error propagation.
- ``F90Curve.through(points)``: the curve through two or three ``(I, F90)`` points with a
  given scale, e.g. to check the system (4.4) solver against the paper's tables.
- ``measure_f90_curve(total_pe, f90, ...)``: median F90 in bins of total PE from 57Co data (the
  paper's choice: single electron recoils, few multiple deposits) and the fitted curve.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from iminuit.cost import LeastSquares
from numpy.typing import ArrayLike, NDArray

from analysis_core.errors import CalibrationError
from analysis_core.fitting.result import FitResult, minimize

__all__ = ["F90Curve", "F90Profile", "measure_f90_curve"]

PARAMS = ("a", "b", "scale_pe")


@dataclass(frozen=True, slots=True)
class F90Curve:
    """``F90(I) = a + b exp(-I / scale_pe)`` with the parameter covariance.

    Attributes
    ----------
    a, b, scale_pe : float
        Asymptotic F90, its excess at zero light, the light scale (PE).
    covariance : tuple of tuple of float
        3x3 covariance of ``(a, b, scale_pe)``; zeros for an exact (error-free) curve.
    """

    a: float
    b: float
    scale_pe: float
    covariance: tuple[tuple[float, ...], ...] = field(default=((0.0,) * 3,) * 3)

    def __call__(self, total_pe: ArrayLike) -> Any:
        """Return ``F90(total_pe)``."""
        return self.evaluate(self.params, total_pe)

    @property
    def params(self) -> NDArray[np.float64]:
        """``[a, b, scale_pe]``."""
        return np.array([self.a, self.b, self.scale_pe], dtype=float)

    @property
    def cov(self) -> NDArray[np.float64]:
        """Covariance as a 3x3 array."""
        return np.asarray(self.covariance, dtype=float)

    @staticmethod
    def evaluate(params: Sequence[float], total_pe: ArrayLike) -> Any:
        """Evaluate the model with explicit ``params`` (for error propagation)."""
        a, b, s = params
        return a + b * np.exp(-np.asarray(total_pe, dtype=float) / s)

    def band(self, total_pe: ArrayLike) -> NDArray[np.float64]:
        """Return the 1-sigma error of ``F90(I)`` from the parameter covariance."""
        x = np.atleast_1d(np.asarray(total_pe, dtype=float))
        e = np.exp(-x / self.scale_pe)
        jac = np.stack([np.ones_like(x), e, self.b * x * e / self.scale_pe**2], axis=1)
        var = np.einsum("ij,jk,ik->i", jac, self.cov, jac)
        return np.sqrt(np.clip(var, 0.0, None))

    @classmethod
    def through(cls, points: Sequence[tuple[float, float]], scale_pe: float) -> F90Curve:
        """Return the exact curve with ``scale_pe`` through two ``(I, F90)`` points."""
        if len(points) != 2:
            raise ValueError("give exactly two (I, F90) points")
        (x1, y1), (x2, y2) = points
        e1, e2 = math.exp(-x1 / scale_pe), math.exp(-x2 / scale_pe)
        b = (y1 - y2) / (e1 - e2)
        return cls(a=y1 - b * e1, b=b, scale_pe=scale_pe)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "model": "a + b exp(-I/scale_pe)",
            "a": self.a,
            "b": self.b,
            "scale_pe": self.scale_pe,
            "covariance": [list(r) for r in self.covariance],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> F90Curve:
        """Inverse of ``to_dict``."""
        cov = tuple(tuple(float(c) for c in r) for r in d.get("covariance", ((0.0,) * 3,) * 3))
        return cls(float(d["a"]), float(d["b"]), float(d["scale_pe"]), cov)


@dataclass(frozen=True, slots=True)
class F90Profile:
    """Binned F90 vs total PE from 57Co data and the fitted curve.

    Attributes
    ----------
    centres_pe, f90, f90_err : tuple of float
        Bin centres, the median F90 per bin and its error ``1.2533 rms / sqrt(n)``.
    counts : tuple of int
        Events per bin.
    curve : F90Curve
        The fitted curve.
    fit : FitResult
        The least-squares fit of ``curve`` to the bin medians.
    """

    centres_pe: tuple[float, ...]
    f90: tuple[float, ...]
    f90_err: tuple[float, ...]
    counts: tuple[int, ...]
    curve: F90Curve
    fit: FitResult

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "centres_pe": list(self.centres_pe),
            "f90": [_clean(v) for v in self.f90],
            "f90_err": [_clean(v) for v in self.f90_err],
            "counts": list(self.counts),
            "curve": self.curve.to_dict(),
            "fit": self.fit.to_dict(),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> F90Profile:
        """Inverse of ``to_dict``."""
        return cls(
            tuple(float(v) for v in d["centres_pe"]),
            tuple(_num(v) for v in d["f90"]),
            tuple(_num(v) for v in d["f90_err"]),
            tuple(int(v) for v in d["counts"]),
            F90Curve.from_dict(d["curve"]),
            FitResult.from_dict(d["fit"]),
        )


def measure_f90_curve(
    total_pe: ArrayLike,
    f90: ArrayLike,
    *,
    range_pe: tuple[float, float] = (20.0, 400.0),
    n_bins: int = 19,
    min_counts: int = 20,
) -> F90Profile:
    """Median F90 in bins of total PE (log-spaced) and the fit of ``F90Curve``.

    Parameters
    ----------
    total_pe, f90 : array_like
        Per-event total light and F90 of electron-recoil data (57Co).
    range_pe : (float, float)
        Total-PE range of the profile.
    n_bins : int
        Number of logarithmic bins.
    min_counts : int
        Bins with fewer events are left out of the fit.

    Raises
    ------
    CalibrationError
        Fewer than four usable bins.
    """
    x = np.asarray(total_pe, dtype=float)
    y = np.asarray(f90, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y) & (y > 0) & (y < 1)
    x, y = x[ok], y[ok]
    lo, hi = range_pe
    if not 0 < lo < hi:
        raise CalibrationError(f"F90 curve: bad total-PE range {range_pe}")
    edges = np.geomspace(lo, hi, n_bins + 1)
    idx = np.digitize(x, edges) - 1
    cen, med, err, cnt = [], [], [], []
    for i in range(n_bins):
        v = y[idx == i]
        if v.size < min_counts:
            continue
        cen.append(float(np.mean(x[idx == i])))
        med.append(float(np.median(v)))
        err.append(float(1.2533 * np.std(v, ddof=1) / math.sqrt(v.size)))
        cnt.append(int(v.size))
    if len(cen) < 4:
        raise CalibrationError(
            f"F90 curve: only {len(cen)} bins with >= {min_counts} events in {lo:g}-{hi:g} PE "
            "(the 57Co run is too small or its PE range is elsewhere)"
        )
    xc, yc, ec = np.array(cen), np.array(med), np.array(err)
    cost = LeastSquares(
        xc, yc, ec, lambda xx, a, b, scale_pe: F90Curve.evaluate((a, b, scale_pe), xx)
    )
    start = {
        "a": float(yc[-1]),
        "b": float(max(yc[0] - yc[-1], 0.01)),
        "scale_pe": float(xc[len(xc) // 3]),
    }
    fit = minimize(
        cost, start, limits={"a": (0.0, 1.0), "scale_pe": (1.0, 10 * hi)}, model="f90-curve"
    )
    if not fit.valid:
        raise CalibrationError(f"F90 curve fit failed: {fit.message}")
    curve = F90Curve(fit["a"], fit["b"], fit["scale_pe"], fit.covariance)
    return F90Profile(tuple(cen), tuple(med), tuple(err), tuple(cnt), curve, fit)


def _clean(v: float) -> float | None:
    return float(v) if math.isfinite(v) else None


def _num(v: Any) -> float:
    return float("nan") if v is None else float(v)
