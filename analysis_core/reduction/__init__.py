"""Raw waveforms -> reduced quantities (RQs), streaming, on all cores.

What to use when
----------------
- ``reduce_file(raw_path, rq_path, config)``: a run on disk -> an RQ file (atomic write),
  with ``progress``/``cancel`` hooks; what the CLI (``larcal reduce``) and the GUI call.
- ``reduce_raw(raw, config)``: the same into an in-memory ``RQTable``.
- ``reduce_block(block, ...)``: waveforms already in memory ``[n, ch, s]`` -> RQ columns.
- ``waveform_traces(event, ...)``: one event's traces as the reduction sees them (browser).
- ``reference.reduce_block_numpy``: the plain-numpy oracle of the same definitions.
- ``ReductionConfig``: all parameters (frozen, ``to_dict``/``from_dict``);
  ``SampleWindows.resolve`` gives them in samples.

Definitions (physics choices; parameters in ``ReductionConfig``, defaults in brackets)
--------------------------------------------------------------------------------------
- Baseline: mean and rms (ddof=0) of each channel over the pre-trigger window
  [record start .. trigger - 100 ns), i.e. samples 0..349 at 4 ns with the trigger at 375.
- Signal: ``polarity * (raw - baseline)``, positive-going, per channel; the summed trace is
  the sum over all channels.
- Capacitive correction (optional, ``capacitive_tau_ns``): the exact inverse of the
  single-pole AC coupling, ``x[n] = x[n-1] + y[n]/a - y[n-1]``, ``a = tau/(tau + dt)``,
  from rest at the record start, on every baseline-subtracted channel before anything else
  (``spec/physics.md`` section 3).
- Saturated: any sample of any channel at 0 or ``2**adc_bits - 1`` (or beyond).
- Onset t0: the noise of the summed trace is the rms of the raw channel sum over the baseline
  window. The first sample in [trigger - 200 ns, trigger + 400 ns) where the summed trace
  exceeds ``max(5 * noise, 10 ADC)`` is the crossing; the local peak is the maximum over
  20 ns from it; t0 walks back from the crossing while the previous sample is above
  ``max(0.1 * local peak, 2 * noise)``, never before the search start. ``t0_ns`` is
  ``(t0 - trigger_index) * dt``. No crossing: NaN in t0 and in every integral, ratio and
  amplitude column (a per-event failure, never an exception).
- Integrals: over the samples whose time lies in [t0, t0 + w), i.e. ``ceil(w / dt)`` samples
  (35, 55, 90, 240 ns -> 9, 14, 23, 60 samples; 6 us -> 1500), truncated at the record end,
  times ``dt`` -> ADC x ns, divided by each channel's SPE gain -> PE, then summed over
  channels. ``total_pe_top``/``_bottom`` are the per-channel totals. Without gains every
  ``*_pe`` column is in ADC x ns and the metadata says ``pe_units = "ADC*ns"``.
- ``f90 = i90_pe / total_pe`` and ``ftop = total_pe_top / total_pe``, NaN unless
  ``total_pe > 0``.
- ``peak_amp_adc``/``peak_time_ns``: maximum of the summed trace (ADC) over
  [t0, end of the total window), first sample on ties; time relative to t0.
- ``delayed_amp_adc``/``delayed_time_ns``: maximum over the samples later than t0 + 152 ns
  (``floor(152 / dt) + 1`` = 39 samples after t0) to the end of the total window; NaN when
  that range is empty.
- Channels: ``*_top``/``*_bottom`` columns come from the channels named ``top`` and
  ``bottom``; a 2-channel file without these names is refused; other channel counts
  without them give NaN in those columns.
"""

from __future__ import annotations

from analysis_core.reduction.block import (
    capacitive_correction,
    channel_indices,
    highpass,
    reduce_block,
    waveform_traces,
)
from analysis_core.reduction.config import ReductionConfig, SampleWindows
from analysis_core.reduction.stream import file_sha256, reduce_file, reduce_raw

__all__ = [
    "ReductionConfig",
    "SampleWindows",
    "capacitive_correction",
    "channel_indices",
    "file_sha256",
    "highpass",
    "reduce_block",
    "reduce_file",
    "reduce_raw",
    "waveform_traces",
]
