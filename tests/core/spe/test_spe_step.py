"""The "spe" step: compute_spe on simulated runs, settings, failures, JSON, light yields."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from analysis_core.errors import CalibrationError, RawFormatError
from analysis_core.progress import Cancelled, EventCancelToken
from analysis_core.reduction import ReductionConfig, reduce_raw
from analysis_core.sim import SimConfig
from analysis_core.spe import DEFAULT_SETTINGS, SpeResult, compute_spe
from analysis_core.steps import StepInputs

KR_KEV = 41.5573


@pytest.fixture(scope="module")
def result(spe_runs):
    p = spe_runs["paths"]
    calls = []
    res = compute_spe(
        StepInputs(raw_paths={"led": str(p["led"]), "kr": str(p["kr"])}),
        {},
        progress=lambda d, t: calls.append((d, t)),
    )
    return res, calls


def _peak_pe(rq) -> float:
    """41.5 keV peak mean by iterated 2-sigma clipping (as tests/core/test_sim_waveforms)."""
    good = np.isfinite(rq["t0_ns"]) & ~rq["saturated"]
    pe = rq["total_pe"][good]
    mu, sd = np.median(pe), pe.std()
    for _ in range(20):
        core = pe[np.abs(pe - mu) < 2 * sd]
        mu, sd = core.mean(), core.std() / 0.8796
    return float(mu)


def test_both_analyses_valid_with_progress(result):
    res, calls = result
    assert set(res.analyses) == {"A", "B"}
    for a in res.analyses.values():
        assert a.valid, a.message
        assert len(a.gains_adc_ns) == 2
        assert all(e > 0 for e in a.errors_adc_ns)
    assert res.analyses["B"].extra["role"] == "kr"  # "auto" prefers the Kr run
    assert res.analyses["A"].extra["n_events"] == 20_000
    assert calls[-1][0] == calls[-1][1]  # progress reaches its total
    assert all(d <= t for d, t in calls)
    assert res.settings == DEFAULT_SETTINGS


def test_gain_ratio_b_over_a_is_the_paper_s(result):
    res, _ = result
    ga, gb = res.gains("A"), res.gains("B")
    det = SimConfig().detector
    for ch in (0, 1):
        ratio = gb[ch] / ga[ch]
        # B/A between the model's mean/mu (0.862: B without any threshold effect) and 1;
        # the paper's 4.3/4.9 = 0.878 lies inside. Errors ~1 % each.
        assert 0.862 - 0.03 < ratio < 1.0
        assert abs(ga[ch] - det.spe_mu_adc_ns(ch)) < 3 * res.analyses["A"].errors_adc_ns[ch]


def test_light_yields_of_both_analyses_on_a_reduced_kr_run(result, spe_runs):
    res, _ = result
    kr = spe_runs["paths"]["kr"]
    y = {}
    for a in ("A", "B"):
        rq = reduce_raw(kr, ReductionConfig(spe_gain_adc_ns=res.gains(a)))
        y[a] = _peak_pe(rq) / KR_KEV
    # A: the paper's 4.3 PE/keV (the simulator's default is chosen for it); tolerance 4 %:
    # gain errors ~1 %, peak mean of 3000 events 0.2 %, the 0.888 factor's model ~2 %
    assert y["A"] == pytest.approx(4.3, rel=0.04)
    # B: the paper's 4.9 +- 0.1; ours depends on the threshold definition: 4.6-5.1
    assert 4.6 < y["B"] < 5.1
    assert y["B"] > y["A"] + 0.2


def test_json_round_trip(result):
    res, _ = result
    d = json.loads(json.dumps(res.to_dict()))
    back = SpeResult.from_dict(d)
    assert back.to_dict() == res.to_dict()
    assert back.gains("A") == res.gains("A")
    assert back.analyses["A"].fits[0].components()["total"].sum() > 0


def test_missing_runs_and_dark_led_give_invalid_analyses(spe_runs):
    res = compute_spe(StepInputs(), {})
    assert not res.analyses["A"].valid
    assert "no LED run" in res.analyses["A"].message
    assert "no source run" in res.analyses["B"].message
    assert all(math.isnan(g) for g in res.analyses["B"].gains_adc_ns)
    with pytest.raises(CalibrationError, match="no valid SPE gains of analysis A"):
        res.gains("A")
    dark = compute_spe(
        StepInputs(raw_paths={"led": str(spe_runs["paths"]["dark_led"])}), {"analyses": ["A"]}
    )
    assert set(dark.analyses) == {"A"}
    assert not dark.analyses["A"].valid
    assert "no LED pulse" in dark.analyses["A"].message
    json.dumps(dark.to_dict())  # NaN-free JSON


def test_bad_settings_and_files_raise_typed_errors(tmp_path, spe_runs):
    with pytest.raises(CalibrationError, match="unknown SPE setting"):
        compute_spe(StepInputs(), {"led_windw_ns": 60})
    with pytest.raises(CalibrationError, match="b_role"):
        compute_spe(StepInputs(), {"b_role": "co57"})
    junk = tmp_path / "junk.h5"
    junk.write_text("junk")
    with pytest.raises(RawFormatError, match="junk.h5"):
        compute_spe(StepInputs(raw_paths={"led": str(junk)}), {"analyses": ["A"]})


def test_cancel_stops_between_chunks(spe_runs):
    token = EventCancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        compute_spe(
            StepInputs(raw_paths={"led": str(spe_runs["paths"]["led"])}),
            {"analyses": ["A"]},
            cancel=token,
        )
