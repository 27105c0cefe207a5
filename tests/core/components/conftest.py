"""Simulated Kr, 39Ar and 57Co runs shared by the component-separation tests (made once)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from analysis_core.rawfile import RawFile
from analysis_core.reduction import ReductionConfig, reduce_raw
from analysis_core.rqfile import RQTable
from analysis_core.sim import simulate_run


@dataclass(frozen=True)
class SimRun:
    """A reduced simulated run with its truth."""

    rq: RQTable
    truth: dict[str, np.ndarray]
    attrs: dict[str, Any]

    def truth_pe(self, column: str) -> float:
        """Mean true light of ``column`` (e.g. ``n_pe_1``) in the reduction's PE definition:
        the 6 us total integrates the window's scintillation PE plus afterpulses."""
        t = self.truth
        ratio = (t["n_pe_window"] + t["afterpulse_pe"]).mean() / t["n_pe"].mean()
        return float(t[column].mean() * ratio)


def _run(tmp, kind: str, n: int, seed: int) -> SimRun:
    path = simulate_run(kind, n, seed, tmp / f"{kind}.h5")
    with RawFile(path) as rf:
        truth, attrs = rf.truth(), rf.truth_attrs()
    truth = {k: np.asarray(truth[k]) for k in truth}
    gains = (attrs["spe_mean_adc_ns_top"], attrs["spe_mean_adc_ns_bottom"])  # true mean SPE
    rq = reduce_raw(path, ReductionConfig(spe_gain_adc_ns=gains), hash_input=False)
    return SimRun(rq, truth, dict(attrs))


@pytest.fixture(scope="session")
def sim_runs(tmp_path_factory) -> dict[str, SimRun]:
    """kr83m (16k events: ~8k with a delayed pulse, ~1.2k in the B cut), ar39 (16k), co57 (8k)."""
    tmp = tmp_path_factory.mktemp("components_sim")
    return {
        "kr": _run(tmp, "kr83m", 16384, 501),
        "background": _run(tmp, "ar39", 16384, 502),
        "co57": _run(tmp, "co57", 8192, 503),
    }
