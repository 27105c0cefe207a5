"""The linearity step's resolution model on simulated source runs (41.5, 59.5, 122 keV).

Three points cannot fit three terms with a degree of freedom left: the step fits ``a`` and
``b`` (``c`` held at 0 or at a given noise value), and flags a three-term fit as not
constrained. The stochastic term is checked against photon statistics computed from the
simulator's parameters (``_stochastic_a2`` of ``test_doublet``: ``(1 + SPE relative variance)
/ Y`` with afterpulses), never against literals. The runs are those of ``test_doublet``
(simulated once per session through its imported fixture).
"""

from __future__ import annotations

import math

import pytest

from analysis_core.fitting.peak_step import compute_peak
from analysis_core.linearity import compute_linearity
from analysis_core.reduction import ReductionConfig
from analysis_core.steps import StepInputs
from tests.core.fitting.simruns import expected_peak
from tests.core.fitting.test_doublet import (  # noqa: F401  (sim_runs is a fixture)
    _co57_settings,
    _main_line_truth,
    _stochastic_a2,
    sim_runs,
)


def _noise_kev(attrs, y_pe_per_kev):
    """Electronics noise of the 6 us integral (and its baseline error) in keV: the c term."""
    cfg = ReductionConfig()
    dt = attrs["sample_period_ns"]
    n_int = 6000.0 / dt
    n_base = attrs["trigger_index"] + round(cfg.baseline_stop_ns / dt)
    n_base -= round(cfg.baseline_start_ns / dt)
    var = 0.0
    for ch in ("top", "bottom"):
        per_sample = attrs["noise_rms_adc"] * dt / attrs[f"spe_mean_adc_ns_{ch}"]
        var += per_sample**2 * (n_int + n_int**2 / n_base)
    return math.sqrt(var) / y_pe_per_kev


@pytest.fixture(scope="module")
def step_inputs(sim_runs):  # noqa: F811
    kr, am, co = sim_runs["kr83m"], sim_runs["am241"], sim_runs["co57"]
    kr_mean, _ = expected_peak(
        kr.attrs, (kr.attrs["kr83m_energy_1_kev"], kr.attrs["kr83m_energy_2_kev"])
    )
    am_mean, _ = expected_peak(am.attrs, (am.attrs["am241_lines_kev"][0],))
    co_median, _, _ = _main_line_truth(co)
    rq = {"kr": kr.table, "am241": am.table, "co57": co.table}
    inputs = StepInputs(rq=rq)
    # +-25 % windows and the 57Co doublet, as the Spectrum & fit pane suggests
    peaks = {
        "kr_41": compute_peak(
            inputs, {"role": "kr", "range": [0.75 * kr_mean, 1.25 * kr_mean], "bins": 2.0}, "kr_41"
        ),
        "am241_59": compute_peak(
            inputs,
            {"role": "am241", "range": [0.75 * am_mean, 1.25 * am_mean], "bins": 2.0},
            "am241_59",
        ),
        "co57_122": compute_peak(
            inputs, _co57_settings(co_median, "gauss_doublet+linear"), "co57_122"
        ),
    }
    for p in peaks.values():
        assert p.fit.valid, (p.name, p.fit.message)
    return StepInputs(rq=rq, results={"peak_fit": peaks}), co.attrs


def test_three_source_peaks_fit_a_and_b_and_a_is_photon_statistics(step_inputs):
    inputs, attrs = step_inputs
    default = compute_linearity(inputs, {"analyses": ["A"]})
    res = default.resolution["A"]
    assert res.fitted_terms == ("a2_kev", "b2")
    assert res.fit.ndf == 1
    assert res.fit.valid
    assert res.constrained
    y = default.fits["A"].y_pe_per_kev
    noise_kev = _noise_kev(attrs, y)
    with_noise = compute_linearity(
        inputs, {"analyses": ["A"], "resolution_noise_kev": noise_kev}
    ).resolution["A"]
    assert with_noise.fit.extra["fixed_terms"]["c2_kev2"] == pytest.approx(noise_kev**2)
    expected = _stochastic_a2(attrs, 122.06)
    a2, a2_err = with_noise.fit["a2_kev"], with_noise.fit.error("a2_kev")
    # 3 standard errors of a2 (~0.015 keV, 5 %) plus 8 % of the expectation: the Gaussian
    # widths fitted on these runs are 3-5 % above the per-event photon-statistics prediction
    # (measured 0.0969 against 0.0938 at 41.5 keV), which raises a2 by up to ~8 %
    assert abs(a2 - expected) < 3 * a2_err + 0.08 * expected, (a2, a2_err, expected)
    # with c held at 0 the noise goes into a2: larger than with the noise given
    assert res.fit["a2_kev"] > a2
    # far from the a = 0 of an unconstrained fit (review finding: a pinned at 0 +- 0.38)
    assert a2 > 10 * a2_err


def test_three_terms_on_three_points_are_flagged_not_constrained(step_inputs):
    inputs, _ = step_inputs
    settings = {"analyses": ["A"], "resolution_terms": ["a2_kev", "b2", "c2_kev2"]}
    res = compute_linearity(inputs, settings).resolution["A"]
    assert res.fit.ndf == 0
    assert not res.fit.valid
    assert not res.constrained
    assert "not constrained" in res.fit.message
    assert "not constrained" in res.describe()
