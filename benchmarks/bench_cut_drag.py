"""Benchmark of the Cuts pane's interactive latency (not a test), at 10^6 events.

What it measures
----------------
The time from a cut shape's drag signal (the F90 band moved on the F90 vs total PE plot) to
the updated survival fractions and after-cut histograms painted on the pane, with the real
thread pool, offscreen, on a synthetic 10^6-row RQ table (Kr-like distributions, 2 % NaN):

1. single steps: one drag step from idle, ``--steps`` times: time to ``update_shown`` and to
   the end of a synchronous repaint of the pane;
2. a continuous drag: one step every 16 ms (a 60 Hz mouse) for ``--seconds``: latency of each
   update reaching the screen (from the oldest drag step it includes) and updates per second.

Reference measured in the same run: the naive recomputation without the pane's mask cache
(``CutSet.mask`` and ``survival`` over every cut, plus two ``np.histogram`` fills), i.e. the
compute cost alone of one update done the simple way. Ratios are printed.

With ``--all-panes`` every registered pane is live, as in the application: the Spectrum & fit,
Kr timing, Components and Export panes recompute on ``cuts_settled`` (once a drag has rested for
250 ms), so the drag latency must stay that of the Cuts pane.

Usage::

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_cut_drag.py [--events 1000000]
        [--all-panes]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from analysis_core.cuts import default_cutset, survival  # noqa: E402
from analysis_core.rqfile import RQTable  # noqa: E402
from workbench.app import create_main_window  # noqa: E402
from workbench.controllers import cuts  # noqa: E402
from workbench.registry import PaneSpec, default_panes  # noqa: E402
from workbench.state import RunInfo  # noqa: E402


def synthetic_table(n: int, seed: int = 1) -> RQTable:
    """Kr-like RQ columns: 180 PE peak on a falling background, F90 ~0.28, ftop ~0.5."""
    rng = np.random.default_rng(seed)
    peak = rng.random(n) < 0.6
    total = np.where(peak, rng.normal(180, 17, n), rng.exponential(120, n)).astype(np.float32)
    total = np.abs(total) + 1
    f90 = rng.normal(0.28, 0.04, n).astype(np.float32)
    ftop = np.clip(rng.normal(0.5, 0.1, n), 0, 1).astype(np.float32)
    i35 = (total * rng.uniform(0.15, 0.22, n)).astype(np.float32)
    i55 = (i35 * np.where(rng.random(n) < 0.1, 1.5, 1.15)).astype(np.float32)
    bad = rng.random(n) < 0.02
    f90[bad] = np.nan
    top = (total * ftop).astype(np.float32)
    cols = {
        "event": np.arange(n, dtype=np.int64),
        "total_pe": total,
        "total_pe_top": top,
        "total_pe_bottom": (total - top).astype(np.float32),
        "f90": f90,
        "ftop": ftop,
        "i35_pe": i35,
        "i55_pe": i55,
        "saturated": rng.random(n) < 0.001,
    }
    meta = {"pe_units": "PE", "run": {"run_type": "kr83m", "livetime_s": 3600.0}}
    return RQTable(cols, meta)


def synthetic_run(n: int) -> RunInfo:
    """A ``RunInfo`` for the table (no raw file behind it: the pane needs only the RQs)."""
    return RunInfo(
        path="/synthetic/kr_1e6.h5", run_id="synthetic", run_type="kr83m",
        start_time_utc="2026-01-01T00:00:00+00:00", n_events=n, n_samples=1875,
        livetime_s=3600.0, channel_names=("top", "bottom"), sample_period_ns=4.0,
        trigger_index=375, adc_bits=12, polarity=-1, rq_path="/synthetic/kr_1e6_rq.h5",
    )  # fmt: skip


def wait_for(app: QApplication, flag: list, timeout_s: float = 30.0) -> None:
    """Process events until ``flag`` is non-empty."""
    t0 = time.perf_counter()
    while not flag:
        app.processEvents()
        time.sleep(0.0005)
        if time.perf_counter() - t0 > timeout_s:
            raise TimeoutError("no update within the timeout")


def stats(name: str, values_ms: list[float]) -> float:
    """Print median, 95th percentile and max; return the median."""
    v = sorted(values_ms)
    p95 = v[min(len(v) - 1, int(0.95 * len(v)))]
    med = statistics.median(v)
    print(
        f"{name:<46} median {med:6.1f} ms   p95 {p95:6.1f} ms   max {v[-1]:6.1f} ms  (n={len(v)})"
    )
    return med


def naive_update_ms(table: RQTable, repeat: int) -> float:
    """Best time of one update computed without the mask cache (the reference)."""
    cs = default_cutset()
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        mask = cs.mask(table)
        survival(cs, table)
        np.histogram(table["ftop"][mask], 100, (0.0, 1.0))
        np.histogram(table["total_pe"][mask], 150, (0.0, 300.0))
        best = min(best, time.perf_counter() - t0)
    return 1e3 * best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument(
        "--all-panes", action="store_true",
        help="every registered pane live (they recompute their fits once a drag rests)",
    )  # fmt: skip
    args = ap.parse_args()
    app = QApplication.instance() or QApplication([])
    table = synthetic_table(args.events)
    panes = default_panes() if args.all_panes else [PaneSpec("cuts", "Cuts", "centre", cuts.build)]
    w = create_main_window(inline_jobs=False, panes=panes, show_dialogs=False, restore_layout=False)
    if args.all_panes:
        w.dock("cuts").raise_()
    w.resize(1400, 900)
    w.show()
    ctrl = w.binding("cuts").controller
    pane = w.binding("cuts").widget
    shown: list[float] = []
    ctrl.update_shown.connect(shown.append)
    t0 = time.perf_counter()
    w.ctx.state.add_run(synthetic_run(args.events), rq=table)
    wait_for(app, shown, 120.0)
    t_idle = time.perf_counter()
    while w.ctx.jobs.active_count() and time.perf_counter() - t_idle < 300:
        app.processEvents()  # the other panes' first fits of the new run
        time.sleep(0.01)
    print(
        f"{args.events:,} events; first display (histograms of the run + first update): "
        f"{1e3 * (time.perf_counter() - t0):.0f} ms; threads in pool: "
        f"{w.ctx.jobs.quick_pool.maxThreadCount()}"
    )
    band = pane.shape("f90_pe", "ER F90 band")

    # 1. single steps from idle
    to_signal, to_screen = [], []
    for k in range(args.steps + 3):
        shown.clear()
        lo = 0.202 + 0.002 * (k % 20)  # always a new position (0.2 is the start)
        t0 = time.perf_counter()
        band.drag_to(lo, 0.45, finish=False)
        wait_for(app, shown)
        t1 = time.perf_counter()
        pane.repaint()
        t2 = time.perf_counter()
        if k >= 3:  # the first steps warm up caches and code paths
            to_signal.append(1e3 * (t1 - t0))
            to_screen.append(1e3 * (t2 - t0))
        for _ in range(20):
            app.processEvents()
            time.sleep(0.005)
    stats("single step: drag signal -> update shown", to_signal)
    med_screen = stats("single step: drag signal -> repainted", to_screen)

    # 2. continuous 60 Hz drag
    latencies: list[float] = []
    repaint_ms: list[float] = []

    def on_shown(latency_ms: float) -> None:
        t = time.perf_counter()
        pane.repaint()
        repaint_ms.append(1e3 * (time.perf_counter() - t))
        latencies.append(latency_ms + repaint_ms[-1])

    ctrl.update_shown.disconnect(shown.append)
    ctrl.update_shown.connect(on_shown)
    steps = int(args.seconds / 0.016)
    state = {"k": 0}

    def step() -> None:
        k = state["k"]
        band.drag_to(0.3 - 0.1 * (k % 100) / 100, 0.45, finish=False)
        state["k"] += 1
        if state["k"] >= steps:
            timer.stop()

    timer = QTimer()
    timer.setInterval(16)
    timer.timeout.connect(step)
    t0 = time.perf_counter()
    timer.start()
    while timer.isActive():
        app.processEvents()
        time.sleep(0.0005)
    elapsed = time.perf_counter() - t0
    for _ in range(200):
        app.processEvents()
        time.sleep(0.002)
    print(f"continuous drag: {steps} steps in {elapsed:.2f} s -> {len(latencies)} updates "
          f"({len(latencies) / elapsed:.1f} per s)")  # fmt: skip
    med_cont = stats("continuous 60 Hz drag: oldest step -> repainted", latencies)
    stats("  of which the repaint", repaint_ms)

    ref = naive_update_ms(table, 7)
    print(f"reference (same run): naive update without cache, compute only: {ref:.1f} ms")
    print(f"ratio single-step latency to screen / naive compute: {med_screen / ref:.2f}")
    print(f"ratio continuous-drag latency to screen / naive compute: {med_cont / ref:.2f}")
    w.close()


if __name__ == "__main__":
    main()
