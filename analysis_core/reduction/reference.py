"""Plain-numpy statement of the reduction: the test oracle of the numba kernels.

What to use when
----------------
``reduce_block_numpy`` has the signature and output of ``reduce_block`` but is written for
clarity, one event at a time, with float64 numpy arithmetic. Use it to check the kernels, or
to read what each RQ means; it is far too slow for real runs (about 1 ms per event).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from analysis_core.reduction.block import (
    assemble_columns,
    capacitive_correction,
    channel_indices,
    inverse_gains,
)
from analysis_core.reduction.config import ReductionConfig, SampleWindows

__all__ = ["reduce_block_numpy"]


def _onset(
    v: NDArray[np.float64],
    w: SampleWindows,
    threshold: float,
    low_noise: float,
    low_fraction: float,
) -> int | None:
    """First threshold crossing in the search range, walked back to the low level."""
    above = np.flatnonzero(v[w.search_start : w.search_stop] > threshold)
    if above.size == 0:
        return None
    cross = w.search_start + int(above[0])
    local_peak = v[cross : cross + w.peak_samples].max()
    low = max(low_fraction * local_peak, low_noise)
    t0 = cross
    while t0 > w.search_start and v[t0 - 1] > low:
        t0 -= 1
    return t0


def reduce_block_numpy(
    block: NDArray[np.integer],
    *,
    sample_period_ns: float,
    trigger_index: int,
    adc_bits: int,
    polarity: int,
    config: ReductionConfig | None = None,
    first_event: int = 0,
    event_time_s: NDArray[np.floating] | None = None,
    channel_names: Sequence[str] | None = None,
) -> dict[str, NDArray[Any]]:
    """Reduce ``block`` ``[n, ch, s]`` to RQ columns; same contract as ``reduce_block``."""
    config = config or ReductionConfig()
    raw = np.asarray(block)
    n, n_ch, n_s = raw.shape
    top_bottom = channel_indices(channel_names, n_ch)
    w = SampleWindows.resolve(config, sample_period_ns, trigger_index, n_s)
    dt = w.sample_period_ns
    inv_gain = inverse_gains(config, n_ch)
    adc_max = 2**adc_bits - 1
    bl = slice(w.baseline_start, w.baseline_stop)

    baseline = raw[:, :, bl].mean(axis=2)  # [n, ch]
    rms = raw[:, :, bl].std(axis=2)
    saturated = ((raw <= 0) | (raw >= adc_max)).any(axis=(1, 2))
    names = (
        "t0_ns",
        "i35",
        "i55",
        "i90",
        "i240",
        "total",
        "peak_amp_adc",
        "peak_time_ns",
        "delayed_amp_adc",
        "delayed_time_ns",
    )
    scalars = {k: np.full(n, np.nan) for k in names}
    channel_total = np.full((n, n_ch), np.nan)

    for i in range(n):
        # Positive-going, baseline-subtracted traces per channel.
        y = polarity * (raw[i] - baseline[i][:, None])
        if config.capacitive_tau_ns is not None:
            y = capacitive_correction(y, config.capacitive_tau_ns, dt)
        if config.capacitive_tau_ns is None:
            # Summing the integer samples first keeps equal sums bit-identical (peak ties).
            summed = polarity * (raw[i].sum(axis=0) - baseline[i].sum())
        else:
            summed = y.sum(axis=0)
        noise = raw[i].sum(axis=0)[bl].std()
        threshold = max(config.onset_threshold_rms * noise, config.onset_threshold_min_adc)
        t0 = _onset(summed, w, threshold, config.onset_low_rms * noise, config.onset_low_fraction)
        if t0 is None:
            continue
        end = min(t0 + w.total_samples, n_s)
        scalars["t0_ns"][i] = (t0 - trigger_index) * dt
        for name, length in zip(("i35", "i55", "i90", "i240"), w.window_samples, strict=True):
            per_channel = y[:, t0 : min(t0 + length, end)].sum(axis=1) * dt * inv_gain
            scalars[name][i] = per_channel.sum()
        channel_total[i] = y[:, t0:end].sum(axis=1) * dt * inv_gain
        scalars["total"][i] = channel_total[i].sum()
        peak = t0 + int(np.argmax(summed[t0:end]))
        scalars["peak_amp_adc"][i] = summed[peak]
        scalars["peak_time_ns"][i] = (peak - t0) * dt
        d0 = t0 + w.delayed_offset
        if d0 < end:
            delayed = d0 + int(np.argmax(summed[d0:end]))
            scalars["delayed_amp_adc"][i] = summed[delayed]
            scalars["delayed_time_ns"][i] = (delayed - t0) * dt

    return assemble_columns(
        n,
        baseline=baseline.T,
        rms=rms.T,
        saturated=saturated,
        channel_total=channel_total.T,
        scalars=scalars,
        top_bottom=top_bottom,
        first_event=first_event,
        event_time_s=event_time_s,
    )
