"""Benchmark of the waveform reduction (not a test): speed relative to references measured in
the same run.

What it measures
----------------
1. In memory: ``reduce_block`` over an ``[n, 2, 1875]`` int16 array vs one streaming pass
   ``a.max()`` over the same array (goal: reduction speed >= 0.25 of the pass).
2. End to end from an uncompressed and a Blosc-LZ4 file: ``reduce_raw`` (with and without the
   SHA-256 of the input) vs a plain h5py read of the same file chunk by chunk, with the same
   chunk length (goal, uncompressed: within 3x of the plain read).

Files are hot in the page cache (each is read once before timing). Candidate and reference
are timed alternately, ``--repeat`` times each, so load from other processes hits both; the
best time of each is compared (the median is printed too).

Usage::

    .venv/bin/python benchmarks/bench_reduction.py [--events 20000] [--repeat 7]
        [--synthetic] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import h5py
import numba
import numpy as np

from analysis_core.rawfile import RawFile, RawMetadata
from analysis_core.rawwriter import RawWriter
from analysis_core.reduction import ReductionConfig, reduce_block, reduce_raw
from analysis_core.reduction.stream import _chunk_length

DIGI = {"sample_period_ns": 4.0, "trigger_index": 375, "adc_bits": 12, "polarity": -1}


def make_events(n: int, synthetic: bool, workdir: Path) -> np.ndarray:
    """Simulated 39Ar events (analysis_core.sim), or synthetic pulses with --synthetic."""
    if not synthetic:
        try:
            from analysis_core.sim import simulate_run
        except ImportError:
            synthetic = True
        else:
            path = simulate_run("ar39", n, 1, workdir / "sim.h5")
            with RawFile(path) as rf:
                data = rf.read(0, rf.n_events)
            path.unlink()
            return data
    rng = np.random.default_rng(1)
    wf = np.empty((n, 2, 1875), np.int16)
    k = np.arange(1500)
    shape = 0.2 * np.exp(-k / 1.5) + 0.002 * np.exp(-k / 375)
    for i in range(n):
        amp = rng.uniform(20, 1500)
        t0 = 375 + int(rng.integers(-5, 5))
        for c in range(2):
            x = rng.normal(3700, 1.8, 1875)
            x[t0:] -= (amp * rng.uniform(0.4, 0.6) * shape / 0.2)[: 1875 - t0]
            wf[i, c] = np.clip(np.round(x), 0, 4095)
    return wf


def timed(fn: Callable[[], object]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def compare(cand: Callable[[], object], ref: Callable[[], object], repeat: int) -> dict:
    """Time candidate and reference alternately; return best and median times."""
    tc, tr = [], []
    for _ in range(repeat):
        tr.append(timed(ref))
        tc.append(timed(cand))
    return {
        "cand_best_s": min(tc),
        "cand_median_s": statistics.median(tc),
        "ref_best_s": min(tr),
        "ref_median_s": statistics.median(tr),
        "ratio_best": min(tr) / min(tc),
        "ratio_median": statistics.median(tr) / statistics.median(tc),
    }


def write_file(path: Path, wf: np.ndarray, compression: str | None) -> Path:
    meta = RawMetadata(run_type="ar39", trigger_index=375, sample_period_ns=4.0)
    with RawWriter(path, meta, wf.shape[2], ("top", "bottom"), compression=compression) as w:
        for s in range(0, len(wf), 4096):
            w.append(wf[s : s + 4096], np.arange(s, min(s + 4096, len(wf))) * 0.04)
    return path


def plain_read(path: Path, step: int) -> None:
    with h5py.File(path, "r") as f:
        ds = f["waveforms"]
        for s in range(0, ds.shape[0], step):
            ds[s : s + step]


def evict(path: Path) -> None:
    """Drop the file's pages from the page cache (POSIX_FADV_DONTNEED; Linux)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def cold(fn: Callable[[], object], path: Path, repeat: int) -> float:
    """Best time of ``fn`` with the file evicted from the page cache before each run."""
    best = float("inf")
    for _ in range(repeat):
        evict(path)
        best = min(best, timed(fn))
    return best


def report(label: str, res: dict, n: int, nbytes: int, goal: str) -> None:
    t = res["cand_best_s"]
    print(
        f"{label:<34} {n / t:>12,.0f} ev/s {nbytes / t / 1e6:>9,.0f} MB/s   "
        f"ratio {res['ratio_best']:.3f} (median {res['ratio_median']:.3f})   [{goal}]"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=20000)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--synthetic", action="store_true", help="synthetic pulses, not the simulator")
    ap.add_argument("--json", type=Path, help="also write the results as JSON")
    ap.add_argument(
        "--cold", action="store_true", help="also time cold reads (file evicted from the cache)"
    )
    args = ap.parse_args()

    results: dict = {
        "machine": {
            "cpus": os.cpu_count(),
            "numba_threads": numba.get_num_threads(),
            "processor": platform.processor() or platform.machine(),
            "numpy": np.__version__,
            "numba": numba.__version__,
            "h5py": h5py.__version__,
        }
    }
    with tempfile.TemporaryDirectory(prefix="larcal-bench-") as tmp:
        work = Path(tmp)
        wf = make_events(args.events, args.synthetic, work)
        n, nbytes = len(wf), wf.nbytes
        print(f"{n} events x {wf.shape[1]} x {wf.shape[2]} int16 = {nbytes / 1e6:.0f} MB; "
              f"{results['machine']['cpus']} CPUs, numba threads "
              f"{results['machine']['numba_threads']}")  # fmt: skip
        print("page cache: files are hot (read once before timing)\n")

        # --- in memory
        reduce_block(wf[:64], **DIGI)  # JIT warm-up (or cache load)
        results["machine"]["threading_layer"] = numba.threading_layer()
        configs = {
            "default": ReductionConfig(),
            "capacitive": ReductionConfig(capacitive_tau_ns=1e5),
        }
        for name, cfg in configs.items():
            reduce_block(wf[:64], **DIGI, config=cfg)  # JIT warm-up (or cache load)
            res = compare(lambda c=cfg: reduce_block(wf, **DIGI, config=c), wf.max, args.repeat)
            results[f"memory_{name}"] = res
            report(f"in-memory reduce_block ({name})", res, n, nbytes, "goal >= 0.25 of a.max()")
        res = results["memory_default"]
        print(f"{'reference a.max()':<34} {n / res['ref_best_s']:>12,.0f} ev/s "
              f"{nbytes / res['ref_best_s'] / 1e6:>9,.0f} MB/s\n")  # fmt: skip

        # --- end to end from files
        for comp in (None, "blosc-lz4"):
            label = comp or "uncompressed"
            path = write_file(work / f"{label}.h5", wf, comp)
            with RawFile(path) as rf:
                step = _chunk_length(rf, None)
            plain_read(path, step)  # hot page cache
            for hashing in (True, False):
                res = compare(
                    lambda p=path, h=hashing: reduce_raw(p, hash_input=h),
                    lambda p=path, s=step: plain_read(p, s),
                    args.repeat,
                )
                # ratio here: reduce time / plain-read time (goal: <= 3 uncompressed)
                res["slowdown_best"] = 1.0 / res["ratio_best"]
                res["slowdown_median"] = 1.0 / res["ratio_median"]
                key = f"file_{label}_{'sha256' if hashing else 'nohash'}"
                results[key] = res
                t = res["cand_best_s"]
                print(
                    f"reduce_raw {label:<13} {'+sha256' if hashing else 'no hash':<8}"
                    f"{n / t:>12,.0f} ev/s {nbytes / t / 1e6:>9,.0f} MB/s   "
                    f"{res['slowdown_best']:.2f}x plain read (median "
                    f"{res['slowdown_median']:.2f}x; read {nbytes / res['ref_best_s'] / 1e6:,.0f}"
                    f" MB/s)   [goal uncompressed <= 3x]"
                )
            if args.cold and hasattr(os, "posix_fadvise"):
                t_read = cold(lambda p=path, s=step: plain_read(p, s), path, args.repeat)
                t_red = cold(lambda p=path: reduce_raw(p), path, args.repeat)
                results[f"cold_{label}"] = {"plain_read_s": t_read, "reduce_raw_s": t_red}
                print(
                    f"  cold cache: plain read {nbytes / t_read / 1e6:,.0f} MB/s, reduce_raw "
                    f"+sha256 {nbytes / t_red / 1e6:,.0f} MB/s ({t_red / t_read:.2f}x)"
                )
            size = path.stat().st_size
            results[f"file_{label}_bytes"] = size
            print(f"  {label}: {size / 1e6:.0f} MB on disk, chunk of {step} events per read\n")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
