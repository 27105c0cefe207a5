"""Replay of the Kr half-life on a new run, fit warnings in the replay summary, bad ``--out``.

A session saved by the GUI stores ``exclude_before_s: "auto"``: replayed on a Kr run whose
injection starts 2 h later, the filling period is found in that run and the 83mKr half-life is
recovered; a stored number (the first run's filling end) would fit the filling of the new run.

Runs: two small ``kr-run`` injection timelines (4000 events, thinned over 12 h of decay) and
a background run, simulated once per test session (reduced by the replays, ~3 s).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from analysis_core.cli import main as cli_main
from analysis_core.fitting.timing_steps import compute_halflife
from analysis_core.rqfile import read_rq
from analysis_core.session import (
    CalibrationSession,
    SessionRun,
    load_session,
    replay_steps,
    save_session,
)
from analysis_core.sim import simulate_run
from analysis_core.sim.config import SimConfig
from analysis_core.steps import StepInputs

DET = SimConfig().detector
GAINS_A = (DET.spe_mu_adc_ns_top, DET.spe_mu_adc_ns_bottom)
TRUTH_S = SimConfig().sources.kr83m_half_life_s
KR_EVENTS = 4000
#: The new run: 2 h of 39Ar before the injection (the session's run: 600 s).
LATE_S = 7200.0
RISE_S = 300.0  # the simulator's default filling time

#: The settings the Kr timing pane stores for a first fit (the window follows the peak fit).
HALFLIFE = {
    "role": "kr",
    "column": "total_pe",
    "range": None,
    "n_sigma": 2.0,
    "bin_s": 600.0,
    "exclude_before_s": "auto",
    "apply_cuts": True,
}
PEAK_FIT = {
    "peaks": {
        "kr_41": {
            "role": "kr",
            "column": "total_pe",
            "range": [120.0, 240.0],
            "bins": 60,
            "model": "gauss",
            "cost": "poisson",
        }
    }
}


@pytest.fixture(scope="session")
def kr_runs(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("replay_timing_runs")
    return {
        "kr": simulate_run("kr-run", KR_EVENTS, 61, out / "kr_run.h5"),
        "late": simulate_run("kr-run", KR_EVENTS, 62, out / "kr_late.h5", pre_injection_s=LATE_S),
    }


@pytest.fixture
def runs(kr_runs, tmp_path) -> dict[str, Path]:
    """Copies in the test's own directory (the replay reduces beside them)."""
    return {k: Path(shutil.copyfile(v, tmp_path / v.name)) for k, v in kr_runs.items()}


def _session(runs, tmp_path, halflife=None) -> Path:
    session = CalibrationSession(
        runs={"kr": SessionRun(str(runs["kr"]), None)},
        gains={"A": GAINS_A},
        active_gain_analysis="A",
        settings={"peak_fit": PEAK_FIT, "halflife": {**HALFLIFE, **(halflife or {})}},
    )
    return save_session(tmp_path / "session.json", session)


def test_a_replay_on_a_later_injection_finds_its_filling_period(runs, tmp_path):
    session = load_session(_session(runs, tmp_path))
    assert session.settings["halflife"]["exclude_before_s"] == "auto"  # survives the file
    first = replay_steps(session).results["halflife"]
    assert first.fit.valid, first.fit.message
    assert 600.0 + RISE_S <= first.exclude_before_s <= 600.0 + RISE_S + 2 * 600.0
    new = replay_steps(session, {"kr": runs["late"]})
    r = new.results["halflife"]
    assert r.fit.valid, r.fit.message
    # the fit starts after the late filling (within two 600 s bins of its end) ...
    assert LATE_S + RISE_S <= r.exclude_before_s <= LATE_S + RISE_S + 2 * 600.0
    assert r.settings["exclude_before_s"] == "auto"
    assert new.constants["fit_results"]["halflife"]["exclude_before_s"] == r.exclude_before_s
    # ... and recovers the simulated 83mKr half-life within 3 standard errors (~2.5 % each)
    assert abs(r.fit["half_life_s"] - TRUTH_S) < 3 * r.fit.error("half_life_s")
    assert "halflife" not in new.warnings
    # What the replay did before: the first run's filling end as a number fits the new run's
    # 39Ar-only start and its filling too; the half-life is then far off (> 5 errors)
    table = read_rq(new.session.runs["kr"].rq_path)
    inputs = StepInputs(rq={"kr": table}, results={"peak_fit": new.results["peak_fit"]})
    old = compute_halflife(inputs, {**HALFLIFE, "exclude_before_s": first.exclude_before_s})
    assert abs(old.fit["half_life_s"] - TRUTH_S) > 5 * old.fit.error("half_life_s")


def test_fit_warnings_reach_the_outcome_and_the_cli_summary(runs, tmp_path, monkeypatch, capsys):
    if "session" not in cli_main.COMMAND_MODULES:
        monkeypatch.setattr(cli_main, "COMMAND_MODULES", (*cli_main.COMMAND_MODULES, "session"))
    # exclude nothing: the late run's 2 h of 39Ar and its filling make a poor decay fit
    path = _session(runs, tmp_path, {"exclude_before_s": None})
    outcome = replay_steps(load_session(path), {"kr": runs["late"]})
    assert "poor fit" in outcome.warnings["halflife"]
    out = tmp_path / "constants.json"
    argv = ["session", "run", str(path), "--out", str(out), "--run", f"kr={runs['late']}"]
    assert cli_main.main([*argv, "--json"]) == 0
    captured = capsys.readouterr()
    summary = json.loads(captured.out)
    assert summary["warnings"] == outcome.warnings
    assert cli_main.main(argv) == 0
    err = capsys.readouterr().err
    assert f"larcal: warning: step halflife: {outcome.warnings['halflife']}" in err


@pytest.mark.parametrize("where", ["missing_dir", "a_folder", "under_a_file"])
def test_a_bad_output_stops_before_the_replay(runs, tmp_path, monkeypatch, capsys, where):
    if "session" not in cli_main.COMMAND_MODULES:
        monkeypatch.setattr(cli_main, "COMMAND_MODULES", (*cli_main.COMMAND_MODULES, "session"))
    path = _session(runs, tmp_path)
    (tmp_path / "a_file").write_text("x")
    out = {
        "missing_dir": tmp_path / "no_such_dir" / "c.json",
        "a_folder": tmp_path,
        "under_a_file": tmp_path / "a_file" / "c.json",
    }[where]
    assert cli_main.main(["session", "run", str(path), "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith(f"larcal: error: {out}: ")
    # checked before the replay: nothing was reduced
    assert not runs["kr"].with_name("kr_run_rq.h5").exists()


def test_unchanged_replay_reuses_the_stored_number(runs, tmp_path):
    # a number typed by the user is kept as it is (a session from before "auto" too)
    path = _session(runs, tmp_path, {"exclude_before_s": 3600.0})
    r = replay_steps(load_session(path)).results["halflife"]
    assert r.exclude_before_s == 3600.0
    assert r.fit.extra["fit_range_s"][0] == 3600.0
