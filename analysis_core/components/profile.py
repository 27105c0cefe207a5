"""The I35:I55 profile, its linear fit (the angle alpha) and the rotated-axis coordinate.

What to use when
----------------
- ``fit_i35_i55(i35_pe, i55_pe, ...)``: median I35 in bins of I55 and a weighted straight line
  ``I35 = m I55 + b``; ``alpha_deg = atan(m)`` (the paper: 37.5 deg). Returns ``LineProfile``.
- ``rotated(i35_pe, i55_pe, alpha_deg)``: ``I35 cos(alpha) - I55 sin(alpha)`` (paper Eq. 4.3),
  zero on the line through the origin; events whose 9.4 keV singlet falls 35-55 ns after the
  first lie below (more negative).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from analysis_core.errors import CalibrationError

__all__ = ["LineProfile", "fit_i35_i55", "rotated"]


@dataclass(frozen=True, slots=True)
class LineProfile:
    """Profile of I35 vs I55 and its straight-line fit.

    Attributes
    ----------
    centres_pe, i35_pe, i35_err_pe : tuple of float
        Bin centres in I55, median I35 per bin and its error.
    slope, slope_err, intercept_pe, intercept_err_pe : float
        The fitted line ``I35 = slope I55 + intercept``.
    alpha_deg, alpha_err_deg : float
        ``atan(slope)`` and its error, degrees.
    chi2 : float
        Chi-square of the line; ``ndf`` its degrees of freedom.
    """

    centres_pe: tuple[float, ...]
    i35_pe: tuple[float, ...]
    i35_err_pe: tuple[float, ...]
    slope: float
    slope_err: float
    intercept_pe: float
    intercept_err_pe: float
    alpha_deg: float
    alpha_err_deg: float
    chi2: float
    ndf: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in _items(self)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> LineProfile:
        """Inverse of ``to_dict``."""
        kw = {k: d[k] for k in cls.__slots__}
        for k in ("centres_pe", "i35_pe", "i35_err_pe"):
            kw[k] = tuple(float(v) for v in kw[k])
        return cls(**kw)


def _items(obj: Any) -> list[tuple[str, Any]]:
    return [(k, getattr(obj, k)) for k in obj.__slots__]


def rotated(i35_pe: ArrayLike, i55_pe: ArrayLike, alpha_deg: float) -> NDArray[np.float64]:
    """Return ``I35 cos(alpha) - I55 sin(alpha)`` (PE)."""
    a = math.radians(alpha_deg)
    return np.asarray(i35_pe, dtype=float) * math.cos(a) - np.asarray(i55_pe, dtype=float) * (
        math.sin(a)
    )


def fit_i35_i55(
    i35_pe: ArrayLike,
    i55_pe: ArrayLike,
    *,
    range_pe: tuple[float, float] | None = None,
    n_bins: int = 20,
    min_counts: int = 20,
) -> LineProfile:
    """Median I35 in bins of I55 and the weighted line through them.

    Parameters
    ----------
    i35_pe, i55_pe : array_like
        Per-event integrals over 35 and 55 ns (PE).
    range_pe : (float, float), optional
        I55 range of the profile; default the 5-95 % quantiles.
    n_bins, min_counts : int
        Number of bins and the least events a bin needs.

    Raises
    ------
    CalibrationError
        Fewer than three usable bins.
    """
    x = np.asarray(i55_pe, dtype=float)
    y = np.asarray(i35_pe, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if x.size < 3 * min_counts:
        raise CalibrationError(f"I35:I55 profile: only {x.size} events")
    lo, hi = range_pe if range_pe is not None else tuple(np.percentile(x, [5, 95]))
    edges = np.linspace(lo, hi, n_bins + 1)
    idx = np.digitize(x, edges) - 1
    cen, med, err = [], [], []
    for i in range(n_bins):
        v = y[idx == i]
        if v.size < min_counts:
            continue
        cen.append(float(x[idx == i].mean()))
        med.append(float(np.median(v)))
        err.append(float(1.2533 * v.std(ddof=1) / math.sqrt(v.size)))
    if len(cen) < 3:
        raise CalibrationError(f"I35:I55 profile: only {len(cen)} bins with >= {min_counts} events")
    xc, yc, ec = np.array(cen), np.array(med), np.array(err)
    w = 1 / ec**2
    a = np.stack([xc, np.ones_like(xc)], axis=1)
    cov = np.linalg.inv(a.T @ (a * w[:, None]))
    slope, icpt = cov @ (a.T @ (w * yc))
    chi2 = float(np.sum(w * (yc - slope * xc - icpt) ** 2))
    s_err = math.sqrt(cov[0, 0])
    return LineProfile(
        tuple(cen),
        tuple(med),
        tuple(err),
        float(slope),
        s_err,
        float(icpt),
        math.sqrt(cov[1, 1]),
        math.degrees(math.atan(slope)),
        math.degrees(s_err / (1 + slope**2)),
        chi2,
        len(cen) - 2,
    )
