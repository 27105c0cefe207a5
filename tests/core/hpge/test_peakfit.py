"""Region fits: Gaussian + step + linear background, Poisson and chi2, pulls on toy ensembles."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy.special import erfc, ndtr

from analysis_core.errors import FitError
from analysis_core.hpge.peakfit import (
    AUTO_POISSON_MIN_COUNTS,
    fit_peaks_kev,
    fit_region,
    poisson_deviance,
    region_curves,
)
from analysis_core.hpge.spectrum import EnergyCalibration, Spectrum

FWHM_PER_SIGMA = 2.0 * math.sqrt(2.0 * math.log(2.0))


def expected_counts(n_ch, peaks, b0, b1, x_ref, sigma):
    """Exact bin integrals of sum(A G + S erfc/2) + b0 + b1 (x - x_ref); peaks = (A, mu, S)."""
    e = np.arange(n_ch + 1) - 0.5
    cdf = b0 * (e - x_ref) + 0.5 * b1 * (e - x_ref) ** 2
    for area, mu, step in peaks:
        z = (e - mu) / sigma
        u = z / math.sqrt(2.0)
        prim = u * erfc(u) - np.exp(-u * u) / math.sqrt(math.pi)
        cdf = cdf + area * ndtr(z) + step * math.sqrt(2.0) * sigma / 2.0 * prim
    return np.diff(cdf)


def synthetic_spectrum(rng, n_ch, peaks, b0, b1=0.0, x_ref=0.0, sigma=3.0, cal=(0.0, 0.5)):
    lam = expected_counts(n_ch, peaks, b0, b1, x_ref, sigma)
    counts = rng.poisson(lam).astype(float) if rng is not None else lam
    return Spectrum(counts, 100.0, 100.0, energy_cal=EnergyCalibration(cal, "test"))


def test_single_peak_recovers_truth_both_costs():
    rng = np.random.default_rng(11)
    s = synthetic_spectrum(rng, 400, [(20000.0, 200.3, 40.0)], 150.0, -0.2, 200.0, 3.0)
    for cost in ("poisson", "chi2"):
        fit = fit_region(s, [201.0], fwhm_ch=7.0, cost=cost)
        (p,) = fit.peaks
        assert fit.valid, fit.message
        assert p.cost == cost
        # One toy: truth within 3.5 standard errors (a 1-in-2000 miss).
        assert abs(p.area - 20000.0) < 3.5 * p.area_err
        assert abs(p.centroid_ch - 200.3) < 3.5 * p.centroid_err_ch
        assert abs(p.fwhm_ch - 3.0 * FWHM_PER_SIGMA) < 3.5 * p.fwhm_err_ch
        assert abs(p.step - 40.0) < 3.5 * p.step_err
        # keV numbers through the 0.5 keV/channel calibration.
        assert p.energy_kev == pytest.approx(0.5 * p.centroid_ch)
        assert p.fwhm_kev == pytest.approx(0.5 * p.fwhm_ch)
        assert p.region_kev == pytest.approx(
            (0.5 * (p.region_ch[0] - 0.5), 0.5 * (p.region_ch[1] + 0.5))
        )
        # 51 channels, 6 free parameters; a good model gives chi2/ndf ~ 1 (+- 0.2 at 45 ndf).
        assert p.ndf == p.region_ch[1] - p.region_ch[0] + 1 - 6
        assert 0.4 < p.chi2_ndf < 1.8


def test_poisson_and_chi2_agree_at_high_counts():
    rng = np.random.default_rng(5)
    s = synthetic_spectrum(rng, 400, [(200000.0, 199.6, 300.0)], 2000.0, 1.0, 200.0, 2.5)
    fp = fit_region(s, [200.0], fwhm_ch=6.0, cost="poisson").peaks[0]
    fc = fit_region(s, [200.0], fwhm_ch=6.0, cost="chi2").peaks[0]
    # With > 1500 counts per channel both estimators are efficient and nearly identical: their
    # difference is far below the statistical error (0.1 sigma allowed).
    assert abs(fp.area - fc.area) < 0.1 * fp.area_err
    assert abs(fp.centroid_ch - fc.centroid_ch) < 0.1 * fp.centroid_err_ch
    assert fc.area_err == pytest.approx(fp.area_err, rel=0.02)


def test_auto_cost_rule():
    high = synthetic_spectrum(None, 300, [(5000.0, 150.0, 0.0)], 100.0, sigma=2.0)
    low = synthetic_spectrum(None, 300, [(500.0, 150.0, 0.0)], 5.0, sigma=2.0)
    assert fit_region(high, [150.0], fwhm_ch=4.7).peaks[0].cost == "chi2"
    assert fit_region(low, [150.0], fwhm_ch=4.7).peaks[0].cost == "poisson"
    assert AUTO_POISSON_MIN_COUNTS == 20


@pytest.mark.parametrize(
    ("cost", "area", "b0"),
    [("poisson", 300.0, 3.0), ("chi2", 30000.0, 400.0)],
    ids=["poisson-low-counts", "chi2-high-counts"],
)
def test_pulls_over_toy_ensemble(cost, area, b0):
    # 200 toys: the pull mean has a standard error of 1/sqrt(200) = 0.07 and the pull width one
    # of about 0.05; the bounds below are ~3.5 of those.
    rng = np.random.default_rng(2024)
    truth = {"area": area, "mu": 150.4, "fwhm": 2.5 * FWHM_PER_SIGMA}
    lam = expected_counts(300, [(area, truth["mu"], 0.02 * area / 6.3)], b0, 0.0, 0.0, 2.5)
    pulls = {k: [] for k in truth}
    for _ in range(200):
        s = Spectrum(rng.poisson(lam).astype(float), 1.0, 1.0)
        p = fit_region(s, [150.0], fwhm_ch=6.0, cost=cost).peaks[0]
        assert p.valid, p.message
        pulls["area"].append((p.area - truth["area"]) / p.area_err)
        pulls["mu"].append((p.centroid_ch - truth["mu"]) / p.centroid_err_ch)
        pulls["fwhm"].append((p.fwhm_ch - truth["fwhm"]) / p.fwhm_err_ch)
    for name, values in pulls.items():
        v = np.array(values)
        assert abs(v.mean()) < 0.25, (name, v.mean())
        assert abs(v.std(ddof=1) - 1.0) < 0.18, (name, v.std(ddof=1))


def test_doublet_shares_width_and_step_ratio():
    # 1085.8/1089.7-like doublet: 6:1, 2.2 FWHM apart.
    rng = np.random.default_rng(7)
    sigma = 3.0
    peaks = [(30000.0, 200.0, 0.0), (5000.0, 215.5, 0.0)]
    s = synthetic_spectrum(rng, 400, peaks, 200.0, -0.3, 200.0, sigma)
    fit = fit_region(s, [201.0, 214.0], fwhm_ch=7.0)
    assert fit.valid, fit.message
    assert "step_ratio" in fit.result.names
    assert "step_0" not in fit.result.names
    big, small = fit.peaks
    assert big.fwhm_ch == pytest.approx(small.fwhm_ch)
    for p, (a, mu, _) in zip(fit.peaks, peaks, strict=True):
        assert abs(p.area - a) < 3.5 * p.area_err
        assert abs(p.centroid_ch - mu) < 3.5 * p.centroid_err_ch
    # Per-peak steps are also available on request.
    per_peak = fit_region(s, [201.0, 214.0], fwhm_ch=7.0, step="per_peak")
    assert {"step_0", "step_1"} <= set(per_peak.result.names)


def test_widths_tied_through_expected_ratios():
    rng = np.random.default_rng(3)
    e = np.arange(401) - 0.5
    # Two peaks with sigma 2 and 3 (ratio 1.5).
    lam = np.diff(8000 * ndtr((e - 150) / 2.0) + 8000 * ndtr((e - 230) / 3.0) + 50.0 * e)
    s = Spectrum(rng.poisson(lam).astype(float), 1.0, 1.0)
    fit = fit_region(s, [150.0, 230.0], fwhm_ch=[4.7, 7.05], region_ch=(120, 265))
    assert fit.valid, fit.message
    a, b = fit.peaks
    assert b.fwhm_ch / a.fwhm_ch == pytest.approx(1.5)
    assert abs(a.fwhm_ch - 2.0 * FWHM_PER_SIGMA) < 3.5 * a.fwhm_err_ch


def test_fixed_width_and_constant_background():
    s = synthetic_spectrum(np.random.default_rng(1), 300, [(3000.0, 150.0, 0.0)], 50.0, sigma=2.0)
    fit = fit_region(
        s, [150.0], fwhm_ch=2.0 * FWHM_PER_SIGMA, width="fixed", background="constant", step="none"
    )
    (p,) = fit.peaks
    assert fit.valid
    assert p.width == "fixed"
    assert p.fwhm_err_ch == 0.0
    assert p.fwhm_ch == pytest.approx(2.0 * FWHM_PER_SIGMA)
    assert fit.result["b1"] == 0.0
    assert abs(p.area - 3000.0) < 3.5 * p.area_err


def test_fit_in_kev_and_region_curves():
    s = synthetic_spectrum(
        np.random.default_rng(9), 400, [(10000.0, 200.0, 20.0)], 80.0, 0.0, 0.0, 3.0
    )
    fit = fit_peaks_kev(s, [100.2], fwhm_kev=3.5, region_kev=(88.0, 112.0))
    (p,) = fit.peaks
    assert fit.region_ch == (176, 224)
    assert abs(p.energy_kev - 100.0) < 3.5 * p.energy_err_kev
    curves = region_curves(fit)
    assert np.allclose(curves.total, curves.peaks[0] + curves.step + curves.background)
    assert np.allclose(curves.energy_kev, 0.5 * curves.channel)
    # The Gaussian component integrates to the fitted area (grid of 0.1 channel).
    dx = curves.channel[1] - curves.channel[0]
    assert curves.peaks[0].sum() * dx == pytest.approx(p.area, rel=1e-3)
    # An extended binned likelihood conserves the total: model sum = data sum over the region.
    lo, hi = fit.region_ch
    fine = region_curves(fit, np.arange(lo, hi + 1))
    assert fine.total.sum() == pytest.approx(s.counts[lo : hi + 1].sum(), rel=0.01)


def test_failed_fit_says_why_and_bad_input_raises():
    s = synthetic_spectrum(np.random.default_rng(4), 300, [(50000.0, 150.0, 0.0)], 20.0, sigma=2.0)
    # Asking for a peak 8 channels off a strong one: the centroid runs into its +-1 FWHM limit
    # and MIGRAD gives up; the result says so instead of raising.
    fit = fit_region(s, [142.0], fwhm_ch=4.7, region_ch=(120, 180))
    assert not fit.valid
    assert fit.message.startswith(("parameter at its limit", "no convergence"))
    assert not fit.peaks[0].valid
    assert math.isnan(fit.peaks[0].area)
    with pytest.raises(FitError, match="too few"):
        fit_region(s, [150.0], region_ch=(148, 152))
    with pytest.raises(FitError, match="outside"):
        fit_region(s, [250.0], region_ch=(100, 200))
    with pytest.raises(FitError, match="no counts"):
        fit_region(Spectrum(np.zeros(300), 1.0, 1.0), [150.0], fwhm_ch=4.0)
    with pytest.raises(FitError, match="cost"):
        fit_region(s, [150.0], cost="ml")
    with pytest.raises(FitError, match="no energy calibration"):
        fit_peaks_kev(Spectrum(s.counts, 1.0, 1.0), [75.0])


def test_peak_fit_serialises_and_recalibrates():
    s = synthetic_spectrum(np.random.default_rng(8), 300, [(5000.0, 150.0, 0.0)], 30.0, sigma=2.0)
    (p,) = fit_region(s, [150.0], fwhm_ch=4.7).peaks
    d = json.loads(json.dumps(p.to_dict()))
    assert d["area"] == pytest.approx(p.area)
    assert d["method"] == "fit"
    q = p.with_calibration(EnergyCalibration((1.0, 1.0), "other"))
    assert q.energy_kev == pytest.approx(1.0 + p.centroid_ch)
    assert q.fwhm_kev == pytest.approx(p.fwhm_ch)
    assert q.area == p.area


def test_poisson_deviance_is_smooth_and_never_rewards_negative_predictions():
    n = np.array([0.0, 3.0])
    mus = np.linspace(-0.05, 0.05, 201)
    vals = np.array([poisson_deviance(n[:1], np.array([m])) for m in mus])
    # Empty channel: minimum at mu = 0.01 - 1/200 = 0.005 (never negative), continuous at 0.01.
    assert mus[vals.argmin()] == pytest.approx(0.005, abs=0.001)
    for counts in (0.0, 3.0):
        below, above = (
            poisson_deviance(np.array([counts]), np.array([m])) for m in (0.01 - 1e-9, 0.01 + 1e-9)
        )
        assert below == pytest.approx(above, abs=1e-5)  # slope ~600 per count at n = 3
    # Channel with counts: the cost keeps rising as mu goes negative.
    with_counts = [poisson_deviance(n[1:], np.array([m])) for m in (0.02, 0.0, -0.5)]
    assert with_counts[0] < with_counts[1] < with_counts[2]
    # Ordinary values: the Baker-Cousins deviance.
    assert poisson_deviance(np.array([4.0]), np.array([2.0])) == pytest.approx(
        2 * (2.0 - 4.0 + 4.0 * math.log(2.0))
    )


def test_width_estimated_when_not_given():
    # A 16k-channel-like peak (FWHM 12 channels) clicked 3 channels off: no width given.
    s = synthetic_spectrum(
        np.random.default_rng(13), 600, [(40000.0, 300.0, 20.0)], 100.0, sigma=12.0 / FWHM_PER_SIGMA
    )
    fit = fit_region(s, [303.0])
    (p,) = fit.peaks
    assert fit.valid, fit.message
    assert abs(p.fwhm_ch - 12.0) < 3.5 * p.fwhm_err_ch
    assert abs(p.area - 40000.0) < 3.5 * p.area_err
