"""Simulator physics without waveforms: spectra, deposits, SPE model, pulse shape, light."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import quad

from analysis_core.sim import SimConfig
from analysis_core.sim.config import DetectorConfig, SourceConfig
from analysis_core.sim.light import led_photons, scintillation_photons
from analysis_core.sim.pmt import PulseShape, SPEModel
from analysis_core.sim.sources import SOURCE_CODES, sample_deposits, sample_external_z
from analysis_core.sim.spectra import (
    ELECTRON_MASS_KEV,
    BetaSpectrum,
    ComptonSpectrum,
    beta_density,
    fermi_function,
)


def _rng(seed=0):
    return np.random.default_rng(seed)


# ----------------------------------------------------------------------------- 39Ar spectrum
def test_ar39_sampled_mean_matches_quadrature_of_the_implemented_shape():
    beta = BetaSpectrum.ar39()

    # the analytic mean of beta_density, integrated independently of the sampling table
    def dens(t):
        return float(beta_density(t, 565.0, 19, 39, unique_first=True))

    mean_exact = quad(lambda t: t * dens(t), 0, 565, limit=200)[0] / quad(dens, 0, 565)[0]
    x = beta.sample(_rng(1), 1_000_000)
    sem = x.std() / math.sqrt(x.size)  # ~0.13 keV
    assert abs(x.mean() - mean_exact) < 5 * sem
    assert beta.mean_kev() == pytest.approx(mean_exact, rel=1e-9)
    # literature: mean beta energy of 39Ar ~219 keV (ENSDF/DDEP); +-3 keV covers shape models
    assert 216.0 < mean_exact < 223.0


def test_ar39_endpoint_and_shape_factor():
    beta = BetaSpectrum.ar39()
    x = beta.sample(_rng(2), 1_000_000)
    # P(T > 555 keV) = 3.7e-5 for this shape: ~37 of 10^6 expected, none above Q
    assert x.min() >= 0.0
    assert 555.0 < x.max() < 565.0
    assert beta.pdf(565.0) == 0.0
    assert beta.pdf(570.0) == 0.0
    # the unique first-forbidden factor (q^2 + p^2) hardens the spectrum vs an allowed shape
    allowed = BetaSpectrum(565.0, 19, 39, unique_first=False)
    assert allowed.mean_kev() < beta.mean_kev() - 20.0
    assert quad(lambda t: float(beta.pdf(t)), 0, 565, limit=200)[0] == pytest.approx(1.0, 1e-6)


def test_fermi_function_limits():
    w = np.array([1.05, 1.5, 2.0])
    np.testing.assert_allclose(fermi_function(0, w, 39), 1.0, rtol=1e-12)  # no Coulomb field
    p = np.sqrt(w * w - 1)
    eta = 19 / 137.036 * w / p
    non_rel = 2 * np.pi * eta / (1 - np.exp(-2 * np.pi * eta))
    ratio = fermi_function(19, w, 39) / non_rel
    # relativistic + finite-size corrections are ~10 % at Z = 19
    assert np.all((ratio > 1.0) & (ratio < 1.25))


# ----------------------------------------------------------------------------- Compton
def test_compton_recoil_spectrum_edge_and_mean():
    e = 122.06065
    spec = ComptonSpectrum(e)
    k = e / ELECTRON_MASS_KEV
    assert spec.edge_kev == pytest.approx(2 * k * e / (1 + 2 * k))  # 39.46 keV
    t = spec.sample(_rng(3), 400_000)
    assert t.min() >= 0
    assert t.max() <= spec.edge_kev + 1e-9

    def r(c):
        return 1 / (1 + k * (1 - c))

    def kn(c):
        return r(c) ** 2 * (r(c) + 1 / r(c) - (1 - c * c))

    mean = quad(lambda c: e * (1 - r(c)) * kn(c), -1, 1)[0] / quad(kn, -1, 1)[0]
    assert abs(t.mean() - mean) < 5 * t.std() / math.sqrt(t.size)


# ----------------------------------------------------------------------------- deposits
def test_kr83m_deposits_and_delay_half_life():
    src = SourceConfig()
    n = 100_000
    dep = sample_deposits(np.full(n, SOURCE_CODES["kr83m"]), _rng(4), src)
    assert np.all(dep.energy_1_kev == 32.1516)
    assert np.all(dep.energy_2_kev == 9.4057)
    np.testing.assert_allclose(dep.energy_kev, 41.5573)
    # exponential MLE: tau = mean delay, relative error 1/sqrt(n) = 0.32 %
    tau = dep.delay_ns.mean()
    half_life = tau * math.log(2)
    assert abs(half_life - 155.1) < 4 * 155.1 / math.sqrt(n)
    assert dep.z.min() >= 0.0
    assert dep.z.max() <= 1.0
    assert abs(dep.z.mean() - 0.5) < 4 * math.sqrt(1 / 12 / n)


def test_external_source_heights_crowd_near_the_source():
    n = 50_000
    z_mid = sample_external_z(_rng(5), n, 0.5, 5.2, 10.0, 60.96)
    z_top = sample_external_z(_rng(6), n, 0.85, 5.2, 10.0, 60.96)
    assert z_mid.min() >= 0
    assert z_mid.max() <= 1
    # uniform would put 20 % within +-0.1 of the source height
    assert np.mean(np.abs(z_mid - 0.5) < 0.1) > 0.35
    assert z_top.mean() > z_mid.mean() + 0.15
    # a closer source gives a tighter distribution
    z_close = sample_external_z(_rng(7), n, 0.5, 5.2, 2.0, 60.96)
    assert np.std(z_close) < np.std(z_mid)


def test_co57_and_am241_spectra():
    src = SourceConfig()
    n = 100_000
    co = sample_deposits(np.full(n, SOURCE_CODES["co57"]), _rng(8), src)
    pk = co.gamma_category == 1
    assert abs(pk.mean() - 0.45) < 4 * math.sqrt(0.45 * 0.55 / n)
    peaks = co.energy_kev[pk]
    assert set(np.round(np.unique(peaks), 5)) == {122.06065, 136.47356}
    f136 = np.mean(peaks > 130)
    expect = 0.1068 / (0.8560 + 0.1068)
    assert abs(f136 - expect) < 4 * math.sqrt(expect * (1 - expect) / peaks.size)
    assert co.energy_kev.max() <= 136.47356
    assert co.energy_kev.min() > 0
    compton = co.energy_kev[co.gamma_category == 2]
    assert compton.max() <= ComptonSpectrum(136.47356).edge_kev + 1e-9
    am = sample_deposits(np.full(n, SOURCE_CODES["am241"]), _rng(9), src)
    assert np.all(am.energy_kev <= 59.5409)
    assert abs(np.mean(am.energy_kev == 59.5409) - 0.75) < 4 * math.sqrt(0.75 * 0.25 / n)
    assert np.all(np.isnan(am.delay_ns))
    assert np.all(am.energy_2_kev == 0)


def test_nuclear_data_agrees_with_the_shipped_table():
    from analysis_core.hpge.nuclides import get_nuclide

    src = SourceConfig()
    kr = get_nuclide("Kr-83m")
    energies = sorted(line.energy_kev for line in kr.lines)
    assert energies == pytest.approx([src.kr83m_energy_2_kev, src.kr83m_energy_1_kev], abs=1e-4)
    assert kr.half_life_s == pytest.approx(src.kr83m_half_life_s, rel=0.01)
    co = get_nuclide("Co-57")
    for e in src.co57_lines_kev:
        assert co.line_near(e, 0.01) is not None
    assert get_nuclide("Am-241").line_near(src.am241_lines_kev[0], 0.01) is not None


# ----------------------------------------------------------------------------- SPE and pulse
@pytest.mark.parametrize("channel", [0, 1])
def test_spe_model_moments_and_normalisation(channel):
    model = SPEModel.from_detector(DetectorConfig(), channel)
    q = model.sample(_rng(10 + channel), 1_000_000)
    assert abs(q.mean() - model.mean_adc_ns) < 5 * q.std() / 1000
    # variance of the sample variance ~ (m4 - s^4)/n: 2 % relative is > 5 sigma here
    assert q.var() == pytest.approx(model.variance_adc_ns2, rel=0.02)
    assert quad(lambda x: float(model.pdf(x)), 0, 10 * model.mu_adc_ns, limit=400)[
        0
    ] == pytest.approx(1.0, abs=1e-6)
    assert model.mean_adc_ns < model.mu_adc_ns  # the model mean is not mu
    assert 0.3 < model.relative_variance < 0.4  # spec/physics.md: ~0.35
    assert q.min() > 0


def test_spe_gains_match_cenns10_calibration_table(real_data):
    table = real_data / "coherent_cenns10" / "spe_calibration_timetable"
    data = np.loadtxt(table / "SPE_Calibration_TimeTable_Ch1Inferred_AvgRatioValue.txt")
    top, bottom = data[:, 1], data[:, 2]  # ADC x samples (4 ns)
    # the table holds CENNS-10's calibrated SPE gains, the Analysis A definition (the fully
    # amplified mean mu of the DEAP model), so the simulator's mu lies in its range
    det = DetectorConfig()
    mu_top = det.spe_mu_adc_ns_top / det.sample_period_ns
    mu_bottom = det.spe_mu_adc_ns_bottom / det.sample_period_ns
    assert bottom.min() <= mu_bottom <= bottom.max()
    assert top.min() <= mu_top <= top.max()
    assert mu_top / mu_bottom == pytest.approx(np.median(top / bottom), rel=0.01)


def test_pulse_shape_conserves_area_and_has_realistic_height():
    det = DetectorConfig()
    shape = PulseShape(det.pulse_rise_ns, det.pulse_fall_ns)
    taps = shape.n_taps(det.sample_period_ns)
    gain = SPEModel.from_detector(det, 1).mean_adc_ns
    for phase in (0.0, 1.3, 2.7, 3.99):
        s = shape.sampled(phase, det.sample_period_ns, taps)
        assert s.sum() * det.sample_period_ns == pytest.approx(1.0, abs=2e-5)
        # ADC: mean SPE pulse height of the bottom PMT, ~12-14 ADC (~6-7 mV at 0.5 mV/ADC)
        assert 11.0 < s.max() * gain < 20.0


# ----------------------------------------------------------------------------- light
def test_light_yield_split_and_singlet_fraction():
    det = DetectorConfig()
    n = 20_000
    dep = sample_deposits(np.full(n, SOURCE_CODES["kr83m"]), _rng(11), SourceConfig())
    ph = scintillation_photons(dep, det, _rng(12))
    n_pe = ph.counts.sum(axis=(1, 2))
    # mean of Poisson(LY E g) with <g> = 1: error ~ sqrt(var/n)
    expected = det.light_yield_pe_per_kev * 41.5573
    assert abs(n_pe.mean() - expected) < 4 * n_pe.std() / math.sqrt(n)
    assert np.array_equal(np.bincount(ph.ev, minlength=n), n_pe)
    top = ph.counts[:, :, 0].sum(axis=1)
    assert np.array_equal(np.bincount(ph.ev[ph.ch == 0], minlength=n), top)
    assert abs(top.sum() / n_pe.sum() - ph.p_top.mean()) < 0.005
    # singlet fraction of the 9.4 keV step follows fs(9.4 keV) = 0.352 (binomial)
    step2 = np.repeat(np.arange(4 * n) % 4 >= 2, ph.counts.reshape(-1))
    fs2 = float(det.singlet_fraction(9.4057))
    frac = ph.singlet[step2].mean()
    assert abs(frac - fs2) < 4 * math.sqrt(fs2 * (1 - fs2) / step2.sum()) + 0.004
    # F90 model: 0.39 at 9.4 keV and 0.30 at 32.1 keV (paper Tables 3/4)
    f90 = det.singlet_fraction([9.4057, 32.1516])
    f90 = f90 + (1 - f90) * (1 - np.exp(-90 / det.triplet_tau_ns))
    np.testing.assert_allclose(f90, [0.39, 0.30], atol=0.01)


def test_led_photons_are_poisson():
    det = DetectorConfig()
    n = 40_000
    ph = led_photons(n, det, _rng(13))
    zero_top = np.mean(ph.counts[:, 0, 0] == 0)
    p0 = math.exp(-det.led_mean_pe_top)
    assert abs(zero_top - p0) < 4 * math.sqrt(p0 * (1 - p0) / n)
    assert np.all(ph.counts[:, 1, :] == 0)
    assert abs(ph.t_ns.std() - det.led_width_ns) < 0.05


# ----------------------------------------------------------------------------- config
def test_config_replace_validation_and_attrs():
    cfg = SimConfig().replace(light_yield_pe_per_kev=4.9, co57_source_z=0.8)
    assert cfg.detector.light_yield_pe_per_kev == 4.9
    assert cfg.sources.co57_source_z == 0.8
    # the true default LY (4.85) is what makes Analysis A (charge / fitted mu) read the
    # paper's 4.3 PE/keV: mean/mu of the SPE model x afterpulses x window containment
    det = SimConfig().detector
    spe = SPEModel.from_detector(det, 1)
    a_reading = det.light_yield_pe_per_kev * spe.mean_adc_ns / spe.mu_adc_ns * 1.044 * 0.986
    assert a_reading == pytest.approx(4.3, abs=0.05)
    with pytest.raises(TypeError, match="unknown simulation parameter"):
        SimConfig().replace(light_yeild=4.0)
    with pytest.raises(ValueError, match="light_yield_pe_per_kev"):
        SimConfig().replace(light_yield_pe_per_kev=-1.0)
    with pytest.raises(ValueError, match="ac_coupling_tau_us"):
        SimConfig().replace(ac_coupling_tau_us=0.0)
    attrs = SimConfig().to_attrs()
    assert attrs["ac_coupling_tau_us"] == 0.0  # off
    assert attrs["co57_lines_kev"] == [122.06065, 136.47356]
    assert all(isinstance(v, (int, float, str, bool, list)) for v in attrs.values())


def test_tpb_delayed_component_shifts_arrival_times():
    det = DetectorConfig(tpb_delayed_fraction=0.5, time_jitter_ns=0.0)
    n = 5000
    dep = sample_deposits(np.full(n, SOURCE_CODES["ar39"]), _rng(14), SourceConfig())
    base = scintillation_photons(dep, DetectorConfig(time_jitter_ns=0.0), _rng(15))
    tpb = scintillation_photons(dep, det, _rng(15))
    # extra mean delay: fraction x tau = 0.5 x 49 ns; the mean arrival is ~1 us, rms ~1.5 us
    shift = tpb.t_ns.mean() - base.t_ns.mean()
    err = 1.5e3 * math.sqrt(2 / tpb.t_ns.size)
    assert abs(shift - 0.5 * det.tpb_delayed_tau_ns) < 4 * err
