"""``larcal simulate`` / ``larcal demo`` and the demo campaign."""

from __future__ import annotations

import json
import os
import time

import pytest

import analysis_core.cli.main as cli_main
from analysis_core.rawfile import RawFile
from analysis_core.sim import demo
from analysis_core.sim.demo import (
    DEMO_RUNS,
    MANIFEST_NAME,
    DemoRun,
    build_demo_campaign,
    config_digest,
    default_demo_dir,
    ensure_demo_campaign,
    read_manifest,
)


@pytest.fixture
def larcal(monkeypatch):
    """``larcal`` main with only this module's commands (others may not be installed yet)."""
    monkeypatch.setattr(cli_main, "COMMAND_MODULES", ("simulate",))
    return cli_main.main


@pytest.fixture
def tiny_demo(monkeypatch):
    runs = tuple(
        DemoRun(
            r.file,
            r.kind,
            200 if r.kind != "kr-run" else 400,
            r.seed_offset,
            r.compression,
            r.start_time_utc,
        )
        for r in DEMO_RUNS
    )
    monkeypatch.setattr(demo, "DEMO_RUNS", runs)
    return runs


def test_simulate_json_output_and_options(larcal, tmp_path, capsys):
    out = tmp_path / "kr.h5"
    code = larcal(
        [
            "simulate", "kr83m", "--events", "150", "--seed", "4", "--out", str(out),
            "--compression", "blosc-lz4", "--light-yield", "4.9", "--ac-coupling-tau-us", "100",
            "--json",
        ]
    )  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0
    result = json.loads(captured.out)
    assert set(result) >= {"path", "events", "seconds", "kind", "seed"}
    assert (result["events"], result["kind"], result["seed"]) == (150, "kr83m", 4)
    assert captured.err == ""  # no progress bar with --json
    with RawFile(result["path"]) as f:
        attrs = f.truth_attrs()
        assert f.n_events == 150
        assert f.metadata.run_type == "kr83m"
        assert f.compression is not None
    assert attrs["light_yield_pe_per_kev"] == 4.9
    assert attrs["ac_coupling_tau_us"] == 100.0
    assert attrs["seed"] == 4


def test_simulate_progress_bar_without_json(larcal, tmp_path, capsys):
    assert larcal(["simulate", "led", "--events", "50", "--out", str(tmp_path / "l.h5")]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "simulate led" in captured.err


@pytest.mark.parametrize(
    "argv",
    [
        ["simulate", "muon", "--events", "10"],
        ["simulate", "ar39", "--events", "0"],
        ["simulate", "ar39", "--events", "ten"],
        ["simulate", "ar39", "--events", "10", "--seed", "-3"],
        ["simulate", "ar39", "--events", "10", "--light-yield", "0"],
        ["simulate", "ar39", "--events", "10", "--ac-coupling-tau-us", "-5"],
        ["simulate", "ar39", "--events", "10", "--compression", "zip"],
    ],
)
def test_simulate_refuses_bad_arguments(larcal, tmp_path, capsys, argv):
    with pytest.raises(SystemExit) as err:
        larcal([*argv, "--out", str(tmp_path / "x.h5")])
    assert err.value.code == 2
    assert "error" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_simulate_missing_directory_is_one_line_error(larcal, tmp_path, capsys):
    out = tmp_path / "nope" / "x.h5"
    assert larcal(["simulate", "ar39", "--events", "10", "--out", str(out), "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("larcal: error:")
    assert str(out) in lines[0]


def test_default_demo_dir_follows_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("LARCAL_DATA_DIR", str(tmp_path))
    assert default_demo_dir() == tmp_path / "demo_campaign"
    monkeypatch.delenv("LARCAL_DATA_DIR")
    assert default_demo_dir().name == "demo_campaign"
    assert "larcal" in str(default_demo_dir()).lower()


def test_ensure_builds_once_and_rebuilds_when_incomplete(tiny_demo, tmp_path):
    out = tmp_path / "camp"
    paths = ensure_demo_campaign(out, seed=7)
    assert [p.name for p in paths] == [r.file for r in tiny_demo] + [MANIFEST_NAME]
    manifest = read_manifest(out)
    assert manifest["seed"] == 7
    assert [r["file"] for r in manifest["runs"]] == [r.file for r in tiny_demo]
    stamp = {p: p.stat().st_mtime_ns for p in paths}
    time.sleep(0.01)
    ensure_demo_campaign(out, seed=7)  # complete: nothing rewritten
    assert {p: p.stat().st_mtime_ns for p in paths} == stamp
    (out / "co57.h5").unlink()
    ensure_demo_campaign(out, seed=7)  # incomplete: rebuilt
    assert (out / "co57.h5").is_file()
    assert read_manifest(out) is not None
    # a campaign simulated with other defaults (an older version) is rebuilt
    manifest = read_manifest(out)
    (out / MANIFEST_NAME).write_text(json.dumps({**manifest, "config_digest": "older"}))
    stamp = (out / "led.h5").stat().st_mtime_ns
    time.sleep(0.01)
    ensure_demo_campaign(out, seed=7)
    assert (out / "led.h5").stat().st_mtime_ns != stamp
    assert read_manifest(out)["config_digest"] == config_digest()
    (out / MANIFEST_NAME).write_text("{not json")
    assert read_manifest(out) is None


def test_cancelled_demo_leaves_no_manifest(tiny_demo, tmp_path):
    from analysis_core.progress import Cancelled, EventCancelToken

    token = EventCancelToken()

    def progress(done, total):
        if done >= 300:
            token.cancel()

    with pytest.raises(Cancelled):
        build_demo_campaign(tmp_path, progress=progress, cancel=token)
    assert not (tmp_path / MANIFEST_NAME).exists()
    assert not any(p.name.endswith(".part") for p in tmp_path.iterdir())


def test_demo_cli_if_missing(larcal, tiny_demo, tmp_path, capsys):
    out = tmp_path / "d"
    assert larcal(["demo", "--out", str(out), "--json", "--if-missing"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["path"] == str(out)
    assert len(first["files"]) == len(tiny_demo) + 1
    mtime = (out / MANIFEST_NAME).stat().st_mtime_ns
    assert larcal(["demo", "--out", str(out), "--json", "--if-missing"]) == 0
    capsys.readouterr()
    assert (out / MANIFEST_NAME).stat().st_mtime_ns == mtime
    (tmp_path / "file").write_text("x")
    assert larcal(["demo", "--out", str(tmp_path / "file"), "--json"]) == 2


@pytest.mark.slow
def test_full_demo_campaign_builds_complete_and_fast(larcal, tmp_path, capsys):
    out = tmp_path / "demo"
    t0 = time.perf_counter()
    assert larcal(["demo", "--out", str(out), "--json"]) == 0
    seconds = time.perf_counter() - t0
    result = json.loads(capsys.readouterr().out)
    assert seconds < 60.0  # the brief: well under a minute (measured ~10 s)
    manifest = read_manifest(out)
    runs = {r["kind"]: r for r in manifest["runs"]}
    assert set(runs) == {"led", "background", "kr-run", "co57", "am241"}
    assert manifest["software_version"]
    assert result["events"] == sum(r.events for r in DEMO_RUNS)
    assert {r["compression"] for r in manifest["runs"]} >= {"none", "blosc-lz4"}
    # background and Kr run share the 39Ar rate scaling
    assert runs["background"]["rate_scale"] == pytest.approx(runs["kr-run"]["rate_scale"])
    for r in manifest["runs"]:
        path = out / r["file"]
        assert path.stat().st_size == r["bytes"]
        with RawFile(path) as f:
            assert f.n_events == r["events"]
            assert f.metadata.run_type == r["run_type"]
            assert f.has_truth
    assert os.path.getsize(out / "kr_run.h5") < 150e6
