"""Numba kernels vs the numpy reference, and vs synthetic events of exactly known content."""

from __future__ import annotations

import numpy as np
import pytest

from analysis_core.errors import CalibrationError
from analysis_core.reduction import (
    ReductionConfig,
    SampleWindows,
    capacitive_correction,
    highpass,
    reduce_block,
    waveform_traces,
)
from analysis_core.reduction.reference import reduce_block_numpy
from analysis_core.rqfile import RQ_COLUMNS
from tests.core.test_reduction_support import (
    DIGI,
    DT_NS,
    TRIGGER,
    make_events,
    pulse_shape,
    random_events,
)


def assert_same_rqs(got, want, *, rtol=1e-6):
    """Columns equal to float32 precision, NaN at the same places.

    The kernels sum exact integers (or a closed form of the capacitive recursion) where the
    reference sums floats: both are float64 internally, so after the cast to float32 they
    agree to a few float32 ulps (rtol 1e-6). atol covers quantities that cancel to ~0
    (e.g. an integral of pure noise), where float64 rounding of ~1e7 ADC*ns sums leaves ~1e-8.
    """
    assert list(got) == list(RQ_COLUMNS)
    for name in RQ_COLUMNS:
        g, w = got[name], want[name]
        assert g.dtype == np.dtype(RQ_COLUMNS[name][0]), name
        if g.dtype.kind == "f":
            np.testing.assert_array_equal(np.isnan(g), np.isnan(w), err_msg=name)
            np.testing.assert_allclose(g, w, rtol=rtol, atol=1e-4, equal_nan=True, err_msg=name)
        else:
            np.testing.assert_array_equal(g, w, err_msg=name)


CONFIGS = {
    "default": ReductionConfig(),
    "gains": ReductionConfig(spe_gain_adc_ns=(212.0, 187.5)),
    "capacitive": ReductionConfig(capacitive_tau_ns=2e4, spe_gain_adc_ns=(200.0, 180.0)),
    "narrow": ReductionConfig(
        windows_ns=(10.0, 20.0, 30.0, 41.0),
        total_window_ns=1000.0,
        delayed_after_ns=50.0,
        onset_threshold_rms=3.0,
        onset_low_fraction=0.3,
    ),  # fmt: skip
}


@pytest.mark.parametrize("name", list(CONFIGS))
def test_kernel_equals_reference_on_random_events(name):
    config = CONFIGS[name]
    wf = random_events(120, seed=11, with_capacitive_undershoot=name == "capacitive")
    times = np.linspace(0.0, 10.0, len(wf))
    kw = dict(DIGI, polarity=-1, config=config, first_event=1000, event_time_s=times)
    got = reduce_block(wf, **kw)
    assert_same_rqs(got, reduce_block_numpy(wf, **kw))
    # the sample is meaningful: pulses, empty events, delayed pulses and saturation all occur
    assert 0 < np.isnan(got["t0_ns"]).sum() < len(wf) // 3
    assert got["saturated"].any()
    assert not got["saturated"].all()
    assert np.isfinite(got["delayed_amp_adc"]).sum() > len(wf) // 2
    np.testing.assert_array_equal(got["event"], 1000 + np.arange(len(wf)))
    np.testing.assert_array_equal(got["time_s"], times)


@pytest.mark.parametrize(("polarity", "dtype"), [(+1, "uint16"), (-1, "uint16"), (+1, "int16")])
def test_kernel_equals_reference_for_polarity_and_dtype(polarity, dtype):
    wf = random_events(60, seed=5, polarity=polarity, dtype=dtype)
    for config in (CONFIGS["gains"], CONFIGS["capacitive"]):
        kw = dict(DIGI, polarity=polarity, config=config)
        assert_same_rqs(reduce_block(wf, **kw), reduce_block_numpy(wf, **kw))


def test_short_records_truncate_windows_and_pulse_at_record_end():
    # 395-sample records: the 6 us window is cut at the record end, and for the pulse 5
    # samples before the end even the delayed range (> t0 + 152 ns) lies outside the record.
    n_s = TRIGGER + 20
    p = pulse_shape(300.0)
    wf = make_events([[(TRIGGER, p, p)], [(n_s - 5, p, p)], []], n_samples=n_s)
    config = ReductionConfig(onset_search_stop_ns=100.0)
    kw = dict(DIGI, polarity=-1, config=config)
    got = reduce_block(wf, **kw)
    assert_same_rqs(got, reduce_block_numpy(wf, **kw))
    np.testing.assert_allclose(
        got["total_pe"][:2], [2 * p[:20].sum() * DT_NS, 2 * p[:5].sum() * DT_NS]
    )
    assert np.isnan(got["delayed_amp_adc"][:2]).all()
    assert np.isnan(got["t0_ns"][2])


def test_exact_values_on_noiseless_pulses():
    """Every RQ of a noiseless event equals its hand-computed value."""
    top = pulse_shape(120.0, slow_fraction=0.6)
    bottom = pulse_shape(80.0, slow_fraction=0.6)
    late = np.array([0, 30, 50, 20, 5])  # a delayed pulse peaking 58 samples after t0
    start = TRIGGER + 3
    wf = make_events([[(start, top, bottom), (start + 56, late, late)]], baseline=(3500, 3400))
    gains = (200.0, 160.0)
    got = reduce_block(wf, **DIGI, polarity=-1, config=ReductionConfig(spe_gain_adc_ns=gains))
    full_top = top.copy()
    full_bottom = bottom.copy()
    full_top[56:61] += late
    full_bottom[56:61] += late

    def pe(n):
        return DT_NS * (full_top[:n].sum() / gains[0] + full_bottom[:n].sum() / gains[1])

    assert got["t0_ns"][0] == 3 * DT_NS
    for col, n in (("i35_pe", 9), ("i55_pe", 14), ("i90_pe", 23), ("i240_pe", 60)):
        np.testing.assert_allclose(got[col][0], pe(n), rtol=1e-6, err_msg=col)
    np.testing.assert_allclose(got["total_pe"][0], pe(1500), rtol=1e-6)
    np.testing.assert_allclose(got["total_pe_top"][0], DT_NS * full_top.sum() / gains[0], rtol=1e-6)
    np.testing.assert_allclose(got["f90"][0], pe(23) / pe(1500), rtol=1e-6)
    np.testing.assert_allclose(
        got["ftop"][0], got["total_pe_top"][0] / got["total_pe"][0], rtol=1e-6
    )
    assert got["peak_amp_adc"][0] == 200.0
    assert got["peak_time_ns"][0] == 0.0
    summed = full_top + full_bottom
    k = 39 + int(np.argmax(summed[39:]))
    assert k == 58  # the delayed pulse's peak, not the triplet tail
    assert got["delayed_amp_adc"][0] == summed[k]
    assert got["delayed_time_ns"][0] == k * DT_NS
    assert got["baseline_adc_top"][0] == 3500.0
    assert got["baseline_rms_adc_bottom"][0] == 0.0
    assert not got["saturated"][0]


def test_onset_walks_back_to_the_pulse_start():
    # summed rise 2, 4, 8, 40, 90 ADC: the 10 ADC threshold is crossed at the 4th sample; the
    # low level max(0.1 * 90, 2 * noise = 0) = 9 ADC keeps t0 there (8 < 9). With
    # onset_low_fraction=0.02 (1.8 ADC) the walk-back reaches the first sample of the rise.
    rise = np.array([1, 2, 4, 20, 45, 30, 10])
    wf = make_events([[(TRIGGER, rise, rise)]])
    got = reduce_block(wf, **DIGI, polarity=-1)
    assert got["t0_ns"][0] == 3 * DT_NS
    got = reduce_block(wf, **DIGI, polarity=-1, config=ReductionConfig(onset_low_fraction=0.02))
    assert got["t0_ns"][0] == 0.0


def test_saturation_flag_at_both_adc_limits():
    wf = make_events([[], [], [], []], baseline=(2000, 2000))
    wf[1, 0, 900] = 0
    wf[2, 1, 10] = 4095
    wf[3, 0, 5] = 1
    wf[3, 1, 6] = 4094
    got = reduce_block(wf, **DIGI, polarity=-1)
    np.testing.assert_array_equal(got["saturated"], [False, True, True, False])


def test_all_baseline_events_give_nan_not_exceptions():
    wf = make_events([[]] * 5, noise_rms=2.0)
    got = reduce_block(wf, **DIGI, polarity=-1)
    for name in ("t0_ns", "i35_pe", "i90_pe", "total_pe", "total_pe_top", "f90", "ftop",
                 "peak_amp_adc", "peak_time_ns", "delayed_amp_adc", "delayed_time_ns"):  # fmt: skip
        assert np.isnan(got[name]).all(), name
    np.testing.assert_allclose(got["baseline_adc_top"], 3500.0, atol=0.5)  # 2/sqrt(350) ~ 0.1
    np.testing.assert_allclose(got["baseline_rms_adc_top"], 2.0, rtol=0.15)  # 350 samples
    assert not got["saturated"].any()


def test_noise_sets_the_threshold():
    # a 12 ADC pulse is found on a quiet baseline, but not when 5 x noise rms exceeds it
    p = np.array([12, 6, 3])
    quiet = reduce_block(make_events([[(TRIGGER, p, 0 * p)]]), **DIGI, polarity=-1)
    noisy = reduce_block(make_events([[(TRIGGER, p, 0 * p)]], noise_rms=4.0, seed=3),
                         **DIGI, polarity=-1)  # fmt: skip
    assert quiet["t0_ns"][0] == 0.0
    assert np.isnan(noisy["t0_ns"][0])


def test_gains_convert_each_channel_and_units_are_linear():
    wf = random_events(40, seed=8)
    adc = reduce_block(wf, **DIGI, polarity=-1)
    pe = reduce_block(
        wf, **DIGI, polarity=-1, config=ReductionConfig(spe_gain_adc_ns=(250.0, 125.0))
    )
    np.testing.assert_allclose(pe["total_pe_top"], adc["total_pe_top"] / 250.0, rtol=1e-6)
    np.testing.assert_allclose(pe["total_pe_bottom"], adc["total_pe_bottom"] / 125.0, rtol=1e-6)
    np.testing.assert_allclose(pe["total_pe"], pe["total_pe_top"] + pe["total_pe_bottom"],
                               rtol=1e-5, atol=1e-3)  # fmt: skip
    np.testing.assert_array_equal(pe["peak_amp_adc"], adc["peak_amp_adc"])  # amplitudes stay ADC
    with pytest.raises(CalibrationError, match="3 SPE gains given for 2 channels"):
        reduce_block(wf, **DIGI, polarity=-1, config=ReductionConfig(spe_gain_adc_ns=(1, 2, 3)))


def test_channel_names_map_top_and_bottom():
    p = pulse_shape(100.0)
    wf = make_events([[(TRIGGER, 2 * p, p)]])
    normal = reduce_block(wf, **DIGI, polarity=-1, channel_names=("top", "bottom"))
    swapped = reduce_block(wf, **DIGI, polarity=-1, channel_names=("Bottom", "TOP"))
    assert normal["total_pe_top"][0] == swapped["total_pe_bottom"][0]
    np.testing.assert_allclose(normal["ftop"][0], 2 / 3, rtol=1e-6)
    np.testing.assert_allclose(swapped["ftop"][0], 1 / 3, rtol=1e-6)
    with pytest.raises(ValueError, match="'top' and 'bottom'"):
        reduce_block(wf, **DIGI, polarity=-1, channel_names=("a", "b"))


@pytest.mark.parametrize("n_ch", [1, 3])
def test_other_channel_counts_sum_all_channels(n_ch):
    p = pulse_shape(100.0)
    wf = make_events([[(TRIGGER, *([p] * n_ch))]], baseline=(3000,) * n_ch)
    kw = dict(DIGI, polarity=-1)
    got = reduce_block(wf, **kw)
    assert_same_rqs(got, reduce_block_numpy(wf, **kw))
    np.testing.assert_allclose(got["total_pe"][0], n_ch * p.sum() * DT_NS, rtol=1e-6)
    assert np.isnan(got["total_pe_top"][0])
    assert np.isnan(got["baseline_adc_bottom"][0])


def test_capacitive_correction_inverts_the_highpass_exactly():
    rng = np.random.default_rng(2)
    x = rng.normal(0, 50, size=(3, 2, 1875))
    for tau in (1e3, 1e5):
        y = highpass(x, tau, DT_NS)
        # float64 round-off only: ~1e-16 relative per step over 1875 steps
        np.testing.assert_allclose(capacitive_correction(y, tau, DT_NS), x, rtol=0, atol=1e-9)


def test_capacitive_correction_restores_the_charge_lost_to_ac_coupling():
    """A 100 us coupling loses about r * sum_j x_j (N - j) of the charge in the N = 1500-sample
    window (r = dt / tau: ~4 % for this triplet-rich pulse, physics.md says ~5 %); undoing
    it restores the integral up to the digitisation error (0.29 ADC per sample)."""
    tau = 1e5
    k = np.arange(1500)
    shape = 0.3 / 1.5 * np.exp(-k / 1.5) + 0.7 / 375 * np.exp(-k / 375)
    p = 3000.0 * shape / shape[0]  # float: the ~0.5 ADC undershoot must survive digitisation
    clean = np.zeros((1, 2, 1875))
    clean[0, :, TRIGGER : TRIGGER + 1500] = p[:1500]
    coupled = highpass(clean, tau, DT_NS)
    wf = np.round(3500 - coupled).astype(np.int16)
    truth = 2 * p.sum() * DT_NS
    plain = reduce_block(wf, **DIGI, polarity=-1)
    fixed = reduce_block(wf, **DIGI, polarity=-1, config=ReductionConfig(capacitive_tau_ns=tau))
    # first order in r: y[n] = x[n] - r * (x[n] + sum_{j<n} x[j])
    expected_loss = 2 * DT_NS * (DT_NS / tau) * (p * (1500 - k)).sum()
    np.testing.assert_allclose(truth - plain["total_pe"][0], expected_loss, rtol=0.05)
    assert expected_loss / truth > 0.02  # the effect is real at this tau
    np.testing.assert_allclose(fixed["total_pe"][0], truth, rtol=2e-3)
    # ... and the lost late light had raised F90 (physics.md section 3)
    true_f90 = p[:23].sum() / p.sum()
    np.testing.assert_allclose(fixed["f90"][0], true_f90, rtol=2e-3)
    assert plain["f90"][0] > true_f90 * 1.03


@pytest.mark.parametrize("tau", [None, 2e4])
def test_waveform_traces_show_what_the_kernel_measured(tau):
    wf = random_events(20, seed=4, with_capacitive_undershoot=tau is not None)
    config = ReductionConfig(capacitive_tau_ns=tau)
    got = reduce_block(wf, **DIGI, polarity=-1, config=config)
    w = SampleWindows.resolve(config, DT_NS, TRIGGER, wf.shape[2])
    for i in np.flatnonzero(np.isfinite(got["t0_ns"]))[:8]:
        tr = waveform_traces(wf[i], polarity=-1, baseline_samples=(w.baseline_start, w.baseline_stop),
                             capacitive_tau_ns=tau, sample_period_ns=DT_NS)  # fmt: skip
        summed = tr.sum(axis=0)
        t0 = TRIGGER + int(round(got["t0_ns"][i] / DT_NS))
        peak = t0 + int(round(got["peak_time_ns"][i] / DT_NS))
        np.testing.assert_allclose(summed[peak], got["peak_amp_adc"][i], rtol=1e-6)
        np.testing.assert_allclose(summed[t0 : t0 + 1500].max(), got["peak_amp_adc"][i], rtol=1e-6)
        np.testing.assert_allclose(tr[0, t0 : t0 + 1500].sum() * DT_NS, got["total_pe_top"][i],
                                   rtol=1e-5, atol=1e-3)  # fmt: skip


def test_bad_inputs_raise_typed_errors():
    wf = random_events(3, seed=1)
    with pytest.raises(TypeError, match="int16 or uint16"):
        reduce_block(wf.astype(np.float32), **DIGI, polarity=-1)
    with pytest.raises(ValueError, match="event, channel, sample"):
        reduce_block(wf[0], **DIGI, polarity=-1)
    with pytest.raises(ValueError, match="pre-trigger"):
        reduce_block(wf, sample_period_ns=4.0, trigger_index=10, adc_bits=12, polarity=-1)
    empty = reduce_block(wf[:0], **DIGI, polarity=-1)
    assert all(len(v) == 0 for v in empty.values())
