"""The Export pane: validated preview, compare with a previous file, confirmed overwrite."""

from __future__ import annotations

import pytest

from analysis_core.constants import read_constants
from analysis_core.fitting.peak_step import compute_peak_fit
from tests.core.session.campaign import (
    GAINS_A,
    GAINS_B,
    PEAK_SETTINGS,
    copy_campaign,
)
from tests.workbench.calibration_windows import isolated_panes
from workbench.app import create_main_window
from workbench.controllers.session import step_inputs_from_context


@pytest.fixture
def window(qtbot, calibration_campaign, tmp_path):
    campaign = copy_campaign(calibration_campaign, tmp_path)
    w = create_main_window(
        inline_jobs=True,
        panes=isolated_panes(),
        show_dialogs=False,
        restore_layout=False,
    )
    qtbot.addWidget(w)
    ctx = w.ctx
    ctx.loader.open_files(list(campaign.values()))
    ctx.calib.set_gains("A", GAINS_A)
    ctx.calib.set_gains("B", GAINS_B)
    ctx.calib.set_settings("peak_fit", PEAK_SETTINGS)
    ctx.calib.set_result("peak_fit", compute_peak_fit(step_inputs_from_context(ctx), PEAK_SETTINGS))
    w.binding("export").controller.refresh()
    yield w
    w.close()


def _pane(w):
    return w.binding("export").widget, w.binding("export").controller


def test_preview_is_validated_and_shows_the_light_yields(window):
    pane, ctrl = _pane(window)
    assert pane.validation.text() == "Valid larcal-calibration-constants v1 (peak_fit, linearity)"
    y_a = window.ctx.calib.result("linearity").fits["A"].y_pe_per_kev
    item = pane.view.find("light_yield.A.y_pe_per_kev")
    assert item is not None
    assert item.text(1) == f"{y_a:.6g}"
    assert '"format": "larcal-calibration-constants"' in pane.view.text.toPlainText()
    # the preview follows the calibration (after the debounce timer)
    window.ctx.calib.set_gains("B", (GAINS_B[0] * 1.05, GAINS_B[1] * 1.05))
    ctrl.refresh()
    y_b = ctrl.document["light_yield"]["B"]["y_pe_per_kev"]
    assert y_b == pytest.approx(window.ctx.calib.result("linearity").fits["B"].y_pe_per_kev)


def test_overwrite_lists_the_changed_light_yield_and_can_be_declined(window, tmp_path, monkeypatch):
    pane, ctrl = _pane(window)
    target = tmp_path / "constants.json"
    monkeypatch.setattr(pane, "ask_save_path", lambda _s: str(target))
    pane.save_button.click()
    first = target.read_text()
    assert read_constants(target)["light_yield"]["B"]["y_pe_per_kev"] > 0

    window.ctx.calib.set_gains("B", (GAINS_B[0] * 1.05, GAINS_B[1] * 1.05))
    ctrl.refresh()
    asked = []

    def decline(path, lines):
        asked.append((path, lines))
        return False

    monkeypatch.setattr(pane, "confirm_overwrite", decline)
    pane.save_button.click()
    ((path, lines),) = asked
    assert path == str(target)
    ly = next(line for line in lines if line.startswith("~ light_yield.B.y_pe_per_kev:"))
    # B gains 5 % larger -> 1/1.05 - 1 = -4.76 % fewer PE per keV
    assert ly.endswith("(-4.76 %)")
    assert target.read_text() == first  # declined: untouched
    assert "light_yield.B.y_pe_per_kev" in pane.changes.paths()

    monkeypatch.setattr(pane, "confirm_overwrite", lambda _p, _l: True)
    pane.save_button.click()
    assert read_constants(target)["spe_gains"]["analyses"]["B"]["top"]["gain_adc_ns"] == (
        pytest.approx(GAINS_B[0] * 1.05)
    )
    assert pane.changes_title.text().startswith("No change from constants.json")


def test_compare_with_a_corrupted_file_says_why(window, tmp_path, monkeypatch):
    pane, _ctrl = _pane(window)
    bad = tmp_path / "old.json"
    bad.write_text('{"format": "larcal-calibration-constants", ')
    monkeypatch.setattr(pane, "ask_open_path", lambda _s: str(bad))
    pane.compare_button.click()
    assert "Cannot compare:" in pane.changes_title.text()
    assert "old.json: not valid JSON at line 1" in pane.changes_title.text()


def test_session_menu_actions_are_in_the_file_menu(window):
    titles = [a.text() for a in window.menuBar().actions()[0].menu().actions()]
    assert "Save calibration &session…" in titles
    assert "Open calibration s&ession…" in titles


def test_save_waits_for_running_computations(window, tmp_path, monkeypatch):
    pane, ctrl = _pane(window)
    target = tmp_path / "constants.json"
    # a fit still running in the pool (e.g. after a cut change): the preview may be stale
    monkeypatch.setattr(window.ctx.jobs, "active_count", lambda: 2)
    assert ctrl.save(str(target)) is False
    assert not target.exists()
    notice = window.ctx.notifier.history[-1]
    assert "2 computation(s) still running" in notice.text
    monkeypatch.undo()
    window.ctx.calib.set_gains("A", (GAINS_A[0] * 1.01, GAINS_A[1]))  # pending refresh
    assert ctrl.save(str(target)) is True  # the preview is rebuilt first (inline jobs)
    saved = read_constants(target)["spe_gains"]["analyses"]["A"]["top"]["gain_adc_ns"]
    assert saved == GAINS_A[0] * 1.01
