"""Analysis A: LED charges and the DEAP-3600 model fit against the simulator's truth."""

from __future__ import annotations

import math

import numpy as np
import pytest

from analysis_core.errors import CalibrationError, RawFormatError
from analysis_core.sim.config import DetectorConfig
from analysis_core.sim.pmt import SPEModel
from analysis_core.spe import extract_led_charges, find_led_time, fit_led_spectrum
from analysis_core.spe.deap import DeapGrid, led_terms, spe_mean

CHANNELS = ("top", "bottom")


@pytest.fixture(scope="module")
def led(spe_runs):
    charges = extract_led_charges(spe_runs["paths"]["led"])
    fits = [
        fit_led_spectrum(q, channel=c)
        for c, q in zip(CHANNELS, charges.charges_adc_ns, strict=True)
    ]
    return charges, fits


def _params(det: DetectorConfig, channel: int, occupancy: float, sigma: float) -> dict:
    return {
        "n_events": 1.0,
        "occupancy": occupancy,
        "ped_mean_adc_ns": 0.0,
        "ped_sigma_adc_ns": sigma,
        "mu_adc_ns": det.spe_mu_adc_ns(channel),
        "gamma_relvar": det.spe_gamma_relvar,
        "ua_fraction": det.spe_ua_fraction,
        "ua_mean_frac": det.spe_ua_mean_frac,
        "ua_relvar_factor": det.spe_ua_relvar_factor,
        "exp_fraction": det.spe_exp_fraction,
        "exp_slope_mu": det.spe_exp_slope_mu,
    }


def test_model_mean_and_normalisation_match_the_simulator():
    det = DetectorConfig()
    for ch in (0, 1):
        p = _params(det, ch, 1.5, 30.0)
        # analytic model mean equals the simulator's (same formula, independent code)
        assert spe_mean(p) == pytest.approx(SPEModel.from_detector(det, ch).mean_adc_ns, rel=1e-12)
        grid = DeapGrid.for_data(-200.0, 3000.0, 2.0)
        total = sum(led_terms(p, grid))
        x = np.arange(grid.n) * grid.dq
        x[x > grid.n * grid.dq / 2] -= grid.n * grid.dq
        # Poisson tail beyond n_max < 1e-7; FFT round-off ~1e-12
        assert total.sum() == pytest.approx(1.0, abs=1e-6)
        # compound Poisson mean = occupancy x SPE mean; cell discretisation ~ dq^2/mu: 1e-4
        assert (total * x).sum() == pytest.approx(1.5 * spe_mean(p), rel=1e-3)


def test_led_time_and_charges_follow_truth(spe_runs, led):
    charges, _ = led
    det = DetectorConfig()
    # the LED pulse peaks one sample (rise 2 ns, fall 8 ns) after the LED arrival time
    t = find_led_time(spe_runs["paths"]["led"])
    assert t == charges.led_time_ns
    assert det.led_delay_ns <= t <= det.led_delay_ns + 2 * det.sample_period_ns
    truth, attrs = spe_runs["led_truth"], spe_runs["attrs"]
    for c, q in zip(CHANNELS, charges.charges_adc_ns, strict=True):
        # summed over 20 000 flashes the charge per PE is the model mean: statistical error
        # sqrt(1.35 / 30 000) = 0.7 %; dark counts in 80 ns add < 0.01 %
        ratio = q.sum() / truth[f"n_pe_{c}"].sum() / attrs[f"spe_mean_adc_ns_{c}"]
        assert ratio == pytest.approx(1.0, abs=0.025)


@pytest.mark.parametrize("ch", [0, 1])
def test_gain_a_recovers_mu_occupancy_and_mean(spe_runs, led, ch):
    _, fits = led
    fit, name = fits[ch], CHANNELS[ch]
    attrs, truth = spe_runs["attrs"], spe_runs["led_truth"]
    assert fit.valid, fit.fit.message
    mu_true = attrs[f"spe_mu_adc_ns_{name}"]
    # within 3 sigma of its HESSE error (~1 % with 20 000 flashes and the low-charge shape
    # fixed at the simulator's) and within 4 %
    assert abs(fit.gain_adc_ns - mu_true) < 3 * fit.gain_err_adc_ns
    assert fit.gain_err_adc_ns / mu_true < 0.02
    assert abs(fit.gain_adc_ns / mu_true - 1) < 0.04
    # the whole model's mean (~1 %) lies below mu
    mean_true = attrs[f"spe_mean_adc_ns_{name}"]
    assert abs(fit.mean_charge_adc_ns - mean_true) < 3 * fit.mean_charge_err_adc_ns
    assert fit.mean_charge_adc_ns < fit.gain_adc_ns
    # occupancy: the realised mean PE per flash (LED Poisson mean 1.5), within 3 sigma
    occ_true = truth[f"n_pe_{name}"].mean()
    assert abs(fit.occupancy - occ_true) < 3 * math.hypot(fit.occupancy_err, 0.01)
    # goodness of fit: deviance / ndf near 1 (ndf ~ 200: 3 sigma = 0.3)
    assert 0.7 < fit.fit.chi2_ndf < 1.3
    comps = fit.components()
    assert set(comps) == {"pedestal", "1 PE", "2 PE", ">=3 PE", "total"}
    assert comps["total"].sum() == pytest.approx(sum(fit.counts), rel=0.01)


def test_toy_ensemble_pulls_of_mu():
    det = DetectorConfig()
    model = SPEModel.from_detector(det, 1)
    rng = np.random.default_rng(2024)
    pulls = []
    n_toys, n_flashes = 30, 6000
    for _ in range(n_toys):
        n_pe = rng.poisson(1.5, n_flashes)
        owner = np.repeat(np.arange(n_flashes), n_pe)
        q = np.bincount(owner, model.sample(rng, owner.size), minlength=n_flashes)
        q += rng.normal(0.0, 30.0, n_flashes)
        fit = fit_led_spectrum(q)
        if fit.valid:
            pulls.append((fit.gain_adc_ns - model.mu_adc_ns) / fit.gain_err_adc_ns)
    pulls = np.array(pulls)
    assert pulls.size >= 0.9 * n_toys  # nearly every toy converges
    # mean ~0 (error 1/sqrt(30) = 0.18: 3 sigma = 0.55) and width ~1 (error ~13 %: 0.6-1.4)
    assert abs(pulls.mean()) < 0.55
    assert 0.6 < pulls.std(ddof=1) < 1.4


def test_no_light_and_too_few_events_fail_with_a_reason(spe_runs):
    with pytest.raises(CalibrationError, match="no LED pulse"):
        extract_led_charges(spe_runs["paths"]["dark_led"])
    # with the LED time given the charges are pure pedestal: a plain failed fit
    dark = extract_led_charges(spe_runs["paths"]["dark_led"], led_time_ns=104.0)
    fit = fit_led_spectrum(dark.charges_adc_ns[0])
    assert not fit.valid
    assert "no LED light" in fit.fit.message
    assert math.isnan(fit.gain_adc_ns)
    few = fit_led_spectrum(np.ones(50))
    assert not few.valid
    assert "too few LED events" in few.fit.message
    assert few.components() == {}


def test_bad_files_raise_typed_errors(tmp_path, spe_runs):
    with pytest.raises(RawFormatError, match="does not exist"):
        extract_led_charges(tmp_path / "missing.h5")
    junk = tmp_path / "junk.h5"
    junk.write_bytes(b"not hdf5 at all")
    with pytest.raises(RawFormatError, match="junk.h5"):
        extract_led_charges(junk)
    with pytest.raises(CalibrationError, match="leaves the record"):
        extract_led_charges(spe_runs["paths"]["led"], led_time_ns=7400.0)


def test_fit_round_trips_through_json(led):
    import json

    from analysis_core.spe import LedFit

    fit = led[1][0]
    back = LedFit.from_dict(json.loads(json.dumps(fit.to_dict())))
    assert back.gain_adc_ns == fit.gain_adc_ns
    assert back.counts == fit.counts
    np.testing.assert_allclose(back.components()["total"], fit.components()["total"])


def test_freed_under_amplified_weight_still_recovers_mu(led):
    charges, _ = led
    fixed = ("ua_mean_frac", "ua_relvar_factor", "exp_fraction", "exp_slope_mu")
    fit = fit_led_spectrum(charges.charges_adc_ns[1], fixed=fixed)
    det = DetectorConfig()
    assert fit.valid, fit.fit.message
    # the UA weight is correlated with b and mu: a larger error (~3.5 %), still unbiased
    assert fit.gain_err_adc_ns > 2 * fit_led_spectrum(charges.charges_adc_ns[1]).gain_err_adc_ns
    assert abs(fit.gain_adc_ns - det.spe_mu_adc_ns_bottom) < 3 * fit.gain_err_adc_ns
    assert abs(fit.fit["ua_fraction"] - det.spe_ua_fraction) < 3 * fit.fit.error("ua_fraction")
