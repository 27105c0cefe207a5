"""Analysis B input: isolated single photoelectrons late in the triplet tail of source events.

What to use when
----------------
``find_late_pulses(path)`` scans a raw source run (background / 39Ar or 83mKr) chunk by chunk
and returns a ``LatePulses`` with, per PMT, the charge of every isolated late pulse: the input
of ``fit_b.fit_single_pe_gauss``.

The pulse finder, per event and channel, on the baseline-subtracted, polarity-corrected trace:

1. threshold ``threshold_rms`` x the channel's own pre-trigger noise rms (at least
   ``min_threshold_adc``); a pulse starts at every upward crossing;
2. only pulses starting ``late_start_ns`` or more after the trigger (deep in the ~1.5 us
   triplet tail, where the light arrives one photon at a time) and ending inside the record;
3. isolated: no other crossing within ``gap_ns`` before or after the pulse start;
4. charge: the integral from ``pre_ns`` before to ``post_ns`` after the crossing sample, in
   ADC x ns.

The threshold removes most under-amplified and exponential-component pulses (their heights
are a fraction of the main peak's), which is why the Analysis B gain lies above the whole
model's mean; the exact value depends on ``threshold_rms``: that is the paper's point (the two
light yields differ "almost exclusively due to the different definition of the SPE").
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
from analysis_core.spe.led import _baseline_stop, _signal

__all__ = ["LatePulses", "find_late_pulses"]


@dataclass(frozen=True)
class LatePulses:
    """Isolated late pulses of one source run.

    Attributes
    ----------
    charges_adc_ns : tuple of ndarray
        Per channel (file order), the charge of every isolated late pulse.
    channel_names : tuple of str
        Channel names.
    n_events : int
        Events scanned.
    noise_adc_ns : tuple of float
        Per channel, the rms of a pulse-free integral of the same length (the pedestal width
        under each single-PE charge), from the pre-trigger noise.
    path : str
        The raw file.
    """

    charges_adc_ns: tuple[NDArray[np.float64], ...]
    channel_names: tuple[str, ...]
    n_events: int
    noise_adc_ns: tuple[float, ...]
    path: str


def _pulses(
    sig: NDArray[np.float64],
    thr: NDArray[np.float64],
    first: int,
    gap: int,
    pre: int,
    post: int,
    dt: float,
    start_search: int,
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Channel index and charge of the isolated late pulses of a block ``[ev, ch, sample]``."""
    n_s = sig.shape[2]
    above = sig[:, :, start_search:] > thr[:, :, None]
    cross = above[:, :, 1:] & ~above[:, :, :-1]
    e, c, i = np.nonzero(cross)
    i = i + start_search + 1
    group = e * sig.shape[1] + c
    prev_ok = np.ones(i.size, bool)
    next_ok = np.ones(i.size, bool)
    same = group[1:] == group[:-1]
    close = (i[1:] - i[:-1]) < gap
    prev_ok[1:] = ~(same & close)
    next_ok[:-1] = ~(same & close)
    keep = prev_ok & next_ok & (i >= first) & (i + max(post, gap) <= n_s)
    # an isolated pulse must not start while the trace is already above threshold at the
    # search start (a pulse crossing before start_search is not in the list)
    e, c, i = e[keep], c[keep], i[keep]
    cs = np.concatenate([np.zeros(sig.shape[:2] + (1,)), np.cumsum(sig, axis=2)], axis=2)
    q = (cs[e, c, i + post] - cs[e, c, i - pre]) * dt
    return c.astype(np.int64), q


def find_late_pulses(
    path: str | os.PathLike[str],
    *,
    late_start_ns: float = 2000.0,
    gap_ns: float = 100.0,
    threshold_rms: float = 4.0,
    min_threshold_adc: float = 3.0,
    pre_ns: float = 8.0,
    post_ns: float = 48.0,
    baseline_stop_ns: float = -100.0,
    max_events: int | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> LatePulses:
    """Find and integrate isolated single-PE pulses late in the events of a source run.

    Parameters
    ----------
    path : str or PathLike
        Raw source run (``larcal-raw``).
    late_start_ns : float
        Earliest pulse start after the trigger (default 2 us: 1.3 triplet lifetimes).
    gap_ns : float
        Isolation: no other threshold crossing within this time before or after.
    threshold_rms, min_threshold_adc : float
        Pulse threshold in units of each trace's pre-trigger noise rms, and its lower bound.
    pre_ns, post_ns : float
        Integration window around the crossing sample (8 ns before: the rise; 48 ns after:
        six 8 ns fall times, < 0.3 % of the charge left out).
    baseline_stop_ns : float
        End of the baseline window relative to the trigger.
    max_events : int, optional
        Scan only the first ``max_events`` events.
    progress, cancel
        See ``analysis_core.progress``.

    Returns
    -------
    LatePulses

    Raises
    ------
    RawFormatError
        If the file is missing or breaks the raw format.
    CalibrationError
        If the late region does not fit in the record or a parameter is out of range.
    """
    if not (gap_ns > 0 and threshold_rms > 0 and pre_ns >= 0 and post_ns > 0):
        raise CalibrationError(
            f"late-pulse finder: gap, threshold and post window must be positive (gap {gap_ns}"
            f" ns, threshold {threshold_rms} rms, post {post_ns} ns)"
        )
    with RawFile(path) as rf:
        dt = rf.metadata.sample_period_ns
        stop = _baseline_stop(rf, baseline_stop_ns)
        trig = rf.metadata.trigger_index
        first = trig + int(math.ceil(late_start_ns / dt - 1e-9))
        gap = max(1, int(math.ceil(gap_ns / dt - 1e-9)))
        pre = int(math.ceil(pre_ns / dt - 1e-9))
        post = int(math.ceil(post_ns / dt - 1e-9))
        if first - gap - pre < stop or first + max(post, gap) > rf.n_samples:
            raise CalibrationError(
                f"{rf.path}: late region from {late_start_ns:.0f} ns after the trigger (gap"
                f" {gap_ns:.0f} ns) does not fit in the {rf.n_samples * dt:.0f} ns record"
            )
        n_total = rf.n_events if max_events is None else min(rf.n_events, max(0, max_events))
        found: list[list[NDArray[np.float64]]] = [[] for _ in range(rf.n_channels)]
        noise2 = np.zeros(rf.n_channels)
        for start, block in rf.iter_chunks():
            if start >= n_total:
                break
            block = block[: n_total - start]
            sig = _signal(block, rf.metadata.polarity, stop)
            rms = sig[:, :, :stop].std(axis=2)
            noise2 += (rms**2).sum(axis=0)
            thr = np.maximum(threshold_rms * rms, min_threshold_adc)
            ch, q = _pulses(sig, thr, first, gap, pre, post, dt, first - gap)
            for c in range(rf.n_channels):
                found[c].append(q[ch == c])
            if progress is not None:
                progress(min(start + block.shape[0], n_total), n_total)
            check_cancel(cancel)
        rms_mean = np.sqrt(noise2 / max(n_total, 1))
        return LatePulses(
            charges_adc_ns=tuple(
                np.concatenate(f) if f else np.empty(0, dtype=np.float64) for f in found
            ),
            channel_names=tuple(rf.channel_names),
            n_events=int(n_total),
            noise_adc_ns=tuple(float(r * math.sqrt(pre + post) * dt) for r in rms_mean),
            path=str(path),
        )
