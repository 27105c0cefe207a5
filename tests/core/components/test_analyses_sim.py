"""Analysis A and B on simulated runs: the 9.4 and 32.1 keV light against the simulator truth.

Truth: the mean true PE of each step (``n_pe_1``, ``n_pe_2``) in the reduction's PE definition
(x (window PE + afterpulse PE) / PE, ~1.03; gains = the true mean SPE charges). Tolerances are
stated at each assertion; where a method has a bias of its own (measured here, reported), the
allowance says so.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from analysis_core.components.analysis_a import ComponentsAResult, compute_components_a
from analysis_core.components.analysis_b import ComponentsBResult, compute_components_b
from analysis_core.components.profile import fit_i35_i55
from analysis_core.errors import CalibrationError
from analysis_core.steps import StepInputs


@pytest.fixture(scope="module")
def result_a(sim_runs):
    rq = {k: sim_runs[k].rq for k in ("kr", "background")}
    return compute_components_a(StepInputs(rq=rq), {})


@pytest.fixture(scope="module")
def result_b(sim_runs):
    rq = {k: sim_runs[k].rq for k in ("kr", "co57")}
    return compute_components_b(StepInputs(rq=rq), {})


def test_a_recovers_32_kev(result_a, sim_runs):
    c = result_a.light_32
    truth = sim_runs["kr"].truth_pe("n_pe_1")
    # within 2 sigma of stat (+) syst: S_Ap mean/median definition and the amplitude estimator
    # (Gaussian fit vs sample mean, ~2 % apart on this skewed peak, which the truth lies between)
    assert abs(c.pe - truth) < 2 * c.pe_err, (c.pe, c.pe_err, truth)
    assert c.pe_err / c.pe < 0.03  # and the error is not inflated beyond the paper's 3 %


def test_a_recovers_9_kev(result_a, sim_runs):
    c = result_a.light_9
    truth = sim_runs["kr"].truth_pe("n_pe_2")
    # The delayed pulse rides on the 32.1 keV triplet (measured pedestal ~12 ADC), which the
    # paper's method does not remove: the systematic error covers it; within 2 sigma total.
    assert 5 < c.pedestal_adc < 25
    assert abs(c.pe - truth) < 2 * c.pe_err, (c.pe, c.pe_err, truth)
    assert c.pe > truth  # the pedestal bias is one-sided: a sign error would show here


def test_a_delay_half_life(result_a):
    f = result_a.delay_fit
    assert f.valid, f.message
    # ENSDF 155.1 ns; the 110 ADC threshold loses ~2 % more pulses at long delays (measured
    # efficiency 0.91 -> 0.89), a small bias toward short half-lives: 3 sigma.
    assert abs(f["half_life_ns"] - 155.1) < 3 * f.error("half_life_ns")


def test_a_fits_and_round_trip(result_a):
    assert result_a.prompt_fit.valid
    assert result_a.delayed_fit.valid
    assert 0.5 < result_a.prompt_fit.chi2_ndf < 5  # Gaussian on a slightly skewed peak
    # S_Ap falls with light (paper Fig. 11: ~4 at 40 PE, ~2.7 at 140 PE)
    s = result_a.sap.curve
    assert 3.2 < float(s(40.0)) < 4.5
    assert 2.3 < float(s(140.0)) < 3.1
    back = ComponentsAResult.from_dict(json.loads(json.dumps(result_a.to_dict())))
    assert back.light_9 == result_a.light_9
    assert back.light_32 == result_a.light_32
    pts = result_a.light_points()
    assert [p["energy_kev"] for p in pts] == pytest.approx([9.4057, 32.1516])


def test_b_alpha_near_geometry(result_b, sim_runs):
    kr = sim_runs["kr"]
    # geometric expectation: the line of the events without a 9.4 keV pulse in 0-90 ns
    # (truth-selected); the profile of all events is pulled < 2 deg by the others
    clean = kr.truth["delay_ns"] > 90
    expected = fit_i35_i55(kr.rq["i35_pe"][clean], kr.rq["i55_pe"][clean]).alpha_deg
    assert abs(result_b.alpha_deg - expected) < 2.0
    assert 30 < result_b.alpha_deg < 50  # paper: 37.5 deg
    assert result_b.main_leak == pytest.approx(1e-3, rel=1e-6)  # the cut's definition


def test_b_cut_selects_prompt_nine(result_b, sim_runs):
    kr = sim_runs["kr"]
    d = kr.truth["delay_ns"]
    # the I90 of the cut population is the 41.5 keV one: truth mean of events whose 9.4 keV
    # step lies in 0-55 ns; 2 % (Gaussian fit vs mean of a slightly skewed peak)
    i90_41_truth = kr.rq["i90_pe"][d < 55].mean()
    assert result_b.i90_41[0] == pytest.approx(i90_41_truth, rel=0.02)


def test_b_recovers_components(result_b, sim_runs):
    kr = sim_runs["kr"]
    s = result_b.system
    assert s.converged
    e32, e9, _ = s.errors
    t32, t9 = kr.truth_pe("n_pe_1"), kr.truth_pe("n_pe_2")
    # default I90(32.1) from the events with a delayed pulse (a clean 32.1-only sample): 2 sigma
    assert abs(s.i_total_32_pe - t32) < 2 * e32, (s.i_total_32_pe, e32, t32)
    assert abs(s.i_total_9_pe - t9) < 2 * e9, (s.i_total_9_pe, e9, t9)
    # the sum is the measured 41.5 keV light (Gaussian fit of the total PE): within 1 %
    assert s.i_total_32_pe + s.i_total_9_pe == pytest.approx(kr.truth_pe("n_pe"), rel=0.01)
    back = ComponentsBResult.from_dict(json.loads(json.dumps(result_b.to_dict())))
    assert back.system == s
    assert back.alpha_deg == result_b.alpha_deg


def test_b_paper_two_gauss_bias(result_b, sim_runs):
    """The paper's two-Gaussian I90(32.1) sits low (documented bias), moving light to 9.4 keV."""
    rq = {k: sim_runs[k].rq for k in ("kr", "co57")}
    paper = compute_components_b(StepInputs(rq=rq), {"i90_32_method": "two_gauss"})
    assert paper.i90_32_fit.model == "two_gauss"
    # measured -2.5 % on 40k events; between -1 % and -5 % here (16k events, +-0.5 % each)
    assert 0.95 < paper.i90_32[0] / result_b.i90_32[0] < 0.99
    assert paper.system.i_total_9_pe > result_b.system.i_total_9_pe


def test_b_fixed_alpha_and_cut(sim_runs):
    rq = {k: sim_runs[k].rq for k in ("kr", "co57")}
    r = compute_components_b(StepInputs(rq=rq), {"alpha_deg": 37.5, "cut_value_pe": -3.0})
    assert r.alpha_deg == 37.5
    assert r.cut_value_pe == -3.0
    assert math.isfinite(r.system.i_total_9_pe)


def test_missing_runs_and_bad_settings(sim_runs):
    with pytest.raises(CalibrationError, match="background"):
        compute_components_a(StepInputs(rq={"kr": sim_runs["kr"].rq}), {})
    with pytest.raises(CalibrationError, match="co57"):
        compute_components_b(StepInputs(rq={"kr": sim_runs["kr"].rq}), {})
    with pytest.raises(CalibrationError, match="unknown setting"):
        compute_components_b(StepInputs(rq={"kr": sim_runs["kr"].rq}), {"alpah": 1})
    assert np.isfinite(sim_runs["kr"].rq["total_pe"]).all()
