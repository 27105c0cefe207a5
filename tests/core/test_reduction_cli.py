"""``larcal reduce``: outputs, gains mapped by channel name, JSON summary, one-line errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from analysis_core.cli import main as cli_main
from analysis_core.rqfile import read_rq
from tests.core.test_reduction_stream import write_raw
from tests.core.test_reduction_support import random_events


@pytest.fixture(autouse=True)
def _only_reduce(monkeypatch):
    # the other sub-commands belong to other modules; dispatch and error handling are shared
    monkeypatch.setattr(cli_main, "COMMAND_MODULES", ("reduce",))


@pytest.fixture(scope="module")
def events():
    return random_events(40, seed=3)


def run(argv, capsys):
    code = cli_main.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_reduce_without_gains_writes_adc_ns(tmp_path, events, capsys):
    raw, out = tmp_path / "run.h5", tmp_path / "rq.h5"
    write_raw(raw, events)
    code, stdout, err = run(["reduce", str(raw), "--out", str(out)], capsys)
    assert code == 0, err
    assert "40 events reduced" in stdout
    assert "ADC*ns" in stdout
    table = read_rq(out)
    assert len(table) == 40
    assert table.pe_units == "ADC*ns"


def test_reduce_with_gains_maps_top_bottom_by_name_and_prints_json(tmp_path, events, capsys):
    raw, out = tmp_path / "run.h5", tmp_path / "rq.h5"
    write_raw(raw, events[:, ::-1], names=("bottom", "top"))  # stored bottom first
    code, stdout, err = run(
        ["reduce", str(raw), "--out", str(out), "--spe-gain", "200", "100", "--json"], capsys
    )
    assert code == 0, err
    summary = json.loads(stdout)  # exactly one JSON object on stdout
    assert summary["n_events"] == 40
    assert summary["pe_units"] == "PE"
    assert summary["spe_gain_adc_ns"] == {"bottom": 100.0, "top": 200.0}
    assert len(summary["input_sha256"]) == 64
    assert err == ""  # no progress bar with --json
    pe = read_rq(out)
    ref_raw, ref_out = tmp_path / "ref.h5", tmp_path / "ref_rq.h5"
    write_raw(ref_raw, events)
    assert run(["reduce", str(ref_raw), "--out", str(ref_out)], capsys)[0] == 0
    adc = read_rq(ref_out)
    np.testing.assert_allclose(pe["total_pe_top"], adc["total_pe_top"] / 200.0, rtol=1e-6)
    np.testing.assert_allclose(pe["total_pe_bottom"], adc["total_pe_bottom"] / 100.0, rtol=1e-6)


def test_bad_file_gives_one_line_error_and_no_output(tmp_path, capsys):
    raw, out = tmp_path / "broken.h5", tmp_path / "rq.h5"
    raw.write_bytes(b"\x89HDF\r\n\x1a\n truncated")
    code, stdout, err = run(["reduce", str(raw), "--out", str(out)], capsys)
    assert code == 2
    assert stdout == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"larcal: error: {raw}: ")
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


def test_bad_gains_give_one_line_error(tmp_path, events, capsys):
    raw, out = tmp_path / "run.h5", tmp_path / "rq.h5"
    write_raw(raw, events[:5])
    code, _, err = run(["reduce", str(raw), "--out", str(out), "--spe-gain", "-1", "5"], capsys)
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert "SPE gains must be positive" in err
    assert not out.exists()
    other = tmp_path / "other.h5"
    write_raw(other, events[:5, :1], names=("sum",))
    code, _, err = run(["reduce", str(other), "--out", str(out), "--spe-gain", "1", "5"], capsys)
    assert code == 2
    assert "needs channels named top and bottom" in err
    assert not out.exists()


def test_bad_capacitive_tau_gives_one_line_error(tmp_path, events, capsys):
    raw, out = tmp_path / "run.h5", tmp_path / "rq.h5"
    write_raw(raw, events[:5])
    code, _, err = run(["reduce", str(raw), "--out", str(out), "--capacitive-tau-ns", "-5"], capsys)
    assert code == 2
    assert err.startswith("larcal: error: capacitive_tau_ns must be positive")
    assert not out.exists()
