"""fit_peak on numpy toys: parameter recovery, pulls, cost choice, failure modes, drawing helpers.

Toys are drawn from known shapes, so every expected number is analytic. Tolerances are stated
at each assertion: for a single fit, a few standard errors of the fitted parameter; for pull
ensembles of N toys, the mean is known to 1/sqrt(N) and the width to 1/sqrt(2N).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from analysis_core.errors import FitError
from analysis_core.fitting import (
    MODELS,
    fit_peak,
    model_parameters,
    peak_model_counts,
    peak_model_density,
)
from analysis_core.fitting.shapes import gaussexp_cdf, gaussexp_pdf
from analysis_core.histograms import Hist1D, histogram1d, subtract_background

EDGES = np.linspace(0.0, 400.0, 201)  # 2 PE bins


def _kr_like(rng, n_peak=5000, n_flat=20000, mean=177.0, sigma=16.5):
    x = np.r_[rng.normal(mean, sigma, rng.poisson(n_peak)), rng.uniform(0, 400, n_flat)]
    return np.histogram(x, EDGES)[0].astype(float)


def _gaussexp_sample(rng, n, mean, sigma, k, side="high"):
    grid = np.linspace(mean - 12 * sigma, mean + 40 * sigma, 200_001)
    cdf = gaussexp_cdf(grid, 1.0, mean, sigma, k, side)
    return np.interp(rng.random(n), cdf, grid)


@pytest.mark.parametrize("model", ["gauss+linear", "gauss+exp"])
def test_gauss_with_background_recovers_truth(model):
    rng = np.random.default_rng(1)
    fit = fit_peak(EDGES, _kr_like(rng), range_=(100, 260), model=model)
    assert fit.valid, fit.message
    # 4 standard errors: a single fit of known truth
    assert abs(fit["mean"] - 177.0) < 4 * fit.error("mean")
    assert abs(fit["sigma"] - 16.5) < 4 * fit.error("sigma")
    assert abs(fit["area"] - 5000) < 4 * math.hypot(fit.error("area"), math.sqrt(5000))
    res = fit.extra["resolution"]
    assert res == pytest.approx(fit["sigma"] / fit["mean"])
    # error propagation with the covariance: close to the uncorrelated sum for a peak whose
    # mean and width are nearly uncorrelated (10 % allows their small correlation)
    naive = res * math.hypot(fit.error("sigma") / fit["sigma"], fit.error("mean") / fit["mean"])
    assert fit.extra["resolution_err"] == pytest.approx(naive, rel=0.1)
    assert fit.extra["fit_range"] == [100.0, 260.0]
    assert fit.ndf == 80 - 5


def test_hist1d_input_and_chi2_on_subtracted_spectrum():
    rng = np.random.default_rng(2)
    flat_sig = rng.uniform(0, 400, 20000)
    signal = histogram1d(np.r_[rng.normal(177, 16.5, 4000), flat_sig], EDGES)
    background = histogram1d(rng.uniform(0, 400, 40000), EDGES)  # twice the live time
    sub = subtract_background(signal, background, 0.5)
    fit = fit_peak(sub, range_=(120, 240), model="gauss")
    assert fit.valid, fit.message
    # subtracted contents are not Poisson: auto must choose chi2 with the given variances
    assert fit.cost == "chi2"
    assert "subtracted" in fit.extra["cost_reason"]
    assert abs(fit["mean"] - 177.0) < 4 * fit.error("mean")
    # the area error must include the subtracted background's fluctuations: > sqrt(N_peak)
    assert fit.extra["area_err"] > math.sqrt(4000)
    with pytest.raises(FitError, match="raw integer counts"):
        fit_peak(sub, range_=(120, 240), model="gauss", cost="poisson")


def test_auto_cost_poisson_for_low_counts():
    rng = np.random.default_rng(3)
    counts = np.histogram(rng.normal(50, 5, 300), np.linspace(0, 100, 101))[0]
    fit = fit_peak(np.linspace(0, 100, 101), counts, range_=(30, 70), model="gauss")
    assert fit.valid, fit.message
    assert fit.cost == "poisson"
    assert abs(fit["mean"] - 50) < 4 * fit.error("mean")
    # the Poisson deviance of a good fit is ~ndf (generous 3 sigma of a chi2 with 37 dof)
    assert abs(fit.chi2 - fit.ndf) < 3 * math.sqrt(2 * fit.ndf)


def test_two_gauss_separates_populations():
    rng = np.random.default_rng(4)
    x = np.r_[rng.normal(-10, 5, 3000), rng.normal(15, 6, 2000)]
    counts, edges = np.histogram(x, bins=80, range=(-40, 40))
    fit = fit_peak(edges, counts, range_=(-40, 40), model="two_gauss")
    assert fit.valid, fit.message
    for name, truth in (("mean", -10), ("sigma", 5), ("mean_2", 15), ("sigma_2", 6)):
        assert abs(fit[name] - truth) < 4 * fit.error(name), name
    assert fit.extra["area_2"] == pytest.approx(fit["area_2"])
    assert "resolution_2" in fit.extra


@pytest.mark.parametrize("side", ["high", "low"])
def test_gauss_exptail_plus_template(side):
    rng = np.random.default_rng(5)
    edges = np.linspace(50, 260, 106)
    template = np.histogram(rng.exponential(60, 200_000) + 50, edges)[0]
    peak = _gaussexp_sample(rng, 4000, 158.5, 12.0, 1.2, side)
    data = np.histogram(np.r_[peak, rng.exponential(60, 20_000) + 50], edges)[0]
    fit = fit_peak(
        edges, data, range_=(60, 250), model="gauss_exptail+template", template=template, tail=side
    )
    assert fit.valid, fit.message
    # the mode (most probable peak height) and the template scale (20000 / 200000 = 0.1)
    assert abs(fit["mean"] - 158.5) < 4 * fit.error("mean")
    assert abs(fit["tail"] - 1.2) < 4 * fit.error("tail")
    assert abs(fit["template_scale"] - 0.1) < 4 * fit.error("template_scale")
    model = peak_model_counts(fit, edges, template=template)
    inside = (edges[:-1] >= 60) & (edges[1:] <= 250)
    # the fitted model reproduces the data total in the range within Poisson fluctuation
    assert abs(model[inside].sum() - data[inside].sum()) < 4 * math.sqrt(data[inside].sum())


def test_gaussexp_shape_is_normalised_and_continuous():
    x = np.linspace(0, 400, 400_001)
    dens = gaussexp_pdf(x, 1.0, 150.0, 10.0, 0.8)
    # integral of the density = 1 and equal to the cdf difference (numerical, 1e-6)
    assert np.trapezoid(dens, x) == pytest.approx(1.0, abs=1e-6)
    assert gaussexp_cdf(400.0, 1.0, 150.0, 10.0, 0.8) == pytest.approx(1.0, abs=1e-6)
    k_point = 150.0 + 0.8 * 10.0
    left, right = gaussexp_pdf([k_point - 1e-7, k_point + 1e-7], 1.0, 150.0, 10.0, 0.8)
    assert left == pytest.approx(right, rel=1e-5)


def test_model_density_matches_bin_counts():
    rng = np.random.default_rng(6)
    fit = fit_peak(EDGES, _kr_like(rng), range_=(100, 260), model="gauss+linear")
    centres = 0.5 * (EDGES[1:] + EDGES[:-1])
    dens = peak_model_density(fit, centres)
    counts = peak_model_counts(fit, EDGES)
    # 2 PE bins over a 16.5 PE wide peak: midpoint rule within 0.2 % of the integral
    sel = (centres > 110) & (centres < 250)
    np.testing.assert_allclose(dens[sel] * 2.0, counts[sel], rtol=2e-3)
    parts = sum(peak_model_density(fit, centres, component=c) for c in ("peak", "background"))
    np.testing.assert_allclose(parts, dens)
    with pytest.raises(FitError, match="component"):
        peak_model_density(fit, centres, component="nope")


def test_pulls_chi2_and_poisson():
    # 200 toys per cost: pull mean within 0.25 (3.5 standard errors of 0.071) and pull width
    # within 0.15 of 1 (3 standard errors of 0.05)
    rng = np.random.default_rng(7)
    edges = np.linspace(0, 100, 51)
    for n_peak, n_flat, expected_cost in ((20000, 20000, "chi2"), (400, 200, "poisson")):
        pulls = []
        for _ in range(200):
            x = np.r_[rng.normal(50, 6, rng.poisson(n_peak)), rng.uniform(0, 100, n_flat)]
            fit = fit_peak(edges, np.histogram(x, edges)[0], range_=(20, 80))
            assert fit.valid, fit.message
            assert fit.cost == expected_cost
            pulls.append((fit["mean"] - 50) / fit.error("mean"))
        pulls = np.array(pulls)
        assert abs(pulls.mean()) < 0.25, expected_cost
        assert abs(pulls.std(ddof=1) - 1) < 0.15, expected_cost


def test_pulls_on_background_subtracted_spectra():
    # the main use (41.5 keV peak on Kr minus background): 200 toys, tolerances as above
    rng = np.random.default_rng(8)
    edges = np.linspace(0, 100, 51)
    pulls_mean, pulls_area = [], []
    for _ in range(200):
        sig = np.r_[rng.normal(50, 6, rng.poisson(3000)), rng.uniform(0, 100, 5000)]
        s = histogram1d(sig, edges)
        b = histogram1d(rng.uniform(0, 100, rng.poisson(10000)), edges)
        fit = fit_peak(subtract_background(s, b, 0.5), range_=(20, 80), model="gauss")
        assert fit.valid, fit.message
        pulls_mean.append((fit["mean"] - 50) / fit.error("mean"))
        pulls_area.append((fit["area"] - 3000) / fit.error("area"))
    for pulls in (np.array(pulls_mean), np.array(pulls_area)):
        assert abs(pulls.mean()) < 0.25
        assert abs(pulls.std(ddof=1) - 1) < 0.15


# ---------------------------------------------------------------------------- failure modes
def test_failures_are_results_with_reasons():
    rng = np.random.default_rng(9)
    counts = _kr_like(rng)
    empty = fit_peak(EDGES, counts, range_=(500, 600))
    assert not empty.valid
    assert empty.message.startswith("empty range")
    assert not fit_peak(EDGES, counts, range_=(200, 100)).valid
    zero = fit_peak(EDGES, np.zeros(200), range_=(100, 200))
    assert not zero.valid
    assert "too few counts" in zero.message
    few = np.zeros(200)
    few[100] = 5
    assert "too few counts" in fit_peak(EDGES, few, range_=(100, 260)).message
    narrow = fit_peak(EDGES, counts, range_=(170, 176))
    assert not narrow.valid
    assert "too few bins" in narrow.message
    for model in ("gauss+linear", "gauss"):
        flat = np.histogram(rng.uniform(0, 400, 2000), EDGES)[0]
        fit = fit_peak(EDGES, flat, range_=(100, 260), model=model)
        assert not fit.valid, model
        assert "flat data" in fit.message, fit.message
    edge = fit_peak(EDGES, counts, range_=(180, 300), model="gauss+linear")
    assert not edge.valid
    assert "range edge" in edge.message or "wider than" in edge.message, edge.message
    # a failed fit still serialises
    assert empty.to_dict()["valid"] is False


def test_wrong_calls_raise_fit_error():
    counts = np.ones(200)
    with pytest.raises(FitError, match="unknown peak model"):
        fit_peak(EDGES, counts, range_=(0, 10), model="lorentz")
    with pytest.raises(FitError, match="unknown cost"):
        fit_peak(EDGES, counts, range_=(0, 10), cost="ml")
    with pytest.raises(FitError, match="edges"):
        fit_peak(EDGES[:-2], counts, range_=(0, 10))
    with pytest.raises(FitError, match="template"):
        fit_peak(EDGES, counts, range_=(0, 10), model="gauss_exptail+template")
    with pytest.raises(FitError, match="unknown parameter"):
        fit_peak(EDGES, counts, range_=(0, 100), start={"centroid": 3.0})
    with pytest.raises(FitError, match="cannot fix"):
        fit_peak(EDGES, counts, range_=(0, 100), fixed=("width",))
    with pytest.raises(FitError, match="range_"):
        fit_peak(EDGES, counts, range_=(0, 100, 200))
    assert set(model_parameters("gauss+linear")) == {"area", "mean", "sigma", "bkg_c0", "bkg_c1"}
    assert "two_gauss" in MODELS


def test_start_values_and_fixed_parameters():
    rng = np.random.default_rng(10)
    counts = _kr_like(rng)
    fit = fit_peak(EDGES, counts, range_=(100, 260), start={"sigma": 16.5}, fixed=("sigma",))
    assert fit.valid, fit.message
    assert fit["sigma"] == 16.5
    assert fit.ndf == 80 - 4
    hist = Hist1D(EDGES, counts, counts.copy())
    assert fit_peak(hist, range_=(100, 260)).params() == pytest.approx(
        fit_peak(EDGES, counts, range_=(100, 260)).params()
    )


def test_sparse_poisson_fit_keeps_the_background_non_negative():
    # narrow bins, a strong peak, a thin background: the empty tail bins must not pull a free
    # linear background below zero (iminuit's ExtendedBinnedNLL rewards negative expectations
    # in empty bins; BinnedPoissonDeviance does not)
    rng = np.random.default_rng(11)
    edges = np.arange(0.0, 601.0, 1.0)
    x = np.r_[rng.normal(208, 19.5, 4300), rng.uniform(0, 600, 400)]
    counts = np.histogram(x, edges)[0]
    for lo, hi in ((126, 364), (112, 355), (150, 300)):
        fit = fit_peak(edges, counts, range_=(lo, hi), model="gauss+linear")
        assert fit.valid, (lo, hi, fit.message)
        assert fit.cost == "poisson"
        assert abs(fit["mean"] - 208) < 4 * fit.error("mean")
        ends = fit["bkg_c0"] + fit["bkg_c1"] * (np.array([lo, hi]) - fit.extra["x_ref"])
        assert np.all(ends > 0), ends


def test_exponential_background_of_a_subtracted_spectrum_is_constant():
    # after a good subtraction the exponential background's amplitude is ~0 and its slope is
    # undetermined: the fit fixes the slope (extra["bkg_slope_fixed"]) instead of failing
    rng = np.random.default_rng(12)
    edges = np.arange(0.0, 401.0, 5.0)
    signal = histogram1d(np.r_[rng.normal(208, 19.5, 4000), rng.uniform(0, 400, 4000)], edges)
    background = histogram1d(rng.uniform(0, 400, 16000), edges)
    sub = subtract_background(signal, background, 0.25)
    n_fixed = 0
    for lo, hi in ((93, 254), (166, 395), (133, 257), (100, 300), (150, 280)):
        fit = fit_peak(sub, range_=(lo, hi), model="gauss+exp")
        assert fit.valid, (lo, hi, fit.message)
        assert abs(fit["mean"] - 208) < 4 * fit.error("mean")
        if fit.extra["bkg_slope_fixed"]:
            n_fixed += 1
            assert fit["bkg_slope"] == 0.0
            assert fit.ndf == fit.extra["n_bins"] - 4
    assert n_fixed >= 1  # (133, 257) of this seed needs it


def test_any_reasonable_range_fits():
    # a user drags ranges around the peak: every range holding the peak with room on both
    # sides (>= 1.5 sigma) must give a valid fit whose mean agrees with the truth (4 sigma)
    rng = np.random.default_rng(13)
    x = np.r_[rng.normal(208, 19.5, 4300), 600 * rng.beta(1.0, 3.0, 3000)]
    for width in (1.0, 2.0, 5.0):
        edges = np.arange(0.0, 601.0, width)
        counts = np.histogram(x, edges)[0]
        for model in ("gauss+linear", "gauss+exp"):
            for _ in range(15):
                lo, hi = rng.uniform(60, 178), rng.uniform(238, 400)
                fit = fit_peak(edges, counts, range_=(lo, hi), model=model)
                assert fit.valid, (width, model, lo, hi, fit.message)
                assert abs(fit["mean"] - 208) < 4 * fit.error("mean"), (width, model, lo, hi)
