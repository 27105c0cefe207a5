"""compute_event_view: the browser shows exactly what the core's reduction computes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from analysis_core.rawfile import RawFile
from analysis_core.reduction import (
    ReductionConfig,
    SampleWindows,
    reduce_block,
    reduce_file,
    waveform_traces,
)
from analysis_core.rqfile import RQ_COLUMNS, RQTable
from workbench.event_view import (
    SOURCE_COMPUTED,
    SOURCE_RQ_FILE,
    compute_event_view,
    config_for_rq,
    rq_row,
    rq_units,
)
from workbench.state import RunInfo


@pytest.fixture
def run(kr_run):
    raw = RawFile(kr_run)
    yield raw, RunInfo.from_raw(raw)
    raw.close()


def _core_row(raw, i, config):
    m = raw.metadata
    cols = reduce_block(
        raw.read(i, i + 1),
        sample_period_ns=m.sample_period_ns,
        trigger_index=m.trigger_index,
        adc_bits=m.adc_bits,
        polarity=m.polarity,
        config=config,
        first_event=i,
        event_time_s=raw.event_time_s()[i : i + 1],
        channel_names=raw.channel_names,
    )
    return {k: v[0].item() for k, v in cols.items()}


def _same(a, b):
    return a == b or (isinstance(a, float) and math.isnan(a) and math.isnan(b))


@pytest.mark.parametrize("i", [0, 255, 256, 599])
def test_computed_row_equals_reduce_block(run, i):
    raw, info = run
    cfg = ReductionConfig()
    view = compute_event_view(info, i, raw.waveform(i), raw.event_time_s()[i], cfg)
    expected = _core_row(raw, i, cfg)
    assert list(view.rq) == list(RQ_COLUMNS)
    # Same code, same inputs: identical numbers (NaN where the core writes NaN).
    assert all(_same(view.rq[k], expected[k]) for k in RQ_COLUMNS), (view.rq, expected)
    assert view.source == SOURCE_COMPUTED
    assert view.units["total_pe"] == "ADC*ns"  # no SPE gains in the default config
    assert view.event == i


def test_traces_are_the_core_traces_and_sum(run):
    raw, info = run
    cfg = ReductionConfig(capacitive_tau_ns=100_000.0)
    view = compute_event_view(info, 7, raw.waveform(7), 0.0, cfg)
    w = SampleWindows.resolve(cfg, 4.0, 375, 1875)
    core = waveform_traces(
        raw.waveform(7),
        polarity=-1,
        baseline_samples=(w.baseline_start, w.baseline_stop),
        capacitive_tau_ns=100_000.0,
        sample_period_ns=4.0,
    )
    np.testing.assert_array_equal(view.traces_adc["top"], core[0])
    np.testing.assert_array_equal(view.traces_adc["bottom"], core[1])
    np.testing.assert_array_equal(view.traces_adc["sum"], core.sum(axis=0))
    np.testing.assert_array_equal(view.raw_adc["top"], raw.waveform(7)[0])
    assert view.time_ns[375] == 0.0
    assert view.time_ns[0] == -1500.0
    assert view.windows_ns == (35.0, 55.0, 90.0, 240.0)
    assert view.delayed_after_ns == 152.0


def test_baselines_come_from_the_rq_row(run):
    raw, info = run
    view = compute_event_view(info, 3, raw.waveform(3), 0.0, ReductionConfig())
    assert view.baselines_adc["top"] == view.rq["baseline_adc_top"]
    assert view.baselines_adc["bottom"] == view.rq["baseline_adc_bottom"]


def test_markers_at_t0_plus_rq_times(run):
    raw, info = run
    for i in range(50):  # find a simulated Kr event with a delayed pulse
        view = compute_event_view(info, i, raw.waveform(i), 0.0, ReductionConfig())
        if math.isfinite(view.rq["delayed_time_ns"]):
            break
    else:
        pytest.fail("no delayed pulse in the first 50 simulated 83mKr events")
    t0, rq = view.t0_ns, view.rq
    (peak_label, peak), (delayed_label, delayed) = view.markers.items()
    assert peak == (t0 + rq["peak_time_ns"], rq["peak_amp_adc"])
    assert delayed == (t0 + rq["delayed_time_ns"], rq["delayed_amp_adc"])
    assert peak_label == "prompt peak"
    assert delayed_label == "delayed pulse"


def test_row_from_rq_file_is_used_with_its_parameters(run, tmp_path):
    raw, info = run
    gains = ReductionConfig(spe_gain_adc_ns=(60.0, 55.0))
    table = reduce_file(info.path, tmp_path / "kr_rq.h5", gains)
    view = compute_event_view(info, 300, raw.waveform(300), 0.0, ReductionConfig(), table)
    assert view.source == SOURCE_RQ_FILE
    assert view.rq_path == str(tmp_path / "kr_rq.h5")
    assert view.units["total_pe"] == "PE"
    assert view.rq == {k: table[k][300].item() for k in RQ_COLUMNS}
    # and the row equals a single-event reduction with the file's parameters
    assert all(_same(view.rq[k], v) for k, v in _core_row(raw, 300, gains).items())


def test_rq_row_lookup_by_event_column():
    table = RQTable({"event": np.array([5, 9, 12]), "total_pe": np.array([1.0, 2.0, 3.0])})
    assert rq_row(table, 9) == {"event": 9, "total_pe": 2.0}
    assert rq_row(table, 0) is None
    assert rq_row(None, 0) is None


def test_config_for_rq_falls_back():
    cfg = ReductionConfig()
    assert config_for_rq(None, cfg) is cfg
    assert config_for_rq(RQTable({}, {"reduction": {"bogus": 1}}), cfg) is cfg
    recorded = ReductionConfig(delayed_after_ns=200.0)
    table = RQTable({}, {"reduction": recorded.to_dict()})
    assert config_for_rq(table, cfg) == recorded


def test_rq_units():
    units = rq_units("ADC*ns")
    assert units["i90_pe"] == "ADC*ns"
    assert units["t0_ns"] == "ns"
    assert units["f90"] == "-"
