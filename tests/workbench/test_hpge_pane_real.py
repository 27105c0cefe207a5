"""The HPGe pane driven like a user on the real 152Eu spectrum, against ``larcal hpge``.

Source: curie_eu_calib_7cm.Spe, 37.0 kBq on 2009-01-01 (3 % k=1 assumed: 1.11 kBq). The
spectrum is analysed once per module (a few seconds) by the GUI path (inline jobs); the CLI
analyses it once more. Both run the same code on the same file, so the numbers must agree to
rounding (relative 1e-12), not merely statistically. Tests that change the state restore it.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
from types import SimpleNamespace

import numpy as np
import pytest
from PySide6.QtCore import QCoreApplication, QDateTime, QEvent, QPointF, QSettings, Qt

from analysis_core.cli.main import main as larcal
from analysis_core.hpge.efficiency import fit_efficiency, load_efficiency_curve
from tests.conftest import REAL_DATA
from workbench.app import create_main_window
from workbench.controllers import hpge
from workbench.registry import PaneSpec
from workbench.settings import Settings

pytestmark = pytest.mark.realdata

EU = REAL_DATA / "hpge" / "curie_eu_calib_7cm.Spe"
RTOL = 1e-12  # same code, same input: agreement to rounding


def _dispose(window):
    """Close and delete the window now (not at interpreter exit, half torn down)."""
    window.close()
    window.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def _select(combo, data):
    combo.setCurrentIndex(combo.findData(data))


@pytest.fixture(scope="module")
def gui(qapp, tmp_path_factory):
    if not EU.is_file():
        pytest.skip(f"real data not found at {EU}")
    tmp = tmp_path_factory.mktemp("hpge_real")
    settings = Settings(QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat))
    spec = PaneSpec("hpge", "HPGe assay", "centre", hpge.build)
    window = create_main_window(
        settings=settings, inline_jobs=True, panes=[spec], show_dialogs=False, restore_layout=False
    )
    window.resize(1400, 900)
    window.show()
    ctrl, pane = window.binding("hpge").controller, window.binding("hpge").widget
    ctrl.open_files([EU])
    key = ctrl.session.current
    src = pane.sources
    _select(src.role, "calibration")
    _select(src.nuclide, "Eu-152")  # starts the analysis (inline: finished on return)
    _select(src.unit, 1e3)
    src.activity.setValue(37.0)
    src.activity_err.setValue(1.11)
    src.reference.setDateTime(QDateTime.fromString("2009-01-01T00:00:00", Qt.DateFormat.ISODate))
    src.apply_button.click()
    out = io.StringIO()
    cli_out = tmp / "cli_curve.json"
    with contextlib.redirect_stdout(out):
        code = larcal(
            ["hpge", "efficiency", str(EU), "--source", "Eu-152", "--activity-bq", "37000",
             "--activity-err-bq", "1110", "--reference-date", "2009-01-01", "--json",
             "--out", str(cli_out)]
        )  # fmt: skip
    assert code == 0
    yield SimpleNamespace(
        window=window, ctrl=ctrl, pane=pane, key=key, tmp=tmp,
        cli=json.loads(out.getvalue()), cli_out=cli_out,
    )  # fmt: skip
    _dispose(window)


def _assert_same(a, b):
    np.testing.assert_allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float), rtol=RTOL)


def test_spectrum_view_shows_the_analysis(gui):
    s = gui.ctrl.session
    analysis = s.analysis(gui.key)
    assert gui.window.ctx.notifier.errors == []
    assert s.entry(gui.key).activity_bq == 37000.0  # typed in kBq, exact in Bq
    plot = gui.pane.spectrum
    np.testing.assert_array_equal(plot.counts(), analysis.spectrum.counts)
    np.testing.assert_array_equal(plot.edges_kev(), analysis.spectrum.edges_kev())
    assert plot.line_labels() == [f"Eu-152 {p.line.energy_kev:.1f}" for p in analysis.peaks]
    assert plot.fit_count() == sum(r.valid for r in analysis.regions)
    rows = {r.label: r for r in gui.pane.peaks.rows()}
    for p in analysis.peaks:
        row = rows[f"Eu-152 {p.line.energy_kev:.2f}"]
        assert (row.area, row.area_err, row.fwhm_kev) == (
            p.fit.area,
            p.fit.area_err,
            p.fit.fwhm_kev,
        )
        assert (row.status == "ok") == (not p.excluded and p.fit.valid)


def test_efficiency_curve_matches_the_cli(gui):
    curve, cli = gui.ctrl.session.efficiency, gui.cli
    assert curve is not None
    d = curve.to_dict()
    for k in ("coefficients", "covariance", "chi2", "scale_factor"):
        _assert_same(d[k], cli[k])
    assert (d["ndf"], d["order"], d["message"]) == (cli["ndf"], cli["order"], cli["message"])
    for p, q in zip(d["points"], cli["points"], strict=True):
        assert (p["energy_kev"], p["excluded"], p["excluded_reason"]) == (
            q["energy_kev"], q["excluded"], q["excluded_reason"],
        )  # fmt: skip
        for k in ("efficiency", "efficiency_err", "fwhm_kev", "counts"):
            if q[k] is not None:
                _assert_same(p[k], q[k])
    shown = gui.pane.efficiency.curve_data()
    _assert_same(shown["eff"], curve.efficiency(shown["e"]))
    assert gui.pane.efficiency.source_labels() == ["Eu-152 37000 Bq 2009-01-01"]


def test_exported_curve_is_the_file_the_cli_writes(gui, monkeypatch):
    path = gui.tmp / "gui_curve.json"
    monkeypatch.setattr(gui.pane, "ask_save_path", lambda *a: str(path))
    gui.pane.export_curve_button.click()
    assert load_efficiency_curve(path).order == 3
    ours, theirs = json.loads(path.read_text()), json.loads(gui.cli_out.read_text())
    assert ours.keys() == theirs.keys()
    _assert_same(ours["coefficients"], theirs["coefficients"])
    assert (
        ours["extra"]["spectra"][0]["certificate"] == theirs["extra"]["spectra"][0]["certificate"]
    )
    assert "written to" in gui.window.ctx.notifier.history[-1].text


def test_dragged_region_fit_adds_a_table_row(gui, qtbot):
    pane, s = gui.pane, gui.ctrl.session
    plot = pane.spectrum
    analysis = s.analysis(gui.key)
    line = next(p for p in analysis.peaks if abs(p.line.energy_kev - 778.9045) < 0.01)
    n_fits = plot.fit_count()
    with qtbot.waitSignal(plot.region_changed, timeout=1000):
        plot.region.setRegion((772.0, 786.0))  # as the user's drag does
    qtbot.mouseClick(plot._fit_btn, Qt.MouseButton.LeftButton)
    manual = [r for r in pane.peaks.rows() if r.label.startswith("manual")]
    assert [r.label for r in manual] == ["manual: Eu-152 778.90"]
    row = manual[0]
    assert row.status == "manual fit (shown, not used)"
    # A different region over the same peak: the same counts within their error.
    assert abs(row.area - line.fit.area) < 3 * line.fit.area_err
    assert abs(row.energy_kev - line.fit.energy_kev) < 3 * line.fit.energy_err_kev + 0.01
    assert plot.fit_count() == n_fits + 1
    assert pane.peaks.selected_energy() == pytest.approx(row.energy_kev)
    pane.clear_fits_button.click()
    assert not [r for r in pane.peaks.rows() if r.label.startswith("manual")]


def test_double_click_on_a_peak_fits_it(gui, qtbot):
    plot = gui.pane.spectrum
    plot.zoom_to(330.0, 360.0)
    qtbot.wait(20)
    vb = plot.plot.getViewBox()
    y_lo, y_hi = vb.viewRange()[1]
    pos = plot.graphics.mapFromScene(vb.mapViewToScene(QPointF(344.3, 0.5 * (y_lo + y_hi))))
    qtbot.mouseDClick(plot.graphics.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    qtbot.mouseRelease(plot.graphics.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    manual = [r for r in gui.pane.peaks.rows() if r.label.startswith("manual")]
    assert [r.label for r in manual] == ["manual: Eu-152 344.28"]
    gui.ctrl.session.clear_manual_fits(gui.key)


def test_excluding_a_line_refits_the_curve_and_including_it_restores_it(gui):
    s, table = gui.ctrl.session, gui.pane.peaks
    before = s.efficiency
    row = next(r for r in range(table.rowCount()) if table.item(r, 1).text() == "411.12")
    table.item(row, 0).setCheckState(Qt.CheckState.Checked)  # the user ticks "Excl."
    after = s.efficiency
    point = next(p for p in after.points if abs(p.energy_kev - 411.1165) < 1e-3)
    assert point.excluded
    assert point.excluded_reason == "excluded by the user"
    assert after.ndf == before.ndf - 1
    # The same as the core fit with that line excluded.
    ref = fit_efficiency(before.points, order=3, exclude_energies_kev=[411.1165])
    _assert_same(after.coefficients, ref.coefficients)
    assert not math.isclose(after.coefficients[1], before.coefficients[1], rel_tol=1e-6)
    table.item(row, 0).setCheckState(Qt.CheckState.Unchecked)
    _assert_same(s.efficiency.coefficients, gui.cli["coefficients"])


def test_clicking_an_efficiency_point_toggles_it(gui, qtbot):
    s = gui.ctrl.session
    i = next(k for k, p in enumerate(s.efficiency.points) if abs(p.energy_kev - 867.38) < 1e-3)
    gui.pane.efficiency.point_clicked.emit(i, 867.38)
    assert s.entry(gui.key).excluded_kev == (867.38,)
    assert s.efficiency.points[i].excluded
    gui.pane.efficiency.point_clicked.emit(i, 867.38)
    assert s.entry(gui.key).excluded_kev == ()
    _assert_same(s.efficiency.coefficients, gui.cli["coefficients"])


def test_order_and_summing_switches_refit(gui):
    s, pane = gui.ctrl.session, gui.pane
    pane.order.setValue(4)
    assert s.efficiency.order == 4
    assert len(s.efficiency.coefficients) == 5
    pane.exclude_summing.setChecked(True)
    flagged = [p for p in s.efficiency.points if p.flags & {"summing-loss", "summing-gain"}]
    assert flagged
    assert all(p.excluded for p in flagged)
    statuses = {r.label: r.status for r in pane.peaks.rows()}
    assert statuses["Eu-152 121.78"] == "excluded: summing-prone (setting)"
    pane.exclude_summing.setChecked(False)
    pane.order.setValue(3)
    _assert_same(s.efficiency.coefficients, gui.cli["coefficients"])
