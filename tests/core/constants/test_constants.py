"""Calibration-constants file: content, schema validation, atomic write, read-back, diff."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from analysis_core import __version__
from analysis_core.constants import (
    ConstantsFormatError,
    build_constants,
    diff_constants,
    format_change,
    read_constants,
    run_input,
    validate_constants,
    write_constants,
)
from analysis_core.cuts import CutSet, ExpressionCut, default_cutset
from analysis_core.linearity import LinearityPoint, LinearityResult, fit_linearity
from analysis_core.resolution import fit_resolution, resolution_model
from analysis_core.rqfile import RQTable, write_rq

ENERGIES_KEV = (9.4, 32.1, 41.5, 59.5, 122.0)


def _linearity(y_pe_per_kev: float) -> LinearityResult:
    res = resolution_model(np.array(ENERGIES_KEV), 0.5, 0.03, 0.5)
    pts = [
        LinearityPoint(
            e, y_pe_per_kev * e, 0.02 * y_pe_per_kev * e + 1, f"{e} keV", "A", r, 0.05 * r
        )
        for e, r in zip(ENERGIES_KEV, res, strict=True)
    ]
    fit = fit_linearity(pts, "A")
    rfit = fit_resolution(ENERGIES_KEV, res, 0.05 * res)
    return LinearityResult({"A": fit}, {"A": rfit})


@pytest.fixture
def rq_file(tmp_path):
    n = 100
    table = RQTable(
        {"time_s": np.linspace(0.0, 3600.0, n), "ftop": np.full(n, 0.5)},
        {
            "pe_units": "PE",
            "run": {"run_id": "kr-7", "start_time_utc": "2019-02-20T10:00:00+00:00"},
        },
    )
    path = tmp_path / "kr_rq.h5"
    write_rq(path, table)
    return path, table


def _doc(rq_file, y=4.3, **kw):
    path, table = rq_file
    return build_constants(
        gains={"A": (100.0, 120.0), "B": (87.0, 104.0)},
        gain_errors={"A": (0.5, 0.6)},
        results={"linearity": _linearity(y)},
        cuts=CutSet((ExpressionCut("ER F90", "f90 < 0.45"),)).to_dict(),
        runs=[run_input("kr", None, str(path), table)],
        session_file="s.json",
        **kw,
    )


def test_document_content_validates_and_round_trips(rq_file, tmp_path):
    doc = _doc(rq_file)
    validate_constants(doc)
    out = write_constants(tmp_path / "constants.json", doc)
    back = read_constants(out)
    assert back == json.loads(json.dumps(doc))
    assert back["format"] == "larcal-calibration-constants"
    assert back["format_version"] == 1
    ly = back["light_yield"]["A"]
    # points exactly on Y E: the through-origin fit returns Y to round-off
    assert ly["y_pe_per_kev"] == pytest.approx(4.3, rel=1e-12)
    assert back["resolution"]["A"]["a_sqrt_kev"] == pytest.approx(0.5, rel=1e-6)
    assert [p["energy_kev"] for p in back["kr_peaks"]] == [9.4, 32.1, 41.5]
    assert back["spe_gains"]["analyses"]["B"]["top"] == {
        "gain_adc_ns": 87.0,
        "gain_err_adc_ns": None,
    }
    prov = back["provenance"]
    assert prov["software_version"] == __version__
    assert prov["git_commit"] is None or len(prov["git_commit"]) == 40
    rq_sha = hashlib.sha256(rq_file[0].read_bytes()).hexdigest()
    assert prov["inputs"][0]["rq_sha256"] == rq_sha
    assert back["validity"] == {
        "runs": ["kr-7"],
        "first_run_start_utc": "2019-02-20T10:00:00+00:00",
        "last_run_end_utc": "2019-02-20T11:00:00+00:00",
    }
    assert "linearity" in back["fit_results"]


def test_corrupted_files_give_errors_naming_file_and_fault(rq_file, tmp_path):
    good = write_constants(tmp_path / "c.json", _doc(rq_file))
    text = good.read_text()
    truncated = tmp_path / "truncated.json"
    truncated.write_text(text[: len(text) // 2])
    with pytest.raises(ConstantsFormatError, match=r"truncated\.json: not valid JSON at line"):
        read_constants(truncated)
    doc = json.loads(text)
    doc["light_yield"]["A"]["y_pe_per_kev"] = "4.3"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    with pytest.raises(ConstantsFormatError) as info:
        read_constants(bad)
    assert "bad.json: $.light_yield.A.y_pe_per_kev: '4.3' is not of type 'number'" in str(
        info.value
    )
    doc = json.loads(text)
    doc["format_version"] = 2
    with pytest.raises(ConstantsFormatError, match=r"\$\.format_version: 1 was expected"):
        validate_constants(doc, "mem")
    doc = json.loads(text)
    doc["cuts"] = default_cutset().to_dict()
    validate_constants(doc, "mem")  # a real cut set is valid
    doc["cuts"]["cuts"][0]["kind"] = "bogus"
    with pytest.raises(ConstantsFormatError, match=r"\$\.cuts\.cuts\[0\]\.kind: 'bogus'"):
        validate_constants(doc, "mem")


def test_invalid_document_is_not_written(rq_file, tmp_path):
    target = tmp_path / "c.json"
    target.write_text("previous\n")
    doc = _doc(rq_file)
    del doc["provenance"]
    with pytest.raises(ConstantsFormatError, match="'provenance' is a required property"):
        write_constants(target, doc)
    assert target.read_text() == "previous\n"
    # no temporary file left behind
    assert {p.name for p in tmp_path.iterdir()} == {"c.json", "kr_rq.h5"}


def test_diff_lists_a_changed_light_yield_and_ignores_the_date(rq_file):
    old = _doc(rq_file, 4.3, created_utc="2026-01-01T00:00:00+00:00")
    same = _doc(rq_file, 4.3, created_utc="2026-02-01T00:00:00+00:00")
    assert diff_constants(old, same) == []
    new = _doc(rq_file, 4.5)
    changes = {c.path: c for c in diff_constants(old, new)}
    ly = changes["light_yield.A.y_pe_per_kev"]
    assert ly.kind == "changed"
    assert ly.relative_change == pytest.approx(0.2 / 4.3, rel=1e-9)
    assert format_change(ly).startswith("~ light_yield.A.y_pe_per_kev: 4.3 -> 4.5 (+4.65 %)")
    new["hpge"] = {"activity_bq": 5120.0}
    del new["light_yield"]["A"]["points"][0]["label"]
    kinds = {c.path: c.kind for c in diff_constants(old, new)}
    assert kinds["hpge"] == "changed"
    assert kinds["light_yield.A.points[0].label"] == "removed"


def test_nan_is_stored_as_null(rq_file, tmp_path):
    doc = _doc(rq_file)
    doc["fit_results"]["extra"] = {"value": float("nan")}
    out = write_constants(tmp_path / "c.json", doc)
    assert read_constants(out)["fit_results"]["extra"] == {"value": None}
