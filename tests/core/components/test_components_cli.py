"""``larcal components`` on the shared simulated runs: JSON equal to the step functions."""

from __future__ import annotations

import argparse
import json

import pytest

from analysis_core.cli.components import register
from analysis_core.components.analysis_a import compute_components_a
from analysis_core.components.analysis_b import compute_components_b
from analysis_core.errors import CalibrationError
from analysis_core.rqfile import read_rq, write_rq
from analysis_core.steps import StepInputs


@pytest.fixture(scope="module")
def rq_files(sim_runs, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("components_cli")
    out = {}
    for role in ("kr", "background", "co57"):
        out[role] = str(write_rq(tmp / f"{role}_rq.h5", sim_runs[role].rq))
    return out


def _run(argv, capsys):
    parser = argparse.ArgumentParser(prog="larcal")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["components", *argv])
    code = args.func(args)
    return code, capsys.readouterr().out


def test_json_equals_the_steps(rq_files, capsys):
    code, out = _run(
        ["--kr", rq_files["kr"], "--background", rq_files["background"],
         "--co57", rq_files["co57"], "--settings-b", '{"alpha_deg": 38.0}', "--json"],
        capsys,
    )  # fmt: skip
    assert code == 0
    doc = json.loads(out)  # exactly one JSON object
    rq = {r: read_rq(p) for r, p in rq_files.items()}
    a = compute_components_a(StepInputs(rq=rq), {})
    b = compute_components_b(StepInputs(rq=rq), {"alpha_deg": 38.0})
    assert doc["A"]["light"]["9.4"]["pe"] == pytest.approx(a.light_9.pe, rel=1e-12)
    assert doc["B"]["light"]["32.1"]["pe"] == pytest.approx(b.system.i_total_32_pe, rel=1e-12)
    assert doc["B"]["result"]["alpha_deg"] == 38.0
    y = doc["A"]["light"]["32.1"]
    assert y["yield_pe_per_kev"] == pytest.approx(y["pe"] / 32.1516)


def test_text_output_and_errors(rq_files, capsys):
    code, out = _run(
        ["--kr", rq_files["kr"], "--co57", rq_files["co57"], "--analysis", "B"], capsys
    )
    assert code == 0
    assert out.count("PE/keV") == 2
    with pytest.raises(CalibrationError, match="background"):
        _run(["--kr", rq_files["kr"], "--analysis", "A"], capsys)
    with pytest.raises(CalibrationError, match="--settings-a: not JSON"):
        _run(["--kr", rq_files["kr"], "--settings-a", "{x", "--analysis", "A"], capsys)
