"""Energy re-calibration on identified lines, and the FWHM(E) resolution model.

What to use when
----------------
- ``fit_energy_calibration(channels, energies_kev, ...)``: weighted polynomial ``E(ch)`` of order
  1 or 2 through (fitted centroid, table energy) pairs; returns an ``EnergyCalFit`` holding the
  new ``EnergyCalibration(source="fit")``, its covariance and the residuals. Use it because the
  calibrations stored in spectrum headers are often 0.1-1.5 keV off.
- ``fit_calibration_correction(channels, energies_kev, base)``: ``E = a + (1 + b) E_base(ch)``
  for few or closely spaced lines: keeps the stored shape and corrects offset (and gain).
- ``fit_fwhm_model`` / ``FwhmModel`` (``FWHM(E) = sqrt(a + b E + c E^2)``) live in
  ``analysis_core.hpge.energycal_fwhm`` and are re-exported here.

The fits are linear least squares. Their covariances are scaled by ``chi2/ndf`` when that
exceeds 1 (the scatter then says more about the errors than the inputs do); ``cov_scaled``
records it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from analysis_core.errors import CalibrationError
from analysis_core.hpge.energycal_fwhm import FwhmModel, fit_fwhm_model
from analysis_core.hpge.spectrum import EnergyCalibration

__all__ = [
    "EnergyCalFit",
    "FwhmModel",
    "fit_calibration_correction",
    "fit_energy_calibration",
    "fit_fwhm_model",
]


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


def _points(
    channels: ArrayLike,
    energies_kev: ArrayLike,
    channel_err: ArrayLike | None,
    energy_err_kev: ArrayLike | None,
    n_min: int,
) -> tuple[NDArray[np.float64], ...]:
    ch = np.asarray(channels, dtype=float).ravel()
    e = np.asarray(energies_kev, dtype=float).ravel()
    if ch.shape != e.shape:
        raise CalibrationError(f"{ch.size} channels but {e.size} energies")
    if ch.size < n_min:
        raise CalibrationError(f"{ch.size} calibration point(s): need at least {n_min}")
    if not (np.all(np.isfinite(ch)) and np.all(np.isfinite(e))):
        raise CalibrationError("calibration points must be finite")
    sch = np.zeros_like(ch) if channel_err is None else np.asarray(channel_err, dtype=float)
    se = np.zeros_like(e) if energy_err_kev is None else np.asarray(energy_err_kev, dtype=float)
    sch = np.nan_to_num(np.broadcast_to(sch, ch.shape), nan=0.0)
    se = np.nan_to_num(np.broadcast_to(se, e.shape), nan=0.0)
    return ch, e, sch, se


def _solve(
    ch: NDArray[np.float64],
    e: NDArray[np.float64],
    sch: NDArray[np.float64],
    se: NDArray[np.float64],
    design_of: Callable[[NDArray[np.float64]], NDArray[np.float64]],
    to_coefficients: Callable[[NDArray[np.float64]], tuple[NDArray, NDArray]],
    n_channels: int | None,
    offset: NDArray[np.float64] | None = None,
) -> EnergyCalFit:
    """Weighted linear least squares ``e - offset ~ design @ p``; ``to_coefficients(p) -> (c, J)``.

    ``J = dc/dp`` maps the parameter covariance to the polynomial coefficients. The point
    errors use the gain of the previous iteration (two passes).
    """
    design = design_of(ch)
    target = e if offset is None else e - offset
    gain = np.full(ch.shape, np.polyfit(ch, e, 1)[0] if np.ptp(ch) > 0 else 1.0)
    unit = not np.any(np.hypot(sch, se) > 0)
    for _ in range(2):
        err = np.hypot(gain * sch, se)
        # No errors given: unit weights, and the scatter sets the covariance.
        err = np.ones_like(e) if unit else np.maximum(err, float(err[err > 0].min()))
        w = 1.0 / err
        par, *_ = np.linalg.lstsq(design * w[:, None], target * w, rcond=None)
        coef, jac = to_coefficients(par)
        gain = np.polynomial.polynomial.polyval(ch, np.polynomial.polynomial.polyder(coef))
    cov_p = np.linalg.pinv((design * w[:, None] ** 2).T @ design)
    resid = np.polynomial.polynomial.polyval(ch, coef) - e
    chi2 = float(np.sum((resid / err) ** 2))
    ndf = ch.size - design.shape[1]
    scaled = ndf > 0 and (unit or chi2 / ndf > 1.0)
    if scaled:
        cov_p = cov_p * (chi2 / ndf)
    cov = jac @ cov_p @ jac.T
    cal = EnergyCalibration(tuple(float(c) for c in coef), source="fit")
    message = "" if ndf > 0 else "exactly determined: no residual checks the calibration"
    valid = True
    top = float(max(ch.max(), (n_channels or 0) - 1))
    if np.any(cal.gain_kev_per_channel(np.linspace(0.0, top, 257)) <= 0):
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
        Table-energy errors (NaN counts as 0), plus any systematic allowance.
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
        Fewer than 2 points, mismatched lengths, non-finite input, a bad order, or all points
        at one channel.
    """
    if order not in (1, 2):
        raise CalibrationError(f"order must be 1 or 2, got {order}")
    ch, e, sch, se = _points(channels, energies_kev, channel_err, energy_err_kev, 2)
    if np.ptp(ch) <= 0:
        raise CalibrationError("calibration points all at the same channel")
    order = order if ch.size >= 4 else 1
    scale = float(np.max(np.abs(ch)))
    powers = np.arange(order + 1)
    inv = 1.0 / scale**powers
    return _solve(
        ch, e, sch, se,
        lambda x: (x / scale)[:, None] ** powers,
        lambda p: (p * inv, np.diag(inv)),
        n_channels,
    )  # fmt: skip


def fit_calibration_correction(
    channels: ArrayLike,
    energies_kev: ArrayLike,
    base: EnergyCalibration,
    *,
    channel_err: ArrayLike | None = None,
    energy_err_kev: ArrayLike | None = None,
    order: int = 1,
    n_channels: int | None = None,
) -> EnergyCalFit:
    """Correct ``base`` as ``E(ch) = a + (1 + b) E_base(ch)`` (``order=1``) or ``a + E_base``.

    For few or closely spaced lines (a 57Co spectrum has two lines 14 keV apart) this keeps
    the stored shape, non-linearity included, instead of replacing it by a line through two
    points. The result is a polynomial of the base's order.

    Parameters
    ----------
    channels, energies_kev, channel_err, energy_err_kev, n_channels
        As ``fit_energy_calibration``.
    base : EnergyCalibration
        The calibration to correct.
    order : {0, 1}
        Offset only, or offset and relative gain.

    Raises
    ------
    CalibrationError
        Fewer points than parameters, bad input, or a bad order.
    """
    if order not in (0, 1):
        raise CalibrationError(f"correction order must be 0 or 1, got {order}")
    ch, e, sch, se = _points(channels, energies_kev, channel_err, energy_err_kev, order + 1)
    if order == 1 and np.ptp(ch) <= 0:
        raise CalibrationError("calibration points all at the same channel")
    c0 = np.asarray(base.coefficients, dtype=float)
    e0 = np.zeros_like(c0)
    e0[0] = 1.0
    # Solve for e - E_base(ch) = a [+ b E_base(ch)].
    shift = np.asarray(base.energy(ch), dtype=float)

    def design(x: NDArray[np.float64]) -> NDArray[np.float64]:
        cols = [np.ones_like(x)] + ([np.asarray(base.energy(x), dtype=float)] if order else [])
        return np.stack(cols, axis=1)

    def coefficients(p: NDArray[np.float64]) -> tuple[NDArray, NDArray]:
        b = p[1] if order else 0.0
        jac = np.stack([e0, c0], axis=1) if order else e0[:, None]
        return c0 * (1.0 + b) + p[0] * e0, jac

    return _solve(ch, e, sch, se, design, coefficients, n_channels, offset=shift)
