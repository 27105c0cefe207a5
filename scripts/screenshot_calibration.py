"""Walk through a whole calibration on the demo campaign (offscreen) and grab every pane.

Usage::

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshot_calibration.py [--out DIR]
        [--demo-dir DIR]

Like a user: open the demo campaign (a scratch copy: reductions write beside the raw files),
fit the SPE gains, reduce every run with the Analysis A gains, let the Cuts, Spectrum & fit, Kr
timing, Components and Linearity panes compute, then save ``calib_<pane>.png`` for each pane
(the whole window with that pane's tab in front), plus the constants file the Export pane
would write (``calib_constants.json``) and the session (``calib_session.json``). Prints the
headline numbers; ``larcal session run calib_session.json --out C.json`` replays it headless.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

PANES = ("spe", "cuts", "spectrum_fit", "kr_timing", "components", "linearity", "export")


def _settle(app, seconds: float = 0.3) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def main(argv: list[str] | None = None) -> int:
    """Run the calibration on the demo campaign and save one screenshot per pane."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="/work/notes/screens", help="output directory")
    parser.add_argument("--demo-dir", default=None, help="demo campaign directory")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="larcal-calib-"))
    os.environ["LARCAL_CONFIG_DIR"] = str(scratch / "config")

    from PySide6.QtWidgets import QApplication

    from analysis_core.sim.demo import ensure_demo_campaign
    from workbench.app import create_main_window

    app = QApplication.instance() or QApplication(sys.argv[:1])
    runs = []
    for p in ensure_demo_campaign(args.demo_dir):
        if p.suffix == ".h5":
            runs.append(scratch / p.name)
            shutil.copyfile(p, runs[-1])

    window = create_main_window(inline_jobs=True, show_dialogs=False, restore_layout=False)
    window.resize(1600, 1000)
    window.show()
    ctx = window.ctx
    ctx.loader.open_files([str(p) for p in runs])
    _settle(app)

    spe = window.binding("spe")
    spe.controller.fit()
    _settle(app)
    spe.widget.reduce_button.click()  # every run reduced with the active (A) gains
    _settle(app, 1.0)

    for key in PANES:
        dock = window.dock(key)
        dock.raise_()
        _settle(app, 0.5)
        window.grab().save(str(out / f"calib_{key}.png"))
        print(f"wrote {out / f'calib_{key}.png'}")

    for step in ("spe", "peak_fit", "halflife", "delay", "components_a", "components_b"):
        result = ctx.calib.result(step)
        print(f"{step}: {'computed' if result is not None else 'not computed'}")
    export = window.binding("export").controller
    export.refresh()
    _settle(app)
    constants = export.document
    if constants is None:
        print("constants: not built")
    else:
        (out / "calib_constants.json").write_text(json.dumps(constants, indent=1))
        for analysis, fit in constants.get("light_yield", {}).items():
            print(
                f"Y_{analysis} = {fit['y_pe_per_kev']:.4f} +- {fit['y_err_pe_per_kev']:.4f} PE/keV"
            )
    export.sessions.save(str(out / "calib_session.json"))
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
