"""Peak search: synthetic spectra with known peaks, false-positive rate, the real 152Eu spectrum."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import ndtr

from analysis_core.errors import FitError
from analysis_core.hpge.peaks import find_peaks, fit_fwhm_trend, search_filter
from analysis_core.hpge.spectrum import EnergyCalibration, Spectrum

FWHM_PER_SIGMA = 2.0 * math.sqrt(2.0 * math.log(2.0))
N_CH = 8192


def hpge_like(rng, peaks, *, lld=0):
    """An 8192-channel spectrum: falling continuum, Compton-like steps, Gaussian peaks whose
    FWHM grows as sqrt(4 + 0.004 ch) channels (2 channels at 0, 6.0 at 8000)."""
    e = np.arange(N_CH + 1) - 0.5
    cont = 3000.0 * np.exp(-e / 2500.0) + 20.0
    cdf = np.cumsum(np.concatenate([[0.0], cont[:-1]]))
    for area, mu in peaks:
        sigma = math.sqrt(4.0 + 0.004 * mu) / FWHM_PER_SIGMA
        cdf = cdf + area * ndtr((e - mu) / sigma)
        cdf = cdf + 0.002 * area * np.clip(mu - e, 0.0, None)  # step below each peak
    lam = np.diff(cdf)
    lam[:lld] = 0.0
    return Spectrum(
        rng.poisson(lam).astype(float), 1.0, 1.0, energy_cal=EnergyCalibration((0.0, 0.25), "t")
    )


PEAKS = [
    (20000.0, 400.0),
    (3000.0, 1200.3),
    (50000.0, 2500.7),
    (800.0, 3333.0),
    (10000.0, 5000.0),
    (2000.0, 7000.5),
]


def test_finds_known_peaks_with_widths_and_areas():
    rng = np.random.default_rng(1)
    s = hpge_like(rng, PEAKS)
    found = find_peaks(s)
    chans = np.array([c.channel for c in found])
    for area, mu in PEAKS:
        k = int(np.argmin(np.abs(chans - mu)))
        c = found[k]
        fwhm = math.sqrt(4.0 + 0.004 * mu)
        # Rough numbers from the filter: centroid within a quarter FWHM, width from the fitted
        # trend within 15 %, area within 30 % (the filter is not a fit).
        assert abs(c.channel - mu) < 0.25 * fwhm, (mu, c)
        assert c.fwhm_ch == pytest.approx(fwhm, rel=0.15)
        assert c.area == pytest.approx(area, rel=0.3)
        assert c.energy_kev == pytest.approx(0.25 * c.channel)
        assert c.significance > 5.0
    # No false peaks: at 5 sigma the expected number of noise maxima in ~2000 resolution
    # elements is ~1e-3; allow one for the steps.
    assert len(found) <= len(PEAKS) + 1


def test_no_peaks_on_pure_continuum_and_lld_edge_ignored():
    rng = np.random.default_rng(2)
    s = hpge_like(rng, [], lld=300)
    assert len(find_peaks(s, fwhm_ch=4.0)) <= 1
    found = find_peaks(hpge_like(rng, [(5000.0, 330.0)], lld=300))
    # The cliff at the discriminator (channel 300) is not a peak; the peak 30 channels above is.
    assert [round(c.channel) for c in found if c.channel < 600] == [330]


def test_matched_search_with_given_width_and_range():
    rng = np.random.default_rng(3)
    s = hpge_like(rng, PEAKS)
    found = find_peaks(s, fwhm_ch=lambda ch: np.sqrt(4.0 + 0.004 * np.asarray(ch)))
    assert len(found) >= len(PEAKS)
    some = find_peaks(s, fwhm_ch=5.0, channel_range=(1000, 3000))
    assert {round(c.channel) for c in some} >= {1200, 2501}
    assert all(1000 <= c.channel <= 3000 for c in some)


def test_filter_cancels_linear_background_and_finds_doublet():
    x = np.arange(400.0)
    flat = 100.0 + 0.5 * x
    y, sig = search_filter(flat, 2.0)
    assert np.allclose(y[20:-20], 0.0, atol=1e-9)
    # A 6:1 doublet 2.3 FWHM apart is resolved by the matched filter.
    e = np.arange(401) - 0.5
    lam = np.diff(30000 * ndtr((e - 200) / 2.0) + 5000 * ndtr((e - 211) / 2.0) + 50 * e)
    found = find_peaks(Spectrum(lam, 1.0, 1.0), fwhm_ch=2.0 * FWHM_PER_SIGMA)
    assert [round(c.channel) for c in found] == [200, 211]
    assert all(math.isnan(c.energy_kev) for c in found)  # no calibration


def test_width_trend_is_robust_to_wide_features():
    ch = np.array([100, 500, 1000, 2000, 3000, 4000, 5000, 6000, 300, 2500])
    true = np.sqrt(4.0 + 0.004 * ch)
    widths = true.copy()
    widths[-2:] *= 4.0  # backscatter bump, Compton edge
    trend = fit_fwhm_trend(ch, widths)
    assert np.allclose(trend(ch[:-2]), true[:-2], rtol=0.01)


def test_bad_input():
    with pytest.raises(FitError, match="too few"):
        find_peaks(Spectrum(np.ones(5), 1.0, 1.0))
    with pytest.raises(FitError, match="no counts"):
        find_peaks(Spectrum(np.zeros(100), 1.0, 1.0))
    with pytest.raises(FitError, match="fwhm_range"):
        find_peaks(Spectrum(np.ones(100), 1.0, 1.0), fwhm_range_ch=(5.0, 2.0))


def test_real_eu152_spectrum(real_data):
    from analysis_core.hpge.readers import read_spectrum

    s = read_spectrum(real_data / "hpge" / "curie_eu_calib_7cm.Spe")
    found = find_peaks(s)
    e = np.array([c.energy_kev for c in found])
    # The header calibration is up to ~1.1 keV off at 1408 keV: match within 1.5 keV.
    for line in (
        121.78,
        244.70,
        344.28,
        411.12,
        443.96,
        778.90,
        867.38,
        964.08,
        1085.84,
        1089.74,
        1112.08,
        1212.95,
        1299.14,
        1408.01,
    ):
        assert np.min(np.abs(e - line)) < 1.5, line
    # Rough widths rise from ~1.1-1.3 keV at 122 keV to ~2.2-2.5 keV at 1408 keV.
    near = lambda x: min(found, key=lambda c: abs(c.energy_kev - x))  # noqa: E731
    assert 0.9 < near(121.8).fwhm_kev < 1.4
    assert 2.0 < near(1408.0).fwhm_kev < 2.7
    assert 30 < len(found) < 150


def test_estimate_fwhm_from_an_off_centre_click():
    from analysis_core.hpge.peaks import estimate_fwhm_ch

    e = np.arange(2001) - 0.5
    for fwhm in (3.0, 7.0, 14.0):
        sigma = fwhm / FWHM_PER_SIGMA
        lam = np.diff(20000 * ndtr((e - 1000.0) / sigma) + 50.0 * e)
        # Clicked 0.4 FWHM off the centroid; the scale grid is 19 % wide, refined by a parabola:
        # within 10 %.
        assert estimate_fwhm_ch(lam, 1000.0 + 0.4 * fwhm) == pytest.approx(fwhm, rel=0.1)
    with pytest.raises(FitError, match="outside"):
        estimate_fwhm_ch(lam, 5000.0)
    with pytest.raises(FitError, match="no peak"):
        estimate_fwhm_ch(np.full(500, 10.0), 250.0)
