"""Every physical parameter of the simulator, with its default and where it comes from.

What to use when
----------------
- ``SimConfig()``: the CENNS-10-like defaults; pass it (or a modified copy) to
  ``simulate_run(..., config=...)``.
- ``SimConfig().replace(light_yield_pe_per_kev=4.9, co57_source_z=0.8)``: change any field of
  the nested ``DetectorConfig`` or ``SourceConfig`` by its (unique) name.
- ``DetectorConfig``: light, PMT, digitizer and trigger response (what the detector does).
- ``SourceConfig``: nuclear data and source geometry (what deposits energy where).
- ``SimConfig.to_attrs()``: flat ``{name: value}`` dict written to ``/truth`` attributes.

Coordinates: the vertical position ``z`` is a fraction of the active height, 0 at the bottom
PMT and 1 at the top PMT. Charges are in ADC x ns (the integral of a baseline-subtracted pulse
in ADC counts times the 4 ns sample period); the "PE" of the truth is a detected
photoelectron.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

__all__ = ["DetectorConfig", "SimConfig", "SourceConfig"]


@dataclass(frozen=True, slots=True)
class DetectorConfig:
    """Response of a CENNS-10-like two-PMT liquid-argon detector.

    Attributes
    ----------
    light_yield_pe_per_kev : float
        Mean *true* detected PE per keV (both PMTs, electron recoils). 4.85, so that the
        paper's Analysis A reads its 4.3 PE/keV: A divides the 6 us charge by the fully
        amplified ``mu``, and that charge per true PE is ``mean/mu`` (0.862, the SPE model)
        x (1 + afterpulse charge, 0.044) x (triplet light inside 6 us, 0.986) = 0.888, so
        A reads 4.85 x 0.888 = 4.31 PE/keV (measured: 41.5 keV peak at ~179 PE; paper ~177).
        Analysis B (``analysis_core.spe``: Gaussian on isolated late SPE above 4 x noise)
        finds 0.88 mu (top) and 0.93 mu (bottom) and reads 4.77 PE/keV (paper 4.9; it
        depends on B's threshold: the paper's point, the SPE definition makes the difference).
    light_smear_rel : float
        Relative rms of a per-event Gaussian light-collection factor. With Poisson statistics
        (7.1 % at 201 true PE), the SPE variance (8.2 %), afterpulses,
        ``light_z_nonuniformity`` and the baseline noise integrated over 6 us, the 41.5 keV
        resolution is 8.7 %; 3.5 % extra smear brings it to the paper's 9.3 %.
    light_z_nonuniformity : float
        Light yield versus height: ``LY(z) = LY (1 + c ((2z - 1)^2 - 1/3))``, so events near
        either PMT see more light (the paper's high-side tails) and the mean over a uniform
        ``z`` is ``LY``.
    singlet_tau_ns, triplet_tau_ns : float
        Scintillation lifetimes (``spec/physics.md``: ~6-7 ns and ~1.5 us). 7 ns, together with
        the pulse shape and jitter, puts the delayed 9.4 keV singlet peak of the summed
        channels near the paper's 158.5 ADC.
    singlet_fraction_inf, singlet_fraction_amp, singlet_fraction_scale_kev : float
        Electron-recoil singlet fraction ``fs(E) = fs_inf + A exp(-E / E_s)``. Defaults give
        ``F90 = fs + (1 - fs)(1 - exp(-90 ns / tau_t))`` of 0.39 at 9.4 keV and 0.30 at
        32.1 keV (paper Tables 3/4: 17.4/44.7 and 45.2/149.2) and 0.28 above ~60 keV.
    time_jitter_ns : float
        Gaussian rms of the photon detection time (PMT transit-time spread plus TPB).
    tpb_delayed_fraction, tpb_delayed_tau_ns : float
        Optional delayed TPB re-emission: a fraction of photons delayed by an extra exponential.
    p_top_bottom, p_top_top : float
        Probability that a detected photon is seen by the top PMT for an event at z = 0 and
        z = 1 (linear in between). ``ftop`` of uniform events is centred on the mean.
    spe_mu_adc_ns_top, spe_mu_adc_ns_bottom : float
        Mean charge ``mu`` of the fully amplified Gamma component of the SPE model (the
        Analysis A gain): 212 (bottom) and 239 ADC x ns (top), the real CENNS-10 gains of
        ~53 ADC x samples and x1.126 for the top PMT. The model means are 0.862 mu.
    spe_gamma_relvar : float
        Relative variance ``b`` of the fully amplified Gamma component.
    spe_ua_fraction, spe_ua_mean_frac, spe_ua_relvar_factor : float
        Under-amplified Gamma component (DEAP-3600 model): its weight, mean ``f_mu mu`` and
        relative variance ``f_b b``.
    spe_exp_fraction, spe_exp_slope_mu : float
        Exponential component ``lambda exp(-lambda q)`` on ``0 < q < mu``: its weight and
        ``lambda mu``. The whole model has relative variance ~0.35 (``spec/physics.md`` 4).
    pulse_rise_ns, pulse_fall_ns : float
        SPE current pulse ``(exp(-t/fall) - exp(-t/rise)) / (fall - rise)`` (unit area), averaged
        over each 4 ns sample: ~12-16 ADC mean SPE height at the default gains (an 8-inch
        R5912 pulse is ~10 ns wide). Electron-recoil peak-to-total: ~2.5-4 ADC/PE (Fig. 11).
    afterpulse_prob_1, afterpulse_delay_1_ns, afterpulse_sigma_1_ns : float
        First afterpulse group (R5912: ~0.5-2 us): probability per PE, Gaussian delay.
    afterpulse_prob_2, afterpulse_delay_2_ns, afterpulse_sigma_2_ns : float
        Second afterpulse group (~6-7 us).
    afterpulse_extra_pe_mean : float
        An afterpulse carries ``1 + Poisson(m)`` SPE charges.
    dark_rate_hz : float
        Dark-count rate per PMT (single PE, uniform in the window).
    sample_period_ns, n_samples, trigger_index, adc_bits : float, int, int, int
        Digitizer: 4 ns, 1875 samples (-1.5 us to +6 us), trigger at sample 375, 12 bit.
    polarity : int
        -1: pulses go down from the baseline (CENNS-10), +1: up.
    baseline_adc_top, baseline_adc_bottom : float
        Nominal baselines: a negative-polarity 12-bit ADC leaves ~3600 ADC of headroom, so the
        top ~1 % of the 39Ar spectrum (> ~450 keV) saturates.
    baseline_offset_sigma_adc : float
        Per-event Gaussian offset of each channel's baseline.
    noise_rms_adc : float
        Electronics noise per sample.
    noise_correlation : float
        AR(1) coefficient of the noise between consecutive samples (0 = white); the rms per
        sample stays ``noise_rms_adc``.
    ac_coupling_tau_us : float or None
        Time constant of the capacitive (AC) coupling high-pass; None switches it off. The
        exact discrete form ``y[n] = a (y[n-1] + x[n] - x[n-1])``, ``a = tau/(tau + dt)``, acts
        on the analog signal before noise and quantisation.
    trigger_pe_per_pmt, trigger_window_ns, trigger_latency_ns : int, float, float
        Trigger: each PMT must see at least this many PE within this time of the event's first
        photon (two-PMT threshold coincidence above the SPE height). The trigger fires
        ``trigger_latency_ns`` (the rise to the threshold) after the later PMT's k-th PE; a
        deposit that fails is re-drawn (rates are rates of triggered events).
    led_mean_pe_top, led_mean_pe_bottom, led_delay_ns, led_width_ns : float
        LED runs: Poisson mean PE per PMT, arrival time after the trigger and its Gaussian rms.
    """

    # light
    light_yield_pe_per_kev: float = 4.85
    light_smear_rel: float = 0.035
    light_z_nonuniformity: float = 0.06
    singlet_tau_ns: float = 7.0
    triplet_tau_ns: float = 1500.0
    singlet_fraction_inf: float = 0.24
    singlet_fraction_amp: float = 0.245
    singlet_fraction_scale_kev: float = 12.0
    time_jitter_ns: float = 1.5
    tpb_delayed_fraction: float = 0.0
    tpb_delayed_tau_ns: float = 49.0
    p_top_bottom: float = 0.3
    p_top_top: float = 0.7
    # PMT: DEAP-3600 SPE charge model (Amaudruz et al., NIM A 922 (2019) 373)
    spe_mu_adc_ns_top: float = 239.0
    spe_mu_adc_ns_bottom: float = 212.0
    spe_gamma_relvar: float = 0.22
    spe_ua_fraction: float = 0.15
    spe_ua_mean_frac: float = 0.35
    spe_ua_relvar_factor: float = 2.0
    spe_exp_fraction: float = 0.05
    spe_exp_slope_mu: float = 5.0
    pulse_rise_ns: float = 2.0
    pulse_fall_ns: float = 8.0
    afterpulse_prob_1: float = 0.03
    afterpulse_delay_1_ns: float = 1100.0
    afterpulse_sigma_1_ns: float = 350.0
    afterpulse_prob_2: float = 0.015
    afterpulse_delay_2_ns: float = 6500.0
    afterpulse_sigma_2_ns: float = 400.0
    afterpulse_extra_pe_mean: float = 0.5
    dark_rate_hz: float = 300.0
    # digitizer (CAEN V1720-class: 12 bit, 250 MS/s)
    sample_period_ns: float = 4.0
    n_samples: int = 1875
    trigger_index: int = 375
    adc_bits: int = 12
    polarity: int = -1
    baseline_adc_top: float = 3650.0
    baseline_adc_bottom: float = 3600.0
    baseline_offset_sigma_adc: float = 3.0
    noise_rms_adc: float = 1.8
    noise_correlation: float = 0.0
    ac_coupling_tau_us: float | None = None
    # trigger and LED
    trigger_pe_per_pmt: int = 2
    trigger_window_ns: float = 24.0
    trigger_latency_ns: float = 4.0
    led_mean_pe_top: float = 1.5
    led_mean_pe_bottom: float = 1.5
    led_delay_ns: float = 100.0
    led_width_ns: float = 2.0

    def __post_init__(self) -> None:
        _check_positive(
            self,
            "light_yield_pe_per_kev singlet_tau_ns triplet_tau_ns singlet_fraction_scale_kev "
            "tpb_delayed_tau_ns spe_mu_adc_ns_top spe_mu_adc_ns_bottom spe_gamma_relvar "
            "spe_ua_mean_frac spe_ua_relvar_factor spe_exp_slope_mu pulse_rise_ns pulse_fall_ns "
            "sample_period_ns n_samples adc_bits trigger_window_ns",
        )
        _check_non_negative(
            self,
            "light_smear_rel light_z_nonuniformity time_jitter_ns afterpulse_sigma_1_ns "
            "afterpulse_sigma_2_ns afterpulse_extra_pe_mean dark_rate_hz "
            "baseline_offset_sigma_adc noise_rms_adc led_mean_pe_top led_mean_pe_bottom "
            "led_width_ns afterpulse_delay_1_ns afterpulse_delay_2_ns trigger_latency_ns",
        )
        _check_unit(
            self,
            "tpb_delayed_fraction p_top_bottom p_top_top spe_ua_fraction spe_exp_fraction "
            "afterpulse_prob_1 afterpulse_prob_2",
        )
        if not 0.0 <= self.singlet_fraction_inf + self.singlet_fraction_amp <= 1.0:
            raise ValueError("singlet_fraction_inf + singlet_fraction_amp must be in [0, 1]")
        if not 0.0 <= self.singlet_fraction_inf <= 1.0 or self.singlet_fraction_amp < 0:
            raise ValueError("singlet fraction parameters must give fs(E) in [0, 1]")
        if self.spe_ua_fraction + self.spe_exp_fraction >= 1.0:
            raise ValueError("spe_ua_fraction + spe_exp_fraction must be below 1")
        if not self.pulse_fall_ns > self.pulse_rise_ns:
            raise ValueError("pulse_fall_ns must exceed pulse_rise_ns")
        if self.polarity not in (-1, 1):
            raise ValueError(f"polarity must be -1 or +1, got {self.polarity}")
        if not 0 <= self.trigger_index < self.n_samples:
            raise ValueError("trigger_index must lie inside the window")
        if not -1.0 < self.noise_correlation < 1.0:
            raise ValueError("noise_correlation must be in (-1, 1)")
        if self.ac_coupling_tau_us is not None and not self.ac_coupling_tau_us > 0:
            raise ValueError("ac_coupling_tau_us must be positive (None switches it off)")
        if self.trigger_pe_per_pmt < 1 or self.trigger_pe_per_pmt > 16:
            raise ValueError("trigger_pe_per_pmt must be in 1..16")
        if self.adc_bits > 15:
            raise ValueError("adc_bits above 15 does not fit the int16 sample type")

    @property
    def adc_max(self) -> int:
        """Largest ADC code (4095 at 12 bit)."""
        return (1 << self.adc_bits) - 1

    @property
    def window_ns(self) -> float:
        """Length of the digitized window in ns (7500 ns)."""
        return self.n_samples * self.sample_period_ns

    def singlet_fraction(self, energy_kev: Any) -> Any:
        """Return the electron-recoil singlet fraction ``fs(E)`` (array-friendly)."""
        e = np.asarray(energy_kev, dtype=np.float64)
        return self.singlet_fraction_inf + self.singlet_fraction_amp * np.exp(
            -e / self.singlet_fraction_scale_kev
        )

    def p_top(self, z: Any) -> Any:
        """Return the top-PMT photon probability at height fraction ``z`` (array-friendly)."""
        return self.p_top_bottom + (self.p_top_top - self.p_top_bottom) * z

    def spe_mu_adc_ns(self, channel: int) -> float:
        """Fully amplified SPE mean ``mu`` of channel 0 (top) or 1 (bottom)."""
        return self.spe_mu_adc_ns_top if channel == 0 else self.spe_mu_adc_ns_bottom


@dataclass(frozen=True, slots=True)
class SourceConfig:
    """Nuclear data and source geometry.

    Attributes
    ----------
    kr83m_energy_1_kev, kr83m_energy_2_kev : float
        83mKr cascade (ENSDF): 32.1516 keV, then 9.4057 keV.
    kr83m_step_half_life_ns : float
        Half-life of the 9.4057 keV level (ENSDF: 155.1 ns; mean life 223.8 ns).
    kr83m_half_life_s : float
        83mKr half-life (ENSDF: 1.83 h), used by the ``kr-run`` timeline.
    ar39_q_kev : float
        39Ar beta endpoint (ENSDF: 565 keV).
    ar39_daughter_z, ar39_mass_number : int
        39K daughter charge and mass number for the Fermi function and nuclear radius.
    co57_lines_kev, co57_line_intensities : tuple of float
        57Co gamma lines that reach the argon (ENSDF: 122.06065 keV 85.60 %, 136.47356 keV
        10.68 %). The 14.4 keV line is absorbed by the cryostat and not simulated.
    co57_attenuation_cm : tuple of float
        Attenuation length in liquid argon per line (NIST XCOM, Ar, rho = 1.396 g/cm3:
        mu/rho ~0.139 and ~0.124 cm2/g).
    co57_photopeak_fraction, co57_compton_fraction : float
        Phenomenological spectrum: full-energy fraction, single Compton scatter with escape
        (Klein-Nishina), and the rest a flat multiple-scatter/degraded continuum below the line.
    am241_lines_kev, am241_line_intensities, am241_attenuation_cm : tuple of float
        241Am 59.5409 keV (DDEP 35.92 %); attenuation length 1.6 cm (mu/rho ~0.45 cm2/g).
        The 26.3 keV line is absorbed by the cryostat and not simulated.
    am241_photopeak_fraction, am241_compton_fraction : float
        As for 57Co.
    co57_source_z, am241_source_z : float
        Height of the external source, as a fraction of the active height.
    source_standoff_cm : float
        Distance from the external source to the active volume (cryostat, vacuum, PTFE).
    detector_height_cm : float
        Active height (paper: 60.96 cm).
    kr_run_top_concentration : float
        ``kr-run``: at injection, Kr z follows ``Beta(a, 1)`` with this ``a`` (mean a/(a+1)),
        relaxing as ``a(t) = 1 + (a0 - 1) exp(-(t - t_inj) / kr_run_mixing_time_s)``.
    kr_run_mixing_time_s : float
        Mixing time constant; ~uniform after ~30 min (paper Fig. 9).
    """

    kr83m_energy_1_kev: float = 32.1516
    kr83m_energy_2_kev: float = 9.4057
    kr83m_step_half_life_ns: float = 155.1
    kr83m_half_life_s: float = 1.83 * 3600.0
    ar39_q_kev: float = 565.0
    ar39_daughter_z: int = 19
    ar39_mass_number: int = 39
    co57_lines_kev: tuple[float, ...] = (122.06065, 136.47356)
    co57_line_intensities: tuple[float, ...] = (0.8560, 0.1068)
    co57_attenuation_cm: tuple[float, ...] = (5.2, 5.8)
    co57_photopeak_fraction: float = 0.45
    co57_compton_fraction: float = 0.35
    am241_lines_kev: tuple[float, ...] = (59.5409,)
    am241_line_intensities: tuple[float, ...] = (0.3592,)
    am241_attenuation_cm: tuple[float, ...] = (1.6,)
    am241_photopeak_fraction: float = 0.75
    am241_compton_fraction: float = 0.15
    co57_source_z: float = 0.5
    am241_source_z: float = 0.5
    source_standoff_cm: float = 10.0
    detector_height_cm: float = 60.96
    kr_run_top_concentration: float = 8.0
    kr_run_mixing_time_s: float = 600.0

    def __post_init__(self) -> None:
        _check_positive(
            self,
            "kr83m_energy_1_kev kr83m_energy_2_kev kr83m_step_half_life_ns kr83m_half_life_s "
            "ar39_q_kev ar39_daughter_z ar39_mass_number detector_height_cm "
            "kr_run_top_concentration kr_run_mixing_time_s",
        )
        _check_non_negative(self, "source_standoff_cm")
        _check_unit(
            self,
            "co57_photopeak_fraction co57_compton_fraction am241_photopeak_fraction "
            "am241_compton_fraction co57_source_z am241_source_z",
        )
        for name in ("co57", "am241"):
            lines = getattr(self, f"{name}_lines_kev")
            inten = getattr(self, f"{name}_line_intensities")
            att = getattr(self, f"{name}_attenuation_cm")
            if not lines or len(lines) != len(inten) or len(lines) != len(att):
                raise ValueError(f"{name}: lines, intensities and attenuations must align")
            if min(lines) <= 0 or min(inten) <= 0 or min(att) <= 0:
                raise ValueError(f"{name}: line energies, intensities, attenuations must be > 0")
            pk = getattr(self, f"{name}_photopeak_fraction")
            cp = getattr(self, f"{name}_compton_fraction")
            if pk + cp > 1.0:
                raise ValueError(f"{name}: photopeak + compton fractions exceed 1")

    @property
    def kr83m_step_mean_life_ns(self) -> float:
        """Mean life of the 9.4 keV level (223.8 ns)."""
        return self.kr83m_step_half_life_ns / math.log(2.0)


@dataclass(frozen=True, slots=True)
class SimConfig:
    """Complete simulator configuration: detector response plus sources.

    Use ``replace(**changes)`` with any field name of either part, e.g.
    ``SimConfig().replace(light_yield_pe_per_kev=4.9, ac_coupling_tau_us=100.0)``.
    """

    detector: DetectorConfig = field(default_factory=DetectorConfig)
    sources: SourceConfig = field(default_factory=SourceConfig)

    def replace(self, **changes: Any) -> SimConfig:
        """Return a copy with fields of ``detector``/``sources`` changed by name.

        Raises
        ------
        TypeError
            For a name that is a field of neither part.
        ValueError
            If a new value is out of its physical range.
        """
        det_names = {f.name for f in fields(DetectorConfig)}
        src_names = {f.name for f in fields(SourceConfig)}
        det = {k: v for k, v in changes.items() if k in det_names}
        src = {k: v for k, v in changes.items() if k in src_names}
        if "detector" in changes or "sources" in changes:
            base = dataclasses.replace(
                self,
                **{k: changes[k] for k in ("detector", "sources") if k in changes},
            )
        else:
            base = self
        unknown = set(changes) - det_names - src_names - {"detector", "sources"}
        if unknown:
            raise TypeError(f"unknown simulation parameter(s): {sorted(unknown)}")
        return SimConfig(
            detector=dataclasses.replace(base.detector, **det),
            sources=dataclasses.replace(base.sources, **src),
        )

    def to_attrs(self) -> dict[str, Any]:
        """Return every parameter as a flat ``{name: value}`` dict (None -> 0.0, HDF5-safe)."""
        out: dict[str, Any] = {}
        for part in (self.detector, self.sources):
            for f in fields(part):
                v = getattr(part, f.name)
                out[f.name] = 0.0 if v is None else (list(v) if isinstance(v, tuple) else v)
        return out


def _check_positive(obj: object, names: str) -> None:
    for n in names.split():
        if not getattr(obj, n) > 0:
            raise ValueError(f"{n} must be positive, got {getattr(obj, n)!r}")


def _check_non_negative(obj: object, names: str) -> None:
    for n in names.split():
        if not getattr(obj, n) >= 0:
            raise ValueError(f"{n} must be >= 0, got {getattr(obj, n)!r}")


def _check_unit(obj: object, names: str) -> None:
    for n in names.split():
        if not 0.0 <= getattr(obj, n) <= 1.0:
            raise ValueError(f"{n} must be in [0, 1], got {getattr(obj, n)!r}")
