"""``larcal fit-peak``, ``larcal halflife``, ``larcal delay`` (spec/interfaces.md section 3).

The commands must print the JSON keys of the spec and give the same numbers as the steps the
workbench runs (same functions, same settings). Runs: ``tests/core/fitting/simruns.py``.
"""

from __future__ import annotations

import json

import pytest

import analysis_core.cli.main as cli_main
from analysis_core.cuts import CutSet, ExpressionCut
from analysis_core.fitting.peak_step import compute_peak
from analysis_core.fitting.timing_steps import compute_delay, compute_halflife
from analysis_core.steps import StepInputs
from tests.core.fitting.simruns import expected_kr_peak, lar_runs

__all__ = ["lar_runs"]  # the session fixture, imported for pytest


@pytest.fixture
def larcal(monkeypatch):
    """``larcal`` main with the fit commands registered (the lead registers them for good)."""
    monkeypatch.setattr(cli_main, "COMMAND_MODULES", ("fit",))
    return cli_main.main


@pytest.fixture
def window(lar_runs):
    mean, _ = expected_kr_peak(lar_runs.kr.attrs)
    return [round(0.86 * mean, 1), round(1.14 * mean, 1)]


def _json(capsys):
    out, err = capsys.readouterr()
    lines = [ln for ln in out.splitlines() if ln.strip()]
    assert len(lines) == 1, out  # exactly one JSON object on stdout
    return json.loads(lines[0]), err


def test_fit_peak_json_equals_the_step(larcal, capsys, lar_runs, window):
    kr, bkg = lar_runs.kr, lar_runs.background
    argv = ["fit-peak", str(kr.rq_path), "--column", "total_pe", "--range", *map(str, window)]
    argv += ["--background", str(bkg.rq_path), "--model", "gauss", "--json"]
    assert larcal(argv) == 0
    out, _ = _json(capsys)
    for key in ("mean", "mean_err", "sigma", "sigma_err", "resolution", "chi2", "ndf", "valid"):
        assert key in out, key
    step = compute_peak(
        StepInputs(rq={"signal": kr.table, "background": bkg.table}),
        {"role": "signal", "range": window, "model": "gauss", "background_role": "background"},
    )
    # identical numbers: the CLI runs the step's function on the same files and settings
    assert out["mean"] == step.fit["mean"]
    assert out["sigma_err"] == step.fit.error("sigma")
    assert out["resolution"] == step.fit.extra["resolution"]
    assert out["valid"] is True
    assert out["cost"] == "chi2"
    assert out["chi2_pvalue"] > 1e-3  # a Gaussian describes the subtracted peak
    assert out["warning"] is None
    assert out["livetime_scale"] == pytest.approx(kr.table.livetime_s / bkg.table.livetime_s)


def test_fit_peak_with_cut_and_text_output(larcal, capsys, lar_runs):
    kr = lar_runs.kr
    cut = "ftop > 0.3 and ftop < 0.7"
    mean, _ = expected_kr_peak(kr.attrs)
    wide = [str(round(0.6 * mean)), str(round(1.4 * mean))]  # room for the linear background
    argv = ["fit-peak", str(kr.rq_path), "--range", *wide, "--cut", cut, "--json"]
    assert larcal(argv) == 0
    out, _ = _json(capsys)
    mask = CutSet((ExpressionCut("c", cut),)).mask(kr.table)
    assert out["n_selected"] == int(mask.sum())
    assert out["n_events"] == len(kr.table)
    assert larcal(argv[:-1]) == 0
    text = capsys.readouterr().out
    assert "peak mean" in text
    assert "sigma/mean" in text


def test_halflife_json(larcal, capsys, lar_runs, window):
    run = lar_runs.kr_run
    start = run.attrs["run_pre_injection_s"] + run.attrs["run_rise_s"] + 300
    argv = ["halflife", str(run.rq_path), "--column", "total_pe", "--range", *map(str, window)]
    argv += ["--bin-s", "900", "--exclude-before-s", str(start), "--json"]
    assert larcal(argv) == 0
    out, _ = _json(capsys)
    step = compute_halflife(
        StepInputs(rq={"kr": run.table}),
        {"range": window, "bin_s": 900.0, "exclude_before_s": start},
    )
    assert out["half_life_s"] == step.fit["half_life_s"]
    assert out["half_life_err_s"] == step.fit.error("half_life_s")
    assert out["background_hz"] == step.fit["background_hz"]
    assert out["valid"] is True
    # the truth is within 3 standard errors (as in the step test)
    truth = run.attrs["kr83m_half_life_s"]
    assert abs(out["half_life_s"] - truth) < 3 * out["half_life_err_s"]


def test_halflife_finds_the_filling_period_by_default(larcal, capsys, lar_runs, window):
    run = lar_runs.kr_run
    filling_end = run.attrs["run_pre_injection_s"] + run.attrs["run_rise_s"]
    argv = ["halflife", str(run.rq_path), "--range", *map(str, window), "--json"]
    assert larcal(argv) == 0
    out, err = _json(capsys)
    # No --exclude-before-s: the fit starts at the end of the top-rate 600 s bin, at or after
    # the end of the filling (within two bins: the rise ends inside one)
    assert filling_end <= out["exclude_before_s"] <= filling_end + 2 * 600.0
    assert out["fit_range_s"][0] == out["exclude_before_s"]
    truth = run.attrs["kr83m_half_life_s"]
    # within 3 standard errors of the simulated half-life, with a good fit (no warning)
    assert abs(out["half_life_s"] - truth) < 3 * out["half_life_err_s"]
    assert out["warning"] is None
    assert err == ""
    # "none" fits the filling period too: the fit is poor and says so (the old default)
    assert larcal([*argv, "--exclude-before-s", "none"]) == 0
    out_none, err_none = _json(capsys)
    assert out_none["exclude_before_s"] is None
    assert "poor fit" in out_none["warning"]
    assert "exclude_before_s" in err_none


def test_halflife_rejects_a_bad_exclusion(larcal, capsys, lar_runs, window):
    argv = ["halflife", str(lar_runs.kr_run.rq_path), "--range", *map(str, window)]
    with pytest.raises(SystemExit) as exc:
        larcal([*argv, "--exclude-before-s", "soon"])
    assert exc.value.code == 2  # argparse's usage error
    assert "expected auto, none or seconds" in capsys.readouterr().err


def test_os_errors_are_one_line_naming_the_file(larcal, capsys, monkeypatch, tmp_path):
    import analysis_core.cli.fit as cli_fit

    path = str(tmp_path / "locked.h5")

    def denied(p):
        raise PermissionError(13, "Permission denied", str(p))

    monkeypatch.setattr(cli_fit, "read_rq", denied)
    assert larcal(["delay", path]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == f"larcal: error: {path}: Permission denied\n"


def test_delay_json(larcal, capsys, lar_runs):
    kr = lar_runs.kr
    assert larcal(["delay", str(kr.rq_path), "--cut", "total_pe > 150", "--json"]) == 0
    out, _ = _json(capsys)
    cuts = CutSet((ExpressionCut("c", "total_pe > 150"),))
    step = compute_delay(StepInputs(rq={"kr": kr.table}, cuts=cuts), {})
    assert out["half_life_ns"] == step.fit["half_life_ns"]
    assert out["half_life_err_ns"] == step.fit.error("half_life_ns")
    assert out["kept_fraction"] == step.fit.extra["kept_fraction"]
    truth = kr.attrs["kr83m_step_half_life_ns"]
    assert abs(out["half_life_ns"] - truth) < 3 * out["half_life_err_ns"]


def test_delay_on_a_run_without_krypton_warns(larcal, capsys, lar_runs):
    bkg = lar_runs.background
    code = larcal(["delay", str(bkg.rq_path), "--json"])
    out, err = _json(capsys)
    # whatever the fit does with afterpulses and pile-up, it is not an 83mKr half-life
    assert "not 83mKr" in (out["warning"] or "")
    if code == 0:
        assert "not 83mKr" in err
    kr = lar_runs.kr
    step = compute_delay(StepInputs(rq={"kr": kr.table}), {})
    assert "not 83mKr" not in (step.fit.extra.get("warning") or "")


def test_invalid_fit_exits_1_with_json(larcal, capsys, lar_runs):
    argv = ["fit-peak", str(lar_runs.kr.rq_path), "--range", "5000", "6000", "--json"]
    assert larcal(argv) == 1
    out, err = _json(capsys)
    assert out["valid"] is False
    assert "too few counts" in out["message"]
    assert out["mean"] is None
    assert "fit not valid" in err


@pytest.mark.parametrize(
    ("argv", "fault"),
    [
        (["delay", "{missing}"], "does not exist"),
        (["delay", "{kr}", "--cut", "nonsense > 1"], "--cut"),
        (["fit-peak", "{kr}", "--range", "1", "2", "--column", "energy"], "no column 'energy'"),
        (["fit-peak", "{kr}", "--range", "1", "2", "--background", "{raw}"], "larcal-rq"),
        (["fit-peak", "{kr}", "--range", "5", "2"], "lo < hi"),
    ],
)
def test_errors_are_one_line_naming_the_file(larcal, capsys, lar_runs, tmp_path, argv, fault):
    paths = {
        "missing": str(tmp_path / "missing.h5"),
        "kr": str(lar_runs.kr.rq_path),
        "raw": str(lar_runs.kr.raw),
    }
    argv = [a.format(**paths) for a in argv]
    assert larcal(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("larcal: error: ")
    assert fault in lines[0]
    assert any(p in lines[0] for p in paths.values()), lines[0]
