"""The HPGe resolution model ``FWHM(E) = sqrt(a + b E + c E^2)``.

What to use when
----------------
- ``fit_fwhm_model(energies_kev, fwhm_kev, fwhm_err_kev)``: fit the model to peak widths, with
  ``a, b, c >= 0`` (electronic noise, charge-carrier statistics, charge collection); returns a
  ``FwhmModel`` to evaluate (with errors), plot, save and reload.

The fit is linear least squares in ``FWHM^2`` with non-negativity bounds; the covariance is
scaled by ``chi2/ndf`` when that exceeds 1 (``cov_scaled`` records it).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.optimize
from numpy.typing import ArrayLike, NDArray

from analysis_core.errors import CalibrationError

__all__ = ["FwhmModel", "fit_fwhm_model"]


def _clean(v: Any) -> Any:
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, tuple | list):
        return [_clean(x) for x in v]
    return v


@dataclass(frozen=True, slots=True)
class FwhmModel:
    """Resolution model ``FWHM(E) = sqrt(a + b E + c E^2)`` (keV).

    Attributes
    ----------
    coefficients : (float, float, float)
        ``a`` [keV^2], ``b`` [keV], ``c`` [1], each >= 0.
    covariance : tuple of tuple of float
        3x3 covariance (rows and columns of a coefficient held at its bound 0 are 0).
    chi2 : float
        Weighted sum of squared residuals in ``FWHM^2``.
    ndf : int
        Points minus free coefficients.
    cov_scaled : bool
        True when the covariance was scaled by ``chi2/ndf > 1``.
    energy_range_kev : (float, float)
        Range of the fitted points (extrapolation outside it is less reliable).
    valid : bool
        False when the model is unusable; ``message`` says why.
    message : str
        Reason or note.
    """

    coefficients: tuple[float, float, float]
    covariance: tuple[tuple[float, ...], ...]
    chi2: float
    ndf: int
    cov_scaled: bool
    energy_range_kev: tuple[float, float]
    valid: bool = True
    message: str = ""

    def fwhm_kev(self, energy_kev: ArrayLike) -> NDArray[np.float64]:
        """Return the FWHM in keV at ``energy_kev``."""
        e = np.asarray(energy_kev, dtype=float)
        a, b, c = self.coefficients
        return np.sqrt(np.maximum(a + b * e + c * e * e, 0.0))

    def fwhm_err_kev(self, energy_kev: ArrayLike) -> NDArray[np.float64]:
        """Return the standard uncertainty of ``fwhm_kev(energy_kev)``."""
        e = np.asarray(energy_kev, dtype=float)
        jac = np.stack([np.ones_like(e), e, e * e], axis=-1)
        cov = np.array(self.covariance, dtype=float)
        var_f2 = np.maximum(np.einsum("...i,ij,...j->...", jac, cov, jac), 0.0)
        f = self.fwhm_kev(e)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(f > 0, np.sqrt(var_f2) / (2.0 * f), np.nan)

    def sigma_kev(self, energy_kev: ArrayLike) -> NDArray[np.float64]:
        """Return the Gaussian sigma (FWHM / 2.3548) in keV."""
        return self.fwhm_kev(energy_kev) / (2.0 * math.sqrt(2.0 * math.log(2.0)))

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dictionary (NaN becomes None)."""
        out = {n: _clean(getattr(self, n)) for n in self.__dataclass_fields__}
        out["model"] = "sqrt(a + b*E + c*E^2)"
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> FwhmModel:
        """Rebuild a model from ``to_dict`` output."""

        def num(x: Any) -> float:
            return float("nan") if x is None else float(x)

        a, b, c = (num(x) for x in d["coefficients"])
        lo, hi = (num(x) for x in d["energy_range_kev"])
        return cls(
            coefficients=(a, b, c),
            covariance=tuple(tuple(num(x) for x in row) for row in d["covariance"]),
            chi2=num(d["chi2"]),
            ndf=int(d["ndf"]),
            cov_scaled=bool(d["cov_scaled"]),
            energy_range_kev=(lo, hi),
            valid=bool(d.get("valid", True)),
            message=str(d.get("message", "")),
        )


def fit_fwhm_model(
    energies_kev: ArrayLike, fwhm_kev: ArrayLike, fwhm_err_kev: ArrayLike | None = None
) -> FwhmModel:
    """Fit ``FWHM^2 = a + b E + c E^2`` with ``a, b, c >= 0`` by weighted least squares.

    Parameters
    ----------
    energies_kev, fwhm_kev : array_like
        Peak energies and measured widths.
    fwhm_err_kev : array_like, optional
        Width errors; the weights are ``1 / (2 FWHM err)^2`` in ``FWHM^2``. Without errors all
        points weigh the same and the scatter sets the covariance.

    Returns
    -------
    FwhmModel
        With 1 point only ``a`` is fitted, with 2 points ``a`` and ``b``.

    Raises
    ------
    CalibrationError
        No points, mismatched lengths, non-finite or non-positive widths or errors.
    """
    e = np.asarray(energies_kev, dtype=float).ravel()
    f = np.asarray(fwhm_kev, dtype=float).ravel()
    if e.shape != f.shape or e.size == 0:
        raise CalibrationError(f"need matching, non-empty energies and widths ({e.size}, {f.size})")
    if not (np.all(np.isfinite(e)) and np.all(np.isfinite(f)) and np.all(f > 0)):
        raise CalibrationError("FWHM points must be finite with positive widths")
    if fwhm_err_kev is None:
        sf = np.ones_like(f)
        weighted = False
    else:
        sf = np.broadcast_to(np.asarray(fwhm_err_kev, dtype=float), f.shape)
        if not (np.all(np.isfinite(sf)) and np.all(sf > 0)):
            raise CalibrationError("FWHM errors must be finite and positive")
        weighted = True
    n_terms = min(3, e.size)
    scale = float(np.max(np.abs(e))) or 1.0
    design = (e / scale)[:, None] ** np.arange(n_terms)
    sy = 2.0 * f * sf if weighted else np.ones_like(f)
    res = scipy.optimize.lsq_linear(design / sy[:, None], f**2 / sy, bounds=(0.0, np.inf))
    coef_s = np.asarray(res.x, dtype=float)
    free = coef_s > 1e-12 * max(float(np.max(coef_s)), 1e-300)
    coef_s[~free] = 0.0  # at the bound
    cov_s = np.zeros((n_terms, n_terms))
    if free.any():
        a = (design / sy[:, None])[:, free]
        cov_s[np.ix_(free, free)] = np.linalg.pinv(a.T @ a)
    resid = design @ coef_s - f**2
    chi2 = float(np.sum((resid / sy) ** 2))
    ndf = int(e.size - free.sum())
    scaled = (ndf > 0 and chi2 / ndf > 1.0) or (not weighted and ndf > 0)
    if scaled:
        cov_s = cov_s * (chi2 / ndf)
    coef = np.zeros(3)
    cov = np.zeros((3, 3))
    inv = 1.0 / scale ** np.arange(n_terms)
    coef[:n_terms] = coef_s * inv
    cov[:n_terms, :n_terms] = cov_s * np.outer(inv, inv)
    valid = bool(free.any())
    message = "" if valid else "all coefficients at zero: no usable width information"
    return FwhmModel(
        coefficients=(float(coef[0]), float(coef[1]), float(coef[2])),
        covariance=tuple(tuple(float(x) for x in row) for row in cov),
        chi2=chi2,
        ndf=ndf,
        cov_scaled=bool(scaled),
        energy_range_kev=(float(e.min()), float(e.max())),
        valid=valid,
        message=message,
    )
