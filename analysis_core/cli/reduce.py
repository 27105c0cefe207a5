"""``larcal reduce RAW --out RQ [--spe-gain TOP BOTTOM]``: raw waveforms -> RQ file.

What to use when
----------------
Reduce a run from the shell or a batch script. The progress bar goes to stderr when it is a
terminal; ``--json`` prints one summary object on stdout instead. Gains are in ADC x ns per
PE; without them the PE columns are in ADC x ns and the file says so (``pe_units``).
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

import numpy as np

from analysis_core.cli.common import TerminalProgress, print_json
from analysis_core.errors import CalibrationError
from analysis_core.rawfile import RawFile
from analysis_core.reduction import ReductionConfig, reduce_file

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add the ``reduce`` sub-command to the ``larcal`` parser."""
    p = subparsers.add_parser(
        "reduce",
        help="reduce raw waveforms to RQs (reduced quantities)",
        description="Reduce a larcal-raw waveform file to an RQ file (one row per event).",
    )
    p.add_argument("raw", metavar="RAW", help="input larcal-raw file (.h5)")
    p.add_argument("--out", required=True, metavar="RQ", help="output RQ file (.h5)")
    p.add_argument(
        "--spe-gain",
        nargs=2,
        type=float,
        metavar=("TOP", "BOTTOM"),
        help="SPE gains of the top and bottom PMTs in ADC*ns per PE (else ADC*ns output)",
    )
    p.add_argument(
        "--capacitive-tau-ns",
        type=float,
        metavar="TAU",
        help="undo the PMT AC coupling with this time constant (ns)",
    )
    p.add_argument(
        "--chunk-events", type=int, metavar="N", help="events per streamed chunk (default ~16 MB)"
    )
    p.add_argument("--json", action="store_true", help="print one JSON summary on stdout")
    p.set_defaults(func=run)


def _gains_in_file_order(raw_path: str, gains: list[float] | None) -> tuple[float, ...] | None:
    """Map ``--spe-gain TOP BOTTOM`` onto the file's channel order."""
    if gains is None:
        return None
    with RawFile(raw_path) as rf:
        names = [n.lower() for n in rf.channel_names]
    if sorted(names) != ["bottom", "top"]:
        raise CalibrationError(
            f"{raw_path}: --spe-gain TOP BOTTOM needs channels named top and bottom, "
            f"the file has {list(names)}"
        )
    by_name = {"top": gains[0], "bottom": gains[1]}
    return tuple(by_name[n] for n in names)


def run(args: argparse.Namespace) -> int:
    """Execute ``larcal reduce``; return the exit code."""
    config = ReductionConfig(
        spe_gain_adc_ns=_gains_in_file_order(args.raw, args.spe_gain),
        capacitive_tau_ns=args.capacitive_tau_ns,
    )
    bar = TerminalProgress("reduce", enabled=not args.json and sys.stderr.isatty())
    t_start = time.perf_counter()
    table = reduce_file(args.raw, args.out, config, progress=bar, chunk_events=args.chunk_events)
    elapsed = time.perf_counter() - t_start
    n = len(table)
    summary = {
        "rq_path": str(args.out),
        "raw_path": str(args.raw),
        "n_events": n,
        "n_no_pulse": int(np.isnan(table["t0_ns"]).sum()),
        "n_saturated": int(table["saturated"].sum()),
        "pe_units": table.pe_units,
        "spe_gain_adc_ns": table.metadata["spe_gain_adc_ns"],
        "input_sha256": table.metadata["input_sha256"],
        "elapsed_s": elapsed,
        "events_per_s": n / elapsed if elapsed > 0 else None,
    }
    if args.json:
        print_json(summary)
    else:
        print(
            f"{args.out}: {n} events reduced in {elapsed:.2f} s "
            f"({summary['n_no_pulse']} without pulse, {summary['n_saturated']} saturated; "
            f"integrals in {table.pe_units})"
        )
    return 0
