"""The reported errors of both analyses against the spread over bootstrap replicas.

Each replica resamples the events of the runs with replacement (a toy ensemble that keeps the
simulated physics): the spread of the results over 16 replicas must match the reported
statistical error. 16 replicas know a standard deviation to 1/sqrt(30) ~ 18 %, so the ratio
spread / error must lie in 0.55-1.6 (about 2.5 sigma either way).
"""

from __future__ import annotations

import numpy as np
import pytest

from analysis_core.components.analysis_a import compute_components_a
from analysis_core.components.analysis_b import compute_components_b
from analysis_core.steps import StepInputs

N_REPLICAS = 16


def _resample(table, rng):
    return table.select(rng.integers(0, len(table), len(table)))


def _replicas(sim_runs, roles, fn, seed):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(N_REPLICAS):
        rq = {r: _resample(sim_runs[r].rq, rng) for r in roles}
        out.append(fn(StepInputs(rq=rq), {}))
    return out


def test_analysis_a_statistical_errors(sim_runs):
    reps = _replicas(sim_runs, ("kr", "background"), compute_components_a, 7)
    for attr in ("light_32", "light_9"):
        values = np.array([getattr(r, attr).pe for r in reps])
        stat = np.mean([getattr(r, attr).pe_stat for r in reps])
        ratio = values.std(ddof=1) / stat
        assert 0.55 < ratio < 1.6, (attr, values.std(ddof=1), stat)


def test_analysis_b_errors(sim_runs):
    reps = _replicas(sim_runs, ("kr", "co57"), compute_components_b, 8)
    for i, attr in enumerate(("i_total_32_pe", "i_total_9_pe")):
        values = np.array([getattr(r.system, attr) for r in reps])
        err = np.mean([r.system.errors[i] for r in reps])
        # the errors include the sqrt(chi2/ndf) scale (>= 1) of system (4.4): the spread may be
        # smaller than the error, never much larger
        ratio = values.std(ddof=1) / err
        assert 0.3 < ratio < 1.6, (attr, values.std(ddof=1), err)


def test_select_keeps_rows_for_the_bootstrap(sim_runs):
    t = sim_runs["kr"].rq
    idx = np.array([0, 0, 1])
    sub = t.select(idx)
    assert len(sub) == 3
    assert sub["total_pe"][0] == pytest.approx(t["total_pe"][0])
