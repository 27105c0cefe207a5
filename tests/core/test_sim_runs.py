"""Run timelines: rates, live time, the Kr injection run and its rate scaling."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import brentq

from analysis_core.progress import Cancelled, EventCancelToken
from analysis_core.rawfile import RawFile
from analysis_core.sim import RunSettings, SimConfig, kr_run_rate_scale, simulate_run
from analysis_core.sim.runs import kr_run_expected_counts, plan_run
from analysis_core.sim.sources import SOURCE_CODES, sample_deposits

KR, AR = SOURCE_CODES["kr83m"], SOURCE_CODES["ar39"]


def _rng(seed):
    return np.random.default_rng(seed)


def _exp_mle_half_life(t, lo, hi):
    """Half-life of an exponential truncated to [lo, hi] by maximum likelihood."""
    x = t - lo
    span = hi - lo
    m = x.mean()

    def eq(lam):
        return 1 / lam - span / math.expm1(lam * span) - m

    lam = brentq(eq, 1e-8, 1e-2)  # 1/s; 83mKr: 1.05e-4
    return math.log(2) / lam


def test_constant_rate_runs_rate_mix_and_livetime():
    n = 200_000
    plan = plan_run("co57", n, _rng(1))
    rate = n / plan.livetime_s
    assert rate == pytest.approx(250 + 24, rel=4 / math.sqrt(n))
    frac_ar = np.mean(plan.codes == AR)
    p = 24 / 274
    assert abs(frac_ar - p) < 4 * math.sqrt(p * (1 - p) / n)
    assert np.all(np.diff(plan.event_time_s) >= 0)
    assert plan.event_time_s[-1] < plan.livetime_s
    assert plan.run_type == "co57"
    assert plan.rate_scale == 1.0
    pure = plan_run("kr83m", 1000, _rng(2))
    assert np.all(pure.codes == KR)
    bkg = plan_run("background", 1000, _rng(3), settings=RunSettings(rate_scale=0.01))
    assert bkg.run_type == "background"
    assert np.all(bkg.codes == AR)
    assert 1000 / bkg.livetime_s == pytest.approx(0.24, rel=0.15)


def test_kr_run_decays_with_the_83mkr_half_life():
    n = 300_000
    settings = RunSettings()
    plan = plan_run("kr-run", n, _rng(4), settings=settings)
    assert plan.run_type == "kr83m"
    assert plan.livetime_s == settings.pre_injection_s + settings.post_injection_s
    t_kr = plan.event_time_s[plan.codes == KR]
    assert t_kr.min() >= settings.pre_injection_s  # no Kr before the injection
    lo = settings.pre_injection_s + settings.rise_s
    sel = t_kr[t_kr > lo]
    half_life = _exp_mle_half_life(sel, lo, plan.livetime_s)
    # MLE error ~ T_half / sqrt(n_kr) (the window spans 6.6 half-lives)
    assert abs(half_life / 3600 - 1.83) < 4 * 1.83 / math.sqrt(sel.size)
    # the 39Ar events are uniform over the whole run at 24 Hz x rate_scale
    n_ar = np.count_nonzero(plan.codes == AR)
    assert n_ar / plan.livetime_s == pytest.approx(24 * plan.rate_scale, rel=4 / math.sqrt(n_ar))
    # peak Kr rate in the file is 2.6 kBq x rate_scale
    exp = kr_run_expected_counts(settings, SimConfig().sources)
    assert plan.rate_scale == pytest.approx(n / (exp["kr83m"] + exp["ar39"]))
    assert plan.rate_scale == pytest.approx(kr_run_rate_scale(n))


def test_background_with_the_kr_rate_scale_subtracts_by_livetime():
    n_kr = 30_000
    scale = kr_run_rate_scale(n_kr)
    kr = plan_run("kr-run", n_kr, _rng(5))
    bkg = plan_run("background", 10_000, _rng(6), settings=RunSettings(rate_scale=scale))
    n_ar_kr = np.count_nonzero(kr.codes == AR)
    predicted = 10_000 * kr.livetime_s / bkg.livetime_s  # live-time scaled background
    # Poisson errors of both counts
    err = math.sqrt(n_ar_kr + predicted**2 / 10_000)
    assert abs(n_ar_kr - predicted) < 4 * err


def test_kr_run_ftop_is_high_early_and_uniform_late():
    settings = RunSettings()
    plan = plan_run("kr-run", 100_000, _rng(7), settings=settings)
    kr = plan.codes == KR
    dep = sample_deposits(plan.codes[kr], _rng(8), SimConfig().sources, z_beta_a=plan.z_beta_a[kr])
    since = plan.event_time_s[kr] - settings.pre_injection_s
    early = dep.z[since < 600].mean()
    late = dep.z[since > 3600]
    assert early > 0.75
    assert abs(late.mean() - 0.5) < 4 * math.sqrt(1 / 12 / late.size) + 0.005


def test_kr_run_file_truth_ftop_and_rate_scale(tmp_path):
    path = simulate_run("kr-run", 2500, 21, tmp_path / "kr_run.h5")
    with RawFile(path) as f:
        t = f.truth()
        times = f.event_time_s()
        meta = f.metadata
        attrs = f.truth_attrs()
    assert meta.run_type == "kr83m"
    assert meta.extra["rate_scale"] == pytest.approx(kr_run_rate_scale(2500))
    assert attrs["rate_scale"] == meta.extra["rate_scale"]
    assert meta.livetime_s == pytest.approx(600 + 12 * 3600)
    assert meta.extra["injection_time_s"] == 600
    is_kr = t["source"] == KR
    ftop = t["n_pe_top"] / t["n_pe"]
    since = times - 600
    early = ftop[is_kr & (since < 900)]
    late = ftop[is_kr & (since > 3600)]
    # ftop per event scatters by ~0.04; early Kr sits near the top PMT
    assert early.mean() > late.mean() + 0.05
    assert late.mean() == pytest.approx(0.5, abs=0.02)


def test_bad_arguments_are_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown simulation kind"):
        plan_run("muon", 10, _rng(0))
    with pytest.raises(ValueError, match="positive integer"):
        plan_run("ar39", 0, _rng(0))
    with pytest.raises(ValueError, match="derives rate_scale"):
        plan_run("kr-run", 10, _rng(0), settings=RunSettings(rate_scale=0.1))
    with pytest.raises(TypeError):
        simulate_run("ar39", 10, 0, tmp_path / "x.h5", rate_hz=3.0)
    with pytest.raises(ValueError, match="seed"):
        simulate_run("ar39", 10, -1, tmp_path / "x.h5")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        simulate_run("ar39", 10, 0, tmp_path / "missing" / "x.h5")
    with pytest.raises(ValueError, match="compression"):
        simulate_run("ar39", 10, 0, tmp_path / "x.h5", compression="zip")
    assert list(tmp_path.iterdir()) == []


def test_cancel_leaves_no_file_and_progress_is_reported(tmp_path):
    token = EventCancelToken()
    seen = []

    def progress(done, total):
        seen.append((done, total))
        token.cancel()

    with pytest.raises(Cancelled):
        simulate_run("ar39", 3000, 1, tmp_path / "x.h5", progress=progress, cancel=token)
    assert seen == [(1024, 3000)]
    assert list(tmp_path.iterdir()) == []
    seen.clear()
    simulate_run("led", 2100, 1, tmp_path / "y.h5", progress=lambda d, n: seen.append((d, n)))
    assert seen == [(1024, 2100), (2048, 2100), (2100, 2100)]
