"""Synthetic waveforms with known truth for the reduction tests (and tests of the generator).

Pulses are built from integer sample amplitudes, so with a noiseless integer baseline every
integral, amplitude and time the reduction returns has an exact expected value.
"""

from __future__ import annotations

import numpy as np

DT_NS = 4.0
TRIGGER = 375
N_SAMPLES = 1875
DIGI = {"sample_period_ns": DT_NS, "trigger_index": TRIGGER, "adc_bits": 12}


def pulse_shape(amp_adc: float, n: int = 1500, tau_fast: float = 1.5, tau_slow: float = 375.0,
                slow_fraction: float = 0.7) -> np.ndarray:  # fmt: skip
    """Integer, positive-going pulse samples: singlet + triplet exponentials (per sample)."""
    k = np.arange(n)
    fast = (1 - slow_fraction) * np.exp(-k / tau_fast) / tau_fast
    slow = slow_fraction * np.exp(-k / tau_slow) / tau_slow
    shape = fast + slow
    return np.round(amp_adc * shape / shape[0]).astype(np.int64)


def make_events(
    pulses: list[list[tuple[int, np.ndarray, np.ndarray]]],
    *,
    n_samples: int = N_SAMPLES,
    baseline=(3500, 3400),
    noise_rms: float = 0.0,
    polarity: int = -1,
    dtype: str = "int16",
    seed: int = 0,
) -> np.ndarray:
    """Build ``[n, ch, s]`` raw events.

    ``pulses[i]`` lists ``(start_sample, samples_top, samples_bottom)`` added (with the
    polarity) to event ``i``; samples are clipped to the record end and the ADC range.
    """
    rng = np.random.default_rng(seed)
    n_ch = len(baseline)
    wf = np.empty((len(pulses), n_ch, n_samples), dtype=np.float64)
    wf[:] = np.asarray(baseline, dtype=np.float64)[None, :, None]
    if noise_rms > 0:
        wf += rng.normal(0.0, noise_rms, size=wf.shape)
        wf = np.round(wf)
    for i, plist in enumerate(pulses):
        for start, *per_channel in plist:
            for c, samples in enumerate(per_channel):
                stop = min(start + len(samples), n_samples)
                wf[i, c, start:stop] += polarity * np.asarray(samples[: stop - start])
    hi = 2**12 - 1
    return np.clip(wf, 0, hi).astype(dtype)


def random_events(n: int, seed: int, *, polarity: int = -1, dtype: str = "int16",
                  n_samples: int = N_SAMPLES, with_capacitive_undershoot: bool = False
                  ) -> np.ndarray:  # fmt: skip
    """Realistic random events: noise, prompt pulses of random size and time, delayed
    second pulses, afterpulse-like late pulses, pulses outside the onset search range,
    empty events and saturating events."""
    rng = np.random.default_rng(seed)
    pulses = []
    for _ in range(n):
        kind = rng.random()
        plist = []
        if kind > 0.08:  # 8 % empty events
            amp = rng.uniform(2000, 9000) if kind > 0.95 else rng.uniform(8, 400)
            t0 = TRIGGER + int(rng.integers(-40, 90))
            if kind < 0.12:
                t0 = TRIGGER + int(rng.integers(110, 300))  # outside the onset search range
            top = pulse_shape(amp * rng.uniform(0.3, 0.7), slow_fraction=rng.uniform(0.2, 0.8))
            bottom = pulse_shape(amp * rng.uniform(0.3, 0.7))
            plist.append((t0, top, bottom))
            if rng.random() < 0.5:
                dly = int(rng.exponential(56))
                amp2 = amp * rng.uniform(0.1, 0.4)
                plist.append((t0 + dly, pulse_shape(amp2 / 2), pulse_shape(amp2 / 2)))
            for _ in range(rng.poisson(2)):
                tap = int(rng.integers(0, n_samples))
                plist.append((tap, pulse_shape(rng.uniform(5, 30), n=8), pulse_shape(0, n=8)))
        pulses.append(plist)
    base = (int(rng.integers(3300, 3700)), int(rng.integers(3300, 3700)))
    if polarity > 0:
        base = (int(rng.integers(100, 400)), int(rng.integers(100, 400)))
    wf = make_events(pulses, n_samples=n_samples, baseline=base, noise_rms=2.0,
                     polarity=polarity, dtype=dtype, seed=seed)  # fmt: skip
    if with_capacitive_undershoot:
        from analysis_core.reduction import highpass

        b = np.asarray(base)[None, :, None]
        y = highpass(polarity * (wf.astype(float) - b), 2e4, DT_NS)
        coupled = np.clip(np.round(polarity * y + b), 0, 4095).astype(dtype)
        at_limit = (wf == 0) | (wf == 4095)  # keep the saturated samples saturated
        wf = np.where(at_limit, wf, coupled)
    return wf


def test_pulse_shape_is_integer_and_decaying():
    p = pulse_shape(100.0)
    assert p[0] == 100
    assert p.dtype == np.int64
    assert np.all(np.diff(p) <= 0)


def test_make_events_places_pulses_with_polarity():
    top = np.array([10, 5, 1])
    wf = make_events([[(100, top, 2 * top)]], baseline=(3000, 3100), polarity=-1)
    assert wf.shape == (1, 2, N_SAMPLES)
    np.testing.assert_array_equal(wf[0, 0, 100:103], 3000 - top)
    np.testing.assert_array_equal(wf[0, 1, 100:103], 3100 - 2 * top)
    assert wf[0, 0, 99] == 3000
    assert wf[0, 0, 103] == 3000
