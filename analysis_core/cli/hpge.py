"""``larcal hpge``: efficiency curves, container attenuation, source activities, nuclear data.

What to use when
----------------
- ``larcal hpge efficiency SPECTRUM... --source NUCLIDE --activity-bq A --reference-date D``:
  efficiency points from certified sources and the fitted curve (``--out CURVE.json``). Several
  spectra combine (57Co + 152Eu): repeat ``--source``/``--activity-bq``/... once per spectrum,
  in the same order (one value applies to all spectra). ``--point E EFF EFF_ERR`` adds points
  you already have.
- ``larcal hpge attenuation --inside IN --outside OUT --source NUCLIDE``: container transmission
  points and a model (``--out ATT.json``); ``--point E MU MU_ERR`` for known values.
- ``larcal hpge activity --line N N_ERR EFF EFF_ERR MU MU_ERR Y Y_ERR ... --live-time T``: the
  paper's Eq. (3.1) per line and the GLS combination (Table 1 can be recomputed).
  ``larcal hpge activity --spectrum RB83.Spe --efficiency CURVE.json [--attenuation ATT.json |
  --mu MU MU_ERR]``: the same from a spectrum through the peak pipeline.
- ``larcal hpge nuclide NAME``: the shipped decay data of one nuclide.

Flags and JSON keys named in ``spec/interfaces.md`` section 3 are stable.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from typing import Any

from analysis_core.cli.common import TerminalProgress, print_json
from analysis_core.errors import CalibrationError
from analysis_core.hpge.activity import (
    ActivityLineInput,
    ActivityResult,
    DaughterActivity,
    combine_activities,
    expected_daughter_activity,
)
from analysis_core.hpge.activity_report import (
    format_activity_report,
    format_attenuation_report,
    format_efficiency_report,
)
from analysis_core.hpge.activity_spectrum import activity_from_analysis
from analysis_core.hpge.attenuation import (
    AttenuationPoint,
    attenuation_points,
    fit_attenuation,
    load_attenuation,
)
from analysis_core.hpge.efficiency import DEFAULT_E0_KEV, fit_efficiency, load_efficiency_curve
from analysis_core.hpge.efficiency_points import EfficiencyPoint, efficiency_points
from analysis_core.hpge.nuclides import SUMMING_FLAGS, get_nuclide, nuclear_data_info
from analysis_core.hpge.sources import CountingInterval, SourceCertificate, parse_datetime

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add ``hpge`` and its sub-commands to the ``larcal`` parser."""
    hpge = subparsers.add_parser(
        "hpge",
        help="HPGe efficiency, attenuation and source activity",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = hpge.add_subparsers(dest="hpge_command", metavar="SUBCOMMAND")
    sub.required = True
    _register_efficiency(sub)
    _register_attenuation(sub)
    _register_activity(sub)
    nuc = sub.add_parser("nuclide", help="print the shipped decay data of a nuclide")
    nuc.add_argument("name", help="e.g. Eu-152, 152Eu, Rb-83")
    nuc.add_argument("--library", help="DDEP or ENSDF (default: the table's default)")
    nuc.add_argument("--json", action="store_true", help="print one JSON object")
    nuc.set_defaults(func=_run_nuclide)


def _common_analysis_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--tolerance-kev", type=float, default=2.0, help="line matching tolerance")
    p.add_argument("--min-intensity", type=float, default=0.005, help="weakest line to look for")
    p.add_argument("--area", choices=("fit", "roi"), default="fit", help="net area source")
    p.add_argument("--library", help="nuclear-data library (DDEP or ENSDF)")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def _register_efficiency(sub: Any) -> None:
    p = sub.add_parser(
        "efficiency",
        help="efficiency points and curve from certified sources",
        description="Efficiency points from source spectra and the fitted curve "
        "ln eps = sum a_i ln(E/E0)^i. Per-spectrum options are given once per spectrum, in "
        "order, or once for all.",
    )
    p.add_argument("spectra", nargs="*", metavar="SPECTRUM", help="source spectrum files")
    p.add_argument("--source", action="append", default=[], metavar="NUCLIDE")
    p.add_argument("--activity-bq", action="append", type=float, default=[], metavar="A")
    p.add_argument("--activity-err-bq", action="append", type=float, default=[], metavar="E")
    p.add_argument("--reference-date", action="append", default=[], metavar="YYYY-MM-DD")
    p.add_argument("--label", action="append", default=[], help="source label (serial no.)")
    p.add_argument("--live-time", action="append", type=float, default=[], metavar="S")
    p.add_argument("--real-time", action="append", type=float, default=[], metavar="S")
    p.add_argument("--start", action="append", default=[], help="count start (overrides file)")
    p.add_argument(
        "--point", action="append", nargs=3, type=float, default=[], metavar=("E", "EFF", "ERR")
    )
    p.add_argument("--order", type=int, default=3, help="polynomial order 2-5 (default 3)")
    p.add_argument("--e0-kev", type=float, default=DEFAULT_E0_KEV, help="reference energy E0")
    p.add_argument("--exclude", nargs="+", type=float, default=[], metavar="KEV")
    p.add_argument("--exclude-summing", action="store_true", help="drop summing-prone lines")
    p.add_argument("--exclude-flag", action="append", default=[], help="drop lines with a flag")
    p.add_argument("--out", help="write the curve to this JSON file")
    _common_analysis_options(p)
    p.set_defaults(func=_run_efficiency)


def _register_attenuation(sub: Any) -> None:
    p = sub.add_parser("attenuation", help="container transmission mu(E) from in/out counts")
    p.add_argument("--inside", action="append", default=[], metavar="SPECTRUM")
    p.add_argument("--outside", action="append", default=[], metavar="SPECTRUM")
    p.add_argument("--source", action="append", default=[], metavar="NUCLIDE")
    p.add_argument(
        "--point", action="append", nargs=3, type=float, default=[], metavar=("E", "MU", "ERR")
    )
    p.add_argument("--kind", choices=("power", "interp", "constant"), default="power")
    p.add_argument("--evaluate", nargs="+", type=float, default=[], metavar="KEV")
    p.add_argument("--out", help="write the model to this JSON file")
    _common_analysis_options(p)
    p.set_defaults(func=_run_attenuation)


def _register_activity(sub: Any) -> None:
    p = sub.add_parser(
        "activity",
        help="source activity per line (Eq. 3.1) and combined",
        description="Activity per gamma line, A = N / (eta' mu t Y) (Eq. 3.1 of the 83mKr "
        "paper; with --decay-during-counting the extended form with D), combined by "
        "generalised least squares with the correlated uncertainties.",
    )
    p.add_argument(
        "--line",
        action="append",
        nargs=8,
        type=float,
        default=[],
        metavar=("N", "N_ERR", "EFF", "EFF_ERR", "MU", "MU_ERR", "Y", "Y_ERR"),
    )
    p.add_argument("--energy", nargs="+", type=float, default=[], metavar="KEV")
    p.add_argument("--spectrum", help="spectrum of the source to assay")
    p.add_argument("--efficiency", help="efficiency curve JSON (larcal hpge efficiency --out)")
    p.add_argument("--attenuation", help="attenuation model JSON (larcal hpge attenuation --out)")
    p.add_argument("--mu", nargs=2, type=float, metavar=("MU", "MU_ERR"), help="one mu for all")
    p.add_argument("--nuclide", default="Rb-83", help="nuclide assayed (default Rb-83)")
    p.add_argument("--live-time", type=float, help="live time in s (the paper's t)")
    p.add_argument("--real-time", type=float, help="real time in s")
    p.add_argument("--start", help="count start YYYY-MM-DDTHH:MM:SS")
    p.add_argument("--date", help="decay the activity to this date")
    p.add_argument(
        "--decay-during-counting",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="apply D = (1-exp(-lambda t))/(lambda t) (default: off for --line, on for --spectrum)",
    )
    p.add_argument("--efficiency-correlation", type=float, default=1.0, metavar="RHO")
    p.add_argument("--attenuation-correlation", type=float, default=1.0, metavar="RHO")
    p.add_argument("--normalisation-rel-err", type=float, metavar="X")
    p.add_argument("--exclude", nargs="+", type=float, default=[], metavar="KEV")
    p.add_argument("--exclude-summing", action="store_true")
    _common_analysis_options(p)
    p.set_defaults(func=_run_activity)


def _per_spectrum(values: list[Any], n: int, name: str, default: Any = None) -> list[Any]:
    if not values:
        return [default] * n
    if len(values) == 1:
        return values * n
    if len(values) != n:
        raise CalibrationError(f"{name} given {len(values)} times for {n} spectra")
    return values


def _analyse(path: str, nuclide: str, args: argparse.Namespace) -> Any:
    from analysis_core.hpge.identify import analyse_source_spectrum
    from analysis_core.hpge.readers import read_spectrum

    spectrum = read_spectrum(path)
    progress = TerminalProgress(f"{path}", enabled=not args.json and sys.stderr.isatty())
    return analyse_source_spectrum(
        spectrum,
        [get_nuclide(nuclide, args.library)],
        energy_tolerance_kev=args.tolerance_kev,
        min_intensity=args.min_intensity,
        progress=progress,
    )


def _analysis_summary(analysis: Any) -> dict[str, Any]:
    cal = analysis.energy_cal
    fwhm = getattr(analysis, "fwhm_model", None)
    return {
        "path": getattr(analysis.spectrum, "path", ""),
        "energy_calibration": {"coefficients": list(cal.coefficients), "source": cal.source},
        "energy_cal_residuals_kev": list(analysis.energy_cal_residuals_kev),
        "fwhm_model": fwhm.to_dict() if hasattr(fwhm, "to_dict") else None,
        "notes": list(getattr(analysis, "notes", ())),
    }


def _run_efficiency(args: argparse.Namespace) -> int:
    n = len(args.spectra)
    if n == 0 and not args.point:
        raise CalibrationError("give at least one SPECTRUM (with --source ...) or --point")
    if n and not (args.source and args.activity_bq and args.reference_date):
        raise CalibrationError("each SPECTRUM needs --source, --activity-bq and --reference-date")
    sources = _per_spectrum(args.source, n, "--source")
    acts = _per_spectrum(args.activity_bq, n, "--activity-bq")
    errs = _per_spectrum(args.activity_err_bq, n, "--activity-err-bq", 0.0)
    dates = _per_spectrum(args.reference_date, n, "--reference-date")
    labels = _per_spectrum(args.label, n, "--label", "")
    lives = _per_spectrum(args.live_time, n, "--live-time")
    reals = _per_spectrum(args.real_time, n, "--real-time")
    starts = _per_spectrum(args.start, n, "--start")
    points: list[EfficiencyPoint] = []
    spectra: list[dict[str, Any]] = []
    warnings: list[str] = []
    for i, path in enumerate(args.spectra):
        cert = SourceCertificate(
            sources[i], acts[i], errs[i], parse_datetime(dates[i]), labels[i], args.library
        )
        if errs[i] == 0:
            warnings.append(f"{path}: no --activity-err-bq: the source uncertainty is left out")
        analysis = _analyse(path, cert.nuclide, args)
        start = parse_datetime(starts[i]) if starts[i] else None
        pts = efficiency_points(
            analysis, cert, live_time_s=lives[i], real_time_s=reals[i], start=start, area=args.area
        )
        counting = CountingInterval.from_spectrum(
            analysis.spectrum, start=start, live_time_s=lives[i], real_time_s=reals[i]
        )
        points += pts
        spectra.append(
            {
                **_analysis_summary(analysis),
                "certificate": cert.to_dict(),
                "counting": counting.to_dict(),
                "activity_at_start_bq": cert.activity_at(counting.start),
            }
        )
    for e, eff, err in args.point:
        points.append(EfficiencyPoint.from_value(e, eff, err, source_label="--point"))
    flags = set(args.exclude_flag) | (set(SUMMING_FLAGS) if args.exclude_summing else set())
    curve = fit_efficiency(
        points,
        order=args.order,
        e0_kev=args.e0_kev,
        exclude_energies_kev=args.exclude,
        exclude_flags=flags,
        extra={"spectra": spectra, "warnings": warnings},
    )
    if args.out:
        curve.save(args.out)
    d = curve.to_dict()
    for p, r in zip(d["points"], d.pop("residuals"), strict=True):
        p["residual_relative"] = r["relative"]
        p["pull"] = r["pull"]
    d.pop("extra")
    d["spectra"] = spectra
    d["energy_calibrations"] = [s["energy_calibration"] for s in spectra]
    d["warnings"] = warnings
    d["nuclear_data"] = {"version": nuclear_data_info()["version"], "library": args.library}
    d["out"] = args.out
    if args.json:
        print_json(d)
    else:
        for w in warnings:
            print(f"warning: {w}", file=sys.stderr)
        print(format_efficiency_report(curve))
        if args.out:
            print(f"Curve written to {args.out}")
    return 0


def _run_attenuation(args: argparse.Namespace) -> int:
    n = len(args.inside)
    if n != len(args.outside):
        raise CalibrationError(f"--inside given {n} times but --outside {len(args.outside)} times")
    if n == 0 and not args.point:
        raise CalibrationError("give --inside/--outside spectrum pairs (with --source) or --point")
    sources = _per_spectrum(args.source, n, "--source") if n else []
    if n and not args.source:
        raise CalibrationError("each --inside/--outside pair needs --source")
    points: list[AttenuationPoint] = []
    for i in range(n):
        nuc = get_nuclide(sources[i], args.library).name
        points += attenuation_points(
            _analyse(args.inside[i], nuc, args),
            _analyse(args.outside[i], nuc, args),
            nuc,
            tolerance_kev=min(args.tolerance_kev, 0.5),
        )
    points += [AttenuationPoint(e, mu, err, "--point") for e, mu, err in args.point]
    model = fit_attenuation(points, kind=args.kind)
    if args.out:
        model.save(args.out)
    d = model.to_dict()
    d["evaluated"] = [
        {"energy_kev": e, "mu": model.mu(e), "mu_err": model.mu_err(e)} for e in args.evaluate
    ]
    d["out"] = args.out
    if args.json:
        print_json(d)
    else:
        print(format_attenuation_report(model))
        for row in d["evaluated"]:
            print(f"  mu({row['energy_kev']:g} keV) = {row['mu']:.4f} +- {row['mu_err']:.4f}")
    return 0


def _daughters(result: ActivityResult) -> list[DaughterActivity]:
    if not result.nuclide:
        return []
    nuc = get_nuclide(result.nuclide)
    return [
        expected_daughter_activity(result.activity_bq, result.activity_err_bq, nuc, d.name)
        for d in nuc.daughters
    ]


def _activity_from_lines(args: argparse.Namespace) -> ActivityResult:
    if args.live_time is None:
        raise CalibrationError("--line needs --live-time (the paper's t)")
    if args.energy and len(args.energy) != len(args.line):
        raise CalibrationError(f"--energy has {len(args.energy)} values for {len(args.line)} lines")
    energies = args.energy or [float("nan")] * len(args.line)  # unknown: null in the JSON
    nuc = get_nuclide(args.nuclide, args.library)
    lines = [
        ActivityLineInput(e, n, n_err, eff, eff_err, y, y_err, args.live_time, mu, mu_err)
        for e, (n, n_err, eff, eff_err, mu, mu_err, y, y_err) in zip(
            energies, args.line, strict=True
        )
    ]
    decay = bool(args.decay_during_counting)
    if decay and args.real_time is None:
        raise CalibrationError("--decay-during-counting needs --real-time")
    return combine_activities(
        lines,
        efficiency_correlation=args.efficiency_correlation,
        attenuation_correlation=args.attenuation_correlation,
        normalisation_rel_err=args.normalisation_rel_err or 0.0,
        decay_constant_per_s=nuc.decay_constant_per_s if decay else 0.0,
        real_time_s=args.real_time if args.real_time is not None else args.live_time,
        start=parse_datetime(args.start) if args.start else None,
        nuclide=nuc.name,
        library=nuc.library,
        extra={"form": "lines"},
    )


def _activity_from_spectrum(args: argparse.Namespace) -> ActivityResult:
    if not args.efficiency:
        raise CalibrationError("--spectrum needs --efficiency CURVE.json")
    if args.attenuation and args.mu:
        raise CalibrationError("give --attenuation or --mu, not both")
    curve = load_efficiency_curve(args.efficiency)
    att: Any = load_attenuation(args.attenuation) if args.attenuation else None
    if args.mu:
        att = (args.mu[0], args.mu[1])
    nuc = get_nuclide(args.nuclide, args.library)
    analysis = _analyse(args.spectrum, nuc.name, args)
    counting = CountingInterval.from_spectrum(
        analysis.spectrum,
        start=parse_datetime(args.start) if args.start else None,
        live_time_s=args.live_time,
        real_time_s=args.real_time,
    )
    result = activity_from_analysis(
        analysis,
        nuc,
        curve,
        attenuation=att,
        counting=counting,
        exclude_energies_kev=args.exclude,
        exclude_flags=SUMMING_FLAGS if args.exclude_summing else (),
        area=args.area,
        decay_during_counting=args.decay_during_counting is not False,
    )
    extra = {**result.extra, "analysis": _analysis_summary(analysis), "curve": args.efficiency}
    return replace(result, extra=extra)


def _run_activity(args: argparse.Namespace) -> int:
    if bool(args.line) == bool(args.spectrum):
        raise CalibrationError("give either --line ... (repeated) or --spectrum, not both")
    result = _activity_from_lines(args) if args.line else _activity_from_spectrum(args)
    measured = result
    if args.date:
        nuc = get_nuclide(result.nuclide, args.library)
        result = result.decayed_to(parse_datetime(args.date), nuc.half_life_s, nuc.half_life_err_s)
    daughters = _daughters(result)
    d = result.to_dict()
    d["activity_at_measurement"] = {
        "activity_bq": measured.activity_bq,
        "activity_err_bq": measured.activity_err_bq,
        "reference_time": measured.reference_time.isoformat() if measured.reference_time else None,
    }
    d["expected_daughters"] = [x.to_dict() for x in daughters]
    kr = next((x for x in daughters if x.name == "Kr-83m"), None)
    d["kr83m"] = kr.to_dict() if kr else None
    d["nuclear_data_version"] = nuclear_data_info()["version"]
    if args.json:
        print_json(d)
    else:
        print(format_activity_report(result, daughters))
    return 0


def _run_nuclide(args: argparse.Namespace) -> int:
    nuc = get_nuclide(args.name, args.library)
    if args.json:
        print_json(nuc.to_dict())
        return 0
    print(f"{nuc.name} ({nuc.library}: {nuc.evaluation}), half-life {nuc.half_life_s:.6g} s")
    for ln in nuc.lines:
        flags = ", ".join(sorted(ln.flags))
        print(f"  {ln.energy_kev:10.4f} keV  {100 * ln.intensity:9.4f} %  {flags}")
    if nuc.notes:
        print(nuc.notes)
    return 0
