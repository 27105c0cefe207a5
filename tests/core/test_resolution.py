"""Resolution model fit sigma/E = sqrt(a^2/E + b^2 + c^2/E^2) against analytic values."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from analysis_core.errors import FitError
from analysis_core.resolution import (
    TERMS,
    ResolutionFit,
    default_terms,
    fit_resolution,
    resolution_model,
)

ENERGIES_KEV = np.array([9.4, 32.1, 41.5, 59.5, 122.0])


def test_exact_points_recover_the_coefficients():
    a, b, c = 0.55, 0.03, 0.8
    r = resolution_model(ENERGIES_KEV, a, b, c)
    fit = fit_resolution(ENERGIES_KEV, r, 0.01 * r)
    # noiseless points: only floating-point round-off separates the fit from the truth
    assert fit.abc == pytest.approx((a, b, c), rel=1e-6)
    assert fit.fit.valid
    assert fit.fit.chi2 == pytest.approx(0.0, abs=1e-12)
    assert fit.fit.ndf == 2
    assert fit.relative(41.5) == pytest.approx(resolution_model(41.5, a, b, c), rel=1e-9)


def test_poisson_only_resolution_gives_a_squared_one_over_yield():
    # photon statistics alone: sigma/E = 1/sqrt(Y E) (physics.md: 7.5 % at 41.5 keV, Y=4.26)
    y_pe_per_kev = 177.0 / 41.5
    r = 1 / np.sqrt(y_pe_per_kev * ENERGIES_KEV)
    fit = fit_resolution(ENERGIES_KEV, r, 0.02 * r)
    # exact input: the stochastic term is 1/Y to round-off, the other terms pinned at zero
    assert fit.fit["a2_kev"] == pytest.approx(1 / y_pe_per_kev, rel=1e-8)
    assert fit.fit["b2"] == pytest.approx(0.0, abs=1e-12)
    assert fit.fit["c2_kev2"] == pytest.approx(0.0, abs=1e-10)
    assert float(fit.relative(41.5)[()]) == pytest.approx(1 / math.sqrt(177.0), rel=1e-8)
    # with an SPE relative variance v = 0.35 the stochastic term grows by (1 + v) (8.7 %)
    fit_v = fit_resolution(ENERGIES_KEV, r * math.sqrt(1.35), 0.02 * r)
    assert float(fit_v.relative(41.5)[()]) == pytest.approx(0.0873, abs=5e-4)


def test_pulls_of_the_stochastic_term_over_toys():
    rng = np.random.default_rng(3)
    a, b, c = 0.6, 0.04, 1.0
    r_true = resolution_model(ENERGIES_KEV, a, b, c)
    err = 0.03 * r_true
    pulls = []
    for _ in range(300):
        r = r_true + rng.normal(0, err)
        f = fit_resolution(ENERGIES_KEV, r, err).fit
        if "at_zero" not in f.extra:
            pulls.append((f["a2_kev"] - a * a) / f.error("a2_kev"))
    pulls = np.array(pulls)
    assert len(pulls) > 250  # true terms far from zero: the bound is rarely hit
    # 300 toys: the mean is known to 1/sqrt(300) = 0.06 -> 3 sigma = 0.18; the width of a
    # linear fit in sigma^2 with errors linearised in r deviates a little from 1 -> 15 %
    assert abs(pulls.mean()) < 0.18
    assert pulls.std() == pytest.approx(1.0, abs=0.15)


def test_too_few_points_is_invalid_with_a_reason_and_terms_can_be_fixed():
    fit = fit_resolution([41.5, 59.5], [0.09, 0.08], [0.005, 0.005])
    assert not fit.fit.valid
    assert "2 point(s) cannot constrain 3" in fit.fit.message
    # two points, two terms: an exact interpolation (ndf 0) is flagged, not passed as valid
    fit2 = fit_resolution([41.5, 59.5], [0.09, 0.08], [0.005, 0.005], terms=("a2_kev", "b2"))
    assert not fit2.fit.valid
    assert not fit2.constrained
    assert fit2.fit.ndf == 0
    assert "not constrained" in fit2.fit.message
    assert "not constrained" in fit2.describe()
    fit1 = fit_resolution([41.5, 59.5], [0.09, 0.08], [0.005, 0.005], terms=("a2_kev",))
    assert fit1.fit.valid
    assert fit1.constrained
    assert fit1.fit.ndf == 1
    assert fit1.fit["b2"] == 0.0
    assert fit1.fit["c2_kev2"] == 0.0


def test_three_source_peaks_fit_a_and_b_with_one_degree_of_freedom():
    # the default source peaks: 3 points -> a and b fitted, c held (ndf 1); exact model
    # points with a = 0.55, b = 0.02, c = 0 are recovered to round-off
    e = [41.5, 59.5, 122.0]
    r = resolution_model(e, 0.55, 0.02, 0.0)
    assert default_terms(3) == ("a2_kev", "b2")
    assert default_terms(5) == TERMS
    fit = fit_resolution(e, r, 0.03 * r, terms=default_terms(3))
    assert fit.fit.valid
    assert fit.constrained
    assert fit.fit.ndf == 1
    assert fit.fitted_terms == ("a2_kev", "b2")
    assert fit.abc == pytest.approx((0.55, 0.02, 0.0), rel=1e-9, abs=1e-12)
    assert fit.describe().startswith("fitted a, b, held c = 0; chi2/ndf")
    assert "warning" not in fit.fit.extra  # exact points: chi2 = 0
    # a point 20 % too wide with 3 % errors: chi2/ndf >> 1 -> p-value warning, still valid
    bad = fit_resolution(e, r * [1.0, 1.2, 1.0], 0.03 * r, terms=default_terms(3))
    assert bad.fit.valid
    assert bad.fit.extra["chi2_pvalue"] < 1e-3
    assert "poor fit" in bad.fit.extra["warning"]
    # c held at a given noise value: the points made with c = 1.5 keV are recovered exactly
    r_noise = resolution_model(e, 0.55, 0.02, 1.5)
    fixed = fit_resolution(e, r_noise, 0.03 * r_noise, terms=("a2_kev", "b2"), c_fixed_kev=1.5)
    assert fixed.abc == pytest.approx((0.55, 0.02, 1.5), rel=1e-9)
    assert fixed.fit.extra["fixed_terms"] == {"c2_kev2": pytest.approx(2.25)}
    assert fixed.fit.error("c2_kev2") == 0.0


def test_bad_inputs_raise_fit_error():
    with pytest.raises(FitError, match="equal-length"):
        fit_resolution([1.0, 2.0], [0.1], [0.01])
    with pytest.raises(FitError, match="non-positive"):
        fit_resolution([41.5, -1.0], [0.1, 0.1], [0.01, 0.01])


def test_dict_round_trip_and_model_error():
    r = resolution_model(ENERGIES_KEV, 0.55, 0.03, 0.8)
    fit = fit_resolution(ENERGIES_KEV, r, 0.03 * r)
    back = ResolutionFit.from_dict(json.loads(json.dumps(fit.to_dict())))
    assert back.abc == pytest.approx(fit.abc, rel=1e-12)
    err = fit.relative_err([41.5])
    # the model error at a point is below that point's own error (the fit averages 5 points)
    assert 0 < err[0] < 0.03 * resolution_model(41.5, 0.55, 0.03, 0.8)
