"""Screenshots of the HPGe pane on real spectra, for review and documentation.

Usage::

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshot_hpge.py [OUT_DIR]

Builds the workbench window offscreen with the HPGe pane (jobs run inline), opens the real
152Eu spectrum (curie_eu_calib_7cm.Spe, 37.0 kBq on 2009-01-01) and the IAC 57Co count from
``../shared/data/real/hpge``, and for the assay tabs a synthetic "inside the container" copy
of the 152Eu count and a synthetic 83Rb spectrum (see ``tests/workbench/test_hpge_synthetic``;
their file names say so). Saves PNGs of the pane (default ``/work/notes/screens``) and the
efficiency plot exported as PNG and SVG through its Export menu.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from tests.workbench.test_hpge_synthetic import write_inside_copy, write_rb83  # noqa: E402
from workbench.app import create_main_window  # noqa: E402
from workbench.controllers import hpge  # noqa: E402
from workbench.registry import PaneSpec  # noqa: E402
from workbench.settings import Settings  # noqa: E402

REAL = Path(os.environ.get("LARCAL_SHARED_DIR", ROOT.parent / "shared")) / "data" / "real" / "hpge"
EU = REAL / "curie_eu_calib_7cm.Spe"
CO57 = REAL / "iac_2021-08-17_Co-57-0.Spe"


def main(out_dir: str = "/work/notes/screens") -> int:
    """Write the screenshots; return a process exit code."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    tmp = Path(tempfile.mkdtemp(prefix="hpge_shots_"))
    settings = Settings(QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat))
    spec = PaneSpec("hpge", "HPGe assay", "centre", hpge.build)
    window = create_main_window(
        settings=settings, inline_jobs=True, panes=[spec], show_dialogs=False, restore_layout=False
    )
    window.resize(1600, 1000)
    window.show()
    ctrl, pane = window.binding("hpge").controller, window.binding("hpge").widget
    s = ctrl.session

    def shot(name: str) -> None:
        app.processEvents()
        path = out / name
        pane.grab().save(str(path))
        print(f"wrote {path}")  # noqa: T201

    ctrl.open_files([EU])
    eu = s.current
    ctrl.edit_entry(
        eu, role="calibration", nuclide="Eu-152", activity_bq=37000.0, activity_err_bq=1110.0,
        reference_date="2009-01-01T00:00:00", label="curie 1 uCi",
    )  # fmt: skip
    pane.tabs.setCurrentIndex(0)
    shot("hpge_spectrum_eu152.png")
    ctrl.fit_region(1079.0, 1097.0)  # the 1085.8 + 1089.7 keV doublet by hand
    shot("hpge_spectrum_eu152_doublet.png")
    ctrl.presenter.select_peak(344.2785)
    pane.spectrum.set_log_scale(False)
    shot("hpge_spectrum_eu152_344_linear.png")
    pane.spectrum.set_log_scale(True)
    pane.tabs.setCurrentIndex(1)
    shot("hpge_efficiency_eu152.png")
    pane.efficiency.exporter.save_png(out / "hpge_efficiency_export.png")
    pane.efficiency.exporter.save_svg(out / "hpge_efficiency_export.svg")

    ctrl.open_files([CO57])
    s.set_current(str(CO57.resolve()))
    pane.tabs.setCurrentIndex(0)
    pane.spectrum.zoom_to(5.0, 160.0)
    shot("hpge_spectrum_co57.png")

    inside = write_inside_copy(EU, tmp / "synthetic_eu152_inside_container.Spe")
    curve = s.efficiency
    rb = write_rb83(tmp / "synthetic_rb83.Spe", 5120.0, lambda e: float(curve.efficiency(e)))
    ctrl.open_files([inside, rb])
    ctrl.edit_entry(str(inside.resolve()), role="inside", nuclide="Eu-152")
    s.set_current(str(rb.resolve()))
    pane.tabs.setCurrentIndex(0)
    shot("hpge_spectrum_rb83_synthetic.png")
    pane.tabs.setCurrentIndex(2)
    shot("hpge_attenuation_synthetic.png")
    pane.tabs.setCurrentIndex(3)
    pane.activity.set_reference_date("2019-02-19")
    ctrl.results.refresh_activity()
    s.set_settings(activity_date="2019-02-19")
    ctrl.results.refresh_activity()
    shot("hpge_activity_synthetic.png")
    errors = [n for n in window.ctx.notifier.history if n.level == "error"]
    for n in errors:
        print(f"error: {n.title}: {n.text}", file=sys.stderr)  # noqa: T201
    window.close()
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:2]))
