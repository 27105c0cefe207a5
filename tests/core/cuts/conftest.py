"""A synthetic RQ table with known values for the cut tests (no simulation needed)."""

from __future__ import annotations

import numpy as np
import pytest

from analysis_core.rqfile import RQTable


@pytest.fixture(scope="session")
def rq_table() -> RQTable:
    """20 000 rows of the RQ columns cuts use, with NaN in some rows and saturated flags."""
    rng = np.random.default_rng(42)
    n = 20_000
    total = rng.gamma(9.0, 20.0, n).astype(np.float32)
    i35 = (total * rng.uniform(0.15, 0.3, n)).astype(np.float32)
    i55 = (i35 * rng.uniform(1.0, 1.3, n)).astype(np.float32)
    f90 = rng.normal(0.3, 0.05, n).astype(np.float32)
    ftop = rng.uniform(0.1, 0.9, n).astype(np.float32)
    f90[rng.choice(n, 200, replace=False)] = np.nan
    i35[rng.choice(n, 50, replace=False)] = np.nan
    top = (total * ftop).astype(np.float32)
    return RQTable(
        {
            "event": np.arange(n),
            "total_pe": total,
            "total_pe_top": top,
            "total_pe_bottom": (total - top).astype(np.float32),
            "i35_pe": i35,
            "i55_pe": i55,
            "f90": f90,
            "ftop": ftop,
            "saturated": rng.uniform(size=n) < 0.01,
        },
        {"run": {"run_type": "kr83m", "livetime_s": 100.0}},
    )
