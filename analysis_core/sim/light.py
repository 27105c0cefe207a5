"""Scintillation and LED light: detected photoelectrons per PMT and their arrival times.

What to use when
----------------
- ``scintillation_photons(deposits, det, rng)``: PE of energy deposits. Per event a
  light-collection factor ``g = max(0, N(1, smear)) (1 + c ((2z - 1)^2 - 1/3))`` multiplies the
  mean ``LY E`` of every step; the PE number is Poisson, split top/bottom binomially with
  ``p_top(z)``; each PE is singlet with probability ``fs(E_step)`` (else triplet), and arrives
  after an exponential decay time plus Gaussian jitter (plus optional TPB delay) and, for the
  second 83mKr step, the step delay. Times are relative to the first deposit.
- ``led_photons(n, det, rng)``: Poisson PE per PMT at a common time (no scintillation); times
  relative to the LED flash.

Both return a ``Photons`` batch whose PE are grouped by event, step and channel, in that order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from analysis_core.sim.config import DetectorConfig
from analysis_core.sim.sources import Deposits

__all__ = ["Photons", "led_photons", "scintillation_photons"]


@dataclass(frozen=True, slots=True)
class Photons:
    """Detected PE of a batch of events, before digitization.

    Attributes
    ----------
    ev : ndarray of int64
        Event index in the batch (non-decreasing).
    ch : ndarray of int8
        0 top, 1 bottom.
    t_ns : ndarray of float64
        Arrival time relative to the first deposit (LED: to the flash).
    singlet : ndarray of bool
        Emitted by the singlet state.
    counts : ndarray of int64, shape (n, 2, 2)
        PE per event, step (first/second deposit) and channel (top/bottom).
    light_scale : ndarray of float64
        Per-event light-collection factor ``g``.
    p_top : ndarray of float64
        Top-PMT probability of the event.
    singlet_fraction : ndarray of float64, shape (n, 2)
        Model singlet fraction of each step.
    """

    ev: NDArray[np.int64]
    ch: NDArray[np.int8]
    t_ns: NDArray[np.float64]
    singlet: NDArray[np.bool_]
    counts: NDArray[np.int64]
    light_scale: NDArray[np.float64]
    p_top: NDArray[np.float64]
    singlet_fraction: NDArray[np.float64]

    @property
    def n_events(self) -> int:
        """Events in the batch."""
        return int(self.counts.shape[0])

    def take(self, keep: NDArray[np.bool_]) -> Photons:
        """Return the sub-batch of events where ``keep`` is True (events renumbered)."""
        new_index = np.cumsum(keep) - 1
        pe_keep = keep[self.ev]
        return Photons(
            ev=new_index[self.ev[pe_keep]],
            ch=self.ch[pe_keep],
            t_ns=self.t_ns[pe_keep],
            singlet=self.singlet[pe_keep],
            counts=self.counts[keep],
            light_scale=self.light_scale[keep],
            p_top=self.p_top[keep],
            singlet_fraction=self.singlet_fraction[keep],
        )


def _expand(
    counts: NDArray[np.int64],
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int8]]:
    """PE-level (event, step, channel) from counts of shape (n, 2, 2), grouped in that order."""
    flat = counts.reshape(-1)
    group = np.repeat(np.arange(flat.size), flat)
    ev = group // 4
    step = (group // 2) % 2
    ch = (group % 2).astype(np.int8)
    return ev, step, ch


def _arrival_offsets(
    rng: np.random.Generator, det: DetectorConfig, fs: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Emission plus detection delay of PE whose singlet probabilities are ``fs``."""
    n = fs.shape[0]
    singlet = rng.random(n) < fs
    tau = np.where(singlet, det.singlet_tau_ns, det.triplet_tau_ns)
    t = tau * rng.standard_exponential(n)
    if det.time_jitter_ns > 0:
        t += det.time_jitter_ns * rng.standard_normal(n)
    if det.tpb_delayed_fraction > 0:
        delayed = rng.random(n) < det.tpb_delayed_fraction
        t[delayed] += det.tpb_delayed_tau_ns * rng.standard_exponential(int(delayed.sum()))
    return t, singlet


def scintillation_photons(
    deposits: Deposits, det: DetectorConfig, rng: np.random.Generator
) -> Photons:
    """Draw the detected PE of the scintillation of ``deposits`` (see the module docstring).

    Parameters
    ----------
    deposits : Deposits
        Energy deposits (no LED events).
    det : DetectorConfig
        Light and PMT parameters.
    rng : numpy.random.Generator
        Random source.

    Returns
    -------
    Photons
    """
    n = len(deposits)
    z = deposits.z
    g = np.maximum(0.0, 1.0 + det.light_smear_rel * rng.standard_normal(n))
    g *= 1.0 + det.light_z_nonuniformity * ((2.0 * z - 1.0) ** 2 - 1.0 / 3.0)
    energies = np.stack([deposits.energy_1_kev, deposits.energy_2_kev], axis=1)
    mean = det.light_yield_pe_per_kev * energies * g[:, None]
    n_step = rng.poisson(mean)
    p_top = np.clip(det.p_top(z), 0.0, 1.0)
    n_top = rng.binomial(n_step, p_top[:, None])
    counts = np.stack([n_top, n_step - n_top], axis=2).astype(np.int64)
    fs = np.asarray(det.singlet_fraction(energies), dtype=np.float64)

    ev, step, ch = _expand(counts)
    t, singlet = _arrival_offsets(rng, det, fs[ev, step])
    second = step == 1
    t[second] += deposits.delay_ns[ev[second]]
    return Photons(
        ev=ev,
        ch=ch,
        t_ns=t,
        singlet=singlet,
        counts=counts,
        light_scale=g,
        p_top=p_top,
        singlet_fraction=fs,
    )


def led_photons(n: int, det: DetectorConfig, rng: np.random.Generator) -> Photons:
    """LED flashes: Poisson PE per PMT arriving at the flash time with Gaussian spread.

    Parameters
    ----------
    n : int
        Number of flashes (events).
    det : DetectorConfig
        Uses ``led_mean_pe_top``, ``led_mean_pe_bottom``, ``led_width_ns``.
    rng : numpy.random.Generator
        Random source.
    """
    counts = np.zeros((n, 2, 2), dtype=np.int64)
    counts[:, 0, 0] = rng.poisson(det.led_mean_pe_top, n)
    counts[:, 0, 1] = rng.poisson(det.led_mean_pe_bottom, n)
    ev, _, ch = _expand(counts)
    t = det.led_width_ns * rng.standard_normal(ev.size)
    mean_top = det.led_mean_pe_top / max(det.led_mean_pe_top + det.led_mean_pe_bottom, 1e-300)
    return Photons(
        ev=ev,
        ch=ch,
        t_ns=t,
        singlet=np.zeros(ev.size, dtype=bool),
        counts=counts,
        light_scale=np.ones(n),
        p_top=np.full(n, mean_top),
        singlet_fraction=np.zeros((n, 2)),
    )
