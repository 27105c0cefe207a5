"""Start the workbench: ``main(argv)`` for ``launch.py``, ``create_main_window`` for tests.

What to use when
----------------
- ``main(["--demo"])`` / ``main(["run1.h5", "run2.h5"])``: the application entry point
  (``python launch.py``, console script ``larcal-workbench``). ``--demo`` builds the demo
  campaign in the platform data directory on first use, in a job, then opens it.
- ``create_main_window(...)``: build state, job runner, settings, notifier, run loader and the
  window with its panes, without starting an event loop (tests, screenshot script).
"""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
from collections.abc import Sequence
from types import TracebackType

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QApplication

from analysis_core import __version__
from workbench.calibration import CalibrationState
from workbench.context import AppContext
from workbench.controllers.hpge_model import HpgeSession
from workbench.controllers.run_loader import RunLoader
from workbench.jobs import JobRunner
from workbench.main_window import MainWindow
from workbench.notify import Notifier
from workbench.reductions import Reductions
from workbench.registry import PaneSpec, default_panes
from workbench.settings import Settings
from workbench.state import SessionState

__all__ = ["build_parser", "create_main_window", "main"]

log = logging.getLogger(__name__)


def create_main_window(
    *,
    settings: Settings | None = None,
    inline_jobs: bool = False,
    panes: Sequence[PaneSpec] | None = None,
    show_dialogs: bool = True,
    restore_layout: bool = True,
) -> MainWindow:
    """Build the session objects and the main window (a ``QApplication`` must exist).

    Parameters
    ----------
    settings : Settings, optional
        UI preferences (default: ``Settings.open_default()``).
    inline_jobs : bool
        Run jobs synchronously (tests).
    panes : sequence of PaneSpec, optional
        Panes to dock (default: ``default_panes()``).
    show_dialogs : bool
        Show errors in message boxes as well as in the status bar.
    restore_layout : bool
        Restore the saved window layout.
    """
    settings = settings or Settings.open_default()
    state = SessionState()
    jobs = JobRunner(inline=inline_jobs)
    notifier = Notifier()
    loader = RunLoader(state, jobs, settings, notifier)
    calib = CalibrationState(state, settle_ms=0 if inline_jobs else CalibrationState.SETTLE_MS)
    reductions = Reductions(state, jobs, notifier)
    hpge = HpgeSession()
    ctx = AppContext(state, jobs, settings, notifier, loader, calib, reductions, hpge)
    window = MainWindow(
        ctx,
        default_panes() if panes is None else panes,
        show_dialogs=show_dialogs,
        restore_layout=restore_layout,
    )
    # The services live as long as the window (Qt ownership, no module globals).
    for obj in (state, jobs, notifier, loader, calib, reductions, hpge):
        obj.setParent(window)
    return window


def build_parser() -> argparse.ArgumentParser:
    """Return the command-line parser of ``launch.py``."""
    parser = argparse.ArgumentParser(
        prog="launch.py",
        description="LArCal Workbench: calibration of liquid-argon scintillation detectors.",
    )
    parser.add_argument("files", nargs="*", help="larcal-raw run files to open")
    parser.add_argument(
        "--demo",
        action="store_true",
        help="open the demo campaign (simulated into the user data directory on first use)",
    )
    parser.add_argument("--version", action="version", version=f"LArCal Workbench {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    return parser


class _ExceptionReporter(QObject):
    """Turns exceptions escaping Qt slots into notifications instead of silent stderr noise."""

    def __init__(self, notifier: Notifier) -> None:
        super().__init__(notifier)
        self._notifier = notifier
        self._previous = sys.excepthook

    def install(self) -> None:
        sys.excepthook = self.hook

    def uninstall(self) -> None:
        if sys.excepthook == self.hook:
            sys.excepthook = self._previous

    def hook(self, kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            self._previous(kind, exc, tb)
            return
        log.error("unhandled exception:\n%s", "".join(traceback.format_exception(kind, exc, tb)))
        self._notifier.error("Unexpected error (details in the log)", f"{kind.__name__}: {exc}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the workbench; return the exit code of the event loop."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("LArCal Workbench")
    app.setOrganizationName("LArCal")
    app.setApplicationVersion(__version__)
    window = create_main_window()
    reporter = _ExceptionReporter(window.ctx.notifier)
    reporter.install()
    try:
        window.show()
        if args.demo:
            window.ctx.loader.open_demo()
        if args.files:
            window.ctx.loader.open_files(args.files, select=args.files[0])
        return int(app.exec())
    finally:
        reporter.uninstall()
