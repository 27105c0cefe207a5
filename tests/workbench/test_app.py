"""Entry points: launch.py and workbench.app.main."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication

from workbench.app import build_parser, main
from workbench.main_window import MainWindow

ROOT = Path(__file__).resolve().parents[2]


def test_parser():
    args = build_parser().parse_args(["--demo", "a.h5", "b.h5"])
    assert args.demo
    assert args.files == ["a.h5", "b.h5"]
    assert build_parser().parse_args([]).files == []


def test_launch_script_runs_from_the_checkout():
    out = subprocess.run(
        [sys.executable, str(ROOT / "launch.py"), "--version"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT.parent,  # not the repo: launch.py must find its packages by itself
        timeout=60,
    )
    assert out.stdout.startswith("LArCal Workbench ")


def test_main_opens_files_in_order(qtbot, kr_run, bkg_run, monkeypatch):
    app = QApplication.instance()
    before = set(app.topLevelWidgets())
    seen = {}

    def fake_exec(self):
        # Stands in for app.exec(): quitting pytest-qt's application would end every later
        # event loop of the session, so the check runs in a local loop while main() waits.
        (window,) = [
            w for w in app.topLevelWidgets() if isinstance(w, MainWindow) and w not in before
        ]
        state = window.ctx.state
        qtbot.waitUntil(lambda: len(state.runs) == 2, timeout=30_000)
        qtbot.waitUntil(lambda: window.ctx.jobs.active_count() == 0, timeout=30_000)
        seen.update(runs=list(state.runs), current=state.current_run, visible=window.isVisible())
        window.close()
        return 0

    monkeypatch.setattr(type(app), "exec", fake_exec)
    assert main([str(bkg_run), str(kr_run)]) == 0
    assert seen["runs"] == [str(bkg_run.resolve()), str(kr_run.resolve())]  # asked order
    assert seen["current"] == str(bkg_run.resolve())  # the first file is selected
    assert seen["visible"]
