"""A small simulated calibration campaign, reduced beside the raw files as the GUI does.

Used by the session, linearity and export tests (core and workbench).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from analysis_core.reduction import ReductionConfig, reduce_file
from analysis_core.sim import simulate_run
from analysis_core.sim.config import SimConfig

DET = SimConfig().detector
#: Analysis A gains = the simulator's SPE mu (what H1's Analysis A fit recovers).
GAINS_A = (DET.spe_mu_adc_ns_top, DET.spe_mu_adc_ns_bottom)
#: Analysis B gains: 0.88 x A in both PMTs (H1: late-SPE Gaussian reads ~0.87-0.9 mu).
GAINS_B = (0.88 * GAINS_A[0], 0.88 * GAINS_A[1])

#: role -> (simulated kind, events, seed). 1200-1500 events: peak means known to ~0.3 %.
RUNS = {
    "kr": ("kr83m", 1500, 31),
    "background": ("background", 4000, 32),
    "am241": ("am241", 1200, 33),
    "co57": ("co57", 1200, 34),
}

#: Peak-fit settings in the step's format (``analysis_core.fitting.peak_step``).
PEAK_SETTINGS = {
    "peaks": {
        "kr_41": {
            "role": "kr",
            "column": "total_pe",
            "range": [120.0, 240.0],
            "bins": 60,
            "model": "gauss",
            "cost": "poisson",
        },
        "am241_59": {
            "role": "am241",
            "column": "total_pe",
            "range": [200.0, 305.0],
            "bins": 50,
            "model": "gauss",
            "cost": "poisson",
        },
        "co57_122": {
            "role": "co57",
            "column": "total_pe",
            "range": [455.0, 610.0],
            "bins": 50,
            "model": "gauss+linear",
            "cost": "poisson",
        },
    }
}


def make_campaign(out: Path) -> dict[str, Path]:
    """Simulate and reduce (gains A) the campaign into ``out``; return raw paths by role."""
    config = ReductionConfig(spe_gain_adc_ns=GAINS_A)
    paths = {}
    for role, (kind, n, seed) in RUNS.items():
        raw = simulate_run(kind, n, seed, out / f"{role}.h5")
        reduce_file(raw, out / f"{role}_rq.h5", config)
        paths[role] = raw
    return paths


def copy_campaign(paths: dict[str, Path], dst: Path) -> dict[str, Path]:
    """Copy raw and RQ files into ``dst`` (tests write beside them)."""
    out = {}
    for role, raw in paths.items():
        rq = raw.with_name(f"{raw.stem}_rq.h5")
        shutil.copyfile(rq, dst / rq.name)
        out[role] = Path(shutil.copyfile(raw, dst / raw.name)).resolve()
    return out
