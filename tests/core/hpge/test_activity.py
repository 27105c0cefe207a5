"""Activity per line (paper Eq. 3.1), GLS combination, uncertainty budget, decay, 83mKr."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import numpy as np
import pytest

from analysis_core.errors import CalibrationError
from analysis_core.hpge.activity import (
    ActivityLineInput,
    combine_activities,
    expected_daughter_activity,
    line_activity,
)
from analysis_core.hpge.nuclides import get_nuclide
from analysis_core.hpge.sources import counting_decay_factor

# Paper Table 1 (arXiv:2010.11258): E, N, eta', mu, Y (t = 3600 s) and the printed activities.
TABLE1 = [
    (520.4, 30110, 177, 4.37e-3, 0.06e-3, 0.83, 0.01, 0.450, 0.003, 5145, 79),
    (529.6, 19205, 141, 4.29e-3, 0.06e-3, 0.83, 0.01, 0.293, 0.002, 5136, 83),
    (552.6, 9902, 103, 4.07e-3, 0.05e-3, 0.83, 0.01, 0.160, 0.001, 5077, 90),
]


def table1_lines() -> list[ActivityLineInput]:
    return [
        ActivityLineInput(e, n, ne, eff, eff_e, y, y_e, 3600.0, mu, mu_e)
        for e, n, ne, eff, eff_e, mu, mu_e, y, y_e, _, _ in TABLE1
    ]


def test_eq31_exactly() -> None:
    ln = table1_lines()[0]
    res = line_activity(ln)
    assert res.activity_bq == 30110 / (4.37e-3 * 0.83 * 3600.0 * 0.450)
    assert res.counting_decay_factor == 1.0


@pytest.mark.parametrize("row", range(3))
def test_table1_per_line_activities(row: int) -> None:
    # The printed inputs are rounded (eta' to 3 digits, Y to 3): 0.5 % reproduces the paper.
    res = line_activity(table1_lines()[row])
    assert res.activity_bq == pytest.approx(TABLE1[row][9], rel=0.005)


def test_table1_combined_and_the_treatment_of_common_errors() -> None:
    lines = table1_lines()
    # The paper's "weighted average" is the independent inverse-variance mean of its printed
    # per-line values: 5122 +- 48 Bq, i.e. 5.12 +- 0.05 kBq.
    a = np.array([r[9] for r in TABLE1], dtype=float)
    w = 1 / np.array([r[10] for r in TABLE1], dtype=float) ** 2
    assert np.sum(w * a) / np.sum(w) == pytest.approx(5122, abs=1)
    assert 1 / math.sqrt(np.sum(w)) == pytest.approx(48, abs=1)
    assert round(np.sum(w * a) / np.sum(w) / 1000, 2) == 5.12
    assert round(1 / math.sqrt(np.sum(w)) / 1000, 2) == 0.05

    # Our GLS from the printed inputs: mu = 0.83 +- 0.01 comes from one container measurement,
    # so its 1.2 % is common to the three lines and survives the average in full.
    res = combine_activities(lines, efficiency_correlation=0.0, attenuation_correlation=1.0)
    assert res.activity_bq == pytest.approx(5120, rel=0.005)
    budget = {t.name: t for t in res.budget}
    assert budget["attenuation"].rel_err == pytest.approx(0.01 / 0.83, rel=1e-9)
    assert budget["attenuation"].correlation == "fully correlated"
    assert res.activity_err_bq == pytest.approx(79.3, abs=0.5)
    # Efficiencies read from one curve at 520-553 keV are nearly fully correlated too (the
    # default): then their 1.3 % does not average down either.
    default = combine_activities(lines)
    assert default.correlations["efficiency"] == "fully correlated"
    assert default.activity_err_bq == pytest.approx(96.8, abs=0.5)
    assert default.activity_bq == pytest.approx(5120, rel=0.005)
    # Treating everything as independent reproduces the naive 1 % of the paper's text.
    naive = combine_activities(lines, efficiency_correlation=0.0, attenuation_correlation=0.0)
    assert naive.rel_err == pytest.approx(0.012, abs=0.001)
    assert naive.activity_err_bq == pytest.approx(naive.naive_mean_err_bq, rel=0.01)


def test_gls_two_lines_analytic() -> None:
    # Two lines with independent relative errors r1, r2 and a common c: the weights are
    # r2^2/(r1^2+r2^2) and r1^2/(r1^2+r2^2), and var_rel = r1^2 r2^2/(r1^2+r2^2) + c^2.
    r1, r2, c = 0.02, 0.04, 0.03
    lines = [
        ActivityLineInput(100.0, 1e4 * 1.00, 1e4 * r1, 1e-2, 0.0, 0.5, 0.0, 1.0, 0.8, 0.8 * c),
        ActivityLineInput(200.0, 1e4 * 1.05, 1.05e4 * r2, 1e-2, 0.0, 0.5, 0.0, 1.0, 0.8, 0.8 * c),
    ]
    res = combine_activities(lines, attenuation_correlation=1.0)
    a1, a2 = (ln.activity_bq for ln in res.lines)
    w1 = r2**2 / (r1**2 + r2**2)
    assert res.lines[0].weight == pytest.approx(w1, rel=1e-12)
    assert res.activity_bq == pytest.approx(w1 * a1 + (1 - w1) * a2, rel=1e-12)
    var_rel = r1**2 * r2**2 / (r1**2 + r2**2) + c**2
    assert res.rel_err == pytest.approx(math.sqrt(var_rel), rel=1e-12)
    chi2 = (a1 - a2) ** 2 / (res.activity_bq**2 * (r1**2 + r2**2))  # common part cancels
    assert res.chi2 == pytest.approx(chi2, rel=1e-10)
    assert res.ndf == 1


def test_fully_correlated_errors_do_not_bias_the_mean() -> None:
    # Peelle's puzzle: with a covariance built from each line's own value, a common 20 % error
    # pulls the GLS mean below both lines. Built from the combined value it stays between them.
    lines = [
        ActivityLineInput(100.0, 1.0e4, 100.0, 1e-2, 0.0, 0.5, 0.0, 1.0, 0.8, 0.16),
        ActivityLineInput(200.0, 1.5e4, 150.0, 1e-2, 0.0, 0.5, 0.0, 1.0, 0.8, 0.16),
    ]
    res = combine_activities(lines)
    a1, a2 = sorted(ln.activity_bq for ln in res.lines)
    assert a1 < res.activity_bq < a2


def test_budget_terms_add_in_quadrature() -> None:
    rng = np.random.default_rng(2)
    lines = [
        ActivityLineInput(
            e,
            rng.uniform(5e3, 5e4),
            rng.uniform(50, 300),
            rng.uniform(3e-3, 5e-3),
            rng.uniform(2e-5, 8e-5),
            rng.uniform(0.1, 0.5),
            rng.uniform(1e-3, 5e-3),
            3600.0,
            rng.uniform(0.8, 0.9),
            rng.uniform(0.005, 0.02),
        )
        for e in (520.4, 529.6, 552.6, 600.0)
    ]
    eff_cov = np.array([[1.0, 0.9, 0.8, 0.5], [0.9, 1.0, 0.9, 0.6], [0.8, 0.9, 1.0, 0.7],
                        [0.5, 0.6, 0.7, 1.0]]) * 0.012**2  # fmt: skip
    for kwargs in (
        {},
        {"efficiency_correlation": 0.3, "attenuation_correlation": 0.0},
        {"efficiency_covariance": eff_cov, "normalisation_rel_err": 0.054},
    ):
        res = combine_activities(lines, **kwargs)
        total = math.sqrt(sum(t.rel_err**2 for t in res.budget))
        assert total == pytest.approx(res.rel_err, rel=1e-12)
        for ln in res.lines:
            s = math.sqrt(sum(t.abs_err_bq**2 for t in ln.budget))
            assert s == pytest.approx(ln.activity_err_bq, rel=1e-12)
        assert sum(ln.weight for ln in res.lines) == pytest.approx(1.0, rel=1e-12)
    res = combine_activities(lines, efficiency_covariance=eff_cov, normalisation_rel_err=0.054)
    terms = {t.name: t for t in res.budget}
    assert terms["normalisation"].rel_err == pytest.approx(0.054, rel=1e-12)  # never averages
    assert terms["efficiency"].correlation == "covariance"
    assert res.lines[0].budget[1].rel_err == pytest.approx(0.012)  # diagonal of the covariance


def test_decay_during_counting_and_decay_to_a_date() -> None:
    rb = get_nuclide("Rb-83")
    lam = rb.decay_constant_per_s
    start = datetime(2019, 2, 19, 10, 0)
    lines = table1_lines()
    eq31 = combine_activities(lines, start=start, real_time_s=3600.0)
    ext = combine_activities(lines, decay_constant_per_s=lam, real_time_s=3600.0, start=start)
    d = counting_decay_factor(lam, 3600.0)
    assert ext.lines[0].counting_decay_factor == pytest.approx(d)
    assert ext.activity_bq == pytest.approx(eq31.activity_bq / d, rel=1e-12)
    assert ext.method == "decay-corrected"
    assert ext.reference_time == start
    assert eq31.reference_time == start + timedelta(seconds=1800)  # Eq. 3.1: mid-count
    with pytest.raises(CalibrationError, match="real time"):
        line_activity(lines[0], decay_constant_per_s=lam)

    later = start + timedelta(days=323)
    dec = ext.decayed_to(later, rb.half_life_s, rb.half_life_err_s)
    dt = 323 * 86400.0
    assert dec.activity_bq == pytest.approx(ext.activity_bq * 2 ** (-dt / rb.half_life_s))
    hl = {t.name: t for t in dec.budget}["half_life"]
    assert hl.rel_err == pytest.approx(math.log(2) * dt * 0.1 / 86.2**2 / 86400, rel=1e-12)
    assert dec.rel_err == pytest.approx(math.hypot(ext.rel_err, hl.rel_err), rel=1e-12)
    assert dec.lines[0].activity_bq == pytest.approx(
        ext.lines[0].activity_bq * 2 ** (-dt / rb.half_life_s)
    )
    back = dec.decayed_to(start, rb.half_life_s, rb.half_life_err_s)
    assert back.activity_bq == pytest.approx(ext.activity_bq, rel=1e-12)
    with pytest.raises(CalibrationError, match="no reference time"):
        combine_activities(lines).decayed_to(later, rb.half_life_s)


def test_expected_kr83m_activity() -> None:
    kr = expected_daughter_activity(5120.0, 50.0, "Rb-83", "Kr-83m")
    # Transient equilibrium factor T_p/(T_p - T_d) = 1.0009 (spec/physics.md), to its 4 digits.
    assert kr.equilibrium_factor == pytest.approx(1.0009, abs=5e-5)
    assert kr.activity_bq == pytest.approx(0.743 * kr.equilibrium_factor * 5120.0, rel=1e-12)
    assert kr.activity_bq == pytest.approx(3808, abs=1)
    assert kr.activity_err_bq == pytest.approx(kr.activity_bq * 50 / 5120, rel=1e-12)
    with pytest.raises(CalibrationError, match="no daughter"):
        expected_daughter_activity(1.0, 0.1, "Eu-152", "Kr-83m")


def test_bad_inputs() -> None:
    with pytest.raises(CalibrationError, match="counts must be > 0"):
        ActivityLineInput(520.4, 0.0, 1.0, 1e-3, 1e-5, 0.4, 0.01, 3600.0)
    with pytest.raises(CalibrationError, match="efficiency_err must be >= 0"):
        ActivityLineInput(520.4, 10.0, 1.0, 1e-3, -1e-5, 0.4, 0.01, 3600.0)
    with pytest.raises(CalibrationError, match="no lines"):
        combine_activities([])
    with pytest.raises(CalibrationError, match=r"in \[-1, 1\]"):
        combine_activities(table1_lines(), efficiency_correlation=1.5)
    with pytest.raises(CalibrationError, match="3x3"):
        combine_activities(table1_lines(), efficiency_covariance=np.eye(2))
    d = combine_activities(table1_lines()).to_dict()
    assert set(d["combined"]) >= {"activity_bq", "activity_err_bq", "budget"}
    assert {"activity_bq", "activity_err_bq", "budget"} <= set(d["lines"][0])
