"""From photoelectron lists to 12-bit digitizer samples.

What to use when
----------------
- ``render_analog(pe_lists, n_events, det)``: the noiseless analog signal (positive pulses, ADC
  units) of one block of events, as ``float64[event, channel, sample]``.
- ``digitize(analog, det, rng)``: baseline with per-event offset, (optionally correlated)
  noise, optional AC coupling, polarity, rounding and clipping to ``[0, 2^bits - 1]``.

The AC coupling acts on the analog signal before noise and quantisation (the capacitor sits
between the PMT and the digitizer input; the digitizer's own offset sets the baseline).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from analysis_core.sim.config import DetectorConfig
from analysis_core.sim.kernels import digitize_kernel, render_kernel
from analysis_core.sim.pmt import PEList, PulseShape

__all__ = ["Digitized", "ac_coupling_coefficient", "digitize", "render_analog"]


@dataclass(frozen=True, slots=True)
class Digitized:
    """Digitizer output of one block.

    Attributes
    ----------
    codes : ndarray of int16, shape (n, 2, n_samples)
        ADC samples.
    baseline_adc : ndarray of float64, shape (n, 2)
        True baseline (nominal plus the event's offset) of each channel.
    saturated : ndarray of bool
        Any sample clipped at 0 or the ADC maximum.
    charge_adc_ns : ndarray of float64, shape (n, 2)
        Analog charge inside the window before AC coupling (signal truth).
    """

    codes: NDArray[np.int16]
    baseline_adc: NDArray[np.float64]
    saturated: NDArray[np.bool_]
    charge_adc_ns: NDArray[np.float64]


def ac_coupling_coefficient(tau_us: float, dt_ns: float) -> float:
    """Return ``a = tau / (tau + dt)`` of the discrete single-pole high-pass."""
    tau_ns = tau_us * 1e3
    return tau_ns / (tau_ns + dt_ns)


def render_analog(
    pe_lists: Sequence[PEList], n_events: int, det: DetectorConfig
) -> NDArray[np.float64]:
    """Sum the SPE pulses of every PE list into ``float64[n_events, 2, n_samples]``.

    Parameters
    ----------
    pe_lists : sequence of PEList
        Each sorted by event; times in window coordinates.
    n_events : int
        Events in the block.
    det : DetectorConfig
        Pulse shape and sampling.
    """
    out = np.zeros((n_events, 2, det.n_samples), dtype=np.float64)
    shape = PulseShape(det.pulse_rise_ns, det.pulse_fall_ns)
    taps = shape.n_taps(det.sample_period_ns)
    for pe in pe_lists:
        if len(pe) == 0:
            continue
        render_kernel(
            pe.offsets(n_events),
            pe.ch,
            pe.t_ns,
            pe.q_adc_ns,
            float(det.pulse_rise_ns),
            float(det.pulse_fall_ns),
            float(det.sample_period_ns),
            taps,
            out,
        )
    return out


def digitize(
    analog: NDArray[np.float64], det: DetectorConfig, rng: np.random.Generator
) -> Digitized:
    """Turn an analog block into ADC codes (see the module docstring).

    Parameters
    ----------
    analog : ndarray, shape (n, 2, n_samples)
        Positive pulses in ADC units.
    det : DetectorConfig
        Baselines, noise, AC coupling, polarity, ADC range.
    rng : numpy.random.Generator
        Random source for offsets and noise.
    """
    n = analog.shape[0]
    nominal = np.array([det.baseline_adc_top, det.baseline_adc_bottom])
    baseline = nominal[None, :] + det.baseline_offset_sigma_adc * rng.standard_normal((n, 2))
    noise = rng.standard_normal(analog.shape, dtype=np.float32)
    use_ac = det.ac_coupling_tau_us is not None
    a = ac_coupling_coefficient(det.ac_coupling_tau_us, det.sample_period_ns) if use_ac else 1.0
    codes = np.empty(analog.shape, dtype=np.int16)
    sat = np.empty(n, dtype=np.bool_)
    charge = np.empty((n, 2), dtype=np.float64)
    digitize_kernel(
        analog,
        noise,
        baseline,
        float(det.noise_rms_adc),
        float(det.noise_correlation),
        float(a),
        use_ac,
        float(det.polarity),
        float(det.adc_max),
        float(det.sample_period_ns),
        codes,
        sat,
        charge,
    )
    return Digitized(codes=codes, baseline_adc=baseline, saturated=sat, charge_adc_ns=charge)
