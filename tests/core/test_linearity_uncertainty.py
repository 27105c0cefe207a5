"""Light-yield uncertainty: chi2 scaling, SPE-gain systematic, what the constants file carries.

Truth here is analytic (first-order error propagation checked by a Monte Carlo of the gains)
or the linear algebra of the fit; tolerances are stated at each assertion.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from analysis_core.constants import build_constants, validate_constants
from analysis_core.fitting.result import FitResult
from analysis_core.linearity import LinearityResult, compute_linearity, fit_linearity
from analysis_core.linearity_points import LinearityPoint, gain_systematic
from analysis_core.rqfile import RQTable
from analysis_core.steps import StepInputs

USED = {"top": 100.0, "bottom": 120.0}
GAINS = {"A": (100.0, 120.0)}
PEAKS = {"kr_41": (178.0, 0.6), "am241_59": (255.0, 1.0), "co57_122": (525.0, 2.0)}
ROLE = {"kr_41": "kr", "am241_59": "am241", "co57_122": "co57"}


def _table(ftop: float, n: int = 40) -> RQTable:
    cols = {"ftop": np.full(n, ftop), "total_pe": np.zeros(n)}
    return RQTable(cols, {"pe_units": "PE", "spe_gain_adc_ns": USED})


def _peak_results():
    def fit(mean, err):
        cov = ((err**2, 0.0), (0.0, 0.25))
        return FitResult(("mean", "sigma"), (mean, 0.09 * mean), (err, 0.5), cov, 30.0, 30, True)

    return SimpleNamespace(
        peaks={k: SimpleNamespace(role=ROLE[k], fit=fit(*v)) for k, v in PEAKS.items()}
    )


def _inputs(ftops=(0.6, 0.6, 0.6), gains=GAINS, gain_errors=None, results=None):
    rq = {r: _table(f) for r, f in zip(("kr", "am241", "co57"), ftops, strict=True)}
    return StepInputs(
        rq=rq,
        gains=gains,
        gain_errors=gain_errors or {},
        results={"peak_fit": _peak_results(), **(results or {})},
    )


def test_gain_systematic_is_the_ftop_weighted_quadrature_sum():
    errs = {"A": (3.0, 6.0)}  # 3 % top, 5 % bottom
    syst = gain_systematic(_inputs(gain_errors=errs), "A")
    # light of a PMT ~ 1/gain: dY/Y = sqrt((0.6 * 3 %)^2 + (0.4 * 5 %)^2), exact arithmetic
    assert syst["rel_err"] == pytest.approx(math.hypot(0.6 * 0.03, 0.4 * 0.05), rel=1e-12)
    assert syst["ftop"] == pytest.approx(0.6)
    assert syst["source"] == "SPE gain errors of the session"
    # runs with different ftop: the largest relative error is kept (conservative); with the
    # bottom PMT's larger error that is the run with the smallest ftop
    syst2 = gain_systematic(_inputs(ftops=(0.6, 0.45, 0.55), gain_errors=errs), "A")
    assert syst2["ftop"] == pytest.approx(0.45)
    assert syst2["rel_err"] == pytest.approx(math.hypot(0.45 * 0.03, 0.55 * 0.05), rel=1e-12)
    # unknown errors -> None, and the fit says its total leaves the gain systematic out
    assert gain_systematic(_inputs(), "A") is None
    fit = compute_linearity(_inputs(), {"analyses": ["A"]}).fits["A"]
    assert fit.y_gain_err_pe_per_kev is None
    assert any("SPE gain errors unknown" in w for w in fit.warnings)


def test_gain_errors_come_from_the_spe_result_when_the_session_has_none():
    part = SimpleNamespace(valid=True, gains_adc_ns=(100.0, 120.0, 0.0), errors_adc_ns=(1.1, 1.68))
    spe = SimpleNamespace(analyses={"A": part})
    syst = gain_systematic(_inputs(results={"spe": spe}), "A")
    assert syst["source"] == "SPE step result"
    # 1.1 % and 1.4 % (the review's numbers) at ftop 0.6: exact arithmetic
    assert syst["rel_err"] == pytest.approx(math.hypot(0.6 * 0.011, 0.4 * 0.014), rel=1e-12)
    part_bad = SimpleNamespace(valid=False, gains_adc_ns=(1.0, 1.0), errors_adc_ns=(1.0, 1.0))
    assert (
        gain_systematic(_inputs(results={"spe": SimpleNamespace(analyses={"A": part_bad})}), "A")
        is None
    )


def test_gain_systematic_matches_a_monte_carlo_of_the_gains():
    # the true gains differ from the estimates by N(0, error): Y recomputed by the step with
    # each drawn set of gains (the points are converted by gain_factor at the run's ftop)
    errs = (3.0, 6.0)
    rng = np.random.default_rng(11)
    ys = []
    for _ in range(1500):
        g = (100.0 + rng.normal(0, errs[0]), 120.0 + rng.normal(0, errs[1]))
        ys.append(
            compute_linearity(_inputs(gains={"A": g}), {"analyses": ["A"]}).fits["A"].y_pe_per_kev
        )
    fit = compute_linearity(_inputs(gain_errors={"A": errs}), {"analyses": ["A"]}).fits["A"]
    # 1500 draws: the spread is known to 1/sqrt(2 * 1500) = 1.8 % -> 3 sigma 5.5 %, plus the
    # second-order terms of 1/g (~ dg/g = 5 %, half of it on the spread) -> 8 %
    assert np.std(ys) == pytest.approx(fit.y_gain_err_pe_per_kev, rel=0.08)


def test_poor_fit_scales_the_statistical_error_and_warns():
    # points 3 % off a line through the origin with 0.5 % errors: a poor fit
    e = np.array([41.5, 59.5, 122.0])
    pe = 4.3 * e * np.array([1.03, 0.97, 1.0])
    err = 0.005 * pe
    pts = [LinearityPoint(x, m, s, f"{x} keV") for x, m, s in zip(e, pe, err, strict=True)]
    syst = {"rel_err": 0.009, "ftop": 0.5, "top_rel_err": 0.011, "bottom_rel_err": 0.014}
    fit = fit_linearity(pts, "A", syst)
    o = fit.through_origin
    assert o.ndf == 2
    assert o.chi2 / o.ndf > 10
    # PDG: statistical error x sqrt(chi2/ndf); gain error = rel x Y; total in quadrature
    assert fit.chi2_scale == pytest.approx(math.sqrt(o.chi2 / 2), rel=1e-12)
    assert fit.y_stat_err_pe_per_kev == pytest.approx(o.error("y_pe_per_kev") * fit.chi2_scale)
    assert fit.y_gain_err_pe_per_kev == pytest.approx(0.009 * fit.y_pe_per_kev, rel=1e-12)
    assert fit.y_err_pe_per_kev == pytest.approx(
        math.hypot(fit.y_stat_err_pe_per_kev, fit.y_gain_err_pe_per_kev), rel=1e-12
    )
    assert o.extra["chi2_pvalue"] < 1e-3
    assert "poor fit" in o.extra["warning"]
    assert "sqrt(chi2/ndf)" in fit.warnings[0]
    # a good fit keeps the statistical error unscaled and has no warning
    good = fit_linearity([LinearityPoint(x, 4.3 * x, 0.01 * 4.3 * x) for x in e], "A")
    assert good.chi2_scale == 1.0
    assert "warning" not in good.through_origin.extra
    back = LinearityResult.from_dict({"fits": {"A": fit.to_dict()}}).fits["A"]
    assert back.y_err_pe_per_kev == pytest.approx(fit.y_err_pe_per_kev, rel=1e-12)


def test_constants_carry_stat_gain_and_total_errors():
    inputs = _inputs(gain_errors={"A": (1.1, 1.68)})
    lin = compute_linearity(inputs, {"analyses": ["A"]})
    doc = build_constants(
        gains=GAINS,
        gain_errors={"A": (1.1, 1.68)},
        results={"linearity": lin},
        cuts=None,
        runs=[],
        session_file="s.json",
    )
    validate_constants(doc)
    ly = doc["light_yield"]["A"]
    fit = lin.fits["A"]
    assert ly["y_err_pe_per_kev"] == fit.y_err_pe_per_kev
    assert ly["y_stat_err_pe_per_kev"] == fit.y_stat_err_pe_per_kev
    assert ly["y_gain_err_pe_per_kev"] == fit.y_gain_err_pe_per_kev
    assert ly["chi2_scale"] == fit.chi2_scale
    assert ly["y_err_pe_per_kev"] == pytest.approx(
        math.hypot(ly["y_stat_err_pe_per_kev"], ly["y_gain_err_pe_per_kev"]), rel=1e-12
    )
    # the resolution entry says which terms were fitted: 3 points -> a and b, ndf 1
    res = doc["resolution"]["A"]
    assert res["fitted_terms"] == ["a2_kev", "b2"]
    assert res["ndf"] == 1
    assert res["constrained"] is True
