"""Survival and efficiency: counts equal numpy, intervals equal the analytic binomial forms."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from analysis_core.cuts import (
    CutError,
    CutSet,
    ExpressionCut,
    RangeCut,
    binomial_interval,
    efficiency_vs,
    survival,
)


def test_survival_counts(rq_table):
    cs = CutSet(
        (
            ExpressionCut("q", "not saturated"),
            RangeCut("f90", "f90", 0.2, 0.45, enabled=False),
            RangeCut("ftop", "ftop", 0.3, 0.7),
        )
    )
    rows = survival(cs, rq_table)
    n = len(rq_table)
    q = ~rq_table["saturated"]
    with np.errstate(invalid="ignore"):
        f = (rq_table["f90"] >= 0.2) & (rq_table["f90"] < 0.45)
        t = (rq_table["ftop"] >= 0.3) & (rq_table["ftop"] < 0.7)
    assert [r.n_pass for r in rows] == [q.sum(), f.sum(), t.sum()]
    # The disabled cut leaves the cumulative count unchanged.
    assert [r.n_cumulative for r in rows] == [q.sum(), q.sum(), (q & t).sum()]
    assert rows[2].cumulative == pytest.approx((q & t).sum() / n, rel=1e-12)
    assert rows[1].enabled is False
    for r in rows:
        assert r.fraction_lo <= r.fraction <= r.fraction_hi
        assert r.cumulative_lo <= r.cumulative <= r.cumulative_hi


def test_survival_with_cached_masks(rq_table):
    cs = CutSet((RangeCut("ftop", "ftop", 0.3, 0.7),))
    fake = {"ftop": np.zeros(len(rq_table), dtype=bool)}
    assert survival(cs, rq_table, masks=fake)[0].n_pass == 0  # the cached mask is used


@pytest.mark.parametrize(("k", "n"), [(5000, 10000), (9000, 10000), (300, 1000)])
def test_wilson_close_to_normal_approximation(k, n):
    lo, hi = binomial_interval(k, n)
    p = k / n
    sigma = np.sqrt(p * (1 - p) / n)
    # Wilson with z=1 differs from p +- sqrt(p(1-p)/n) by O(1/n): 2 % of sigma at n >= 1000.
    assert float(lo) == pytest.approx(p - sigma, abs=0.02 * sigma)
    assert float(hi) == pytest.approx(p + sigma, abs=0.02 * sigma)


def test_wilson_exact_formula_and_edges():
    k, n = 3, 10
    p, z = 0.3, 1.0
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    lo, hi = binomial_interval(k, n)
    assert float(lo) == pytest.approx(centre - half, rel=1e-12)
    assert float(hi) == pytest.approx(centre + half, rel=1e-12)
    lo0, hi0 = binomial_interval(0, 10)
    assert float(lo0) == 0.0
    assert 0 < float(hi0) < 0.2  # 1/(n+1) = 0.0909 for z = 1
    lon, hin = binomial_interval(0, 0)
    assert np.isnan(lon)
    assert np.isnan(hin)


def test_clopper_pearson_matches_beta_quantiles():
    k, n = 7, 40
    lo, hi = binomial_interval(k, n, "clopper-pearson")
    a = 1 - 0.682689492137086
    assert float(lo) == pytest.approx(stats.beta.ppf(a / 2, k, n - k + 1), rel=1e-12)
    assert float(hi) == pytest.approx(stats.beta.ppf(1 - a / 2, k + 1, n - k), rel=1e-12)
    with pytest.raises(CutError, match="unknown interval"):
        binomial_interval(1, 2, "bayes")


def test_wilson_coverage_toy():
    """Coverage of the 1-sigma Wilson interval over a toy ensemble is close to 68.3 %."""
    rng = np.random.default_rng(5)
    n, p = 200, 0.8
    k = rng.binomial(n, p, 4000)
    lo, hi = binomial_interval(k, np.full_like(k, n))
    cover = np.mean((lo <= p) & (p <= hi))
    # Discreteness makes coverage oscillate by a few % around nominal; binomial error 0.007.
    assert 0.62 < cover < 0.75


def test_efficiency_vs_energy(rq_table):
    cs = CutSet((RangeCut("f90", "f90", 0.2, 0.45),))
    eff = efficiency_vs("total_pe", 10, rq_table, cs, (0.0, 500.0))
    x = rq_table["total_pe"]
    m = cs.mask(rq_table)
    tot, _ = np.histogram(x, 10, (0.0, 500.0))
    pas, _ = np.histogram(x[m], 10, (0.0, 500.0))
    np.testing.assert_array_equal(eff.total, tot)
    np.testing.assert_array_equal(eff.passed, pas)
    ok = tot > 0
    np.testing.assert_allclose(eff.efficiency[ok], pas[ok] / tot[ok], rtol=1e-12)
    assert np.all(eff.lo[ok] <= eff.efficiency[ok])
    assert np.all(eff.hi[ok] >= eff.efficiency[ok])
    with pytest.raises(CutError, match="no column 'energy'"):
        efficiency_vs("energy", 10, rq_table, cs, (0.0, 1.0))
