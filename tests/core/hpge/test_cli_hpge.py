"""``larcal hpge``: JSON keys of spec/interfaces.md section 3, paper Table 1, errors, real data."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from analysis_core.cli import main as cli_main
from analysis_core.hpge.efficiency import load_efficiency_curve
from analysis_core.hpge.nuclides import get_nuclide

TABLE1 = [
    ["30110", "177", "4.37e-3", "0.06e-3", "0.83", "0.01", "0.450", "0.003"],
    ["19205", "141", "4.29e-3", "0.06e-3", "0.83", "0.01", "0.293", "0.002"],
    ["9902", "103", "4.07e-3", "0.05e-3", "0.83", "0.01", "0.160", "0.001"],
]
PAPER = [5145, 5136, 5077]


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture):
    """Run ``larcal`` through its real entry point; return (exit code, stdout, stderr)."""
    # Only the hpge commands are registered, so this file does not depend on other modules.
    monkeypatch.setattr(cli_main, "COMMAND_MODULES", ("hpge",))

    def _run(*argv: str) -> tuple[int, str, str]:
        try:
            code = cli_main.main(list(argv))
        except SystemExit as exc:  # argparse usage errors
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return code, out, err

    return _run


def table1_args(*extra: str) -> list[str]:
    args = ["hpge", "activity"]
    for row in TABLE1:
        args += ["--line", *row]
    return [*args, "--energy", "520.4", "529.6", "552.6", "--live-time", "3600", *extra]


def test_activity_lines_json_reproduces_table1(run) -> None:
    code, out, err = run(*table1_args("--json"))
    assert code == 0, err
    d = json.loads(out)
    assert len(d["lines"]) == 3
    for line, paper in zip(d["lines"], PAPER, strict=True):
        assert {"activity_bq", "activity_err_bq", "budget"} <= set(line)
        assert line["activity_bq"] == pytest.approx(paper, rel=0.005)  # rounding of inputs
        assert math.sqrt(sum(t["abs_err_bq"] ** 2 for t in line["budget"])) == pytest.approx(
            line["activity_err_bq"], rel=1e-9
        )
    comb = d["combined"]
    assert comb["activity_bq"] == pytest.approx(5120, rel=0.005)
    assert comb["activity_err_bq"] == pytest.approx(96.8, abs=0.5)
    terms = {t["term"]: t for t in comb["budget"]}
    assert terms["attenuation"]["correlation"] == "fully correlated"
    assert math.sqrt(sum(t["rel_err"] ** 2 for t in comb["budget"])) == pytest.approx(
        comb["activity_err_bq"] / comb["activity_bq"], rel=1e-9
    )
    assert d["correlations"]["counting"] == "independent"
    assert d["independent_weighted_mean"]["activity_err_bq"] == pytest.approx(61.3, abs=0.5)
    assert d["kr83m"]["activity_bq"] == pytest.approx(
        0.743 * 1.0009 * comb["activity_bq"], rel=1e-4
    )
    assert d["nuclide"] == "Rb-83"
    assert d["method"] == "eq3.1"


def test_activity_lines_correlation_options_and_decay(run) -> None:
    code, out, _ = run(
        *table1_args("--efficiency-correlation", "0", "--attenuation-correlation", "0", "--json")
    )
    assert code == 0
    d = json.loads(out)
    assert d["combined"]["activity_err_bq"] == pytest.approx(61.3, abs=0.5)  # all independent
    code, out, _ = run(
        *table1_args(
            "--real-time", "3600", "--decay-during-counting", "--start", "2019-02-19T10:00",
            "--date", "2020-01-08T10:00", "--json",
        )
    )  # fmt: skip
    assert code == 0
    d = json.loads(out)
    rb = get_nuclide("Rb-83")
    at_meas = d["activity_at_measurement"]
    assert at_meas["reference_time"] == "2019-02-19T10:00:00"
    f = 2 ** (-323 * 86400 / rb.half_life_s)
    assert d["combined"]["activity_bq"] == pytest.approx(at_meas["activity_bq"] * f, rel=1e-12)
    assert d["reference_time"] == "2020-01-08T10:00:00"
    assert "half_life" in {t["term"] for t in d["combined"]["budget"]}
    assert d["method"] == "decay-corrected"


def test_activity_without_energies(run) -> None:
    args = ["hpge", "activity", "--line", *TABLE1[0], "--live-time", "3600", "--json"]
    code, out, _ = run(*args)
    assert code == 0
    d = json.loads(out)
    assert d["lines"][0]["energy_kev"] is None  # not given: null, never a made-up number
    assert d["combined"]["activity_bq"] == pytest.approx(d["lines"][0]["activity_bq"])


def test_activity_text_report(run) -> None:
    code, out, _ = run(*table1_args())
    assert code == 0
    assert "Combined (GLS)" in out
    assert "Expected Kr-83m" in out
    assert "attenuation" in out


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["hpge", "activity", "--line", *TABLE1[0]], "--live-time"),
        (["hpge", "activity", "--live-time", "10"], "either --line"),
        ([*table1_args(), "--spectrum", "x.Spe"], "either --line"),
        ([*table1_args()[:-2], "--live-time", "0"], "live_time_s must be > 0"),
        ([*table1_args(), "--nuclide", "Xx-1"], "unknown nuclide"),
        ([*table1_args(), "--decay-during-counting"], "needs --real-time"),
        (["hpge", "activity", "--spectrum", "x.Spe"], "needs --efficiency"),
        (["hpge", "efficiency", "--json"], "at least one SPECTRUM"),
        ([*table1_args(), "--energy", "520.4"], "--energy has 1 values for 3 lines"),
        (["hpge", "attenuation", "--inside", "a.Spe"], "--inside given 1 times but --outside 0"),
        (["hpge", "attenuation", "--inside", "a.Spe", "--outside", "b.Spe"], "needs --source"),
        (["hpge", "activity", "--spectrum", "x.Spe", "--efficiency", "nope.json"],
         "nope.json: not a readable efficiency curve"),
        (["hpge", "nuclide", "Xx-1"], "unknown nuclide"),
        (["hpge", "efficiency", "a.Spe", "b.Spe", "--source", "Eu-152", "--activity-bq", "1",
          "--activity-bq", "2", "--activity-bq", "3", "--reference-date", "2020-01-01"],
         "--activity-bq given 3 times for 2 spectra"),
    ],
)  # fmt: skip
def test_errors_are_one_line_on_stderr_with_exit_2(run, argv, match) -> None:
    code, out, err = run(*argv)
    assert code == 2
    assert out == ""
    assert match in err
    assert err.count("\n") == 1
    assert err.startswith("larcal: error: ")


POINTS = [
    ("122.06", "0.0338", "0.0005"),
    ("244.70", "0.0206", "0.0003"),
    ("344.28", "0.0156", "0.0002"),
    ("411.12", "0.0128", "0.0002"),
    ("778.90", "0.0070", "0.0001"),
    ("964.08", "0.0056", "0.0001"),
    ("1112.08", "0.0051", "0.0001"),
    ("1408.01", "0.0040", "0.00006"),
]


def test_efficiency_from_points_json_and_out_file(run, tmp_path: Path) -> None:
    args = ["hpge", "efficiency", "--order", "3", "--exclude", "244.7"]
    for p in POINTS:
        args += ["--point", *p]
    out_file = tmp_path / "curve.json"
    code, out, err = run(*args, "--out", str(out_file), "--json")
    assert code == 0, err
    d = json.loads(out)
    for key in ("points", "coefficients", "covariance", "e0_kev", "order", "chi2", "ndf"):
        assert key in d
    assert d["order"] == 3
    assert len(d["coefficients"]) == 4
    assert d["ndf"] == len(POINTS) - 1 - 4
    for p in d["points"]:
        assert {"energy_kev", "efficiency", "efficiency_err", "fwhm_kev"} <= set(p)
        assert "residual_relative" in p
    excluded = [p for p in d["points"] if p["excluded"]]
    assert [p["energy_kev"] for p in excluded] == [244.70]
    curve = load_efficiency_curve(out_file)
    assert list(curve.coefficients) == d["coefficients"]
    assert curve.efficiency(500.0) == pytest.approx(0.0105, rel=0.05)
    code, out, _ = run(*args)
    assert code == 0
    assert "Curve: ln(eps)" in out


def test_attenuation_and_nuclide_commands(run, tmp_path: Path) -> None:
    att = tmp_path / "att.json"
    code, out, err = run(
        "hpge", "attenuation", "--point", "344.28", "0.80", "0.01", "--point", "778.9", "0.86",
        "0.01", "--kind", "interp", "--evaluate", "520.4", "--out", str(att), "--json",
    )  # fmt: skip
    assert code == 0, err
    d = json.loads(out)
    assert d["kind"] == "interp"
    assert 0.80 < d["evaluated"][0]["mu"] < 0.86
    code, out, _ = run("hpge", "nuclide", "83Rb", "--json")
    assert code == 0
    assert json.loads(out)["normalisation_rel_err"] == 0.054
    code, out, _ = run("hpge", "nuclide", "eu152")
    assert "1408.0130 keV" in out


def test_real_spectrum_curve_then_activity(run, real_data: Path, tmp_path: Path) -> None:
    spe = real_data / "hpge" / "curie_eu_calib_7cm.Spe"
    curve = tmp_path / "eu.json"
    code, out, err = run(
        "hpge", "efficiency", str(spe), "--source", "152Eu", "--activity-bq", "37000",
        "--activity-err-bq", "555", "--reference-date", "2009-01-01T12:00", "--exclude-summing",
        "--out", str(curve), "--json",
    )  # fmt: skip
    assert code == 0, err
    d = json.loads(out)
    assert d["energy_calibrations"][0]["source"] == "fit"
    assert d["spectra"][0]["counting"]["live_time_s"] == 2289.0
    e122 = next(p for p in d["points"] if abs(p["energy_kev"] - 121.78) < 0.01)
    assert e122["excluded"]
    assert "summing-loss" in e122["flags"]
    # Closure through the CLI: the spectrum's own curve gives back the certificate.
    code, out, err = run(
        "hpge", "activity", "--spectrum", str(spe), "--efficiency", str(curve), "--nuclide",
        "Eu-152", "--exclude-summing", "--date", "2009-01-01T12:00", "--json",
    )  # fmt: skip
    assert code == 0, err
    a = json.loads(out)
    assert abs(a["combined"]["activity_bq"] - 37000) < a["combined"]["activity_err_bq"]
    assert a["kr83m"] is None
    assert a["expected_daughters"] == []
    assert a["method"] == "decay-corrected"


def test_two_sources_combine_in_one_curve(run, real_data: Path) -> None:
    # IAC 57Co (K4-895, 1.135 uCi on 2013-07-15) and 152Eu (1.060 uCi on 2008-01-07) on the same
    # detector, position 0 (README of the real data). The certificates are uncertain (the 152Eu
    # date may be a typo; close-geometry summing is strong), so only the bookkeeping is checked.
    d = real_data / "hpge"
    code, out, err = run(
        "hpge", "efficiency", str(d / "iac_2021-08-17_Co-57-0.Spe"),
        str(d / "iac_2021-08-17_Eu-152-0.Spe"), "--source", "Co-57", "--source", "Eu-152",
        "--activity-bq", "41995", "--activity-bq", "39220", "--activity-err-bq", "1260",
        "--activity-err-bq", "1177", "--reference-date", "2013-07-15", "--reference-date",
        "2008-01-07", "--label", "K4-895", "--label", "129753", "--order", "4", "--json",
    )  # fmt: skip
    assert code == 0, err
    res = json.loads(out)
    assert [s["certificate"]["nuclide"] for s in res["spectra"]] == ["Co-57", "Eu-152"]
    by_label = {}
    for p in res["points"]:
        by_label.setdefault(p["source_label"], []).append(p)
    assert set(by_label) == {"K4-895", "129753"}
    assert any(abs(p["energy_kev"] - 122.06) < 0.01 for p in by_label["K4-895"])
    # One correlated term per source: the certificate's 3 % (plus a small half-life part).
    for label, pts in by_label.items():
        corr = {round(p["correlated_rel_err"], 12) for p in pts}
        assert len(corr) == 1, label
        assert 0.03 <= corr.pop() < 0.031
    assert res["ndf"] == sum(not p["excluded"] for p in res["points"]) - 5
