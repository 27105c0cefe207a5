"""A session built in the GUI, saved, replayed headless (API and CLI): identical constants.

The calibration is made the way the panes make it: roles from the runs' types, gains with
``ctx.calib.set_gains``, the cut set with ``set_cuts``, step settings with ``set_settings`` and
results computed by the step functions on ``step_inputs_from_context`` (what the Spectrum &
fit and Kr timing controllers do); the Linearity pane then computes its step by itself.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from analysis_core.cli import main as cli_main
from analysis_core.components.analysis_a import compute_components_a
from analysis_core.components.analysis_b import compute_components_b
from analysis_core.constants import diff_constants, read_constants
from analysis_core.cuts import default_cutset
from analysis_core.fitting.peak_step import compute_peak_fit
from analysis_core.fitting.timing_steps import compute_delay, compute_halflife
from analysis_core.hpge.activity import ActivityLineInput, combine_activities
from analysis_core.session import load_session, replay
from tests.core.session.campaign import (
    GAINS_A,
    GAINS_B,
    PEAK_SETTINGS,
    copy_campaign,
)
from tests.workbench.calibration_windows import isolated_panes
from workbench.app import create_main_window
from workbench.controllers.hpge_compute import ActivityReport
from workbench.controllers.hpge_model import SpectrumEntry
from workbench.controllers.session import session_from_context, step_inputs_from_context

#: Paper Table 1 (t = 3600 s): N, eta', mu, Y_gamma per 83Rb line.
PAPER_TABLE1 = [
    ActivityLineInput(520.4, 30110, 177, 4.37e-3, 0.06e-3, 0.450, 0.003, 3600, 0.83, 0.01),
    ActivityLineInput(529.6, 19205, 141, 4.29e-3, 0.06e-3, 0.293, 0.002, 3600, 0.83, 0.01),
    ActivityLineInput(552.6, 9902, 103, 4.07e-3, 0.05e-3, 0.160, 0.001, 3600, 0.83, 0.01),
]


def _register_session_cli(monkeypatch):
    """Add ``larcal session`` to the CLI unless the lead has registered it already."""
    if "session" not in cli_main.COMMAND_MODULES:
        monkeypatch.setattr(cli_main, "COMMAND_MODULES", (*cli_main.COMMAND_MODULES, "session"))


@pytest.fixture
def campaign(calibration_campaign, tmp_path):
    return copy_campaign(calibration_campaign, tmp_path)


@pytest.fixture
def make_window(qtbot):
    windows = []

    def make(full=False):
        w = create_main_window(
            inline_jobs=True, panes=isolated_panes(full), show_dialogs=False, restore_layout=False
        )
        qtbot.addWidget(w)
        windows.append(w)
        return w

    yield make
    for w in windows:
        w.close()


def _calibrate(ctx, campaign):
    """Do in ctx what the panes do: open runs, gains, cuts, peak fits, timing, components."""
    ctx.loader.open_files([campaign[r] for r in ("kr", "background", "am241", "co57")])
    assert ctx.calib.roles()["co57"] == str(campaign["co57"])
    assert all(ctx.state.rq(str(p)) is not None for p in campaign.values())
    ctx.calib.set_gains("A", GAINS_A, (2.0, 2.0))
    ctx.calib.set_gains("B", GAINS_B, (3.0, 3.0))
    ctx.calib.set_cuts(default_cutset())
    for step, fn, settings in (
        ("peak_fit", compute_peak_fit, PEAK_SETTINGS),
        ("halflife", compute_halflife, {}),
        ("delay", compute_delay, {"role": "kr"}),
        ("components_a", compute_components_a, {}),
        ("components_b", compute_components_b, {}),
    ):
        ctx.calib.set_settings(step, settings)
        ctx.calib.set_result(step, fn(step_inputs_from_context(ctx), settings))


def test_gui_session_replays_headless_to_identical_constants(
    make_window, campaign, tmp_path, monkeypatch, capsys
):
    w = make_window(full=True)  # every pane live, as a user has them
    ctx = w.ctx
    _calibrate(ctx, campaign)
    # the HPGe pane's 83Rb activity (paper Table 1 lines through the core's combination)
    hpge = w.binding("hpge").controller.session
    hpge.add_entry(SpectrumEntry("rb83.spe", str(tmp_path / "rb83.spe"), role="unknown"))
    result = combine_activities(PAPER_TABLE1, nuclide="Rb-83")
    lines = SimpleNamespace(lines=tuple(PAPER_TABLE1))  # the per-line inputs the pane shows
    hpge.set_activity(ActivityReport(result, result, lines, ()))
    lin = ctx.calib.result("linearity")
    assert lin is not None, "the Linearity pane computes its step when the peak fits change"
    for analysis in ("A", "B"):  # components A feed Analysis A, components B Analysis B
        energies = [p.energy_kev for p in lin.fits[analysis].points]
        # line energies as the steps state them (41.5573, 9.4057, ...), to 0.2 keV
        assert energies == pytest.approx([9.4, 32.1, 41.5, 59.5, 122.0], abs=0.2)
    assert ctx.calib.settings("linearity") == {"analyses": ["A", "B"], "exclude": []}

    # File > Save calibration session… (the action, with the dialog answered)
    sessions = w.binding("export").controller.sessions
    session_path = tmp_path / "session.json"
    monkeypatch.setattr(sessions, "ask_save_path", lambda _s: str(session_path))
    sessions.save_action.trigger()
    assert sessions.current_path == str(session_path.resolve())

    # Export pane: Save constants…
    pane = w.binding("export").widget
    ctrl = w.binding("export").controller
    ctrl.refresh()
    assert pane.validation.text().startswith("Valid larcal-calibration-constants v1")
    gui_file = tmp_path / "constants_gui.json"
    monkeypatch.setattr(pane, "ask_save_path", lambda _s: str(gui_file))
    pane.save_button.click()
    gui = read_constants(gui_file)
    assert list(gui["fit_results"]) == [
        "peak_fit",
        "halflife",
        "delay",
        "components_a",
        "components_b",
        "linearity",
    ]
    assert len(gui["kr_peaks"]) == 6  # 9.4, 32.1, 41.5 keV in both analyses
    assert gui["provenance"]["session_file"] == str(session_path.resolve())
    combined = gui["hpge"]["activity"]["combined"]
    # paper: weighted average 5.12 +- 0.05 kBq (efficiency fully correlated between lines)
    assert combined["activity_bq"] == pytest.approx(5120, abs=40)

    # headless replay through the API: identical up to the creation date
    session = load_session(session_path)
    headless = replay(session, session_file=session_path)
    assert diff_constants(gui, headless, rel_tol=0) == []
    # exactly the same document once the creation date is set aside
    gui.pop("created_utc")
    headless.pop("created_utc")
    assert json.loads(json.dumps(headless)) == gui
    assert gui["light_yield"] == headless["light_yield"]

    # and through the CLI
    _register_session_cli(monkeypatch)
    cli_file = tmp_path / "constants_cli.json"
    code = cli_main.main(["session", "run", str(session_path), "--out", str(cli_file), "--json"])
    assert code == 0
    assert json.loads(capsys.readouterr().out)["reduced"] == []
    assert diff_constants(gui, read_constants(cli_file), rel_tol=0) == []


def test_open_session_restores_runs_roles_gains_cuts_settings(make_window, campaign, tmp_path):
    w = make_window()
    _calibrate(w.ctx, campaign)
    w.ctx.calib.set_role("background", str(campaign["background"]))
    w.ctx.calib.set_active_gain_analysis("B")
    saved = session_from_context(w.ctx)
    sessions = w.binding("export").controller.sessions
    path = tmp_path / "s.json"
    sessions.save(str(path))

    w2 = make_window()
    sessions2 = w2.binding("export").controller.sessions
    sessions2.open(str(path))
    ctx2 = w2.ctx
    assert session_from_context(ctx2) == saved
    assert ctx2.calib.cuts.to_dict() == default_cutset().to_dict()
    assert ctx2.calib.gain_errors("A") == (2.0, 2.0)
    assert all(ctx2.state.rq(str(p)) is not None for p in campaign.values())
    # results are recomputed from the restored settings where a pane owns the step
    assert ctx2.calib.settings("peak_fit") == PEAK_SETTINGS


def test_open_broken_session_is_reported_not_raised(make_window, tmp_path):
    w = make_window()
    sessions = w.binding("export").controller.sessions
    bad = tmp_path / "broken.json"
    sessions.save(str(bad))
    doc = json.loads(bad.read_text())
    doc["format_version"] = 3
    bad.write_text(json.dumps(doc))
    sessions.open(str(bad))
    err = w.ctx.notifier.last_error
    assert err is not None
    assert "broken.json: $.format_version: 1 was expected" in err.text


def test_opening_a_session_drops_steps_it_does_not_have(make_window, campaign, tmp_path):
    w = make_window()
    sessions = w.binding("export").controller.sessions
    path = tmp_path / "empty.json"
    sessions.save(str(path))  # a session without any step
    _calibrate(w.ctx, campaign)
    assert w.ctx.calib.settings("peak_fit")
    assert w.ctx.calib.result("peak_fit") is not None
    before = set(w.ctx.calib.all_settings())
    assert {"peak_fit", "halflife", "delay"} <= before
    sessions.open(str(path))
    # nothing of the calibration made before survives into the opened session (the Linearity
    # pane, live here, records its own default settings again; it has no points to fit)
    assert set(w.ctx.calib.all_settings()) <= {"linearity"}
    assert w.ctx.calib.results() == {}


def test_open_session_with_a_thread_pool_restores_roles_as_runs_arrive(
    make_window, campaign, tmp_path, qtbot
):
    w = make_window()
    _calibrate(w.ctx, campaign)
    # the 57Co run plays the background role too: an explicit choice, not the run type's
    w.ctx.calib.set_role("background", str(campaign["co57"]))
    path = tmp_path / "s.json"
    w.binding("export").controller.sessions.save(str(path))
    saved = session_from_context(w.ctx)

    pooled = create_main_window(
        inline_jobs=False, panes=isolated_panes(), show_dialogs=False, restore_layout=False
    )
    qtbot.addWidget(pooled)
    try:
        pooled.binding("export").controller.sessions.open(str(path))
        qtbot.waitUntil(lambda: session_from_context(pooled.ctx) == saved, timeout=20000)
        assert pooled.ctx.calib.roles()["background"] == str(campaign["co57"])
        qtbot.waitUntil(lambda: pooled.ctx.jobs.active_count() == 0, timeout=20000)
    finally:
        pooled.close()
