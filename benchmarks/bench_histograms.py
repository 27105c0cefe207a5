"""Benchmark of the histogram fills (not a test): events/s and the ratio to numpy, same run.

What it measures
----------------
1. 1D: ``analysis_core.histograms.histogram1d`` (boost-histogram) vs ``np.histogram`` with the
   same bins and range, 10^6 float32 values (a total-PE spectrum with 5 % NaN).
2. 2D: ``histogram2d`` (single thread and 2 threads) vs ``np.histogram2d``, 10^6 pairs
   (F90 vs total PE), 150 x 100 bins.

Candidate and reference are timed alternately, ``--repeat`` times each, so load from other
processes hits both; the best times are compared (medians printed too). Counts are checked
equal before timing.

Usage::

    .venv/bin/python benchmarks/bench_histograms.py [--events 1000000] [--repeat 9]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from collections.abc import Callable

import numpy as np

from analysis_core.histograms import histogram1d, histogram2d


def _time(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def compare(
    name: str, n: int, cand: Callable[[], object], ref: Callable[[], object], repeat: int
) -> None:
    """Time ``cand`` and ``ref`` alternately and print rates and the ratio of best times."""
    cand(), ref()  # warm-up
    tc, tr = [], []
    for _ in range(repeat):
        tc.append(_time(cand))
        tr.append(_time(ref))
    bc, br = min(tc), min(tr)
    print(
        f"{name:<34} {n / bc / 1e6:8.1f} Mevents/s (best {1e3 * bc:6.2f} ms, median "
        f"{1e3 * statistics.median(tc):6.2f} ms) | numpy {n / br / 1e6:7.1f} Mevents/s "
        f"(best {1e3 * br:6.2f} ms) | speed-up x{br / bc:5.1f} (median "
        f"x{statistics.median(tr) / statistics.median(tc):4.1f})"
    )


def _numpy2d(x: np.ndarray, y: np.ndarray) -> object:
    ok = np.isfinite(x) & np.isfinite(y)
    return np.histogram2d(x[ok], y[ok], (150, 100), [(0.0, 600.0), (0.0, 1.0)])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=9)
    args = ap.parse_args()
    n = args.events
    rng = np.random.default_rng(1)
    pe = rng.gamma(9.0, 20.0, n).astype(np.float32)
    f90 = rng.normal(0.3, 0.05, n).astype(np.float32)
    pe[rng.choice(n, n // 20, replace=False)] = np.nan
    ok = np.isfinite(pe) & np.isfinite(f90)
    print(f"{platform.processor() or platform.machine()}, numpy {np.__version__}, {n:,} events")

    # Same counts as numpy, up to values lying exactly on an inner edge (float32 data are
    # quantised): boost-histogram's regular axis may put those in the bin below.
    ref1, _ = np.histogram(pe[ok], 200, (0.0, 600.0))
    moved1 = np.abs(histogram1d(pe, 200, (0.0, 600.0)).counts - ref1).sum() / 2
    ref2, _, _ = np.histogram2d(pe[ok], f90[ok], (150, 100), [(0.0, 600.0), (0.0, 1.0)])
    h2 = histogram2d(pe, f90, (150, 100), [(0, 600), (0, 1)])
    moved2 = np.abs(h2.counts - ref2).sum() / 2
    print(f"events in a different bin than numpy's: 1D {moved1:.0f}, 2D {moved2:.0f} (edge values)")
    assert moved1 <= 1e-4 * n
    assert moved2 <= 1e-4 * n

    # numpy needs the NaN rows removed (np.histogram raises on NaN with a range given for
    # some versions and counts nothing for others); the mask is part of its cost, as it is
    # of ours (boost-histogram skips NaN itself).
    compare(
        "histogram1d 200 bins",
        n,
        lambda: histogram1d(pe, 200, (0.0, 600.0)),
        lambda: np.histogram(pe[np.isfinite(pe)], 200, (0.0, 600.0)),
        args.repeat,
    )
    for threads in (None, 2):
        compare(
            f"histogram2d 150x100, threads={threads}",
            n,
            lambda t=threads: histogram2d(pe, f90, (150, 100), [(0, 600), (0, 1)], threads=t),
            lambda: _numpy2d(pe, f90),
            max(3, args.repeat // 3),
        )


if __name__ == "__main__":
    main()
