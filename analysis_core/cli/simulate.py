"""``larcal simulate`` and ``larcal demo``: simulated raw files and the demo campaign.

What to use when
----------------
- ``larcal simulate KIND --events N --seed S --out FILE.h5``: one simulated run (KIND:
  ``kr83m``, ``ar39``, ``co57``, ``am241``, ``led``, ``background``, ``kr-run``), optionally
  ``--compression``, ``--light-yield PE_PER_KEV``, ``--ac-coupling-tau-us T``.
- ``larcal demo [--out DIR] [--seed S] [--if-missing]``: the demo campaign (LED, background,
  Kr injection, 57Co, 241Am) in DIR (default: the platform data directory).

With ``--json`` exactly one JSON object goes to stdout and no progress bar is drawn; errors are
one line on stderr with exit code 2 and leave no output file.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from analysis_core.cli.common import TerminalProgress, print_json

__all__ = ["register"]

_COMPRESSIONS = ("none", "gzip", "lz4", "blosc-lz4", "blosc-zstd")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {value}")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive finite number, got {text}")
    return value


def register(subparsers: Any) -> None:
    """Add the ``simulate`` and ``demo`` sub-commands to the ``larcal`` parser."""
    from analysis_core.sim.config import SimConfig
    from analysis_core.sim.runs import KINDS

    p = subparsers.add_parser(
        "simulate",
        help="write a simulated raw file with per-event truth",
        description="Simulate a CENNS-10-like run and write a larcal-raw v1 file with /truth.",
    )
    p.add_argument("kind", choices=KINDS, help="what to simulate")
    p.add_argument("--events", type=_positive_int, required=True, metavar="N")
    p.add_argument("--seed", type=_non_negative_int, default=0, metavar="S")
    p.add_argument("--out", type=Path, required=True, metavar="FILE", help="output .h5 file")
    p.add_argument("--compression", choices=_COMPRESSIONS, default="none")
    p.add_argument(
        "--light-yield",
        type=_positive_float,
        metavar="PE_PER_KEV",
        help=(
            "true detected PE per keV, both PMTs (default "
            f"{SimConfig().detector.light_yield_pe_per_kev:g}: Analysis A reads ~4.3)"
        ),
    )
    p.add_argument(
        "--ac-coupling-tau-us",
        type=_positive_float,
        metavar="T",
        help="simulate capacitive (AC) coupling with this time constant (default: off)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(func=_run_simulate)

    d = subparsers.add_parser(
        "demo",
        help="build the demo calibration campaign",
        description="Write a small simulated campaign: LED, background, Kr injection, 57Co, "
        "241Am runs and manifest.json.",
    )
    d.add_argument("--out", type=Path, default=None, metavar="DIR", help="campaign directory")
    d.add_argument("--seed", type=_non_negative_int, default=None, metavar="S")
    d.add_argument(
        "--if-missing", action="store_true", help="only build when no complete campaign is there"
    )
    d.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    d.set_defaults(func=_run_demo)


def _fail(message: str) -> int:
    print(f"larcal: error: {message}", file=sys.stderr)
    return 2


def _run_simulate(args: argparse.Namespace) -> int:
    from analysis_core.sim import SimConfig, simulate_run

    changes: dict[str, Any] = {}
    if args.light_yield is not None:
        changes["light_yield_pe_per_kev"] = args.light_yield
    if args.ac_coupling_tau_us is not None:
        changes["ac_coupling_tau_us"] = args.ac_coupling_tau_us
    progress = TerminalProgress(f"simulate {args.kind}", enabled=not args.json)
    t0 = time.perf_counter()
    try:
        config = SimConfig().replace(**changes)
        path = simulate_run(
            args.kind,
            args.events,
            args.seed,
            args.out,
            config=config,
            compression=args.compression,
            progress=progress,
        )
    except (OSError, ValueError) as exc:
        return _fail(str(exc) if str(args.out) in str(exc) else f"{args.out}: {exc}")
    seconds = time.perf_counter() - t0
    if args.json:
        print_json(
            {
                "path": str(path),
                "events": args.events,
                "seconds": round(seconds, 3),
                "kind": args.kind,
                "seed": args.seed,
            }
        )
    return 0


def _run_demo(args: argparse.Namespace) -> int:
    from analysis_core.sim.demo import (
        DEMO_RUNS,
        DEMO_SEED,
        build_demo_campaign,
        default_demo_dir,
        ensure_demo_campaign,
    )

    out = args.out if args.out is not None else default_demo_dir()
    seed = DEMO_SEED if args.seed is None else args.seed
    progress = TerminalProgress("demo campaign", enabled=not args.json)
    t0 = time.perf_counter()
    try:
        if out.exists() and not out.is_dir():
            return _fail(f"{out}: exists and is not a directory")
        build = ensure_demo_campaign if args.if_missing else build_demo_campaign
        paths = build(out, seed=seed, progress=progress)
    except (OSError, ValueError) as exc:
        return _fail(str(exc) if str(out) in str(exc) else f"{out}: {exc}")
    if args.json:
        print_json(
            {
                "path": str(out),
                "files": [str(p) for p in paths],
                "events": sum(r.events for r in DEMO_RUNS),
                "seconds": round(time.perf_counter() - t0, 3),
                "seed": seed,
            }
        )
    return 0
