"""``larcal components``: Analysis A and/or B of the 83mKr component separation from RQ files.

What to use when
----------------
- ``register(subparsers)``: adds ``components`` to the ``larcal`` parser.
- ``larcal components --kr KR_RQ.h5 --background BKG_RQ.h5 --co57 CO57_RQ.h5 [--analysis A|B]
  [--settings-a JSON] [--settings-b JSON] [--cut EXPR] --json``: the same
  ``compute_components_a/b`` the GUI and the session replay call. JSON: per analysis the 9.4 and
  32.1 keV light with errors and Y per keV, plus the full result (``to_dict``).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from analysis_core.components.analysis_a import compute_components_a
from analysis_core.components.analysis_b import compute_components_b
from analysis_core.components.lightyield import KR_ENERGIES_KEV, light_yield
from analysis_core.errors import CalibrationError
from analysis_core.rqfile import read_rq
from analysis_core.steps import StepInputs

__all__ = ["register", "run_components"]


def register(subparsers: Any) -> None:
    """Add ``components`` to the ``larcal`` parser."""
    p = subparsers.add_parser(
        "components",
        help="9.4 and 32.1 keV light of 83mKr by Analysis A (amplitudes) and B (I35:I55)",
        description="Analysis A needs the Kr and background (39Ar) RQ files, Analysis B the Kr "
        "and 57Co RQ files. Exit 1 when a requested analysis fails.",
    )
    p.add_argument("--kr", required=True, metavar="KR_RQ", help="RQ file of the 83mKr run")
    p.add_argument("--background", metavar="BKG_RQ", help="RQ file of a 39Ar run (Analysis A)")
    p.add_argument("--co57", metavar="CO57_RQ", help="RQ file of a 57Co run (Analysis B)")
    p.add_argument("--analysis", choices=("A", "B", "both"), default="both")
    p.add_argument("--settings-a", metavar="JSON", default="{}", help="step settings of A")
    p.add_argument("--settings-b", metavar="JSON", default="{}", help="step settings of B")
    p.add_argument("--cut", metavar="EXPR", help="cut expression applied to every run")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(func=run_components)


def _settings(text: str, flag: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CalibrationError(f"{flag}: not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise CalibrationError(f"{flag}: expected a JSON object, got {type(value).__name__}")
    return value


def _summary(points: list[dict[str, Any]]) -> dict[str, Any]:
    out = {}
    for p in points:
        y, ye = light_yield(p["pe"], p["pe_err"], p["energy_kev"])
        key = next(
            (k for k, e in KR_ENERGIES_KEV.items() if abs(e - p["energy_kev"]) < 0.01),
            f"{p['energy_kev']:g}",
        )
        out[key] = {
            "energy_kev": p["energy_kev"],
            "pe": p["pe"],
            "pe_err": p["pe_err"],
            "yield_pe_per_kev": y,
            "yield_err_pe_per_kev": ye,
        }
    return out


def run_components(args: argparse.Namespace) -> int:
    """Run the requested analyses; print JSON or a short table."""
    from analysis_core.cli.common import print_json  # the CLI helpers, only when run

    rq = {"kr": read_rq(args.kr)}
    if args.background:
        rq["background"] = read_rq(args.background)
    if args.co57:
        rq["co57"] = read_rq(args.co57)
    cuts = None
    if args.cut:
        from analysis_core.cuts import CutSet, ExpressionCut

        cuts = CutSet((ExpressionCut("cli", args.cut),))
    inputs = StepInputs(rq=rq, cuts=cuts)
    want = ("A", "B") if args.analysis == "both" else (args.analysis,)
    out: dict[str, Any] = {}
    for name in want:
        if name == "A":
            res = compute_components_a(inputs, _settings(args.settings_a, "--settings-a"))
        else:
            res = compute_components_b(inputs, _settings(args.settings_b, "--settings-b"))
        out[name] = {"light": _summary(res.light_points()), "result": res.to_dict()}
    if args.json:
        print_json(out)
    else:
        for name, block in out.items():
            for key, v in block["light"].items():
                sys.stdout.write(
                    f"{name} {key:>5} keV: {v['pe']:7.1f} +- {v['pe_err']:.1f} PE  "
                    f"Y = {v['yield_pe_per_kev']:.2f} +- {v['yield_err_pe_per_kev']:.2f} PE/keV\n"
                )
    return 0
