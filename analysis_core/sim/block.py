"""Simulation of one block of events: deposits -> light -> trigger -> PMT -> digitizer -> truth.

What to use when
----------------
``simulate_block(codes, z_beta_a, config, rng)`` is the physics of ``simulate_run`` for one
block of planned events (no file I/O); use it directly to get waveforms and truth in memory.

Trigger and time axis: a deposit that does not fire the two-PMT trigger
(``DetectorConfig.trigger_pe_per_pmt`` PE in each PMT within ``trigger_window_ns``) is re-drawn
from the same source, so every planned event triggers. The trigger fires ``trigger_latency_ns``
after the later PMT's k-th PE (``t_crossing`` after the deposit) at a uniformly random phase
inside the trigger sample (the digitizer clock is asynchronous), so the deposit sits at
``t0_ns = phase - t_crossing`` relative to the start of sample ``trigger_index``: a few ns before
it (-7.5 to 0 ns for 83mKr). LED flashes arrive ``led_delay_ns`` after the (external) trigger,
also at a random phase.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from analysis_core.sim.config import SimConfig
from analysis_core.sim.digitize import digitize, render_analog
from analysis_core.sim.kernels import trigger_kernel
from analysis_core.sim.light import Photons, led_photons, scintillation_photons
from analysis_core.sim.pmt import PEList, SPEModel, afterpulses, dark_counts
from analysis_core.sim.sources import SOURCE_CODES, Deposits, sample_deposits

__all__ = ["BlockResult", "simulate_block"]

_MAX_TRIGGER_ATTEMPTS = 10_000
_LED = SOURCE_CODES["led"]


@dataclass(frozen=True, slots=True)
class BlockResult:
    """Waveforms and truth of one block.

    Attributes
    ----------
    waveforms : ndarray of int16, shape (n, 2, n_samples)
        ADC samples, channels (top, bottom).
    truth : dict of str to ndarray
        Per-event truth columns (see ``simulate_run``).
    drawn : dict of int to int
        Deposits drawn per source code (including those that did not trigger).
    """

    waveforms: NDArray[np.int16]
    truth: dict[str, NDArray[np.generic]]
    drawn: dict[int, int] = field(default_factory=dict)


def _trigger(
    ph: Photons, k: int, window_ns: float
) -> tuple[NDArray[np.bool_], NDArray[np.float64]]:
    n = ph.n_events
    offsets = np.searchsorted(ph.ev, np.arange(n + 1)).astype(np.int64)
    passed = np.empty(n, dtype=np.bool_)
    t_trig = np.empty(n, dtype=np.float64)
    trigger_kernel(offsets, ph.ch, ph.t_ns, int(k), float(window_ns), passed, t_trig)
    return passed, t_trig


def _concat(parts: list[tuple[NDArray[np.int64], Photons]]) -> tuple[NDArray[np.int64], ...]:
    """Merge photon sub-batches (global event ids) into one list sorted by event."""
    ev = np.concatenate([ids[p.ev] for ids, p in parts]) if parts else np.zeros(0, np.int64)
    ch = np.concatenate([p.ch for _, p in parts]) if parts else np.zeros(0, np.int8)
    t = np.concatenate([p.t_ns for _, p in parts]) if parts else np.zeros(0)
    s = np.concatenate([p.singlet for _, p in parts]) if parts else np.zeros(0, bool)
    if len(parts) > 1:
        order = np.argsort(ev, kind="stable")  # runs of sorted ids: timsort merges in O(n)
        ev, ch, t, s = ev[order], ch[order], t[order], s[order]
    return ev, ch, t, s


def simulate_block(
    codes: NDArray[np.integer],
    z_beta_a: NDArray[np.float64],
    config: SimConfig,
    rng: np.random.Generator,
) -> BlockResult:
    """Simulate the events of one block.

    Parameters
    ----------
    codes : ndarray of int
        ``SOURCE_CODES`` value per event.
    z_beta_a : ndarray of float
        Per-event 83mKr height shape (1 = uniform), see ``sample_deposits``.
    config : SimConfig
        Detector and sources.
    rng : numpy.random.Generator
        Random source of this block.

    Returns
    -------
    BlockResult
    """
    det, src = config.detector, config.sources
    codes = np.asarray(codes, dtype=np.int8)
    n = codes.shape[0]
    dt = det.sample_period_ns

    e1, e2 = np.zeros(n), np.zeros(n)
    delay, z = np.full(n, np.nan), np.full(n, np.nan)
    gcat = np.zeros(n, dtype=np.int8)
    counts = np.zeros((n, 2, 2), dtype=np.int64)
    scale, p_top = np.ones(n), np.full(n, np.nan)
    fs = np.zeros((n, 2))
    t_trig = np.zeros(n)
    drawn: dict[int, int] = {}
    parts: list[tuple[NDArray[np.int64], Photons]] = []

    pending = np.flatnonzero(codes != _LED)
    for _ in range(_MAX_TRIGGER_ATTEMPTS):
        if pending.size == 0:
            break
        for c, m in zip(*np.unique(codes[pending], return_counts=True), strict=True):
            drawn[int(c)] = drawn.get(int(c), 0) + int(m)
        dep: Deposits = sample_deposits(codes[pending], rng, src, z_beta_a=z_beta_a[pending])
        ph = scintillation_photons(dep, det, rng)
        ok, tt = _trigger(ph, det.trigger_pe_per_pmt, det.trigger_window_ns)
        ids = pending[ok]
        e1[ids], e2[ids] = dep.energy_1_kev[ok], dep.energy_2_kev[ok]
        delay[ids], z[ids], gcat[ids] = dep.delay_ns[ok], dep.z[ok], dep.gamma_category[ok]
        counts[ids], scale[ids], p_top[ids] = ph.counts[ok], ph.light_scale[ok], ph.p_top[ok]
        fs[ids], t_trig[ids] = ph.singlet_fraction[ok], tt[ok] + det.trigger_latency_ns
        parts.append((ids, ph.take(ok)))
        pending = pending[~ok]
    else:  # pragma: no cover (needs a source that almost never triggers)
        raise RuntimeError(
            f"{pending.size} deposits failed the trigger {_MAX_TRIGGER_ATTEMPTS} times; "
            "check light_yield_pe_per_kev and trigger_pe_per_pmt"
        )

    led = np.flatnonzero(codes == _LED)
    if led.size:
        drawn[_LED] = drawn.get(_LED, 0) + int(led.size)
        ph = led_photons(led.size, det, rng)
        counts[led], scale[led], p_top[led] = ph.counts, ph.light_scale, ph.p_top
        parts.append((led, ph))

    phase = rng.random(n) * dt
    t0 = np.where(codes == _LED, phase + det.led_delay_ns, phase - t_trig)
    deposit_win = det.trigger_index * dt + t0  # deposit time in window coordinates

    ev, ch, t_rel, singlet = _concat(parts)
    t_win = t_rel + deposit_win[ev]
    models = (SPEModel.from_detector(det, 0), SPEModel.from_detector(det, 1))
    q = np.empty(ev.size)
    for c in (0, 1):
        sel = np.flatnonzero(ch == c)
        q[sel] = models[c].sample(rng, sel.size)
    primary = PEList(ev=ev, ch=ch, t_ns=t_win, q_adc_ns=q)
    ap, ap_spe = afterpulses(rng, det, models, ev, ch, t_win)
    dark = dark_counts(rng, det, models, n)

    analog = render_analog((primary, ap, dark), n, det)
    dig = digitize(analog, det, rng)

    win = det.window_ns
    in_win = (t_win >= 0.0) & (t_win < win)
    prompt = t_rel < 90.0  # includes PE that the time jitter moved slightly before t0
    ap_in = (ap.t_ns >= 0.0) & (ap.t_ns < win)
    energy = e1 + e2
    with np.errstate(invalid="ignore", divide="ignore"):
        fs_mean = np.where(energy > 0, (fs[:, 0] * e1 + fs[:, 1] * e2) / energy, 0.0)

    def per_event(mask: NDArray[np.bool_], events: NDArray[np.int64], w=None) -> NDArray:
        return np.bincount(events[mask], weights=None if w is None else w[mask], minlength=n)

    truth: dict[str, NDArray[np.generic]] = {
        "source": codes.copy(),
        "energy_kev": energy,
        "energy_1_kev": e1,
        "energy_2_kev": e2,
        "delay_ns": delay,
        "z": z,
        "p_top": p_top,
        "light_scale": scale,
        "gamma_category": gcat,
        "n_pe": counts.sum(axis=(1, 2)),
        "n_pe_top": counts[:, :, 0].sum(axis=1),
        "n_pe_bottom": counts[:, :, 1].sum(axis=1),
        "n_pe_1": counts[:, 0, :].sum(axis=1),
        "n_pe_2": counts[:, 1, :].sum(axis=1),
        "n_pe_window": per_event(in_win, ev).astype(np.int64),
        "n_pe_prompt90": per_event(prompt, ev).astype(np.int64),
        "n_singlet": per_event(singlet, ev).astype(np.int64),
        "singlet_fraction": fs_mean,
        "singlet_fraction_1": fs[:, 0],
        "singlet_fraction_2": fs[:, 1],
        "t0_ns": t0,
        "n_afterpulses": per_event(ap_in, ap.ev).astype(np.int64),
        "afterpulse_pe": per_event(ap_in, ap.ev, ap_spe.astype(np.float64)).astype(np.int64),
        "n_dark": np.bincount(dark.ev, minlength=n).astype(np.int64),
        "baseline_adc_top": dig.baseline_adc[:, 0],
        "baseline_adc_bottom": dig.baseline_adc[:, 1],
        "charge_adc_ns_top": dig.charge_adc_ns[:, 0],
        "charge_adc_ns_bottom": dig.charge_adc_ns[:, 1],
        "saturated": dig.saturated,
    }
    return BlockResult(waveforms=dig.codes, truth=truth, drawn=drawn)
