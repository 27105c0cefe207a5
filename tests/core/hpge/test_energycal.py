"""Energy re-calibration and FWHM(E) model: exact recovery, errors against toys, bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest

from analysis_core.errors import CalibrationError
from analysis_core.hpge.energycal import (
    FwhmModel,
    fit_calibration_correction,
    fit_energy_calibration,
    fit_fwhm_model,
)
from analysis_core.hpge.spectrum import EnergyCalibration

TRUE = (0.35, 0.1829, 2.0e-8)
CH = np.array([663.0, 1335.0, 1879.0, 2245.0, 4255.0, 4742.0, 5271.0, 6076.0, 7692.0])


def energies(ch, coef=TRUE):
    return np.polynomial.polynomial.polyval(ch, coef)


def test_exact_quadratic_recovered():
    fit = fit_energy_calibration(CH, energies(CH), channel_err=0.01, order=2)
    assert fit.valid
    assert fit.calibration.source == "fit"
    assert fit.order == 2
    assert fit.calibration.coefficients == pytest.approx(TRUE, rel=1e-9)
    assert np.max(np.abs(fit.residuals_kev)) < 1e-9
    assert fit.ndf == CH.size - 3
    assert json.loads(json.dumps(fit.to_dict()))["calibration"]["source"] == "fit"


def test_covariance_matches_toy_scatter():
    # 400 toys with 0.05-channel centroid errors: the propagated error of E(ch) (from the
    # noise-free fit, whose covariance is not rescaled) at 1 MeV and at the edge (extrapolated)
    # agrees with the toy spread within 12 % (the spread's own precision is 3.5 %).
    rng = np.random.default_rng(4)
    err_ch = 0.05
    exact = fit_energy_calibration(CH, energies(CH), channel_err=err_ch)
    assert not exact.cov_scaled
    toys = [
        fit_energy_calibration(
            CH + rng.normal(0.0, err_ch, CH.size), energies(CH), channel_err=err_ch
        )
        for _ in range(400)
    ]
    for x in (5460.0, 14000.0):
        spread = np.std([f.calibration.energy(x) for f in toys], ddof=1)
        assert float(exact.energy_err_kev(x)) == pytest.approx(spread, rel=0.12), x


def test_few_points_fall_back_to_linear_and_exactly_determined_is_flagged():
    fit = fit_energy_calibration(CH[:3], energies(CH[:3], (0.3, 0.2)), order=2)
    assert fit.order == 1
    assert fit.calibration.coefficients == pytest.approx((0.3, 0.2))
    two = fit_energy_calibration(CH[:2], energies(CH[:2], (0.3, 0.2)))
    assert two.ndf == 0
    assert "exactly determined" in two.message


def test_scatter_scales_the_covariance():
    rng = np.random.default_rng(1)
    e = energies(CH) + rng.normal(0.0, 0.1, CH.size)
    fit = fit_energy_calibration(CH, e, channel_err=0.001)  # errors far below the 0.1 keV scatter
    assert fit.cov_scaled
    assert fit.chi2 / fit.ndf > 10.0
    # Scaled errors reflect the 0.1 keV scatter (~0.1 / sqrt(9 / 3) at the centre of mass).
    assert 0.02 < float(fit.energy_err_kev(4000.0)) < 0.2


def test_non_monotonic_result_is_invalid():
    ch = np.array([100.0, 200.0, 300.0, 400.0])
    e = np.array([10.0, 20.0, 25.0, 27.0])  # strongly concave: gain < 0 before channel 16383
    fit = fit_energy_calibration(ch, e, n_channels=16384)
    assert not fit.valid
    assert "monotonic" in fit.message


def test_correction_of_stored_calibration():
    stored = EnergyCalibration((0.9, 0.1830, 3.0e-8), "$MCA_CAL")
    true = EnergyCalibration((0.4, 0.1830 * 1.001, 3.0e-8 * 1.001), "truth")
    ch = np.array([628.0, 700.0])  # 57Co 122 and 136 keV: close together
    e = true.energy(ch)
    gain = fit_calibration_correction(ch, e, stored, order=1)
    assert gain.calibration.coefficients == pytest.approx(true.coefficients, rel=1e-9)
    offset = fit_calibration_correction(ch[:1], e[:1], stored, order=0)
    assert offset.calibration.coefficients[1:] == pytest.approx(stored.coefficients[1:])
    assert offset.calibration.energy(ch[0]) == pytest.approx(e[0])
    assert offset.residuals_kev[0] == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(CalibrationError, match="order"):
        fit_calibration_correction(ch, e, stored, order=2)


def test_calibration_bad_input():
    with pytest.raises(CalibrationError, match="at least 2"):
        fit_energy_calibration([100.0], [20.0])
    with pytest.raises(CalibrationError, match="energies"):
        fit_energy_calibration([1.0, 2.0], [1.0])
    with pytest.raises(CalibrationError, match="order"):
        fit_energy_calibration(CH, energies(CH), order=3)
    with pytest.raises(CalibrationError, match="finite"):
        fit_energy_calibration([1.0, np.nan], [1.0, 2.0])
    with pytest.raises(CalibrationError, match="same channel"):
        fit_energy_calibration([5.0, 5.0], [1.0, 2.0])


E_PTS = np.array([122.0, 245.0, 344.0, 411.0, 444.0, 779.0, 867.0, 964.0, 1112.0, 1408.0])


def test_fwhm_model_exact_and_errors_against_toys():
    a, b, c = 0.95, 0.0018, 8e-7
    f = np.sqrt(a + b * E_PTS + c * E_PTS**2)
    exact = fit_fwhm_model(E_PTS, f, np.full(E_PTS.size, 0.01))
    assert exact.valid
    assert exact.coefficients == pytest.approx((a, b, c), rel=1e-6)
    assert exact.fwhm_kev(E_PTS) == pytest.approx(f)
    assert exact.sigma_kev(1000.0) == pytest.approx(exact.fwhm_kev(1000.0) / 2.35482, rel=1e-5)
    # Error propagation: 300 toys with 1 % width errors; the error propagated by the
    # noise-free fit (not rescaled) is within 12 % of the toy spread (precision 4 %).
    rng = np.random.default_rng(6)
    err = 0.01 * f
    prop = fit_fwhm_model(E_PTS, f, err)
    assert not prop.cov_scaled
    models = [fit_fwhm_model(E_PTS, f + rng.normal(0.0, err), err) for _ in range(300)]
    for x in (122.0, 700.0, 1408.0):
        spread = np.std([m.fwhm_kev(x) for m in models], ddof=1)
        assert float(prop.fwhm_err_kev(x)) == pytest.approx(spread, rel=0.12), x


def test_fwhm_model_keeps_coefficients_non_negative_and_round_trips():
    # Widths that a free fit would describe with a < 0: a is held at 0.
    e = np.array([100.0, 300.0, 600.0, 1000.0, 1400.0])
    f = np.sqrt(np.maximum(-0.2 + 0.003 * e, 0.01))
    m = fit_fwhm_model(e, f, 0.01 * f)
    assert min(m.coefficients) >= 0.0
    assert m.coefficients[0] == 0.0
    assert np.array(m.covariance)[0] == pytest.approx(np.zeros(3))
    again = FwhmModel.from_dict(json.loads(json.dumps(m.to_dict())))
    assert again == m
    one = fit_fwhm_model([661.7], [1.6])
    assert one.fwhm_kev(100.0) == pytest.approx(1.6)  # constant from one point
    with pytest.raises(CalibrationError, match="positive widths"):
        fit_fwhm_model([100.0, 200.0], [1.0, -1.0])
    with pytest.raises(CalibrationError, match="non-empty"):
        fit_fwhm_model([], [])
    with pytest.raises(CalibrationError, match="errors"):
        fit_fwhm_model([100.0], [1.0], [0.0])
