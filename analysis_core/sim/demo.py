"""The demo campaign: a complete, small calibration campaign of simulated runs.

What to use when
----------------
- ``ensure_demo_campaign()``: on first launch (README's launch command, ``larcal demo
  --if-missing``): builds the campaign in ``default_demo_dir()`` unless a complete one is there.
- ``build_demo_campaign(out_dir)``: (re)build it unconditionally (``larcal demo --out DIR``).
- ``default_demo_dir()``: ``$LARCAL_DATA_DIR/demo_campaign`` when the variable is set, else
  ``platformdirs.user_data_dir("larcal")/demo_campaign``.
- ``read_manifest(out_dir)``: the parsed ``manifest.json`` (or None when missing/invalid).

Contents (``DEMO_RUNS``): an LED run (SPE gains), a 39Ar background run, an 83mKr injection
run (``kr-run``), and 57Co and 241Am source runs, one file each, plus ``manifest.json`` written
last (runs with kind, events, seed, compression, live time, rate scale, size; software
version). The background run uses the Kr run's ``rate_scale``, so scaling the background
spectrum by the ratio of live times subtracts the 39Ar under the Kr peak. Each file is written
atomically; the manifest is removed before a rebuild and written only when every run is done,
so an interrupted build is detected as incomplete.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import platformdirs

from analysis_core import __version__
from analysis_core.atomic import atomic_write_text
from analysis_core.progress import CancelToken, ProgressFn, check_cancel
from analysis_core.rawfile import RawFile
from analysis_core.sim.config import SimConfig
from analysis_core.sim.runs import RUN_TYPE_OF_KIND, RunSettings, kr_run_rate_scale
from analysis_core.sim.simulate import simulate_run

__all__ = [
    "DEMO_RUNS",
    "DEMO_SEED",
    "MANIFEST_NAME",
    "DemoRun",
    "build_demo_campaign",
    "default_demo_dir",
    "ensure_demo_campaign",
    "config_digest",
    "read_manifest",
]

MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = "larcal-demo-campaign"
MANIFEST_VERSION = 1
#: Default campaign seed (the date of the paper's HPGe assay).
DEMO_SEED = 20190219


@dataclass(frozen=True, slots=True)
class DemoRun:
    """One run of the demo campaign.

    Attributes
    ----------
    file : str
        File name inside the campaign directory.
    kind : str
        Simulation kind.
    events : int
        Number of events.
    seed_offset : int
        Added to the campaign seed to get the run's seed.
    compression : str or None
        HDF5 filter of ``/waveforms``.
    start_time_utc : str
        Start of the run.
    """

    file: str
    kind: str
    events: int
    seed_offset: int
    compression: str | None
    start_time_utc: str


#: The campaign, in build order. Sizes keep the build well under a minute on two cores and the
#: directory near 250 MB; the filters differ on purpose, so that every reader path (plain,
#: Blosc-LZ4, Blosc-Zstd, gzip) is exercised by the demo. The LED run has enough flashes for
#: ~1 % SPE gains (16k: the DEAP-model fit's error on mu scales as 1/sqrt(flashes)).
DEMO_RUNS: tuple[DemoRun, ...] = (
    DemoRun("led.h5", "led", 16000, 0, "blosc-lz4", "2019-03-12T08:00:00+00:00"),
    DemoRun("background.h5", "background", 10000, 1, "blosc-lz4", "2019-03-08T08:00:00+00:00"),
    DemoRun("kr_run.h5", "kr-run", 30000, 2, "blosc-zstd", "2019-03-12T09:00:00+00:00"),
    DemoRun("co57.h5", "co57", 8000, 3, None, "2019-03-13T09:00:00+00:00"),
    DemoRun("am241.h5", "am241", 8000, 4, "gzip", "2019-03-13T11:00:00+00:00"),
)


def default_demo_dir() -> Path:
    """Return the platform location of the demo campaign (not created)."""
    env = os.environ.get("LARCAL_DATA_DIR")
    base = Path(env) if env else Path(platformdirs.user_data_dir("larcal"))
    return base / "demo_campaign"


def read_manifest(out_dir: str | os.PathLike[str]) -> dict[str, Any] | None:
    """Return the parsed manifest of ``out_dir``, or None if missing or not a valid manifest."""
    path = Path(out_dir) / MANIFEST_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT:
        return None
    if not isinstance(data.get("runs"), list):
        return None
    return data


def config_digest(config: SimConfig | None = None) -> str:
    """Return a short SHA-256 of the simulation parameters (default ``SimConfig()``)."""
    text = json.dumps(dataclasses.asdict(config or SimConfig()), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _is_complete(
    out_dir: Path, manifest: dict[str, Any] | None, config: SimConfig | None = None
) -> bool:
    """Return True if the campaign was built from the same runs and simulation parameters."""
    if manifest is None or manifest.get("format_version") != MANIFEST_VERSION:
        return False
    if manifest.get("config_digest") != config_digest(config):
        return False  # built by a version with other simulator defaults
    listed = {r.get("file"): r for r in manifest["runs"] if isinstance(r, dict)}
    for run in DEMO_RUNS:
        rec = listed.get(run.file)
        path = out_dir / run.file
        if rec is None or not path.is_file() or path.stat().st_size != rec.get("bytes"):
            return False
        if rec.get("events") != run.events or rec.get("kind") != run.kind:
            return False
    return True


def build_demo_campaign(
    out_dir: str | os.PathLike[str],
    *,
    seed: int = DEMO_SEED,
    config: SimConfig | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> list[Path]:
    """Build the demo campaign in ``out_dir`` (created if needed), replacing any previous one.

    Parameters
    ----------
    out_dir : str or PathLike
        Campaign directory.
    seed : int
        Campaign seed; run ``i`` uses ``seed + DEMO_RUNS[i].seed_offset``.
    config : SimConfig, optional
        Detector and source parameters shared by all runs.
    progress : callable, optional
        ``progress(done_events, total_events)`` over the whole campaign.
    cancel : CancelToken, optional
        Checked between blocks; a cancelled build leaves no manifest.

    Returns
    -------
    list of Path
        The run files in ``DEMO_RUNS`` order, then the manifest.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / MANIFEST_NAME).unlink(missing_ok=True)
    kr = next(r for r in DEMO_RUNS if r.kind == "kr-run")
    scale = kr_run_rate_scale(kr.events, RunSettings(), (config or SimConfig()).sources)
    total = sum(r.events for r in DEMO_RUNS)
    done = 0
    t0 = time.perf_counter()
    records: list[dict[str, Any]] = []
    paths: list[Path] = []
    for run in DEMO_RUNS:
        check_cancel(cancel)
        options: dict[str, Any] = {
            "start_time_utc": run.start_time_utc,
            "run_id": f"demo-{Path(run.file).stem}",
        }
        if run.kind == "background":
            options["rate_scale"] = scale

        def _sub(d: int, _n: int, _base: int = done) -> None:
            if progress is not None:
                progress(_base + d, total)

        run_seed = int(seed) + run.seed_offset
        path = simulate_run(
            run.kind,
            run.events,
            run_seed,
            out / run.file,
            config=config,
            compression=run.compression,
            progress=_sub,
            cancel=cancel,
            **options,
        )
        done += run.events
        paths.append(path)
        records.append(_record(run, run_seed, path))
    manifest = {
        "format": MANIFEST_FORMAT,
        "format_version": MANIFEST_VERSION,
        "software_version": __version__,
        "config_digest": config_digest(config),
        "seed": int(seed),
        "created_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "build_seconds": round(time.perf_counter() - t0, 2),
        "rate_scale_note": "background and kr_run share rate_scale: scale by live time to subtract",
        "runs": records,
    }
    check_cancel(cancel)
    atomic_write_text(out / MANIFEST_NAME, json.dumps(manifest, indent=2) + "\n")
    return [*paths, out / MANIFEST_NAME]


def _record(run: DemoRun, seed: int, path: Path) -> dict[str, Any]:
    with RawFile(path) as f:
        livetime = f.livetime_s
        scale = float(f.metadata.extra.get("rate_scale", 1.0))
    return {
        "file": run.file,
        "kind": run.kind,
        "run_type": RUN_TYPE_OF_KIND[run.kind],
        "events": run.events,
        "seed": seed,
        "compression": run.compression or "none",
        "start_time_utc": run.start_time_utc,
        "livetime_s": livetime,
        "rate_scale": scale,
        "bytes": path.stat().st_size,
    }


def ensure_demo_campaign(out_dir: str | os.PathLike[str] | None = None, **kw: Any) -> list[Path]:
    """Build the demo campaign unless a complete one is already in ``out_dir``.

    Parameters
    ----------
    out_dir : str or PathLike, optional
        Campaign directory (default ``default_demo_dir()``).
    **kw
        Passed to ``build_demo_campaign`` when a build is needed.

    Returns
    -------
    list of Path
        The run files, then the manifest.
    """
    out = Path(out_dir) if out_dir is not None else default_demo_dir()
    if _is_complete(out, read_manifest(out), kw.get("config")):
        return [*(out / r.file for r in DEMO_RUNS), out / MANIFEST_NAME]
    return build_demo_campaign(out, **kw)
