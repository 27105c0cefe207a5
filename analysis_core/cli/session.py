"""``larcal session``: replay a saved GUI session headless; validate and compare constants files.

What to use when
----------------
- ``larcal session run SESSION --out CONSTANTS [--run ROLE=PATH ...] [--rq-dir DIR]
  [--spe auto|always|never] [--keep-going] [--json]``: replay the session (on new runs with
  ``--run``, e.g. ``--run kr=/data/kr_2019-03-01.h5``) and write the calibration-constants
  file. When ``CONSTANTS`` exists, the changes from it are listed (stdout, or ``changes`` in
  JSON) before it is replaced. ``--json`` prints one object: ``out``, ``light_yield`` (per
  analysis ``y_pe_per_kev``, ``y_err_pe_per_kev``), ``steps``, ``reduced`` (roles reduced
  during the replay), ``failed`` (step -> reason, with ``--keep-going``), ``warnings`` (step ->
  the warnings of its fits: poor chi2, fit not valid; also printed on stderr without
  ``--json``), ``changes`` (list of ``path``, ``kind``, ``old``, ``new``, ``relative_change``).
  The output location is checked before the replay: a missing folder, a folder given as
  ``CONSTANTS`` or one that cannot be written stops at once with exit 2.
- ``larcal session validate CONSTANTS [--json]``: check a constants file against its schema.
- ``larcal session diff OLD NEW [--json]``: list the changes between two constants files.
"""

from __future__ import annotations

import argparse
import errno
import os
import sys
from pathlib import Path
from typing import Any

from analysis_core.cli.common import TerminalProgress, print_json
from analysis_core.constants import (
    ConstantsFormatError,
    diff_constants,
    format_change,
    read_constants,
    write_constants,
)
from analysis_core.errors import CalibrationError
from analysis_core.session import load_session, replay_steps
from analysis_core.steps import ROLES

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add the ``session`` command (``run``, ``validate``, ``diff``) to the ``larcal`` parser."""
    p = subparsers.add_parser(
        "session",
        help="replay a saved calibration session; validate or compare constants files",
        description="Replay a calibration session saved from the workbench, headless.",
    )
    sub = p.add_subparsers(dest="session_command", metavar="ACTION", required=True)
    r = sub.add_parser("run", help="replay a session and write the calibration constants")
    r.add_argument("session", metavar="SESSION", help="session file (.json) saved from the GUI")
    r.add_argument("--out", required=True, metavar="CONSTANTS", help="constants file to write")
    r.add_argument(
        "--run",
        action="append",
        default=[],
        metavar="ROLE=PATH",
        help=f"replace the session's run of ROLE ({', '.join(ROLES)}) by a raw file",
    )
    r.add_argument(
        "--rq-dir", metavar="DIR", help="write new reductions here (default: beside raw)"
    )
    r.add_argument(
        "--spe",
        choices=("auto", "always", "never"),
        default="auto",
        help="recompute SPE gains: auto = when the session fitted them (default)",
    )
    r.add_argument(
        "--keep-going",
        action="store_true",
        help="leave a failing step without result (listed in 'failed') instead of stopping",
    )
    r.add_argument("--json", action="store_true", help="print one JSON summary on stdout")
    r.set_defaults(func=_run)
    v = sub.add_parser("validate", help="check a constants file against its JSON Schema")
    v.add_argument("constants", metavar="CONSTANTS")
    v.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    v.set_defaults(func=_validate)
    d = sub.add_parser("diff", help="list the changes between two constants files")
    d.add_argument("old", metavar="OLD")
    d.add_argument("new", metavar="NEW")
    d.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    d.set_defaults(func=_diff)


def _overrides(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        role, sep, path = item.partition("=")
        if not sep or not path or role not in ROLES:
            raise CalibrationError(f"--run {item!r}: expected ROLE=PATH with ROLE in {ROLES}")
        out[role] = path
    return out


def _changes_json(changes: list[Any]) -> list[dict[str, Any]]:
    return [
        {
            "path": c.path,
            "kind": c.kind,
            "old": c.old,
            "new": c.new,
            "relative_change": c.relative_change,
        }
        for c in changes
    ]


def _check_output(path: str | os.PathLike[str]) -> Path:
    """Return ``path`` if a file can be written there; ``OSError`` naming it if not."""
    out = Path(path)
    folder = out.parent if str(out.parent) else Path(".")
    if out.is_dir():
        raise IsADirectoryError(errno.EISDIR, "is a folder, not a constants file", str(out))
    if not folder.is_dir():
        fault = "is not a folder" if folder.exists() else "does not exist"
        raise FileNotFoundError(errno.ENOENT, f"folder {str(folder)!r} {fault}", str(out))
    if not os.access(folder, os.W_OK | os.X_OK) or (out.exists() and not os.access(out, os.W_OK)):
        raise PermissionError(errno.EACCES, "cannot be written (permission denied)", str(out))
    return out


def _run(args: argparse.Namespace) -> int:
    out = _check_output(args.out)
    session = load_session(args.session)
    spe = {"auto": None, "always": True, "never": False}[args.spe]
    bar = TerminalProgress("session", enabled=not args.json and sys.stderr.isatty())
    outcome = replay_steps(
        session,
        _overrides(args.run),
        bar,
        session_file=args.session,
        rq_dir=args.rq_dir,
        spe=spe,
        strict=not args.keep_going,
    )
    changes: list[Any] = []
    if out.exists():
        try:
            changes = diff_constants(read_constants(out), outcome.constants)
        except ConstantsFormatError as exc:
            print(f"larcal: warning: previous constants not compared: {exc}", file=sys.stderr)
    try:
        write_constants(out, outcome.constants)
    except OSError as exc:  # name the constants file, not the temporary file beside it
        raise OSError(exc.errno, exc.strerror or str(exc), str(out)) from None
    ly = {
        a: {"y_pe_per_kev": v["y_pe_per_kev"], "y_err_pe_per_kev": v["y_err_pe_per_kev"]}
        for a, v in outcome.constants["light_yield"].items()
    }
    if args.json:
        print_json(
            {
                "out": str(out),
                "light_yield": ly,
                "steps": list(outcome.results),
                "reduced": list(outcome.reduced),
                "failed": outcome.failed,
                "warnings": outcome.warnings,
                "changes": _changes_json(changes),
            }
        )
        return 0
    for line in (format_change(c) for c in changes):
        print(line)
    for step, why in outcome.failed.items():
        print(f"larcal: warning: step {step} left without result: {why}", file=sys.stderr)
    for step, text in outcome.warnings.items():
        print(f"larcal: warning: step {step}: {text}", file=sys.stderr)
    text = ", ".join(
        f"Y_{a} = {v['y_pe_per_kev']:.3f} +- {v['y_err_pe_per_kev']:.3f} PE/keV"
        for a, v in ly.items()
    )
    print(f"{out}: constants from {len(outcome.results)} step(s); {text or 'no light yield'}")
    return 0


def _validate(args: argparse.Namespace) -> int:
    doc = read_constants(args.constants)
    if args.json:
        print_json({"path": args.constants, "valid": True, "format_version": doc["format_version"]})
    else:
        print(f"{args.constants}: valid {doc['format']} version {doc['format_version']}")
    return 0


def _diff(args: argparse.Namespace) -> int:
    changes = diff_constants(read_constants(args.old), read_constants(args.new))
    if args.json:
        print_json({"old": args.old, "new": args.new, "changes": _changes_json(changes)})
    else:
        for c in changes:
            print(format_change(c))
        print(f"{len(changes)} change(s)")
    return 0
