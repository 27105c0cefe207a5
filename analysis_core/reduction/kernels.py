"""Numba kernels of the reduction: one call reduces a block of events on all cores.

What to use when
----------------
Nothing here is meant to be called directly: use ``reduce_block`` (one in-memory block) or
``reduce_raw``/``reduce_file`` (streaming). ``run_kernel`` is the thin, locked entry point they
share; ``reference.reduce_block_numpy`` is the plain numpy statement of the same definitions.

Implementation notes
--------------------
- ``prange`` runs over contiguous groups of events, scheduled dynamically (a thread slowed
  by other work does not hold up the chunk); each group allocates its scratch buffers once.
  The kernels hold no Python objects and release the GIL (``nogil``), so an HDF5 read of the
  next chunk proceeds in another thread meanwhile.
- Without capacitive correction every sum is exact integer arithmetic (int64 accumulators on
  the raw samples; the baseline is subtracted once per window as ``n * mean``), which is both
  the fastest and the most accurate formulation. Peak searches run on the integer summed trace.
- With capacitive correction the recursion ``x[n] = x[n-1] + y[n]/a - y[n-1]`` of
  ``spec/physics.md`` section 3 is used in its closed form ``x[n] = y[n]/a + r S[n-1]``
  (``r = 1/a - 1 = dt/tau``, ``S`` the running sum of ``y``), which is algebraically identical
  and turns every window integral into exact integer moments of the raw samples
  (``sum q``, ``sum k q`` and the prefix sum before t0) plus one float step; only the summed
  trace for the onset and peak searches needs a (sequential) prefix scan. The numpy reference
  runs the recursion literally; both agree to float64 rounding.
- The numba workqueue threading layer aborts the process when two threads launch parallel
  kernels at once (e.g. two GUI jobs), so ``run_kernel`` serialises launches with a lock.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import numba
import numpy as np
from numba import njit, prange
from numpy.typing import NDArray

from analysis_core.reduction.config import SampleWindows
from analysis_core.reduction.primitives import (
    isum,
    isum_moment,
    onset,
    peaks,
    stats,
)

# OpenMP worker threads (numba's "omp" threading layer) spin after each parallel region by
# default, stealing the core that the HDF5 reader and the SHA-256 thread need between kernel
# calls: passive waiting measured 1.7x instead of 2.3x the plain read, end to end, on 2
# cores. Read by libgomp when numba first loads it; a user's own setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__all__ = ["N_SCALARS", "SCALAR_INDEX", "run_kernel"]

#: Per-event float outputs of the kernel, in column order of its ``scalars`` array.
SCALAR_INDEX = {
    "t0_ns": 0,
    "i35": 1,
    "i55": 2,
    "i90": 3,
    "i240": 4,
    "total": 5,
    "peak_amp_adc": 6,
    "peak_time_ns": 7,
    "delayed_amp_adc": 8,
    "delayed_time_ns": 9,
}
N_SCALARS = len(SCALAR_INDEX)

# Positions of the scalar parameters in the kernel's int64 and float64 parameter arrays.
_POL, _ADC_MAX, _B0, _B1, _S0, _S1, _NPK, _NTOT, _KDEL, _TRIG, _CORRECTED = range(11)
_N_INT = 11
_THR_RMS, _THR_MIN, _LOW_FRAC, _LOW_RMS, _DT, _A_HP = range(6)
_N_FLOAT = 6

_LAUNCH_LOCK = threading.Lock()
_NAN = np.nan


@njit(nogil=True, cache=True)
def _event(wf, i, ip, fp, win, inv_gain, w, v, pre, base, rms, sat, ch_tot, out):
    """Reduce event ``i`` of ``wf`` into column ``i`` of the outputs (see ``run_kernel``)."""
    pol, adc_max = ip[_POL], ip[_ADC_MAX]
    b0, b1, s0, s1 = ip[_B0], ip[_B1], ip[_S0], ip[_S1]
    npk, ntot, kdel, trig = ip[_NPK], ip[_NTOT], ip[_KDEL], ip[_TRIG]
    corrected = ip[_CORRECTED] != 0
    thr_rms, thr_min, low_frac, low_rms = fp[_THR_RMS], fp[_THR_MIN], fp[_LOW_FRAC], fp[_LOW_RMS]
    dt, a_hp = fp[_DT], fp[_A_HP]
    C, S = wf.shape[1], wf.shape[2]
    # --- one pass per channel: saturation, and the polarity-flipped summed raw trace
    # w = pol * sum(raw) (int32 is exact for fewer than 32768 channels of 16-bit samples)
    is_sat = False
    p32 = np.int32(pol)
    for c in range(C):
        tr = wf[i, c]
        mn = tr[0]
        mx = tr[0]
        if c == 0:
            for s in range(S):
                q = tr[s]
                w[s] = p32 * np.int32(q)
                mn = min(mn, q)
                mx = max(mx, q)
        else:
            for s in range(S):
                q = tr[s]
                w[s] += p32 * np.int32(q)
                mn = min(mn, q)
                mx = max(mx, q)
        if mn <= 0 or mx >= adc_max:
            is_sat = True
    sat[i] = is_sat
    # --- baselines (exact integer statistics) and the noise of the summed trace
    B = 0.0
    for c in range(C):
        mean, sd = stats(wf[i, c, b0:b1])
        base[c, i] = mean
        rms[c, i] = sd
        B += mean
    pB = pol * B
    noise = stats(w[b0:b1])[1]
    thr = max(thr_rms * noise, thr_min)
    # --- capacitive correction: closed form of the recursion (see module notes); the summed
    # corrected trace is v[s] = (w[s] - pB) / a + r * (Pw[s] - s * pB), Pw the exclusive
    # prefix sum of w, r = 1/a - 1 = dt/tau.
    r = 1.0 / a_hp - 1.0
    if corrected:
        inv_a = 1.0 / a_hp
        pw = isum(w[:s0])
        ws = w[s0:]  # slices indexed from 0 let LLVM drop negative-index checks
        ps = pre[s0:]
        vs = v[s0:]
        for s in range(ws.shape[0]):  # exclusive prefix sum (a scan: sequential)
            ps[s] = pw
            pw += ws[s]
        for s in range(ws.shape[0]):  # vectorised
            vs[s] = (float(ws[s]) - pB) * inv_a + r * (float(ps[s]) - (s + s0) * pB)
        t0 = onset(v, 0.0, s0, s1, npk, thr, low_rms * noise, low_frac)
    else:
        t0 = onset(w, pB, s0, s1, npk, thr, low_rms * noise, low_frac)
    if t0 < 0:
        for k in range(out.shape[0]):
            out[k, i] = _NAN
        for c in range(C):
            ch_tot[c, i] = _NAN
        return
    end = min(t0 + ntot, S)
    out[0, i] = (t0 - trig) * dt
    # --- window integrals per channel, summed in PE with the per-channel gains
    nw = win.shape[0]
    for j in range(nw + 1):
        out[1 + j, i] = 0.0
    for c in range(C):
        tr = wf[i, c]
        mc = base[c, i]
        g = dt * inv_gain[c]
        p0 = isum(tr[:t0]) if corrected else 0
        k = t0
        a_sum = np.int64(0)
        m1_sum = np.int64(0)
        for j in range(nw + 1):
            e = end if j == nw else min(t0 + win[j], end)
            if corrected:
                da, dm = isum_moment(tr[k:e])
                a_sum += da
                m1_sum += dm + k * da
            else:
                a_sum += isum(tr[k:e])
            k = max(k, e)
            n_s = k - t0
            val = pol * (float(a_sum) - n_s * mc)
            if corrected and n_s > 0:
                # sum over the window of the running sum of y: exact integers, one float step
                kk = n_s * p0 + (k - 1) * a_sum - m1_sum
                tt = n_s * t0 + n_s * (n_s - 1) // 2
                val = val / a_hp + r * pol * (float(kk) - mc * tt)
            if j == nw:
                ch_tot[c, i] = val * g
            out[1 + j, i] += val * g
    # --- prompt peak and delayed peak of the summed trace
    if corrected:
        p, q = peaks(v, t0, t0 + kdel, end)
        out[6, i] = v[p]
        out[8, i] = v[q] if q >= 0 else _NAN
    else:
        p, q = peaks(w, t0, t0 + kdel, end)
        out[6, i] = float(w[p]) - pB
        out[8, i] = float(w[q]) - pB if q >= 0 else _NAN
    out[7, i] = (p - t0) * dt
    out[9, i] = (q - t0) * dt if q >= 0 else _NAN


@njit(parallel=True, nogil=True, cache=True)
def _reduce_kernel(wf, ip, fp, win, inv_gain, nthreads, base, rms, sat, ch_tot, out):
    n, C, S = wf.shape
    if n == 0:
        return
    corrected = ip[_CORRECTED] != 0
    # Groups of events, handed out one at a time (dynamic scheduling): a thread slowed by
    # the reader, the hasher or another process does not hold up the whole chunk.
    nblk = min(n, 16 * nthreads)
    # (run_kernel sets numba's parallel chunk size to 1 around the call)
    for ib in prange(nblk):
        lo = ib * n // nblk
        hi = (ib + 1) * n // nblk
        w = np.empty(S, np.int32)
        v = np.empty(S, np.float64)
        pre = np.empty(S if corrected else 1, np.int64)
        for i in range(lo, hi):
            _event(wf, i, ip, fp, win, inv_gain, w, v, pre, base, rms, sat, ch_tot, out)


def run_kernel(
    block: NDArray[np.integer],
    windows: SampleWindows,
    *,
    polarity: int,
    adc_bits: int,
    inv_gain: NDArray[np.float64],
    capacitive_tau_ns: float | None,
    onset: tuple[float, float, float, float],
    n_threads: int | None = None,
) -> dict[str, NDArray[Any]]:
    """Reduce ``block`` ``[n, ch, s]`` and return the raw kernel outputs.

    Parameters
    ----------
    block : ndarray of int16 or uint16
        Waveforms; made C-contiguous if needed.
    windows : SampleWindows
        Window edges in samples.
    polarity : {-1, +1}
        Pulse polarity of the digitizer data.
    adc_bits : int
        ADC resolution; samples at 0 or ``2**adc_bits - 1`` flag saturation.
    inv_gain : ndarray of float64, shape (ch,)
        1 / SPE gain per channel (ones for ADC x ns output).
    capacitive_tau_ns : float or None
        AC-coupling time constant, or None for no correction.
    onset : tuple of 4 floats
        ``(threshold_rms, threshold_min_adc, low_fraction, low_rms)``.
    n_threads : int, optional
        Threads for this call (default: numba's current setting, all cores unless
        ``NUMBA_NUM_THREADS`` says otherwise).

    Returns
    -------
    dict
        ``baseline`` and ``rms`` ``[ch, n]``, ``saturated`` ``[n]``, ``channel_total``
        ``[ch, n]`` and ``scalars`` ``[N_SCALARS, n]`` (see ``SCALAR_INDEX``), one contiguous
        row per quantity.
    """
    if block.dtype not in (np.dtype("int16"), np.dtype("uint16")):
        raise TypeError(f"waveforms must be int16 or uint16, got {block.dtype}")
    wf = np.ascontiguousarray(block)
    n, c, _ = wf.shape
    dt = windows.sample_period_ns
    corrected = capacitive_tau_ns is not None
    # The kernel divides by a = tau / (tau + dt) exactly as physics.md writes the inverse.
    a = capacitive_tau_ns / (capacitive_tau_ns + dt) if corrected else 1.0
    base = np.empty((c, n), np.float64)
    rms = np.empty((c, n), np.float64)
    sat = np.empty(n, np.bool_)
    ch_tot = np.empty((c, n), np.float64)
    out = np.empty((N_SCALARS, n), np.float64)
    ip = np.zeros(_N_INT, np.int64)
    ip[_POL] = polarity
    ip[_ADC_MAX] = 2**adc_bits - 1
    ip[_B0], ip[_B1] = windows.baseline_start, windows.baseline_stop
    ip[_S0], ip[_S1] = windows.search_start, windows.search_stop
    ip[_NPK], ip[_NTOT] = windows.peak_samples, windows.total_samples
    ip[_KDEL], ip[_TRIG] = windows.delayed_offset, windows.trigger_index
    ip[_CORRECTED] = corrected
    fp = np.zeros(_N_FLOAT, np.float64)
    fp[[_THR_RMS, _THR_MIN, _LOW_FRAC, _LOW_RMS]] = onset
    fp[_DT], fp[_A_HP] = dt, a
    win = np.asarray(windows.window_samples, np.int64)
    gains = np.ascontiguousarray(inv_gain, np.float64)
    with _LAUNCH_LOCK:
        threads = numba.get_num_threads()
        use = (
            threads
            if n_threads is None
            else max(1, min(int(n_threads), numba.config.NUMBA_NUM_THREADS))
        )
        previous = numba.set_parallel_chunksize(1)
        numba.set_num_threads(use)
        try:
            _reduce_kernel(wf, ip, fp, win, gains, use, base, rms, sat, ch_tot, out)
        finally:
            numba.set_num_threads(threads)
            numba.set_parallel_chunksize(previous)
    return {"baseline": base, "rms": rms, "saturated": sat, "channel_total": ch_tot, "scalars": out}
