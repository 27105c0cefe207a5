"""Energy re-calibration on identified lines, and the FWHM(E) resolution model.

What to use when
----------------
- ``fit_energy_calibration(channels, energies_kev, ...)``: weighted polynomial ``E(ch)`` of order
  1 or 2 through (fitted centroid, table energy) pairs; returns an ``EnergyCalFit`` holding the
  new ``EnergyCalibration(source="fit")``, its covariance and the residuals. Use it because the
  calibrations stored in spectrum headers are often 0.1-1.5 keV off.
- ``fit_fwhm_model(energies_kev, fwhm_kev, fwhm_err_kev)``: ``FWHM(E) = sqrt(a + b E + c E^2)``
  with ``a, b, c >= 0`` (electronic noise, charge-carrier statistics, charge collection),
  weighted, with errors; returns a ``FwhmModel`` to evaluate, plot and save.

Both fits are linear least squares. Their covariances are scaled by ``chi2/ndf`` when that
exceeds 1 (the scatter then says more about the errors than the inputs do); ``cov_scaled``
records it.
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
from analysis_core.hpge.spectrum import EnergyCalibration

__all__ = ["EnergyCalFit", "FwhmModel", "fit_energy_calibration", "fit_fwhm_model"]


def _clean(v: Any) -> Any:
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, tuple | list):
        return [_clean(x) for x in v]
    return v


@dataclass(frozen=True, slots=True)
class EnergyCalFit:
    """A fitted energy calibration with its uncertainty and residuals.

    Attributes
    ----------
    calibration : EnergyCalibration
        ``E(ch)`` with ``source="fit"``.
    covariance : tuple of tuple of float
        Covariance of the coefficients ``c0, c1, ...`` (keV, keV/ch, ...).
    channels, energies_kev, errors_kev : tuple of float
        The calibration points and the total error of each in keV (centroid error times gain,
        and the table energy's error, in quadrature).
    residuals_kev : tuple of float
        ``E_fit(ch) - E_table`` per point.
    chi2 : float
        Weighted sum of squared residuals.
    ndf : int
        Points minus coefficients.
    cov_scaled : bool
        True when the covariance was scaled by ``chi2/ndf > 1``.
    valid : bool
        False when the result is not a usable calibration; ``message`` says why.
    message : str
        Reason or note (empty when all is well).
    """

    calibration: EnergyCalibration
    covariance: tuple[tuple[float, ...], ...]
    channels: tuple[float, ...]
    energies_kev: tuple[float, ...]
    errors_kev: tuple[float, ...]
    residuals_kev: tuple[float, ...]
    chi2: float
    ndf: int
    cov_scaled: bool
    valid: bool
    message: str = ""

    @property
    def order(self) -> int:
        """Polynomial order."""
        return len(self.calibration.coefficients) - 1

    def energy_err_kev(self, channel: ArrayLike) -> NDArray[np.float64]:
        """Return the standard uncertainty of ``E(channel)`` from the coefficient covariance."""
        ch = np.asarray(channel, dtype=float)
        jac = ch[..., None] ** np.arange(self.order + 1)
        cov = np.array(self.covariance, dtype=float)
        return np.sqrt(np.maximum(np.einsum("...i,ij,...j->...", jac, cov, jac), 0.0))

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dictionary (NaN becomes None)."""
        out = {n: _clean(getattr(self, n)) for n in self.__dataclass_fields__}
        out["calibration"] = {
            "coefficients": list(self.calibration.coefficients),
            "source": self.calibration.source,
        }
        return out


def fit_energy_calibration(
    channels: ArrayLike,
    energies_kev: ArrayLike,
    *,
    channel_err: ArrayLike | None = None,
    energy_err_kev: ArrayLike | None = None,
    order: int = 2,
    n_channels: int | None = None,
) -> EnergyCalFit:
    """Fit ``E(ch) = sum_k c_k ch^k`` to calibration points by weighted least squares.

    Parameters
    ----------
    channels : array_like
        Fitted peak centroids (fractional channels).
    energies_kev : array_like
        Their table energies.
    channel_err : array_like, optional
        Centroid errors in channels (converted to keV with the fitted gain).
    energy_err_kev : array_like, optional
        Table-energy errors (NaN counts as 0).
    order : int
        1 or 2. Lowered to 1 when fewer than 4 points are given (so that at least one degree
        of freedom checks the result).
    n_channels : int, optional
        Spectrum length: the gain must stay positive over ``0 .. n_channels - 1``.

    Returns
    -------
    EnergyCalFit

    Raises
    ------
    CalibrationError
        Fewer than 2 points, mismatched lengths, non-finite input or a bad order.
    """
    ch = np.asarray(channels, dtype=float).ravel()
    e = np.asarray(energies_kev, dtype=float).ravel()
    if ch.shape != e.shape:
        raise CalibrationError(f"{ch.size} channels but {e.size} energies")
    if ch.size < 2:
        raise CalibrationError(f"{ch.size} calibration point(s): need at least 2")
    if order not in (1, 2):
        raise CalibrationError(f"order must be 1 or 2, got {order}")
    if not (np.all(np.isfinite(ch)) and np.all(np.isfinite(e))):
        raise CalibrationError("calibration points must be finite")
    if np.ptp(ch) <= 0:
        raise CalibrationError("calibration points all at the same channel")
    order = order if ch.size >= 4 else 1
    sch = np.zeros_like(ch) if channel_err is None else np.asarray(channel_err, dtype=float)
    se = np.zeros_like(e) if energy_err_kev is None else np.asarray(energy_err_kev, dtype=float)
    sch = np.nan_to_num(np.broadcast_to(sch, ch.shape), nan=0.0)
    se = np.nan_to_num(np.broadcast_to(se, e.shape), nan=0.0)

    scale = float(np.max(np.abs(ch)))
    design = (ch / scale)[:, None] ** np.arange(order + 1)
    gain = np.polyfit(ch, e, 1)[0]
    for _ in range(2):
        err = np.sqrt((gain * sch) ** 2 + se**2)
        if not np.any(err > 0):
            # No errors given: unit weights, and the scatter sets the covariance.
            err = np.ones_like(e)
        else:
            err = np.maximum(err, float(err[err > 0].min()))
        w = 1.0 / err
        coef_s, *_ = np.linalg.lstsq(design * w[:, None], e * w, rcond=None)
        coef = coef_s / scale ** np.arange(order + 1)
        gain_pts = np.polynomial.polynomial.polyval(ch, np.polynomial.polynomial.polyder(coef))
        gain = gain_pts
    cov_s = np.linalg.inv((design * w[:, None] ** 2).T @ design)
    resid = np.polynomial.polynomial.polyval(ch, coef) - e
    chi2 = float(np.sum((resid / err) ** 2))
    ndf = ch.size - (order + 1)
    unit = not np.any(np.sqrt((gain * sch) ** 2 + se**2) > 0)
    scaled = ndf > 0 and (unit or chi2 / ndf > 1.0)
    if scaled:
        cov_s = cov_s * (chi2 / ndf)
    inv_scale = 1.0 / scale ** np.arange(order + 1)
    cov = cov_s * np.outer(inv_scale, inv_scale)
    cal = EnergyCalibration(tuple(float(c) for c in coef), source="fit")
    message = "" if ndf > 0 else "exactly determined: no residual checks the calibration"
    valid = True
    top = float(max(ch.max(), (n_channels or 0) - 1))
    grid = np.linspace(0.0, top, 257)
    if np.any(cal.gain_kev_per_channel(grid) <= 0):
        valid = False
        message = "fitted calibration is not monotonic over the spectrum (gain <= 0)"
    return EnergyCalFit(
        calibration=cal,
        covariance=tuple(tuple(float(x) for x in row) for row in cov),
        channels=tuple(float(x) for x in ch),
        energies_kev=tuple(float(x) for x in e),
        errors_kev=tuple(float(x) for x in err),
        residuals_kev=tuple(float(x) for x in resid),
        chi2=chi2,
        ndf=ndf,
        cov_scaled=bool(scaled),
        valid=valid,
        message=message,
    )


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
