"""The paper's system (4.4): full light of the 9.4 and 32.1 keV steps from their I90 values.

What to use when
----------------
- ``solve_system44(i90_32_pe, i90_41_pe, i_total_41_pe, curve, ...)``: the iterative
  Levenberg-Marquardt solution (``scipy.optimize.least_squares(method="lm")``) for
  ``I_total,32.1``, ``I_total,9.4`` and the floating ``I90,9.4``, with errors; returns a
  ``System44Result``.

The unknowns ``x = (I_32.1, I_9.4, I90_9.4)`` minimise the normalised residuals

    r1 = (F90(I_32.1) I_32.1 - I90_32.1) / s(I90_32.1)     I_32.1 = I90_32.1 / F90(I_32.1)
    r2 = (F90(I_9.4) I_9.4 - I90_9.4) / s(I90_9.4)         I_9.4  = I90_9.4 / F90(I_9.4)
    r3 = (I_32.1 + I_9.4 - I_41.5) / s(I_41.5)             I_9.4 = I_41.5 - I_32.1 (and v.v.)
    r4 = (I90_41.5 - F90(I_32.1) I_32.1 - I90_9.4) / s(I90_41.5)   I90_9.4 = I90_41.5 - I90_32.1

starting from linearity (``I = Y E`` with a given light yield). With consistent inputs all
residuals vanish. Errors: the measurement part from ``(J^T J)^-1`` of the normalised
residuals, scaled by ``sqrt(chi2 / ndf)`` when that exceeds 1 (four equations, three unknowns:
ndf = 1; inconsistent inputs widen the errors, the PDG scale-factor rule), plus the F90-curve
part ``G C_curve G^T`` with ``G = dx/d(curve parameters)`` (numerical, re-solving the system).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import least_squares

from analysis_core.components.f90curve import F90Curve
from analysis_core.components.lightyield import E_DELAYED_KEV, E_PROMPT_KEV
from analysis_core.errors import CalibrationError

__all__ = ["System44Result", "solve_system44"]

NAMES = ("i_total_32_pe", "i_total_9_pe", "i90_9_pe")


@dataclass(frozen=True, slots=True)
class System44Result:
    """Solution of system (4.4).

    Attributes
    ----------
    i_total_32_pe, i_total_9_pe : float
        Full light of the 32.1 and 9.4 keV steps (PE).
    i90_9_pe : float
        The floating ``I90,9.4`` at the solution (PE).
    covariance : tuple of tuple of float
        3x3 covariance of ``(i_total_32_pe, i_total_9_pe, i90_9_pe)``, measurement plus curve.
    f90_32, f90_9 : float
        ``F90`` of the curve at the two solutions.
    residuals : tuple of float
        Normalised residuals ``r1..r4`` at the solution.
    n_evaluations : int
        Function evaluations the iteration took.
    converged : bool
        True when Levenberg-Marquardt reported success.
    message : str
        The solver's status message.
    inputs : dict
        The measured inputs and their errors, for provenance.
    error_scale : float
        ``max(1, sqrt(chi2 / ndf))`` applied to the measurement part of the covariance.
    """

    i_total_32_pe: float
    i_total_9_pe: float
    i90_9_pe: float
    covariance: tuple[tuple[float, ...], ...]
    f90_32: float
    f90_9: float
    residuals: tuple[float, ...]
    n_evaluations: int
    converged: bool
    message: str
    inputs: dict[str, Any]
    error_scale: float = 1.0

    @property
    def errors(self) -> tuple[float, float, float]:
        """Errors of ``(i_total_32_pe, i_total_9_pe, i90_9_pe)``."""
        d = np.sqrt(np.clip(np.diag(np.asarray(self.covariance)), 0, None))
        return float(d[0]), float(d[1]), float(d[2])

    def yields(
        self, e_prompt_kev: float = E_PROMPT_KEV, e_delayed_kev: float = E_DELAYED_KEV
    ) -> dict[str, tuple[float, float]]:
        """Light yields ``{"32.1": (Y, sY), "9.4": (Y, sY)}`` in PE/keV."""
        e32, e9, _ = self.errors
        return {
            "32.1": (self.i_total_32_pe / e_prompt_kev, e32 / e_prompt_kev),
            "9.4": (self.i_total_9_pe / e_delayed_kev, e9 / e_delayed_kev),
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "i_total_32_pe": self.i_total_32_pe,
            "i_total_9_pe": self.i_total_9_pe,
            "i90_9_pe": self.i90_9_pe,
            "covariance": [list(r) for r in self.covariance],
            "f90_32": self.f90_32,
            "f90_9": self.f90_9,
            "residuals": list(self.residuals),
            "n_evaluations": self.n_evaluations,
            "converged": self.converged,
            "message": self.message,
            "inputs": dict(self.inputs),
            "error_scale": self.error_scale,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> System44Result:
        """Inverse of ``to_dict``."""
        return cls(
            float(d["i_total_32_pe"]),
            float(d["i_total_9_pe"]),
            float(d["i90_9_pe"]),
            tuple(tuple(float(c) for c in r) for r in d["covariance"]),
            float(d["f90_32"]),
            float(d["f90_9"]),
            tuple(float(r) for r in d["residuals"]),
            int(d["n_evaluations"]),
            bool(d["converged"]),
            str(d["message"]),
            dict(d["inputs"]),
            float(d.get("error_scale", 1.0)),
        )


def _residuals(
    x: NDArray[np.float64], meas: NDArray[np.float64], sig: NDArray[np.float64], p: Any
) -> NDArray[np.float64]:
    i32, i9, i90_9 = x
    i90_32, i90_41, i41 = meas
    f32 = F90Curve.evaluate(p, i32) * i32
    return np.array(
        [
            (f32 - i90_32) / sig[0],
            (F90Curve.evaluate(p, i9) * i9 - i90_9) / sig[3],
            (i32 + i9 - i41) / sig[2],
            (i90_41 - f32 - i90_9) / sig[1],
        ]
    )


def _solve(x0: NDArray[np.float64], meas: Any, sig: Any, p: Any) -> Any:
    return least_squares(
        _residuals, x0, args=(meas, sig, p), method="lm", xtol=1e-12, ftol=1e-12, gtol=1e-12
    )


def solve_system44(
    i90_32_pe: tuple[float, float],
    i90_41_pe: tuple[float, float],
    i_total_41_pe: tuple[float, float],
    curve: F90Curve,
    *,
    i90_9_err_pe: float | None = None,
    start_yield_pe_per_kev: float = 4.9,
) -> System44Result:
    """Solve system (4.4) by Levenberg-Marquardt; see the module docstring.

    Parameters
    ----------
    i90_32_pe, i90_41_pe : (float, float)
        Measured ``I90`` (value, error) of the 32.1-only and the 41.5 keV populations (PE).
    i_total_41_pe : (float, float)
        Measured full light (value, error) of the whole 41.5 keV deposit (PE).
    curve : F90Curve
        The electron-recoil F90(I) curve (57Co), with its parameter covariance.
    i90_9_err_pe : float, optional
        Error of ``I90,9.4`` used to normalise ``r2``; default: the subtraction error
        ``sqrt(s32^2 + s41^2)``.
    start_yield_pe_per_kev : float
        Light yield of the linear starting point ``I = Y E`` (paper: Analysis B's Y).

    Raises
    ------
    CalibrationError
        Non-positive or non-finite inputs.
    """
    meas = np.array([i90_32_pe[0], i90_41_pe[0], i_total_41_pe[0]], dtype=float)
    s = np.array([i90_32_pe[1], i90_41_pe[1], i_total_41_pe[1]], dtype=float)
    if not (np.all(np.isfinite(meas)) and np.all(meas > 0)):
        raise CalibrationError(f"system (4.4): inputs must be positive and finite, got {meas}")
    if not (np.all(np.isfinite(s)) and np.all(s > 0)):
        raise CalibrationError(f"system (4.4): input errors must be positive, got {s}")
    s9 = math.hypot(s[0], s[1]) if i90_9_err_pe is None else float(i90_9_err_pe)
    if not s9 > 0:
        raise CalibrationError("system (4.4): the I90(9.4) error must be positive")
    sig = np.array([s[0], s[1], s[2], s9])
    x0 = np.array(
        [
            start_yield_pe_per_kev * E_PROMPT_KEV,
            start_yield_pe_per_kev * E_DELAYED_KEV,
            meas[1] - meas[0],
        ]
    )
    p = curve.params
    sol = _solve(x0, meas, sig, p)
    x = sol.x
    # measurement part: (J^T J)^-1 of the normalised residuals at the solution
    jac = np.asarray(sol.jac, dtype=float)
    try:
        cov = np.linalg.inv(jac.T @ jac)
    except np.linalg.LinAlgError:
        cov = np.full((3, 3), np.nan)
    scale = max(1.0, math.sqrt(float(np.sum(sol.fun**2))))  # chi2 / ndf with ndf = 4 - 3
    cov = cov * scale**2
    # curve part: re-solve with each parameter moved by a small step
    cp = curve.cov
    if np.any(cp != 0):
        g = np.empty((3, 3))
        for k in range(3):
            h = 1e-4 * max(abs(p[k]), 1e-3)
            up, dn = p.copy(), p.copy()
            up[k] += h
            dn[k] -= h
            g[:, k] = (_solve(x, meas, sig, up).x - _solve(x, meas, sig, dn).x) / (2 * h)
        cov = cov + g @ cp @ g.T
    return System44Result(
        i_total_32_pe=float(x[0]),
        i_total_9_pe=float(x[1]),
        i90_9_pe=float(x[2]),
        covariance=tuple(tuple(float(c) for c in r) for r in cov),
        f90_32=float(curve(x[0])),
        f90_9=float(curve(x[1])),
        residuals=tuple(float(r) for r in sol.fun),
        n_evaluations=int(sol.nfev),
        converged=bool(sol.success),
        message=str(sol.message),
        inputs={
            "i90_32_pe": list(map(float, i90_32_pe)),
            "i90_41_pe": list(map(float, i90_41_pe)),
            "i_total_41_pe": list(map(float, i_total_41_pe)),
            "i90_9_err_pe": s9,
            "start_yield_pe_per_kev": start_yield_pe_per_kev,
            "curve": curve.to_dict(),
        },
        error_scale=scale,
    )
