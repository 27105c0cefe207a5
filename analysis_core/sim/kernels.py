"""Numba kernels of the simulator: trigger search, pulse rendering, digitization.

What to use when
----------------
These are the inner loops behind ``analysis_core.sim.digitize``; call them through that module.
They take plain arrays, never draw random numbers (so results do not depend on threading), release
the GIL (a GUI thread stays responsive while a worker simulates) and are compiled once and cached
on disk (``cache=True``).
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

__all__ = ["digitize_kernel", "render_kernel", "trigger_kernel"]


@nb.njit(cache=True, nogil=True)
def trigger_kernel(offsets, ch, t_ns, k, window_ns, passed, t_trig):  # pragma: no cover (jit)
    """Two-PMT coincidence trigger per event.

    For event ``e`` (PE ``offsets[e]:offsets[e+1]``, unsorted times ``t_ns``) each channel must
    have at least ``k`` PE before ``first + window_ns``; the trigger time is the later of the two
    channels' ``k``-th PE times. Writes ``passed[e]`` and ``t_trig[e]`` (NaN when it fails).
    """
    n_ev = offsets.shape[0] - 1
    buf = np.empty((2, k))
    for e in range(n_ev):
        a, b = offsets[e], offsets[e + 1]
        passed[e] = False
        t_trig[e] = np.nan
        if b - a < 2 * k:
            continue
        first = np.inf
        for i in range(a, b):
            if t_ns[i] < first:
                first = t_ns[i]
        limit = first + window_ns
        n_in = np.zeros(2, np.int64)
        buf[:, :] = np.inf
        for i in range(a, b):
            t = t_ns[i]
            if t >= limit:
                continue
            c = ch[i]
            n_in[c] += 1
            # keep the k smallest times of channel c in ascending order
            if t < buf[c, k - 1]:
                j = k - 1
                while j > 0 and buf[c, j - 1] > t:
                    buf[c, j] = buf[c, j - 1]
                    j -= 1
                buf[c, j] = t
        if n_in[0] >= k and n_in[1] >= k:
            passed[e] = True
            t_trig[e] = max(buf[0, k - 1], buf[1, k - 1])


@nb.njit(cache=True, parallel=True, nogil=True)
def render_kernel(offsets, ch, t_ns, q, rise_ns, fall_ns, dt_ns, n_taps, out):  # pragma: no cover
    """Add unit-area pulses of charge ``q`` at times ``t_ns`` to ``out[event, channel, sample]``.

    Each sample receives the exact mean of ``q h(t)`` over its 4 ns (``h`` the difference of two
    exponentials), so the rendered charge equals ``q`` up to the < 2e-5 tail beyond ``n_taps``
    and the part beyond the window end. Events are processed in parallel.
    """
    n_ev = offsets.shape[0] - 1
    n_samp = out.shape[2]
    norm = 1.0 / (fall_ns - rise_ns)
    df = math.exp(-dt_ns / fall_ns)
    dr = math.exp(-dt_ns / rise_ns)
    for e in nb.prange(n_ev):
        for i in range(offsets[e], offsets[e + 1]):
            t = t_ns[i]
            s0 = int(math.floor(t / dt_ns))
            if s0 >= n_samp or s0 + n_taps <= 0:
                continue
            c = ch[i]
            amp = q[i] / dt_ns
            x1 = (s0 + 1) * dt_ns - t  # in (0, dt]
            ef = fall_ns * math.exp(-x1 / fall_ns)
            er = rise_ns * math.exp(-x1 / rise_ns)
            g_hi = ef - er
            # sample s0: area from 0 to x1
            if s0 >= 0:
                out[e, c, s0] += amp * ((fall_ns - rise_ns) - g_hi) * norm
            for k in range(1, n_taps):
                s = s0 + k
                if s >= n_samp:
                    break
                g_lo = g_hi
                ef *= df
                er *= dr
                g_hi = ef - er
                if s >= 0:
                    out[e, c, s] += amp * (g_lo - g_hi) * norm


@nb.njit(cache=True, parallel=True, nogil=True)
def digitize_kernel(
    analog,
    noise,
    baseline,
    noise_rms,
    rho,
    ac_a,
    use_ac,
    polarity,
    adc_max,
    dt_ns,
    out,
    sat,
    charge,
):  # pragma: no cover (jit)
    """Analog pulses -> ADC codes, per event in parallel.

    ``y = AC(analog)`` (if ``use_ac``: ``y[n] = a (y[n-1] + x[n] - x[n-1])``), AR(1) noise
    ``n[i] = rho n[i-1] + sqrt(1 - rho^2) w[i]`` from standard normals ``noise``, then
    ``code = round(baseline + noise_rms n + polarity y)`` clipped to ``[0, adc_max]``. Writes the
    codes to ``out``, ``sat[e]`` when any sample clipped and the analog charge (before AC
    coupling) per channel to ``charge`` in ADC x ns.
    """
    n_ev, n_ch, n_samp = analog.shape
    sq = math.sqrt(1.0 - rho * rho)
    for e in nb.prange(n_ev):
        clipped = False
        for c in range(n_ch):
            y = 0.0
            x_prev = 0.0
            nz = 0.0
            total = 0.0
            base = baseline[e, c]
            for s in range(n_samp):
                x = analog[e, c, s]
                total += x
                if use_ac:
                    y = ac_a * (y + x - x_prev)
                    x_prev = x
                else:
                    y = x
                w = noise[e, c, s]
                nz = w if s == 0 else rho * nz + sq * w
                v = math.floor(base + noise_rms * nz + polarity * y + 0.5)
                if v <= 0.0:
                    v = 0.0
                    clipped = True
                elif v >= adc_max:
                    v = adc_max
                    clipped = True
                out[e, c, s] = np.int16(v)
            charge[e, c] = total * dt_ns
        sat[e] = clipped
