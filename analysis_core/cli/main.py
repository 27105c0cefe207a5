"""Dispatch of the ``larcal`` command line."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from analysis_core import __version__
from analysis_core.errors import LarcalError
from analysis_core.progress import Cancelled

__all__ = ["build_parser", "main", "os_error_text"]

#: Modules of ``analysis_core.cli`` that register sub-commands, in help order.
COMMAND_MODULES = ("simulate", "reduce", "spe", "fit", "components", "hpge", "session")


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every sub-command."""
    parser = argparse.ArgumentParser(
        prog="larcal",
        description="LArCal Workbench: simulate, reduce and calibrate liquid-argon runs.",
    )
    parser.add_argument("--version", action="version", version=f"larcal {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log progress details to stderr"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(f"analysis_core.cli.{name}").register(sub)
    return parser


def os_error_text(exc: OSError) -> str:
    """Return ``<file>: <fault>`` for an ``OSError`` (its message when it names no file)."""
    fault = exc.strerror or str(exc) or type(exc).__name__
    if exc.filename is None:
        return fault
    other = f" -> {exc.filename2}" if exc.filename2 is not None else ""
    return f"{exc.filename}{other}: {fault}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the process exit code.

    Errors of the analysis core and operating-system errors (a file that cannot be read or
    written) print one line ``larcal: error: <file>: <fault>`` on stderr and return 2; a
    cancelled run (Ctrl-C) returns 130. No partial output file is left behind.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s"
    )
    try:
        return int(args.func(args) or 0)
    except LarcalError as exc:
        print(f"larcal: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"larcal: error: {os_error_text(exc)}", file=sys.stderr)
        return 2
    except (Cancelled, KeyboardInterrupt):
        print("larcal: cancelled", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
