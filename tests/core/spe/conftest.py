"""Simulated runs shared by the SPE tests (simulated once per session)."""

from __future__ import annotations

import pytest

from analysis_core.rawfile import RawFile
from analysis_core.sim import SimConfig, simulate_run

#: LED flashes: 20 000 give mu to ~1 % with the default fixed low-charge shape.
N_LED = 20_000
#: Kr events: ~5.7 isolated late single PE per event and PMT.
N_KR = 3000


@pytest.fixture(scope="session")
def spe_runs(tmp_path_factory):
    """Paths and truth attributes of an LED run, a Kr run and an LED run without light."""
    d = tmp_path_factory.mktemp("spe_runs")
    dark = SimConfig().replace(led_mean_pe_top=0.0, led_mean_pe_bottom=0.0)
    paths = {
        "led": simulate_run("led", N_LED, 101, d / "led.h5"),
        "kr": simulate_run("kr83m", N_KR, 102, d / "kr.h5"),
        "dark_led": simulate_run("led", 2000, 103, d / "dark_led.h5", config=dark),
    }
    with RawFile(paths["led"]) as rf:
        attrs, truth = rf.truth_attrs(), rf.truth()
    return {"paths": paths, "attrs": attrs, "led_truth": truth, "dir": d}
