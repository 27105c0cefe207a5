"""HPGe pane: bad files, failing fits, the real thread pool, roles and pairing, session restore.

Uses the short IAC 57Co count (255 s live, analysed in well under a second): source K4-895,
1.135 uCi on 2013-07-15, close geometry. Its two usable lines cannot carry a curve, so the
efficiency fit must fail gracefully with the reason shown.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QDateTime, QSettings, Qt

from tests.conftest import REAL_DATA
from workbench.app import create_main_window
from workbench.controllers import hpge
from workbench.registry import PaneSpec
from workbench.settings import Settings

CO57 = REAL_DATA / "hpge" / "iac_2021-08-17_Co-57-0.Spe"


def _window(qtbot, tmp_path, *, inline=True):
    settings = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    spec = PaneSpec("hpge", "HPGe assay", "centre", hpge.build)
    w = create_main_window(
        settings=settings, inline_jobs=inline, panes=[spec], show_dialogs=False,
        restore_layout=False,
    )  # fmt: skip
    qtbot.addWidget(w)
    return w, w.binding("hpge").controller, w.binding("hpge").widget


@pytest.fixture
def gui(qtbot, tmp_path):
    w, ctrl, pane = _window(qtbot, tmp_path)
    yield w, ctrl, pane
    w.close()


@pytest.fixture
def co57(real_data):
    return real_data / "hpge" / "iac_2021-08-17_Co-57-0.Spe"


def test_a_malformed_file_is_reported_with_its_name(gui, tmp_path):
    window, ctrl, _ = gui
    bad = tmp_path / "broken.Spe"
    bad.write_text("$SPEC_ID:\nx\n$DATA:\n0 9\n1\n2\n", encoding="ascii")
    ctrl.open_files([bad])
    err = window.ctx.notifier.last_error
    assert err.title == "Reading broken.Spe"
    assert err.text.startswith(f"{bad}: ")
    assert ctrl.session.entries == []
    ctrl.open_files([tmp_path / "missing.Spe"])
    assert str(tmp_path / "missing.Spe") in window.ctx.notifier.last_error.text


def test_the_nuclide_in_the_file_name_starts_the_analysis(gui, co57):
    window, ctrl, pane = gui
    ctrl.open_files([co57])
    s = ctrl.session
    key = s.current
    entry = s.entry(key)
    assert (entry.nuclide, entry.role) == ("Co-57", "")
    analysis = s.analysis(key)
    assert [round(p.line.energy_kev, 1) for p in analysis.peaks] == [14.4, 122.1, 136.5]
    assert s.status(key) == "2 of 3 lines"
    assert pane.sources.table.item(0, 3).text() == "2 of 3 lines"
    assert pane.spectrum.line_labels() == ["Co-57 14.4", "Co-57 122.1", "Co-57 136.5"]
    assert window.ctx.notifier.errors == []


def test_a_curve_that_cannot_be_fitted_is_explained(gui, co57):
    window, ctrl, pane = gui
    ctrl.open_files([co57])
    src = pane.sources
    src.role.setCurrentIndex(src.role.findData("calibration"))
    assert "No efficiency curve" in pane.efficiency_note.text()  # no certificate yet
    assert "give the certified activity" in pane.efficiency_note.text()
    src.unit.setCurrentIndex(src.unit.findData(3.7e4))  # uCi
    src.activity.setValue(1.135)
    src.activity_err.setValue(0.02)
    src.reference.setDateTime(QDateTime.fromString("2013-07-15T00:00:00", Qt.DateFormat.ISODate))
    src.apply_button.click()
    assert ctrl.session.entry(ctrl.session.current).activity_bq == 41995.0
    err = window.ctx.notifier.last_error
    assert err.title == "Fitting the efficiency curve"
    assert "needs at least 4 distinct energies" in err.text
    assert ctrl.session.efficiency is None
    assert pane.efficiency_note.text().startswith("Efficiency fit failed: ")
    assert not pane.export_curve_button.isEnabled()


def test_analysis_runs_in_the_thread_pool_with_progress(qtbot, tmp_path, co57):
    window, ctrl, _ = _window(qtbot, tmp_path, inline=False)
    progress = []
    window.ctx.jobs.job_progress.connect(lambda job, done, total: progress.append((done, total)))
    with qtbot.waitSignal(ctrl.session.entries_changed, timeout=5000):
        ctrl.open_files([co57])
    key = ctrl.session.current
    qtbot.waitUntil(lambda: ctrl.session.analysis(key) is not None, timeout=30000)
    qtbot.waitUntil(lambda: window.ctx.jobs.active_count() == 0, timeout=5000)
    assert progress
    assert progress[-1][0] == progress[-1][1]  # the last report is "all done"
    assert ctrl.session.status(key) == "2 of 3 lines"
    window.close()


def test_inside_role_pairs_with_the_same_source_outside(gui, co57, tmp_path):
    _, ctrl, pane = gui
    twin = tmp_path / "Co-57_in_container.Spe"
    twin.write_bytes(co57.read_bytes())
    ctrl.open_files([co57, twin])
    s, src = ctrl.session, pane.sources
    s.set_current(str(co57.resolve()))
    src.role.setCurrentIndex(src.role.findData("outside"))
    s.set_current(str(twin.resolve()))
    assert not src.partner.isEnabled()
    src.role.setCurrentIndex(src.role.findData("inside"))
    assert src.partner.isEnabled()
    assert s.entry(str(twin.resolve())).partner == str(co57.resolve())
    assert src.partner.currentData() == str(co57.resolve())
    # The identical count inside and outside: transmission 1 at both lines, which a power
    # law (an absorbing wall) cannot describe; the points stay and the reason is shown.
    assert [p.mu for p in s.attenuation_points] == pytest.approx([1.0, 1.0], abs=1e-12)
    assert s.attenuation is None
    assert "use 'interp' or 'constant'" in pane.attenuation.summary.text()
    pane.attenuation._kind.setCurrentIndex(pane.attenuation._kind.findData("constant"))
    assert s.attenuation.kind == "constant"
    assert s.attenuation.mu(530.0) == pytest.approx(1.0, abs=1e-12)
    src.remove_button.click()
    assert [e.key for e in s.entries] == [str(co57.resolve())]
    assert s.attenuation_points == ()


def test_a_session_dictionary_restores_inputs_and_results(gui, co57, qtbot, tmp_path):
    _, ctrl, pane = gui
    ctrl.open_files([co57])
    key = ctrl.session.current
    ctrl.edit_entry(key, role="calibration", activity_bq=41995.0, activity_err_bq=740.0,
                    reference_date="2013-07-15T00:00:00", label="K4-895", excluded_kev=(136.4736,))  # fmt: skip
    pane.order.setValue(2)
    d = ctrl.session.to_dict()
    w2, ctrl2, pane2 = _window(qtbot, tmp_path / "second")
    ctrl2.restore(d)
    assert ctrl2.session.entries == ctrl.session.entries
    assert ctrl2.session.settings == ctrl.session.settings
    assert ctrl2.session.current == key
    assert ctrl2.session.analysis(key) is not None
    assert pane2.order.value() == 2
    rows = {r.label: r for r in pane2.peaks.rows()}
    assert rows["Co-57 136.47"].excluded
    w2.close()


def test_analyse_without_a_nuclide_asks_for_one(gui, tmp_path, co57):
    window, ctrl, pane = gui
    plain = tmp_path / "unnamed.Spe"
    plain.write_bytes(co57.read_bytes())
    ctrl.open_files([plain])
    pane.sources.analyse_button.click()
    last = window.ctx.notifier.history[-1]
    assert (last.level, last.text) == ("warning", "unnamed.Spe: choose the source nuclide first")
    assert ctrl.session.analysis(ctrl.session.current) is None
