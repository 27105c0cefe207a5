"""fit_halflife and fit_delay on numpy toys: recovery, pull ensembles, failure modes.

Toy event times are drawn from the models themselves (exponential decay plus a constant; a
truncated exponential plus flat accidental picks), so the truth is exact. Pull ensembles of
N = 200 toys: mean within 0.25 (3.5 standard errors of 1/sqrt(200) = 0.071), width within 0.15
of 1 (3 standard errors of 1/sqrt(400) = 0.05).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from analysis_core.errors import FitError
from analysis_core.fitting import (
    decay_model_counts,
    delay_model_counts,
    fit_delay,
    fit_halflife,
    kept_fraction,
    rate_histogram,
)

KR_HALF_LIFE_S = 1.83 * 3600.0  # ENSDF 83mKr, the toys' truth
STEP_HALF_LIFE_NS = 155.1  # ENSDF 9.4 keV level of 83mKr


def _decay_times(rng, r0_hz, bkg_hz, length_s, half_life_s, offset_s=0.0):
    lam = math.log(2.0) / half_life_s
    n_sig = rng.poisson(r0_hz / lam * -math.expm1(-lam * length_s))
    u = rng.random(n_sig)
    t_sig = -np.log1p(-u * -math.expm1(-lam * length_s)) / lam
    t_bkg = rng.random(rng.poisson(bkg_hz * length_s)) * length_s
    return np.sort(np.r_[t_sig, t_bkg]) + offset_s


def _delays(rng, n_decays, n_flat, lo=152.0, hi=1200.0, half_life_ns=STEP_HALF_LIFE_NS):
    tau = half_life_ns / math.log(2.0)
    d = rng.exponential(tau, rng.poisson(n_decays))
    d = d[(d >= lo) & (d <= hi)]
    return np.r_[d, rng.uniform(lo, hi, rng.poisson(n_flat))]


def test_rate_histogram_last_bin_is_short():
    edges, counts = rate_histogram([0.5, 1.5, 2.5, 9.9, np.nan], 0.0, 10.0, 3.0)
    np.testing.assert_allclose(edges, [0, 3, 6, 9, 10])
    np.testing.assert_allclose(counts, [3, 0, 0, 1])
    with pytest.raises(FitError, match="bin width"):
        rate_histogram([1.0], 0.0, 10.0, 0.0)


def test_halflife_recovers_truth_and_excludes_filling():
    rng = np.random.default_rng(21)
    times = _decay_times(rng, 2.0, 0.3, 8 * 3600, KR_HALF_LIFE_S, offset_s=900.0)
    # a filling period with a rising rate that the model would not describe
    filling = 300.0 + 600.0 * np.sqrt(rng.random(1500))
    fit = fit_halflife(np.r_[filling, times], 0.0, 8 * 3600 + 900.0, 600.0, exclude_before_s=900)
    assert fit.valid, fit.message
    # 4 standard errors for one fit of known truth
    assert abs(fit["half_life_s"] - KR_HALF_LIFE_S) < 4 * fit.error("half_life_s")
    assert abs(fit["background_hz"] - 0.3) < 4 * fit.error("background_hz")
    assert abs(fit["r0_hz"] - 2.0) < 4 * fit.error("r0_hz")
    assert fit.extra["fit_range_s"][0] == 900.0
    assert fit.extra["half_life_h"] == pytest.approx(fit["half_life_s"] / 3600)
    # the model's expected counts sum to the counted events in the fitted interval (the
    # extended likelihood fixes the total; 1e-3 relative)
    edges, counts = rate_histogram(times, 900.0, 8 * 3600 + 900.0, 600.0)
    assert decay_model_counts(fit, edges).sum() == pytest.approx(counts.sum(), rel=1e-3)


def test_halflife_warns_when_the_filling_period_is_fitted():
    rng = np.random.default_rng(25)
    times = _decay_times(rng, 2.0, 0.3, 8 * 3600, KR_HALF_LIFE_S, offset_s=900.0)
    filling = 300.0 + 600.0 * np.sqrt(rng.random(1500))  # rising rate before 900 s
    data = np.r_[filling, times]
    good = fit_halflife(data, 0.0, 8 * 3600 + 900.0, 300.0, exclude_before_s=900)
    assert "warning" not in good.extra
    assert good.extra["chi2_pvalue"] > 1e-3
    bad = fit_halflife(data, 0.0, 8 * 3600 + 900.0, 300.0)
    # still a converged fit, but the model misses the rising part: a plain warning
    assert bad.valid
    assert "poor fit" in bad.extra["warning"]
    assert "exclude_before_s" in bad.extra["warning"]


def test_halflife_pulls():
    rng = np.random.default_rng(22)
    pulls = []
    for _ in range(200):
        t = _decay_times(rng, 1.0, 0.2, 6 * 3600, KR_HALF_LIFE_S)
        fit = fit_halflife(t, 0.0, 6 * 3600, 900.0)
        assert fit.valid, fit.message
        pulls.append((fit["half_life_s"] - KR_HALF_LIFE_S) / fit.error("half_life_s"))
    pulls = np.array(pulls)
    assert abs(pulls.mean()) < 0.25
    assert abs(pulls.std(ddof=1) - 1) < 0.15


def test_halflife_live_fraction_keeps_half_life():
    rng = np.random.default_rng(23)
    t = _decay_times(rng, 2.0, 0.2, 6 * 3600, KR_HALF_LIFE_S)
    keep = rng.random(t.size) < 0.8  # a constant 80 % live fraction thins every bin alike
    free = fit_halflife(t[keep], 0.0, 6 * 3600, 600.0)
    told = fit_halflife(t[keep], 0.0, 6 * 3600, 600.0, live_fraction=0.8)
    # same half-life either way (1e-6: the live fraction only rescales R0 and B)
    assert told["half_life_s"] == pytest.approx(free["half_life_s"], rel=1e-4)
    assert told["r0_hz"] == pytest.approx(free["r0_hz"] / 0.8, rel=1e-3)
    with pytest.raises(FitError, match="live_fraction"):
        fit_halflife(t, 0.0, 6 * 3600, 600.0, live_fraction=1.5)


def test_halflife_failures():
    rng = np.random.default_rng(24)
    flat = fit_halflife(rng.uniform(0, 20000, 5000), 0.0, 20000.0, 1000.0)
    assert not flat.valid
    assert "decay" in flat.message or "flat" in flat.message, flat.message
    few = fit_halflife([1.0, 2.0, 3.0], 0.0, 1000.0, 100.0)
    assert not few.valid
    assert "too few events" in few.message
    assert "too few time bins" in fit_halflife(np.arange(100.0), 0.0, 100.0, 50.0).message
    assert "empty time range" in fit_halflife([1.0], 0.0, 100.0, 10.0, 200.0).message


# ------------------------------------------------------------------------------------ delay
def test_kept_fraction_of_the_resolving_cut():
    # spec/physics.md: a cut at 152 ns keeps exp(-152 / 223.8) of the decays
    tau = STEP_HALF_LIFE_NS / math.log(2.0)
    assert kept_fraction(tau, 152.0) == pytest.approx(math.exp(-152.0 / 223.77), rel=1e-3)


def test_delay_recovers_truth():
    rng = np.random.default_rng(31)
    d = _delays(rng, 8000, 300)
    fit = fit_delay(d, 152.0, 1200.0)
    assert fit.valid, fit.message
    assert abs(fit["half_life_ns"] - STEP_HALF_LIFE_NS) < 4 * fit.error("half_life_ns")
    tau = fit.extra["tau_ns"]
    assert fit.extra["kept_fraction"] == pytest.approx(math.exp(-152.0 / tau))
    # decays extrapolated to all delays: the toy drew Poisson(8000) (4 standard errors)
    assert abs(fit.extra["n_signal_total"] - 8000) < 4 * math.sqrt(8000) * 1.5
    edges = np.arange(152.0, 1201.0, 8.0)
    assert delay_model_counts(fit, edges).sum() == pytest.approx(d.size, rel=1e-3)
    # a pure exponential fitted with the flat part fixed to zero
    pure = fit_delay(_delays(rng, 8000, 0), flat_background=False)
    assert pure.valid, pure.message
    assert pure["background_per_ns"] == 0.0
    assert abs(pure["half_life_ns"] - STEP_HALF_LIFE_NS) < 4 * pure.error("half_life_ns")


def test_delay_pulls():
    rng = np.random.default_rng(32)
    pulls = []
    for _ in range(200):
        fit = fit_delay(_delays(rng, 3000, 100))
        assert fit.valid, fit.message
        pulls.append((fit["half_life_ns"] - STEP_HALF_LIFE_NS) / fit.error("half_life_ns"))
    pulls = np.array(pulls)
    assert abs(pulls.mean()) < 0.25
    assert abs(pulls.std(ddof=1) - 1) < 0.15


def test_delay_failures():
    rng = np.random.default_rng(33)
    flat = fit_delay(rng.uniform(152, 1200, 500))
    assert not flat.valid
    assert "flat" in flat.message or "exponential" in flat.message, flat.message
    few = fit_delay(rng.uniform(152, 1200, 5))
    assert not few.valid
    assert "too few events" in few.message
    assert "empty delay range" in fit_delay([200.0] * 50, 300.0, 200.0).message


def test_minos_errors_on_request():
    rng = np.random.default_rng(34)
    fit = fit_delay(_delays(rng, 300, 0), flat_background=False, minos=True)
    assert fit.valid, fit.message
    lower, upper = fit.minos["half_life_ns"]
    # ~150 decays: the likelihood of a decay constant is skewed; the half-life's upper error
    # is larger than the lower one, both within 30 % of the symmetric HESSE error
    assert lower < 0 < upper
    assert upper > -lower
    assert -lower == pytest.approx(fit.error("half_life_ns"), rel=0.3)
    t = _decay_times(rng, 0.5, 0.05, 6 * 3600, KR_HALF_LIFE_S)
    hl = fit_halflife(t, 0.0, 6 * 3600, 900.0, minos=True)
    assert hl.valid, hl.message
    assert "half_life_s" in hl.minos
    assert not fit_delay(_delays(rng, 300, 0), flat_background=False).minos  # off by default
