"""``larcal fit-peak``, ``larcal halflife``, ``larcal delay``: the LAr calibration fits.

What to use when
----------------
- ``larcal fit-peak RQ.h5 --column total_pe --range LO HI [--background BKG_RQ.h5]
  [--cut EXPR] [--bins N] [--model M] [--cost C] --json``: histogram a column (after the cut),
  subtract the background run scaled by live time, fit a peak. JSON: ``mean``, ``mean_err``,
  ``sigma``, ``sigma_err``, ``resolution``, ``resolution_err``, ``area``, ``area_err``,
  ``chi2``, ``ndf``, ``valid``, ``message``, ``model``, ``cost``, ``parameters``, ``errors``.
- ``larcal halflife RQ.h5 --column total_pe --range LO HI [--bin-s B]
  [--exclude-before-s auto|S|none] [--cut EXPR] --json``: rate of events in the window versus
  time, decay fit after the filling period (default ``auto``: it ends with the time bin of the
  highest rate, found in this run; ``S`` seconds; ``none`` fits from the run start). JSON:
  ``half_life_s``, ``half_life_err_s``, ``background_hz``, ``background_err_hz``, ``r0_hz``,
  ``exclude_before_s`` (the start of the fit used).
- ``larcal delay RQ.h5 [--cut EXPR] [--min-ns 160] [--max-ns 1200]
  [--amp-threshold-adc 100] --json``: delays of the delayed 9.4 keV pulse, truncated exponential
  fit. JSON: ``half_life_ns``, ``half_life_err_ns``, ``tau_ns``, ``kept_fraction``.

The same functions as the workbench's calibration steps compute the numbers
(``analysis_core.fitting.peak_step`` and ``timing_steps``). Exit codes: 0 valid fit, 1 the fit
ran but is not valid (the JSON says why in ``message``), 2 an error (one line on stderr naming
the file and the fault, no JSON).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from analysis_core.cli.common import print_json
from analysis_core.cuts import CutSet, ExpressionCut
from analysis_core.errors import CalibrationError, CutError
from analysis_core.fitting.peak_models import MODELS
from analysis_core.fitting.peak_step import compute_peak
from analysis_core.fitting.peaks import COSTS
from analysis_core.fitting.result import FitResult
from analysis_core.fitting.timing_steps import compute_delay, compute_halflife
from analysis_core.rqfile import RQTable, read_rq
from analysis_core.steps import StepInputs

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add ``fit-peak``, ``halflife`` and ``delay`` to the ``larcal`` parser."""
    p = subparsers.add_parser(
        "fit-peak",
        help="fit a peak of an RQ column spectrum (optionally background-subtracted)",
        description="Histogram an RQ column after a cut, subtract a background run scaled by "
        "live time, and fit a peak in a window. Exit 1 when the fit is not valid.",
    )
    p.add_argument("rq", metavar="RQ", help="RQ file (.h5)")
    p.add_argument("--column", default="total_pe", help="RQ column (default total_pe)")
    p.add_argument("--range", nargs=2, type=float, required=True, metavar=("LO", "HI"))
    p.add_argument("--background", metavar="BKG_RQ", help="background RQ file to subtract")
    _cut_option(p)
    p.add_argument("--bins", type=int, default=40, help="bins across the range (default 40)")
    p.add_argument("--model", choices=MODELS, default="gauss+linear")
    p.add_argument("--cost", choices=COSTS, default="auto")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(func=run_fit_peak)

    h = subparsers.add_parser(
        "halflife",
        help="half-life from the rate of events in a window versus time",
        description="Count events of a column window (e.g. the 41.5 keV peak) in time bins and "
        "fit exponential decay plus a constant (binned Poisson likelihood).",
    )
    h.add_argument("rq", metavar="RQ", help="RQ file (.h5) of the Kr run")
    h.add_argument("--column", default="total_pe", help="RQ column (default total_pe)")
    h.add_argument("--range", nargs=2, type=float, required=True, metavar=("LO", "HI"))
    h.add_argument("--bin-s", type=float, default=600.0, help="time bin width in s (600)")
    h.add_argument(
        "--exclude-before-s",
        type=_exclusion,
        default="auto",
        metavar="S",
        help="leave out the filling period: auto (default: up to the end of the time bin with "
        "the highest rate), a time in s, or none (fit from the run start)",
    )
    _cut_option(h)
    h.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    h.set_defaults(func=run_halflife)

    d = subparsers.add_parser(
        "delay",
        help="half-life of the delayed 9.4 keV pulse",
        description="Fit the delayed-pulse times (delayed_time_ns) above the resolving cut "
        "with a truncated exponential plus a flat part.",
    )
    d.add_argument("rq", metavar="RQ", help="RQ file (.h5) of the Kr run")
    _cut_option(d)
    d.add_argument(
        "--min-ns",
        type=float,
        default=160.0,
        help="start of the fit (160 ns: two samples after the 152 ns search start, whose "
        "first samples hold falling edges of earlier pulses)",
    )
    d.add_argument("--max-ns", type=float, default=1200.0, help="end of the fit (1200 ns)")
    d.add_argument(
        "--amp-threshold-adc",
        type=float,
        default=100.0,
        help="delayed pulses above this amplitude (100 ADC)",
    )
    d.add_argument("--column", default="total_pe", help="column of the optional --range")
    d.add_argument("--range", nargs=2, type=float, metavar=("LO", "HI"), help="window on it")
    d.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    d.set_defaults(func=run_delay)


def _exclusion(text: str) -> float | str | None:
    """Parse ``--exclude-before-s``: ``auto``, ``none`` or a number of seconds."""
    word = text.strip().lower()
    if word in ("auto", "none"):
        return None if word == "none" else "auto"
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (value >= 0 and value < float("inf")):
        raise argparse.ArgumentTypeError(f"expected auto, none or seconds >= 0, got {text!r}")
    return value


def _cut_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--cut",
        metavar="EXPR",
        help='event selection, e.g. "f90 > 0.2 and f90 < 0.45 and ftop > 0.3"',
    )


def _inputs(args: argparse.Namespace, tables: dict[str, RQTable]) -> StepInputs:
    cuts = None
    if args.cut:
        path = args.rq
        try:
            cuts = CutSet((ExpressionCut("cli", args.cut),))
            for role, table in tables.items():
                path = args.background if role == "background" else args.rq
                cuts.mask(table)
        except CutError as exc:
            raise CutError(f"{path}: --cut: {exc}") from None
    return StepInputs(rq=tables, cuts=cuts)


def _named(path: str, fn: Any, *args: Any) -> Any:
    """Call ``fn``; a ``CalibrationError`` that does not name a file gets ``path`` in front."""
    try:
        return fn(*args)
    except CalibrationError as exc:
        if ".h5" in str(exc) or str(path) in str(exc):
            raise
        raise CalibrationError(f"{path}: {exc}") from None


def _finish(args: argparse.Namespace, fit: FitResult, out: dict[str, Any], text: str) -> int:
    if args.json:
        print_json(out)
    elif fit.valid:
        print(text)
    else:
        print(f"{args.rq}: fit not valid: {fit.message}")
    if not fit.valid and args.json:
        print(f"larcal: warning: {args.rq}: fit not valid: {fit.message}", file=sys.stderr)
    if fit.valid and fit.extra.get("warning"):
        print(f"larcal: warning: {args.rq}: {fit.extra['warning']}", file=sys.stderr)
    return 0 if fit.valid else 1


def _common(fit: FitResult) -> dict[str, Any]:
    return {
        "chi2": fit.chi2,
        "ndf": fit.ndf,
        "valid": fit.valid,
        "message": fit.message,
        "model": fit.model,
        "cost": fit.cost,
        "chi2_pvalue": fit.extra.get("chi2_pvalue"),
        "warning": fit.extra.get("warning"),
        "parameters": fit.params(),
        "errors": dict(zip(fit.names, fit.errors, strict=True)),
    }


def run_fit_peak(args: argparse.Namespace) -> int:
    """Execute ``larcal fit-peak``; return the exit code."""
    tables = {"signal": read_rq(args.rq)}
    if args.background:
        tables["background"] = read_rq(args.background)
    settings = {
        "role": "signal",
        "column": args.column,
        "range": list(args.range),
        "bins": args.bins,
        "model": args.model,
        "cost": args.cost,
        "background_role": "background" if args.background else None,
    }
    res = _named(args.rq, compute_peak, _inputs(args, tables), settings, "peak")
    fit = res.fit
    ex = fit.extra
    out = {
        "mean": fit["mean"],
        "mean_err": fit.error("mean"),
        "sigma": fit["sigma"],
        "sigma_err": fit.error("sigma"),
        "resolution": ex.get("resolution"),
        "resolution_err": ex.get("resolution_err"),
        "area": ex.get("area"),
        "area_err": ex.get("area_err"),
        **_common(fit),
        "cost_reason": ex.get("cost_reason"),
        "fit_range": ex.get("fit_range"),
        "column": args.column,
        "pe_units": res.pe_units,
        "rq_path": str(args.rq),
        "background_path": args.background,
        "livetime_scale": res.livetime_scale,
        "cut": args.cut,
        "n_events": res.n_events,
        "n_selected": res.n_selected,
    }
    text = (
        f"{args.rq}: {args.column} peak mean {fit['mean']:.4g} +- {fit.error('mean'):.2g}, "
        f"sigma {fit['sigma']:.4g} +- {fit.error('sigma'):.2g}, "
        f"sigma/mean {100 * (ex.get('resolution') or float('nan')):.2f} %, "
        f"chi2/ndf {fit.chi2:.1f}/{fit.ndf} ({fit.cost}, {fit.model})"
    )
    return _finish(args, fit, out, text)


def run_halflife(args: argparse.Namespace) -> int:
    """Execute ``larcal halflife``; return the exit code."""
    tables = {"kr": read_rq(args.rq)}
    settings = {
        "column": args.column,
        "range": list(args.range),
        "bin_s": args.bin_s,
        "exclude_before_s": args.exclude_before_s,
    }
    res = _named(args.rq, compute_halflife, _inputs(args, tables), settings)
    fit = res.fit
    out = {
        "half_life_s": fit["half_life_s"],
        "half_life_err_s": fit.error("half_life_s"),
        "half_life_h": fit.extra.get("half_life_h"),
        "half_life_err_h": fit.extra.get("half_life_err_h"),
        "background_hz": fit["background_hz"],
        "background_err_hz": fit.error("background_hz"),
        "r0_hz": fit["r0_hz"],
        "r0_err_hz": fit.error("r0_hz"),
        **_common(fit),
        "fit_range_s": fit.extra.get("fit_range_s"),
        "exclude_before_s": res.exclude_before_s,
        "bin_s": args.bin_s,
        "column": args.column,
        "window": list(res.window),
        "rq_path": str(args.rq),
        "cut": args.cut,
        "n_selected": res.n_selected,
    }
    text = (
        f"{args.rq}: half-life {fit['half_life_s'] / 3600:.4g} +- "
        f"{fit.error('half_life_s') / 3600:.2g} h, background {fit['background_hz']:.3g} Hz, "
        f"chi2/ndf {fit.chi2:.1f}/{fit.ndf}, "
        f"fitted after {(res.exclude_before_s or 0.0) / 3600:.3g} h"
    )
    return _finish(args, fit, out, text)


def run_delay(args: argparse.Namespace) -> int:
    """Execute ``larcal delay``; return the exit code."""
    tables = {"kr": read_rq(args.rq)}
    settings = {
        "min_ns": args.min_ns,
        "max_ns": args.max_ns,
        "amp_threshold_adc": args.amp_threshold_adc,
        "column": args.column,
        "range": None if args.range is None else list(args.range),
    }
    res = _named(args.rq, compute_delay, _inputs(args, tables), settings)
    fit = res.fit
    out = {
        "half_life_ns": fit["half_life_ns"],
        "half_life_err_ns": fit.error("half_life_ns"),
        "tau_ns": fit.extra.get("tau_ns"),
        "tau_err_ns": fit.extra.get("tau_err_ns"),
        "kept_fraction": fit.extra.get("kept_fraction"),
        "kept_fraction_err": fit.extra.get("kept_fraction_err"),
        **_common(fit),
        "fit_range_ns": fit.extra.get("fit_range_ns"),
        "rq_path": str(args.rq),
        "cut": args.cut,
        "n_selected": res.n_selected,
    }
    text = (
        f"{args.rq}: delay half-life {fit['half_life_ns']:.4g} +- "
        f"{fit.error('half_life_ns'):.2g} ns ({res.n_selected} delayed pulses, "
        f"{fit.extra.get('n_events')} in [{args.min_ns:g}, {args.max_ns:g}] ns)"
    )
    return _finish(args, fit, out, text)
