"""Small simulated LAr runs shared by the fit tests (session-scoped, reduced once).

- ``kr``: a 83mKr run with 39Ar at 24 Hz beside 60 Hz of 83mKr (~29 % background events), the
  run whose 41.5 keV peak is fitted after subtracting ``background``;
- ``background``: a 39Ar-only run (its own live time, so the subtraction scale is ~0.3);
- ``kr_run``: a ``kr-run`` injection timeline (600 s of 39Ar, injection, 12 h of decay),
  thinned to 12000 events, for the 83mKr half-life.

Every run is reduced with the SPE gains equal to the simulated SPE model's mean charge (truth
attributes ``spe_mean_adc_ns_*``), so the charge-definition factor is 1: one PE of the RQ
table is one mean SPE charge. Truth is read from ``/truth`` (only to validate).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from analysis_core.rawfile import RawFile
from analysis_core.reduction import ReductionConfig, reduce_file
from analysis_core.rqfile import RQTable, read_rq
from analysis_core.sim import SimConfig, simulate_run

N_KR = 6000
N_BACKGROUND = 6000
N_KR_RUN = 12000


@dataclass(frozen=True)
class Run:
    """One simulated and reduced run."""

    raw: Path
    rq_path: Path
    table: RQTable
    truth: dict[str, Any]
    attrs: dict[str, Any]


@dataclass(frozen=True)
class LarRuns:
    """The runs of the fit tests and the simulator configuration they were made with."""

    config: SimConfig
    kr: Run
    background: Run
    kr_run: Run


def _make(tmp: Path, name: str, kind: str, n: int, seed: int, **options: Any) -> Run:
    raw = simulate_run(kind, n, seed, tmp / f"{name}.h5", **options)
    with RawFile(raw) as rf:
        truth, attrs = rf.truth(), rf.truth_attrs()
    gains = (attrs["spe_mean_adc_ns_top"], attrs["spe_mean_adc_ns_bottom"])
    rq_path = tmp / f"{name}_rq.h5"
    reduce_file(raw, rq_path, ReductionConfig(spe_gain_adc_ns=gains))
    return Run(raw, rq_path, read_rq(rq_path), truth, attrs)


@pytest.fixture(scope="session")
def lar_runs(tmp_path_factory: pytest.TempPathFactory) -> LarRuns:
    """Simulate and reduce the three runs once per test session (~5 s)."""
    tmp = tmp_path_factory.mktemp("lar_fit_runs")
    kr = _make(tmp, "kr", "kr83m", N_KR, 4101, include_ar39=True, kr83m_rate_hz=60.0)
    bkg = _make(tmp, "background", "background", N_BACKGROUND, 4102)
    kr_run = _make(tmp, "kr_run", "kr-run", N_KR_RUN, 4103)
    return LarRuns(SimConfig(), kr, bkg, kr_run)
