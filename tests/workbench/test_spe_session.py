"""SPE gains and sessions: opening a saved session refits the gains, as ``larcal session run``.

A session saved after an SPE fit in the GUI, opened in a fresh window, must export the same
constants as its headless replay (which recomputes ``spe`` whenever the session has its
settings). Runs: 6000 LED flashes and 1500 Kr events, simulated once per module (~1 s).
"""

from __future__ import annotations

import json

import pytest

from analysis_core.session import load_session, replay
from analysis_core.sim import simulate_run
from workbench.app import create_main_window
from workbench.registry import default_panes

#: The browser, SPE and Export panes: no other pane computes a step on its own here.
_PANES = ("runs", "spe", "export")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    d = tmp_path_factory.mktemp("spe_session_runs")
    return {
        "led": simulate_run("led", 6000, 311, d / "led.h5", compression="blosc-lz4"),
        "kr": simulate_run("kr83m", 1500, 312, d / "kr.h5", compression="blosc-lz4"),
    }


@pytest.fixture
def make_window(qtbot):
    windows = []

    def make(delay_ms=None):
        w = create_main_window(
            inline_jobs=True,
            panes=[p for p in default_panes() if p.key in _PANES],
            show_dialogs=False,
            restore_layout=False,
        )
        qtbot.addWidget(w)
        if delay_ms is not None:
            w.binding("spe").controller._timer.setInterval(delay_ms)
        windows.append(w)
        return w

    yield make
    for w in windows:
        w.close()


def _fitted_session(make_window, runs, path):
    """Fit the SPE gains (non-default LED window), reduce the runs, save the session to path."""
    w = make_window()
    w.ctx.loader.open_files([str(runs["led"]), str(runs["kr"])])
    ctrl = w.binding("spe").controller
    ctrl.edit(led_window_ns=60.0)
    assert not ctrl.has_pending_refit(), "a form edit waits for Fit, it does not refit"
    ctrl.fit()
    result = w.ctx.calib.result("spe")
    assert result is not None
    assert all(a.valid for a in result.analyses.values())
    ctrl.reduce_all()  # the runs reduced with the fitted gains, as a user goes on
    assert all(w.ctx.state.rq(str(p.resolve())) is not None for p in runs.values())
    w.binding("export").controller.sessions.save(str(path))
    return w


def test_open_session_refits_spe_and_exports_what_the_replay_gives(
    make_window, runs, tmp_path, qtbot
):
    path = tmp_path / "session.json"
    first = _fitted_session(make_window, runs, path)
    fitted = first.ctx.calib.result("spe").to_dict()

    w = make_window()
    ctrl = w.binding("spe").controller
    w.binding("export").controller.sessions.open(str(path))
    # the settings arrive before the runs: the refit waits for their roles, then runs once
    qtbot.waitUntil(lambda: not ctrl.has_pending_refit(), timeout=10000)
    calib = w.ctx.calib
    assert calib.settings("spe")["led_window_ns"] == 60.0
    refit = calib.result("spe")
    assert refit is not None, "opening the session refits SPE"
    # deterministic fit on the same runs and settings: identical numbers, not just close
    assert refit.to_dict() == fitted
    assert calib.gains("A") == refit.gains("A")

    exp = w.binding("export").controller
    exp.refresh()
    gui = json.loads(json.dumps(exp.document))
    headless = json.loads(json.dumps(replay(load_session(path), session_file=path)))
    assert "spe" in gui["fit_results"]
    assert gui["fit_results"]["spe"] == headless["fit_results"]["spe"]
    # the whole document, once the creation date is set aside
    gui.pop("created_utc")
    headless.pop("created_utc")
    assert gui == headless


def test_session_without_spe_settings_does_not_fit(make_window, runs, tmp_path, qtbot):
    w = make_window()
    w.ctx.loader.open_files([str(runs["led"]), str(runs["kr"])])
    path = tmp_path / "no_spe.json"
    w.binding("export").controller.sessions.save(str(path))
    assert "spe" not in load_session(path).settings

    w2 = make_window(delay_ms=0)
    ctrl = w2.binding("spe").controller
    w2.binding("export").controller.sessions.open(str(path))
    qtbot.wait(50)  # lets a (wrongly) started debounce timer fire
    assert not ctrl.has_pending_refit()
    assert w2.ctx.calib.result("spe") is None
