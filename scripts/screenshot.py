"""Grab screenshots of the workbench on the demo campaign (offscreen), for review and docs.

Usage::

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshot.py [--out DIR] [--demo-dir DIR]

Builds the demo campaign on first use (like ``launch.py --demo``), opens it, picks an 83mKr
event whose delayed 9.4 keV pulse is well separated from the prompt one, and saves:

- ``window.png``: the whole window, full digitised record;
- ``window_zoom.png``: the whole window, zoomed on t0 … t0 + 500 ns;
- ``waveforms_zoom.png``: the waveform pane alone, zoomed;
- ``raw_view.png``: the waveform pane showing raw ADC samples and baselines;
- ``reduced.png``: the window after reducing the run from the GUI (RQs from the file).

The settings go to a temporary directory, and the reduction writes into a temporary copy of
the Kr run, so the user's configuration and demo campaign are left untouched.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def pick_event(kr_path: Path) -> int:
    """Return an event with a clear delayed pulse: 250-450 ns after t0, large amplitude."""
    from analysis_core.reduction import reduce_raw

    rq = reduce_raw(kr_path, hash_input=False)
    delay, amp, total = rq["delayed_time_ns"], rq["delayed_amp_adc"], rq["total_pe"]
    ok = (delay > 250) & (delay < 450) & np.isfinite(amp) & np.isfinite(total)
    candidates = np.flatnonzero(ok)
    if candidates.size == 0:
        return 0
    best = candidates[np.argsort(amp[candidates])[::-1]]
    # the strongest delayed pulses may be pile-up: take a typical one from the top decile
    return int(best[min(len(best) // 10, len(best) - 1)])


def main(argv: list[str] | None = None) -> int:
    """Build the campaign if needed, open it and save the screenshots."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="/work/notes/screens", help="output directory")
    parser.add_argument("--demo-dir", default=None, help="demo campaign directory")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="larcal-screens-"))
    os.environ["LARCAL_CONFIG_DIR"] = str(scratch / "config")

    from PySide6.QtWidgets import QApplication

    from analysis_core.sim.demo import ensure_demo_campaign
    from workbench.app import create_main_window

    app = QApplication.instance() or QApplication(sys.argv[:1])
    runs = [p for p in ensure_demo_campaign(args.demo_dir) if p.suffix == ".h5"]
    kr = next(p for p in runs if p.name == "kr_run.h5")
    kr_copy = scratch / "kr_run.h5"
    shutil.copyfile(kr, kr_copy)
    event = pick_event(kr)

    window = create_main_window(inline_jobs=True, show_dialogs=False, restore_layout=False)
    window.resize(1500, 900)
    window.show()
    loader, state = window.ctx.loader, window.ctx.state
    loader.open_files([p for p in runs if p != kr] + [kr_copy], select=str(kr_copy))
    state.set_current_event(event)
    waves = window.binding("waveforms").widget
    app.processEvents()
    window.grab().save(str(out / "window.png"))
    waves.plot.zoom_prompt()
    app.processEvents()
    window.grab().save(str(out / "window_zoom.png"))
    waves.grab().save(str(out / "waveforms_zoom.png"))
    waves.plot.set_raw_view(True)
    app.processEvents()
    waves.grab().save(str(out / "raw_view.png"))
    waves.plot.set_raw_view(False)
    window.binding("runs").controller.reduce(str(kr_copy))
    app.processEvents()
    window.grab().save(str(out / "reduced.png"))
    print(f"event {event}; screenshots in {out}")  # noqa: T201  (script output)
    window.close()
    shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
