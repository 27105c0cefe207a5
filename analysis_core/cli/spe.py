"""``larcal spe LED.h5 [--source SRC.h5] [--json]``: SPE gains of both PMTs (Analysis A and B).

What to use when
----------------
Get the gains for ``larcal reduce RAW --spe-gain TOP BOTTOM`` from the shell. Analysis A
(always) fits the DEAP-3600 model to the LED run's charge spectra (gain = ``mu``, the fully
amplified mean); Analysis B (with ``--source``, a Kr or background run) fits a Gaussian to
isolated late single photoelectrons. It runs the same ``compute_spe`` as the GUI's SPE pane.

``--json`` prints one object::

    {
      "led": "LED.h5", "source": "SRC.h5" or null,
      "analyses": {
        "A": {"valid": bool, "message": str, "led_time_ns": float, "n_events": int,
              "pmts": {"top": PMT, "bottom": PMT}},
        "B": {"valid": bool, "message": str, "n_events": int, "pmts": {...}}   (with --source)
      },
      "spe_gain_adc_ns": {"A": [TOP, BOTTOM], "B": [TOP, BOTTOM]}
    }

where each PMT object has ``gain_adc_ns`` and ``gain_err_adc_ns`` (the analysis's SPE gain in
ADC x ns per PE), ``mean_charge_adc_ns``/``mean_charge_err_adc_ns`` (A: the whole SPE model's
mean, below ``mu``; B: null), ``occupancy``/``occupancy_err`` (A: mean PE per LED flash; B:
null), ``sigma_adc_ns`` (B: the Gaussian's width; A: null), ``n_pulses`` (B), ``chi2``,
``ndf``, ``valid`` and ``message``. Failed values are null. The exit code is 0 when every
analysis is valid, 1 when a fit failed (the reason is printed), 2 for bad files or settings.
"""

from __future__ import annotations

import argparse
import math
import sys
from typing import Any

from analysis_core.cli.common import TerminalProgress, print_json
from analysis_core.errors import CalibrationError
from analysis_core.rawfile import RawFile
from analysis_core.spe.step import SpeAnalysis, SpeResult, compute_spe
from analysis_core.steps import StepInputs

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add the ``spe`` sub-command to the ``larcal`` parser."""
    p = subparsers.add_parser(
        "spe",
        help="SPE gains per PMT (Analysis A from an LED run, B from a source run)",
        description="Fit SPE gains: Analysis A (DEAP model on LED charges, gain = mu) and, "
        "with --source, Analysis B (Gaussian on isolated late single PE).",
    )
    p.add_argument("led", metavar="LED", help="raw LED run (.h5)")
    p.add_argument("--source", metavar="SRC", help="raw Kr or background run for Analysis B")
    p.add_argument("--window-ns", type=float, default=80.0, help="LED window (default 80)")
    p.add_argument(
        "--pre-ns", type=float, default=16.0, help="window start before the LED peak (16)"
    )
    p.add_argument("--led-time-ns", type=float, help="LED peak time (default: from the data)")
    p.add_argument("--late-start-ns", type=float, default=2000.0, help="B: pulses after (2000)")
    p.add_argument("--gap-ns", type=float, default=100.0, help="B: isolation gap (100)")
    p.add_argument("--threshold-rms", type=float, default=4.0, help="B: threshold in rms (4)")
    p.add_argument("--max-events", type=int, metavar="N", help="use only the first N events")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(func=run)


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "analyses": ["A", "B"] if args.source else ["A"],
        "led_window_ns": args.window_ns,
        "led_pre_ns": args.pre_ns,
        "led_time_ns": args.led_time_ns,
        "b_role": "auto",
        "b_late_start_ns": args.late_start_ns,
        "b_gap_ns": args.gap_ns,
        "b_threshold_rms": args.threshold_rms,
        "max_events": args.max_events,
    }


def _num(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def _pmt(analysis: str, fit: Any) -> dict[str, Any]:
    a = analysis == "A"
    return {
        "gain_adc_ns": _num(fit.gain_adc_ns),
        "gain_err_adc_ns": _num(fit.gain_err_adc_ns),
        "mean_charge_adc_ns": _num(fit.mean_charge_adc_ns) if a else None,
        "mean_charge_err_adc_ns": _num(fit.mean_charge_err_adc_ns) if a else None,
        "occupancy": _num(fit.occupancy) if a else None,
        "occupancy_err": _num(fit.occupancy_err) if a else None,
        "sigma_adc_ns": None if a else _num(fit.fit["sigma"]),
        "n_pulses": None if a else fit.n_pulses,
        "chi2": _num(fit.fit.chi2),
        "ndf": fit.fit.ndf,
        "valid": fit.valid,
        "message": fit.fit.message,
    }


def summary(result: SpeResult, led: str, source: str | None) -> dict[str, Any]:
    """Return the ``--json`` object of ``result`` (documented in the module docstring)."""
    analyses: dict[str, Any] = {}
    gains: dict[str, list[float | None]] = {}
    for name, an in result.analyses.items():
        entry: dict[str, Any] = {"valid": an.valid, "message": an.message}
        entry.update({k: an.extra[k] for k in ("led_time_ns", "n_events") if k in an.extra})
        entry["pmts"] = {f.channel: _pmt(name, f) for f in an.fits}
        analyses[name] = entry
        by_name = {f.channel: f.gain_adc_ns for f in an.fits}
        gains[name] = [_num(by_name.get(c, math.nan)) for c in ("top", "bottom")]
    return {"led": led, "source": source, "analyses": analyses, "spe_gain_adc_ns": gains}


def _fmt(x: float, digits: int = 1) -> str:
    return f"{x:.{digits}f}" if math.isfinite(x) else "nan"


def _print_text(result: SpeResult, led: str, source: str | None) -> None:
    out = sys.stdout
    for name, an in result.analyses.items():
        out.write(_header(name, an, led, source) + "\n")
        for f in an.fits:
            line = f"  {f.channel:<7} {_fmt(f.gain_adc_ns):>7} +- {_fmt(f.gain_err_adc_ns):<5}"
            if name == "A":
                line += (
                    f"  model mean {_fmt(f.mean_charge_adc_ns)} +- "
                    f"{_fmt(f.mean_charge_err_adc_ns)}  occupancy "
                    f"{_fmt(f.occupancy, 3)} +- {_fmt(f.occupancy_err, 3)} PE"
                )
            else:
                line += f"  sigma {_fmt(f.fit['sigma'])}  pulses {f.n_pulses}"
            line += f"  chi2/ndf {_fmt(f.fit.chi2)}/{f.fit.ndf}"
            out.write(line + ("" if f.valid else f"  FAILED: {f.fit.message}") + "\n")
        if not an.fits:
            out.write(f"  FAILED: {an.message}\n")
        elif an.valid:
            g = {f.channel: f.gain_adc_ns for f in an.fits}
            if "top" in g and "bottom" in g:
                out.write(f"  use: larcal reduce RAW --spe-gain {g['top']:.2f} {g['bottom']:.2f}\n")


def _header(name: str, an: SpeAnalysis, led: str, source: str | None) -> str:
    if name == "A":
        where = f"{led}"
        if "led_time_ns" in an.extra:
            where += (
                f", LED peak at {an.extra['led_time_ns']:.0f} ns, window "
                f"{an.extra['window_ns']:.0f} ns, {an.extra['n_events']} flashes"
            )
        return f"Analysis A (DEAP model, gain = mu), ADC x ns per PE: {where}"
    return f"Analysis B (late single PE, Gaussian), ADC x ns per PE: {source}"


def _source_role(path: str) -> str:
    with RawFile(path) as rf:
        return "kr" if rf.metadata.run_type == "kr83m" else "background"


def _check_led_run(path: str) -> None:
    """Refuse a run that says it is not an LED run (its charges are not single photoelectrons)."""
    with RawFile(path) as rf:
        run_type = rf.metadata.run_type
    if run_type not in ("led", "unknown"):
        raise CalibrationError(
            f"{path}: a {run_type!r} run, not an LED run: Analysis A fits LED charge spectra "
            "(give a source run as --source for Analysis B)"
        )


def run(args: argparse.Namespace) -> int:
    """Execute ``larcal spe``; return the exit code (1 when a fit failed)."""
    _check_led_run(args.led)
    raw = {"led": args.led}
    if args.source:
        raw[_source_role(args.source)] = args.source
    progress = TerminalProgress("spe", enabled=not args.json and sys.stderr.isatty())
    result = compute_spe(StepInputs(raw_paths=raw), _settings(args), progress=progress)
    if args.json:
        print_json(summary(result, args.led, args.source))
    else:
        _print_text(result, args.led, args.source)
    bad = [f"analysis {n}: {a.message}" for n, a in result.analyses.items() if not a.valid]
    for b in bad:
        print(f"larcal spe: {b}", file=sys.stderr)
    return 1 if bad else 0
