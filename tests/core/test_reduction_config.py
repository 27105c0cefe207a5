"""ReductionConfig validation and serialisation; ns -> sample conversions; channel mapping."""

from __future__ import annotations

import json

import pytest

from analysis_core.errors import CalibrationError
from analysis_core.reduction import ReductionConfig, SampleWindows, channel_indices


def test_round_trip_through_json():
    cfg = ReductionConfig(spe_gain_adc_ns=(212.5, 187), capacitive_tau_ns=8e4,
                          windows_ns=(30, 50, 90, 250), onset_threshold_rms=4.0)  # fmt: skip
    back = ReductionConfig.from_dict(json.loads(json.dumps(cfg.to_dict())))
    assert back == cfg
    assert back.spe_gain_adc_ns == (212.5, 187.0)
    assert cfg.pe_units == "PE"
    assert ReductionConfig().pe_units == "ADC*ns"
    with pytest.raises(ValueError, match="unknown reduction parameters"):
        ReductionConfig.from_dict({"spe_gain": [1, 2]})


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"spe_gain_adc_ns": (200.0, 0.0)}, CalibrationError, "positive finite"),
        ({"spe_gain_adc_ns": (200.0, float("nan"))}, CalibrationError, "positive finite"),
        ({"spe_gain_adc_ns": ()}, CalibrationError, "positive finite"),
        ({"capacitive_tau_ns": -1.0}, CalibrationError, "positive"),
        ({"windows_ns": (35.0, 55.0, 90.0)}, ValueError, "4 positive"),
        ({"windows_ns": (35.0, 90.0, 55.0, 240.0)}, ValueError, "increase"),
        ({"total_window_ns": 100.0}, ValueError, "total_window_ns"),
        ({"onset_search_start_ns": 10.0, "onset_search_stop_ns": 0.0}, ValueError, "after"),
        ({"onset_threshold_min_adc": 0.0}, ValueError, "positive"),
        ({"delayed_after_ns": -1.0}, ValueError, ">= 0"),
    ],
)
def test_invalid_parameters_are_refused(kwargs, error, match):
    with pytest.raises(error, match=match):
        ReductionConfig(**kwargs)


def test_windows_in_samples_at_4_ns():
    w = SampleWindows.resolve(ReductionConfig(), 4.0, 375, 1875)
    assert (w.baseline_start, w.baseline_stop) == (0, 350)
    assert (w.search_start, w.search_stop) == (325, 475)
    assert w.window_samples == (9, 14, 23, 60)  # ceil(w / dt): samples inside [t0, t0 + w)
    assert w.total_samples == 1500
    assert w.peak_samples == 5
    assert w.delayed_offset == 39  # first sample strictly later than 152 ns
    assert w.to_dict()["window_samples"] == [9, 14, 23, 60]


def test_windows_follow_the_sample_period():
    w = SampleWindows.resolve(ReductionConfig(), 2.0, 750, 3750)  # a 500 MS/s digitizer
    assert w.window_samples == (18, 28, 45, 120)
    assert w.total_samples == 3000
    assert w.delayed_offset == 77
    assert w.baseline_stop == 700
    # exact multiples are not rounded up by floating-point noise
    cfg = ReductionConfig(windows_ns=(0.3, 0.6, 0.9, 1.2), baseline_stop_ns=-1.0)
    w = SampleWindows.resolve(cfg, 0.1, 100, 200)  # 0.9 / 0.1 = 9.000000000000002
    assert w.window_samples == (3, 6, 9, 12)


def test_windows_refuse_records_without_baseline_or_search_range():
    with pytest.raises(ValueError, match="too few pre-trigger samples"):
        SampleWindows.resolve(ReductionConfig(), 4.0, 20, 1875)
    with pytest.raises(ValueError, match="onset search range"):
        SampleWindows.resolve(ReductionConfig(onset_search_start_ns=8000.0,
                                              onset_search_stop_ns=9000.0), 4.0, 375, 1875)  # fmt: skip


def test_channel_indices():
    assert channel_indices(None, 2) == (0, 1)
    assert channel_indices(None, 3) == (None, None)
    assert channel_indices(["Bottom", "top"], 2) == (1, 0)
    assert channel_indices(["top", "bottom", "veto"], 3) == (0, 1)
    assert channel_indices(["sum"], 1) == (None, None)
    with pytest.raises(ValueError, match="'top' and 'bottom'"):
        channel_indices(["ch1", "ch3"], 2)
    with pytest.raises(ValueError, match="1 channel names for 2 channels"):
        channel_indices(["top"], 2)
