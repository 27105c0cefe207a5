"""CalibrationState: roles follow run types unless chosen, gains per analysis, steps, signals."""

from __future__ import annotations

import pytest

from analysis_core.rawfile import RawFile
from workbench.calibration import ROLES, CalibrationState
from workbench.state import RunInfo, SessionState


def _state_with(*paths):
    state = SessionState()
    for p in paths:
        with RawFile(p) as raw:
            state.add_run(RunInfo.from_raw(raw))
    return state


def test_roles_follow_run_types_and_overrides(qtbot, kr_run, bkg_run):
    state = _state_with(kr_run, bkg_run)
    calib = CalibrationState(state)
    assert calib.role_path("kr") == str(kr_run)
    assert calib.role_path("background") == str(bkg_run)
    assert calib.role_path("led") is None
    assert set(calib.roles()) == set(ROLES)
    with qtbot.waitSignal(calib.roles_changed):
        calib.set_role("kr", None)
    assert calib.role_path("kr") is None
    calib.set_role("co57", str(kr_run))
    assert calib.role_path("co57") == str(kr_run)
    with pytest.raises(KeyError, match="not a loaded run"):
        calib.set_role("led", "/nowhere.h5")
    with pytest.raises(ValueError, match="unknown run role"):
        calib.role_path("cs137")
    with qtbot.waitSignal(calib.roles_changed):
        state.remove_run(str(kr_run))
    assert calib.role_path("co57") is None  # the chosen run is gone


def test_gains_steps_and_results(qtbot):
    calib = CalibrationState(SessionState())
    assert calib.gains() is None
    with qtbot.waitSignal(calib.gains_changed):
        calib.set_gains("A", (100.0, 110.0), (1.0, 1.5))
    calib.set_gains("B", (120, 130))
    assert calib.gains() == (100.0, 110.0)
    assert calib.gain_errors() == (1.0, 1.5)
    calib.set_active_gain_analysis("B")
    assert calib.gains() == (120.0, 130.0)
    assert calib.gain_errors() is None
    with pytest.raises(ValueError, match="unknown analysis"):
        calib.set_gains("C", (1.0, 1.0))
    settings = {"range": [150, 210], "model": "gauss+linear"}
    with qtbot.waitSignal(calib.settings_changed, check_params_cb=lambda s: s == "peak_fit"):
        calib.set_settings("peak_fit", settings)
    settings["range"][0] = 0  # the state kept its own copy
    assert calib.settings("peak_fit")["range"] == [150, 210]
    assert calib.all_settings() == {"peak_fit": {"range": [150, 210], "model": "gauss+linear"}}
    with qtbot.waitSignal(calib.result_changed):
        calib.set_result("peak_fit", object())
    assert "peak_fit" in calib.results()
    calib.set_result("peak_fit", None)
    assert calib.result("peak_fit") is None


def test_cut_changes_settle_once_after_a_drag(qtbot):
    calib = CalibrationState(SessionState(), settle_ms=50)
    settled = []
    calib.cuts_settled.connect(lambda: settled.append(calib.cuts))
    changed = []
    calib.cuts_changed.connect(lambda: changed.append(calib.cuts))
    for step in range(10):  # the steps of one drag
        calib.set_cuts(step)
    assert changed == list(range(10))  # every step, for the Cuts pane's live update
    assert settled == []
    qtbot.waitUntil(lambda: settled == [9], timeout=2000)  # once, with the last cut set
    inline = CalibrationState(SessionState(), settle_ms=0)
    with qtbot.waitSignal(inline.cuts_settled, timeout=1000):
        inline.set_cuts("now")  # no quiet time: settles in the same call
