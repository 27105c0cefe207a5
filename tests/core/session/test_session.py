"""Session files and headless replay: round trip, reductions, identical replays, new runs, CLI."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from analysis_core.cli import main as cli_main
from analysis_core.constants import diff_constants, read_constants, validate_constants
from analysis_core.cuts import CutSet, RangeCut
from analysis_core.errors import CalibrationError
from analysis_core.rqfile import read_rq
from analysis_core.session import (
    CalibrationSession,
    SessionFormatError,
    SessionRun,
    load_session,
    replay,
    replay_steps,
    save_session,
)
from analysis_core.sim.config import SimConfig
from tests.core.session.conftest import BRIGHTER

DET = SimConfig().detector
GAINS_A = (DET.spe_mu_adc_ns_top, DET.spe_mu_adc_ns_bottom)
# H1's derivation of what Analysis A (charge / mu) reads per true PE: model mean / mu, the
# afterpulse excess (1.044) and the triplet fraction inside 6 us (0.986).
MEAN_OVER_MU = (
    (1 - DET.spe_ua_fraction - DET.spe_exp_fraction)
    + DET.spe_ua_fraction * DET.spe_ua_mean_frac
    + DET.spe_exp_fraction / DET.spe_exp_slope_mu
)
Y_A_TRUE = DET.light_yield_pe_per_kev * MEAN_OVER_MU * 1.044 * 0.986


PEAK_SETTINGS = {
    "peaks": {
        "kr_41": {
            "role": "kr",
            "column": "total_pe",
            "range": [120.0, 240.0],
            "bins": 60,
            "model": "gauss",
            "cost": "poisson",
            "apply_cuts": True,
        }
    }
}


def _session(runs, **kw) -> CalibrationSession:
    cuts = CutSet().with_cut(RangeCut("pulse found", "f90", 0.0, 1.0))
    return CalibrationSession(
        runs={
            "kr": SessionRun(str(runs["kr"]), None),
            "background": SessionRun(str(runs["background"]), None),
        },
        gains={"A": GAINS_A, "B": (0.88 * GAINS_A[0], 0.88 * GAINS_A[1])},
        gain_errors={"A": (1.0, 1.0)},
        active_gain_analysis="A",
        cuts=cuts.to_dict(),
        settings={"peak_fit": PEAK_SETTINGS, "linearity": {"analyses": ["A", "B"]}},
        **kw,
    )


def _register_session_cli(monkeypatch):
    """Add ``larcal session`` to the CLI unless the lead has registered it already."""
    if "session" not in cli_main.COMMAND_MODULES:
        monkeypatch.setattr(cli_main, "COMMAND_MODULES", (*cli_main.COMMAND_MODULES, "session"))


def test_session_file_round_trip_and_errors(runs, tmp_path):
    s = _session(runs, hpge={"inputs": {}, "results": {"activity_bq": 5120.0}})
    path = save_session(tmp_path / "s.json", s)
    assert load_session(path) == s
    doc = json.loads(path.read_text())
    doc["gains"]["A"]["gain_adc_ns"] = [239.0, -1.0]
    path.write_text(json.dumps(doc))
    with pytest.raises(SessionFormatError, match=r"s\.json: \$\.gains\.A\.gain_adc_ns\[1\]"):
        load_session(path)
    path.write_text('{"format": "larcal-session",')
    with pytest.raises(SessionFormatError, match="not valid JSON at line 1"):
        load_session(path)


def test_replay_reduces_fits_and_recovers_the_light_yield(runs, tmp_path):
    progress = []
    out = replay_steps(
        _session(runs), progress=lambda d, t: progress.append((d, t)), session_file="s.json"
    )
    assert set(out.reduced) == {"kr", "background"}
    rq = read_rq(Path(runs["kr"]).with_name("kr_rq.h5"))
    assert rq.metadata["spe_gain_adc_ns"] == {"top": GAINS_A[0], "bottom": GAINS_A[1]}
    validate_constants(out.constants)
    ly = out.constants["light_yield"]
    # 41.5 keV point only: Y_A = mean / 41.5. Truth from SimConfig via H1's factors; 3 % covers
    # the approximate afterpulse/triplet factors and the peak's statistical error (~0.3 %)
    assert ly["A"]["y_pe_per_kev"] == pytest.approx(Y_A_TRUE, rel=0.03)
    # B gains are 0.88 x A in both PMTs: the B light yield is exactly 1 / 0.88 times A's
    assert ly["B"]["y_pe_per_kev"] == pytest.approx(ly["A"]["y_pe_per_kev"] / 0.88, rel=1e-9)
    assert progress[-1][0] == progress[-1][1]
    # the RQ files now exist and match: a second replay reuses them and gives the same file
    again = replay_steps(_session(runs), session_file="s.json")
    assert again.reduced == ()
    assert diff_constants(out.constants, again.constants) == []


def test_replay_on_a_new_run_changes_the_light_yield(runs, tmp_path):
    base = replay(_session(runs), rq_dir=tmp_path)
    new = replay(_session(runs), {"kr": runs["kr_bright"]}, rq_dir=tmp_path)
    changes = {c.path: c for c in diff_constants(base, new)}
    rel = changes["light_yield.A.y_pe_per_kev"].relative_change
    # 10 % more true light: the relative change is 0.10 within the two peaks' errors (~0.5 %)
    assert rel == pytest.approx(BRIGHTER - 1, abs=0.015)
    inputs = {i["role"]: i for i in new["provenance"]["inputs"]}
    assert inputs["kr"]["raw_path"] == str(runs["kr_bright"].resolve())
    assert inputs["kr"]["rq_path"] == str(tmp_path / "kr_bright_rq.h5")


def test_replay_errors_name_the_fault(runs):
    with pytest.raises(CalibrationError, match="unknown run role 'argon'"):
        replay(_session(runs), {"argon": runs["kr"]})
    missing = replace(_session(runs), runs={"kr": SessionRun("/no/kr.h5")})
    with pytest.raises(CalibrationError, match=r"/no/kr\.h5: raw file of the 'kr' run not found"):
        replay(missing)


def test_cli_session_run_validate_diff(runs, tmp_path, monkeypatch, capsys):
    _register_session_cli(monkeypatch)
    session = save_session(tmp_path / "s.json", _session(runs))
    out = tmp_path / "constants.json"
    assert cli_main.main(["session", "run", str(session), "--out", str(out), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["changes"] == []
    assert summary["light_yield"]["A"]["y_pe_per_kev"] == pytest.approx(Y_A_TRUE, rel=0.03)
    first = read_constants(out)
    assert first["provenance"]["session_file"] == str(session.resolve())
    # the same headless replay through the Python API gives the same file up to the date
    assert diff_constants(first, replay(load_session(session), session_file=session)) == []
    args = ["session", "run", str(session), "--out", str(out), "--run", f"kr={runs['kr_bright']}"]
    assert cli_main.main([*args, "--json"]) == 0
    changed = {c["path"] for c in json.loads(capsys.readouterr().out)["changes"]}
    assert "light_yield.A.y_pe_per_kev" in changed
    assert cli_main.main(["session", "validate", str(out)]) == 0
    assert "valid larcal-calibration-constants version 1" in capsys.readouterr().out
    out.write_text(out.read_text()[:100])
    assert cli_main.main(["session", "validate", str(out)]) == 2
    assert "constants.json: not valid JSON" in capsys.readouterr().err
    assert cli_main.main(["session", "run", str(session), "--out", "x.json", "--run", "kr"]) == 2
    assert "expected ROLE=PATH" in capsys.readouterr().err


def test_spe_is_recomputed_when_asked_and_the_runs_reduced_with_its_gains(runs, tmp_path):
    session = replace(
        _session(runs),
        runs={**_session(runs).runs, "led": SessionRun(str(runs["led"]))},
        settings={**_session(runs).settings, "spe": {"analyses": ["A"]}},
    )
    # spe=False: the session's gains are used, SPE is not refitted
    plain = replay_steps(session, rq_dir=tmp_path, spe=False)
    assert "spe" not in plain.results
    assert plain.constants["spe_gains"]["analyses"]["A"]["top"]["gain_adc_ns"] == GAINS_A[0]
    # spe=None ("auto"): the session has SPE settings, so the gains are refitted (here they
    # differ from the session's made-up gains) and the runs re-reduced with them
    out = replay_steps(session, {"led": runs["led"]}, rq_dir=tmp_path / "new", spe=None)
    spe = out.results["spe"].analyses["A"]
    assert spe.valid
    assert out.session.gains["A"] == spe.gains_adc_ns
    assert set(out.reduced) == {"kr", "background"}
    kr_rq = read_rq(tmp_path / "new" / "kr_rq.h5")
    assert kr_rq.metadata["spe_gain_adc_ns"]["top"] == spe.gains_adc_ns[0]
    gains = out.constants["spe_gains"]["analyses"]["A"]
    assert gains["top"]["gain_adc_ns"] == spe.gains_adc_ns[0]
    assert gains["top"]["gain_err_adc_ns"] == spe.errors_adc_ns[0]
    # the light yield scales with the inverse gain: Y x gain (charge per keV) is unchanged to
    # within the peak fits' statistical errors (~0.5 %) and the ftop weighting of two PMTs
    charge = plain.constants["light_yield"]["A"]["y_pe_per_kev"] * (GAINS_A[0] + GAINS_A[1])
    charge_new = out.constants["light_yield"]["A"]["y_pe_per_kev"] * sum(spe.gains_adc_ns)
    assert charge_new == pytest.approx(charge, rel=0.03)


def test_replay_can_be_cancelled_between_stages(runs, tmp_path):
    from analysis_core.progress import Cancelled, EventCancelToken

    token = EventCancelToken()
    seen = []

    def progress(done, total):
        seen.append(done)
        if done == 1:
            token.cancel()  # after the first reduction

    with pytest.raises(Cancelled):
        replay(_session(runs), progress=progress, cancel=token, rq_dir=tmp_path)
    assert seen == [1]
    # the finished reduction stays (complete, atomic); the cancelled one left nothing behind
    assert sorted(p.name for p in tmp_path.glob("*_rq.h5")) == ["background_rq.h5"]


def test_a_failing_step_stops_the_replay_unless_asked_to_keep_going(
    runs, tmp_path, monkeypatch, capsys
):
    bad_peak = {"peaks": {"kr_41": {**PEAK_SETTINGS["peaks"]["kr_41"], "role": "co57"}}}
    session = replace(_session(runs), settings={**_session(runs).settings, "peak_fit": bad_peak})
    with pytest.raises(CalibrationError, match=r"step 'peak_fit': .*co57"):
        replay(session, rq_dir=tmp_path)
    out = replay_steps(session, rq_dir=tmp_path, strict=False)
    assert "co57" in out.failed["peak_fit"]
    assert "linearity" in out.failed  # nothing to fit without the peak
    assert out.constants["light_yield"] == {}
    _register_session_cli(monkeypatch)
    path = save_session(tmp_path / "s.json", session)
    args = ["session", "run", str(path), "--out", str(tmp_path / "c.json")]
    assert cli_main.main([*args, "--json"]) == 2
    assert "step 'peak_fit'" in capsys.readouterr().err
    assert not (tmp_path / "c.json").exists()  # no partial output
    assert cli_main.main([*args, "--keep-going", "--json"]) == 0
    assert set(json.loads(capsys.readouterr().out)["failed"]) == {"peak_fit", "linearity"}
