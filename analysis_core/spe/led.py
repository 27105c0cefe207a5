"""LED charge extraction: per-PMT integrals in a fixed window around the LED time.

What to use when
----------------
- ``extract_led_charges(path)``: read a raw LED run chunk by chunk and return an
  ``LedCharges`` (per PMT, the baseline-subtracted integral in ADC x ns of every event in a
  fixed window around the LED pulse). This is the input of the Analysis A fit
  (``analysis_core.spe.deap.fit_led_spectrum``).
- ``find_led_time(path)``: only the LED time (the peak of the average waveform).

The LED time is found from the data, not from metadata: the baseline-subtracted,
polarity-corrected waveforms of the first events (``probe_events``) are averaged and the
sample of the average's maximum (both PMTs summed) is the LED peak. The integration window
starts ``pre_ns`` before that sample and is ``window_ns`` long (whole samples). The baseline of
every event and channel is the mean of the samples before ``baseline_stop_ns`` relative to the
trigger (and before the window).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from analysis_core.errors import CalibrationError
from analysis_core.progress import CancelToken, ProgressFn, check_cancel
from analysis_core.rawfile import RawFile

__all__ = ["LedCharges", "extract_led_charges", "find_led_time"]


@dataclass(frozen=True)
class LedCharges:
    """Per-event LED integrals of one run.

    Attributes
    ----------
    charges_adc_ns : tuple of ndarray
        One float64 array per channel (top, bottom): integral of the baseline-subtracted,
        polarity-corrected waveform in the window, in ADC x ns.
    channel_names : tuple of str
        Names of the channels, in file order.
    led_time_ns : float
        Time of the LED peak relative to the trigger.
    window_start_ns, window_ns : float
        Integration window (start relative to the trigger, length), on sample edges.
    path : str
        The raw file.
    """

    charges_adc_ns: tuple[NDArray[np.float64], ...]
    channel_names: tuple[str, ...]
    led_time_ns: float
    window_start_ns: float
    window_ns: float
    path: str

    @property
    def n_events(self) -> int:
        """Events integrated."""
        return int(self.charges_adc_ns[0].size) if self.charges_adc_ns else 0


def _signal(block: NDArray[np.integer], polarity: int, stop: int) -> NDArray[np.float64]:
    """Baseline-subtracted, positive-going traces ``[event, channel, sample]``."""
    wf = block.astype(np.float64)
    base = wf[:, :, :stop].mean(axis=2, keepdims=True)
    return (wf - base) * (1.0 if polarity > 0 else -1.0)


def _baseline_stop(rf: RawFile, baseline_stop_ns: float) -> int:
    dt = rf.metadata.sample_period_ns
    stop = rf.metadata.trigger_index + int(round(baseline_stop_ns / dt))
    if stop < 8:
        raise CalibrationError(
            f"{rf.path}: baseline window ends at sample {stop}: fewer than 8 pre-trigger samples"
        )
    return stop


def find_led_time(
    path: str | os.PathLike[str], *, probe_events: int = 2000, baseline_stop_ns: float = -100.0
) -> float:
    """Return the LED peak time (ns from the trigger) from the average waveform.

    Raises
    ------
    RawFormatError
        If the file is not a valid raw file.
    CalibrationError
        If the run is empty or the average waveform shows no pulse after the baseline window.
    """
    with RawFile(path) as rf:
        return _led_time(rf, probe_events, _baseline_stop(rf, baseline_stop_ns))


def _led_time(rf: RawFile, probe_events: int, stop: int) -> float:
    if rf.n_events == 0:
        raise CalibrationError(f"{rf.path}: the run has no events")
    n = min(rf.n_events, max(1, probe_events))
    avg = _signal(rf.read(0, n), rf.metadata.polarity, stop).sum(axis=1).mean(axis=0)
    noise = avg[:stop].std() if stop > 1 else 0.0
    search = avg[stop:]
    k = int(np.argmax(search))
    if not search[k] > max(5.0 * noise, 1e-9):
        raise CalibrationError(
            f"{rf.path}: no LED pulse in the average of {n} waveforms (peak {search[k]:.3g} ADC,"
            f" baseline noise of the average {noise:.3g} ADC)"
        )
    dt = rf.metadata.sample_period_ns
    return (stop + k - rf.metadata.trigger_index) * dt


def extract_led_charges(
    path: str | os.PathLike[str],
    *,
    window_ns: float = 80.0,
    pre_ns: float = 16.0,
    led_time_ns: float | None = None,
    baseline_stop_ns: float = -100.0,
    max_events: int | None = None,
    probe_events: int = 2000,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> LedCharges:
    """Integrate every event of an LED run in a window around the LED pulse.

    Parameters
    ----------
    path : str or PathLike
        Raw LED run (``larcal-raw``).
    window_ns : float
        Window length (rounded up to whole samples). 80 ns holds the 8 ns-fall SPE pulse to
        < 0.1 % of its charge while keeping the pedestal width (noise x sqrt(samples)) small.
    pre_ns : float
        Window start before the LED peak sample (covers the rise and the LED time jitter).
    led_time_ns : float, optional
        LED peak time relative to the trigger; found from the average waveform when None.
    baseline_stop_ns : float
        End of the per-event baseline window relative to the trigger.
    max_events : int, optional
        Use only the first ``max_events`` events.
    probe_events : int
        Events averaged to find the LED time.
    progress, cancel
        See ``analysis_core.progress``.

    Returns
    -------
    LedCharges

    Raises
    ------
    RawFormatError
        If the file is missing or breaks the raw format.
    CalibrationError
        If the window does not fit in the record or no LED pulse is seen.
    """
    if not (window_ns > 0 and pre_ns >= 0):
        raise CalibrationError(f"LED window must be positive ({window_ns} ns, pre {pre_ns} ns)")
    with RawFile(path) as rf:
        dt = rf.metadata.sample_period_ns
        stop = _baseline_stop(rf, baseline_stop_ns)
        t_led = _led_time(rf, probe_events, stop) if led_time_ns is None else float(led_time_ns)
        first = rf.metadata.trigger_index + int(math.floor((t_led - pre_ns) / dt + 1e-9))
        width = int(math.ceil(window_ns / dt - 1e-9))
        if first < stop or first + width > rf.n_samples:
            raise CalibrationError(
                f"{rf.path}: LED window {t_led - pre_ns:.0f}..{t_led - pre_ns + window_ns:.0f} ns"
                f" overlaps the baseline window or leaves the record"
            )
        n_total = rf.n_events if max_events is None else min(rf.n_events, max(0, max_events))
        out = np.empty((rf.n_channels, n_total))
        for start, block in rf.iter_chunks():
            if start >= n_total:
                break
            block = block[: n_total - start]
            sig = _signal(block, rf.metadata.polarity, stop)
            out[:, start : start + block.shape[0]] = sig[:, :, first : first + width].sum(2).T * dt
            if progress is not None:
                progress(min(start + block.shape[0], n_total), n_total)
            check_cancel(cancel)
        names = tuple(rf.channel_names)
        return LedCharges(
            charges_adc_ns=tuple(out[c].copy() for c in range(rf.n_channels)),
            channel_names=names,
            led_time_ns=t_led,
            window_start_ns=(first - rf.metadata.trigger_index) * dt,
            window_ns=width * dt,
            path=str(path),
        )
