"""Simulated runs shared by the session tests (simulated once per test session)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from analysis_core.sim import simulate_run
from analysis_core.sim.config import SimConfig

#: 1500 pure 83mKr events give a 41.5 keV peak mean known to ~0.3 % (sigma 9 %/sqrt(1500)).
KR_EVENTS = 1500
BKG_EVENTS = 400
#: The second Kr run has 10 % more light: its replay must show a changed light yield.
BRIGHTER = 1.10


@pytest.fixture(scope="session")
def simulated_runs(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("session_runs")
    brighter = SimConfig().replace(
        light_yield_pe_per_kev=SimConfig().detector.light_yield_pe_per_kev * BRIGHTER
    )
    return {
        "kr": simulate_run("kr83m", KR_EVENTS, 21, out / "kr.h5"),
        "background": simulate_run("background", BKG_EVENTS, 22, out / "background.h5"),
        "kr_bright": simulate_run("kr83m", KR_EVENTS, 23, out / "kr_bright.h5", config=brighter),
        "led": simulate_run("led", 3000, 24, out / "led.h5"),
    }


@pytest.fixture
def runs(simulated_runs, tmp_path) -> dict[str, Path]:
    """Copies of the simulated runs in the test's own directory (replays write RQs beside)."""
    return {k: Path(shutil.copyfile(v, tmp_path / v.name)) for k, v in simulated_runs.items()}
