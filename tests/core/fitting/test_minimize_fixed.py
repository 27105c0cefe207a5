"""``minimize``: fixed parameters report error 0; a parameter at its limit is named."""

from __future__ import annotations

import numpy as np
from iminuit import cost as icost

from analysis_core.fitting.result import minimize


def _line(x: np.ndarray, slope: float, offset: float) -> np.ndarray:
    return slope * x + offset


def _data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(4)
    x = np.linspace(0.0, 10.0, 21)
    sigma = np.full_like(x, 0.5)
    y = 2.0 * x + 1.0 + rng.normal(0.0, sigma)
    return x, y, sigma


def test_fixed_parameter_reports_zero_error_and_free_error_is_analytic() -> None:
    x, y, sigma = _data()
    cost = icost.LeastSquares(x, y, sigma, _line)
    fit = minimize(cost, {"slope": 1.0, "offset": 1.0}, fixed=("offset",))
    assert fit.valid, fit.message
    # the held offset has no error (iminuit would report its step size, e.g. 0.01)
    assert fit.error("offset") == 0.0
    assert fit["offset"] == 1.0
    # free slope with the offset held: weighted least squares, sigma_slope = 1/sqrt(sum x^2/s^2);
    # HESSE of a quadratic cost is exact, 1e-6 relative covers the numerical derivative
    expected = 1.0 / np.sqrt(np.sum(x**2 / sigma**2))
    assert abs(fit.error("slope") - expected) < 1e-6 * expected
    assert fit.ndf == x.size - 1


def test_free_fit_errors_unchanged() -> None:
    x, y, sigma = _data()
    fit = minimize(icost.LeastSquares(x, y, sigma, _line), {"slope": 1.0, "offset": 0.0})
    assert fit.valid, fit.message
    # both free: errors are the square roots of the covariance diagonal (same numbers)
    assert all(e > 0 for e in fit.errors)
    assert np.allclose(fit.errors, np.sqrt(np.diag(np.array(fit.covariance))), rtol=1e-9)


def test_parameter_at_limit_is_named() -> None:
    # a line through the data with a constant background that the data want negative (true
    # -0.5, 10 sigma from 0): limited to >= 0, the background sits at 0 and must be named
    rng = np.random.default_rng(7)
    x = np.linspace(0.0, 1.0, 30)
    sigma = np.full_like(x, 0.05)
    y = 3.0 * x - 0.5 + rng.normal(0.0, sigma)

    def model(xx: np.ndarray, amp: float, background_hz: float) -> np.ndarray:
        return amp * xx + background_hz

    fit = minimize(
        icost.LeastSquares(x, y, sigma, model),
        {"amp": 2.0, "background_hz": 0.5},
        limits={"background_hz": (0.0, None)},
    )
    assert not fit.valid
    assert fit.message.startswith("parameter at its limit: background_hz"), fit.message
    assert "limit 0" in fit.message
    assert "amp" not in fit.message
