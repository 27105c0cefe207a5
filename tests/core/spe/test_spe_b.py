"""Analysis B: isolated late single photoelectrons and their Gaussian, against truth."""

from __future__ import annotations

import numpy as np
import pytest

from analysis_core.errors import CalibrationError
from analysis_core.sim.config import DetectorConfig
from analysis_core.sim.pmt import SPEModel
from analysis_core.spe import LateFit, find_late_pulses, fit_single_pe_gauss

CHANNELS = ("top", "bottom")


@pytest.fixture(scope="module")
def late(spe_runs):
    pulses = find_late_pulses(spe_runs["paths"]["kr"])
    fits = [
        fit_single_pe_gauss(q, channel=c, noise_adc_ns=n)
        for c, q, n in zip(CHANNELS, pulses.charges_adc_ns, pulses.noise_adc_ns, strict=True)
    ]
    return pulses, fits


def test_late_pulses_are_plentiful_and_single_pe_like(late):
    pulses, _ = late
    det = DetectorConfig()
    assert pulses.n_events == 3000
    for ch, q in enumerate(pulses.charges_adc_ns):
        # ~200 PE per Kr event, 70 % triplet: several isolated late PE per event and PMT
        assert q.size > 3 * pulses.n_events
        # the bulk is one PE: the median charge lies within the single-PE Gamma (0.5-1.3 mu)
        assert 0.5 < np.median(q) / det.spe_mu_adc_ns(ch) < 1.3
    # pedestal width of a 56 ns integral: noise 1.8 ADC x sqrt(14 samples) x 4 ns = 27 ADC ns
    assert pulses.noise_adc_ns == pytest.approx((27.0, 27.0), rel=0.05)


@pytest.mark.parametrize("ch", [0, 1])
def test_gain_b_sits_between_the_model_mean_and_mu(late, ch):
    _, fits = late
    fit = fits[ch]
    assert fit.valid, fit.fit.message
    det = DetectorConfig()
    model = SPEModel.from_detector(det, ch)
    ratio = fit.gain_adc_ns / model.mu_adc_ns
    # The threshold (4 x 1.8 ADC, ~half the SPE height) removes most under-amplified and
    # exponential-component pulses, so B's Gaussian sits above the whole model's mean
    # (0.862 mu), and the skewed Gamma's peak region keeps it below mu. Statistical error
    # ~0.5 %.
    assert model.mean_adc_ns / model.mu_adc_ns < ratio < 1.0
    assert fit.gain_err_adc_ns / fit.gain_adc_ns < 0.01
    lo, hi = fit.fit.extra["fit_range"]
    assert lo < fit.gain_adc_ns < hi


def test_same_adc_threshold_cuts_deeper_into_the_lower_gain_pmt(late):
    _, fits = late
    det = DetectorConfig()
    top = fits[0].gain_adc_ns / det.spe_mu_adc_ns_top
    bottom = fits[1].gain_adc_ns / det.spe_mu_adc_ns_bottom
    # the bottom PMT's mu is 11 % lower, so the same ADC threshold removes more of its
    # low-charge tail: its B/mu is higher by more than the errors (~0.6 % each)
    assert bottom - top > 3 * np.hypot(
        fits[0].gain_err_adc_ns / det.spe_mu_adc_ns_top,
        fits[1].gain_err_adc_ns / det.spe_mu_adc_ns_bottom,
    )


def test_gain_b_rises_with_the_threshold(spe_runs):
    # the paper's point: B's SPE depends on its definition (here the threshold)
    gains = []
    for thr in (3.5, 4.0, 5.0):
        p = find_late_pulses(spe_runs["paths"]["kr"], threshold_rms=thr, max_events=1500)
        gains.append(fit_single_pe_gauss(p.charges_adc_ns[1], noise_adc_ns=27.0).gain_adc_ns)
    assert gains[0] < gains[1] < gains[2]


def test_gaussian_fit_recovers_a_gaussian_and_fails_plainly():
    rng = np.random.default_rng(5)
    q = rng.normal(200.0, 60.0, 20_000)
    fit = fit_single_pe_gauss(q)
    assert fit.valid
    # a Gaussian window fit is unbiased; 3 sigma of its HESSE error
    assert abs(fit.gain_adc_ns - 200.0) < 3 * fit.gain_err_adc_ns
    assert abs(fit.fit["sigma"] - 60.0) < 3 * fit.fit.error("sigma")
    few = fit_single_pe_gauss(q[:20])
    assert not few.valid
    assert "too few isolated late pulses" in few.fit.message
    neg = fit_single_pe_gauss(-np.abs(q))
    assert not neg.valid
    assert "no single-PE signal" in neg.fit.message
    back = LateFit.from_dict(fit.to_dict())
    assert back.gain_adc_ns == fit.gain_adc_ns
    assert back.n_pulses == fit.n_pulses


def test_bad_finder_settings_are_calibration_errors(spe_runs):
    with pytest.raises(CalibrationError, match="does not fit"):
        find_late_pulses(spe_runs["paths"]["kr"], late_start_ns=5990.0)
    with pytest.raises(CalibrationError, match="must be positive"):
        find_late_pulses(spe_runs["paths"]["kr"], gap_ns=0.0)
