"""Numba building blocks of the reduction kernel: exact sums, statistics, searches.

What to use when
----------------
Internal to ``kernels``: small ``@njit`` functions on 1-D slices. They loop from index 0 of
the slice they receive (callers pass ``x[a:b]``), which lets LLVM drop negative-index checks
and vectorise the loops; integer data are summed exactly in int64.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit

__all__ = ["first_equal", "maximum", "isum", "isum_moment", "onset", "peaks", "stats"]


@njit(nogil=True, cache=True)
def stats(x: Any) -> tuple[float, float]:
    """Mean and rms (ddof=0) of the integer slice ``x`` from exact int64 sums."""
    s1 = np.int64(0)
    s2 = np.int64(0)
    for s in range(x.shape[0]):
        q = np.int64(x[s])
        s1 += q
        s2 += q * q
    n = x.shape[0]
    mean = s1 / n
    num = n * s2 - s1 * s1  # exact: n^2 * variance
    var = num / (float(n) * float(n))
    return mean, math.sqrt(var) if var > 0.0 else 0.0


@njit(nogil=True, cache=True)
def isum(x: Any) -> int:
    """Exact int64 sum of an integer slice (loops from 0 so that LLVM vectorises it)."""
    acc = np.int64(0)
    for s in range(x.shape[0]):
        acc += x[s]
    return acc


@njit(nogil=True, cache=True)
def isum_moment(x: Any) -> tuple[int, int]:
    """Exact ``(sum x[j], sum j * x[j])`` of an integer slice."""
    a = np.int64(0)
    m = np.int64(0)
    for j in range(x.shape[0]):
        q = np.int64(x[j])
        a += q
        m += j * q
    return a, m


@njit(nogil=True, cache=True, fastmath=True)
def maximum(x: Any) -> Any:
    """Largest element of a non-empty, NaN-free slice (fastmath lets floats vectorise)."""
    m = x[0]
    for s in range(1, x.shape[0]):
        m = max(m, x[s])
    return m


@njit(nogil=True, cache=True)
def first_equal(x: Any, m: Any) -> int:
    """Index of the first element of ``x`` equal to ``m`` (-1 if none).

    Blocks of 32 are tested with a branch-free (vectorised) any-equal before the scalar scan
    of the block that holds the match: twice as fast as a plain early-exit loop.
    """
    n = x.shape[0]
    b = 0
    while b + 32 <= n:
        hit = False
        for j in range(32):
            hit |= x[b + j] == m
        if hit:
            break
        b += 32
    for s in range(b, n):
        if x[s] == m:
            return s
    return -1


@njit(nogil=True, cache=True)
def onset(
    tr: Any,
    offset: float,
    s0: int,
    s1: int,
    npk: int,
    thr: float,
    low_noise: float,
    low_frac: float,
) -> int:
    """Onset sample of the first pulse of ``tr - offset``; -1 when none.

    The first sample in ``[s0, s1)`` above ``thr`` is the crossing; the local peak is the
    largest value in ``npk`` samples from it; the onset walks back from the crossing while the
    previous sample is above ``max(low_frac * peak, low_noise)``, never before ``s0``.
    """
    n = tr.shape[0]
    cross = -1
    for s in range(s0, s1):
        if tr[s] - offset > thr:
            cross = s
            break
    if cross < 0:
        return -1
    pk = tr[cross] - offset
    for s in range(cross + 1, min(cross + npk, n)):
        q = tr[s] - offset
        if q > pk:
            pk = q
    low = max(low_frac * pk, low_noise)
    t = cross
    while t > s0 and tr[t - 1] - offset > low:
        t -= 1
    return t


@njit(nogil=True, cache=True)
def peaks(tr: Any, t0: int, d0: int, end: int) -> tuple[int, int]:
    """First argmax of ``tr[t0:end]`` and of ``tr[d0:end]`` (-1 when that range is empty).

    One pass: maxima of ``[t0, d0)`` and ``[d0, end)``, then the first index of each.
    """
    d0 = min(max(d0, t0), end)
    if d0 >= end:
        m1 = maximum(tr[t0:end])
        return t0 + first_equal(tr[t0:end], m1), -1
    m2 = maximum(tr[d0:end])
    i2 = d0 + first_equal(tr[d0:end], m2)
    if d0 > t0:
        m1 = maximum(tr[t0:d0])
        if m1 >= m2:
            return t0 + first_equal(tr[t0:d0], m1), i2
    return i2, i2
