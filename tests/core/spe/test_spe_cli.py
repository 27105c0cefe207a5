"""``larcal spe`` through its own ``register`` on a fresh parser (the lead registers it)."""

from __future__ import annotations

import argparse
import json

import pytest

from analysis_core.cli import reduce as reduce_cli
from analysis_core.cli import spe as spe_cli
from analysis_core.errors import CalibrationError, RawFormatError
from analysis_core.rqfile import read_rq
from analysis_core.spe import compute_spe
from analysis_core.steps import StepInputs

PMT_KEYS = {
    "gain_adc_ns", "gain_err_adc_ns", "mean_charge_adc_ns", "mean_charge_err_adc_ns",
    "occupancy", "occupancy_err", "sigma_adc_ns", "n_pulses", "chi2", "ndf", "valid", "message",
}  # fmt: skip


def _run(argv):
    parser = argparse.ArgumentParser(prog="larcal")
    sub = parser.add_subparsers(dest="command", required=True)
    spe_cli.register(sub)
    reduce_cli.register(sub)
    args = parser.parse_args(argv)
    return args.func(args)


def test_json_has_documented_keys_and_the_step_s_numbers(spe_runs, capsys):
    p = spe_runs["paths"]
    assert _run(["spe", str(p["led"]), "--source", str(p["kr"]), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"led", "source", "analyses", "spe_gain_adc_ns"}
    assert set(out["analyses"]) == {"A", "B"}
    for name in ("A", "B"):
        assert set(out["analyses"][name]["pmts"]) == {"top", "bottom"}
        for pmt in out["analyses"][name]["pmts"].values():
            assert set(pmt) == PMT_KEYS
            assert pmt["valid"]
    a_top = out["analyses"]["A"]["pmts"]["top"]
    assert a_top["occupancy"] > 0
    assert a_top["mean_charge_adc_ns"] < a_top["gain_adc_ns"]
    assert out["analyses"]["B"]["pmts"]["top"]["occupancy"] is None
    # the same function as the GUI and the session replay: identical numbers
    step = compute_spe(StepInputs(raw_paths={"led": str(p["led"]), "kr": str(p["kr"])}), {})
    assert out["spe_gain_adc_ns"]["A"] == list(step.gains("A"))
    assert out["spe_gain_adc_ns"]["B"] == list(step.gains("B"))


def test_text_output_and_gains_feed_reduce(spe_runs, capsys, tmp_path):
    p = spe_runs["paths"]
    assert _run(["spe", str(p["led"]), "--max-events", "8000"]) == 0
    text = capsys.readouterr().out
    assert "Analysis A" in text
    assert "Analysis B" not in text  # no --source: A only
    use = next(line for line in text.splitlines() if "--spe-gain" in line)
    top, bottom = (float(x) for x in use.split("--spe-gain")[1].split())
    out = tmp_path / "kr_rq.h5"
    assert (
        _run(["reduce", str(p["kr"]), "--out", str(out), "--spe-gain", str(top), str(bottom)]) == 0
    )
    capsys.readouterr()
    gains = read_rq(out).metadata["spe_gain_adc_ns"]
    assert gains == {"top": top, "bottom": bottom}  # the printed 2-decimal gains, by name


def test_failed_fit_exit_code_and_bad_file(spe_runs, capsys, tmp_path):
    dark = str(spe_runs["paths"]["dark_led"])
    assert _run(["spe", dark, "--led-time-ns", "104", "--json"]) == 1
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert out["analyses"]["A"]["valid"] is False
    assert out["spe_gain_adc_ns"]["A"] == [None, None]
    assert "no LED light" in captured.err
    junk = tmp_path / "junk.h5"
    junk.write_text("x")
    with pytest.raises(RawFormatError, match="junk.h5"):
        _run(["spe", str(junk)])
    # a source run given as the LED run is refused (its charges are not single PE)
    kr = str(spe_runs["paths"]["kr"])
    with pytest.raises(CalibrationError, match="a 'kr83m' run, not an LED run"):
        _run(["spe", kr])
