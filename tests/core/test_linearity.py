"""Linearity fits (through the origin, with offset) and the linearity step."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest

from analysis_core.errors import CalibrationError
from analysis_core.fitting.result import FitResult
from analysis_core.linearity import (
    LinearityPoint,
    LinearityResult,
    compute_linearity,
    fit_linearity,
)
from analysis_core.rqfile import RQTable
from analysis_core.steps import StepInputs

ENERGIES_KEV = np.array([9.4, 32.1, 41.5, 59.5, 122.0])


def _points(pe, err, analysis="A"):
    return [
        LinearityPoint(float(e), float(m), float(s), f"{e} keV", analysis)
        for e, m, s in zip(ENERGIES_KEV[: len(pe)], pe, err, strict=True)
    ]


def test_paper_table2_points_give_the_papers_light_yield():
    # paper Table 2 (Analysis A): 9.4 -> 41.7 +- 2.2, 32.1 -> 135.7 +- 4.2, 41.5 -> 176.8 +- 3.6
    # PE; the paper quotes Y = 4.3 +- 0.1 PE/keV from its linearity fit (rounded to 0.1)
    fit = fit_linearity(_points([41.7, 135.7, 176.8], [2.2, 4.2, 3.6]))
    assert fit.y_pe_per_kev == pytest.approx(4.3, abs=0.05)
    assert fit.y_err_pe_per_kev == pytest.approx(0.07, abs=0.03)
    assert fit.through_origin.ndf == 2
    assert fit.with_offset.ndf == 1


def test_fits_agree_with_an_independent_weighted_polyfit():
    rng = np.random.default_rng(1)
    err = np.array([2.0, 4.0, 3.5, 5.0, 9.0])
    pe = 4.9 * ENERGIES_KEV + 3.0 + rng.normal(0, err)
    fit = fit_linearity(_points(pe, err))
    coef, cov = np.polyfit(ENERGIES_KEV, pe, 1, w=1 / err, cov="unscaled")
    # same linear algebra solved another way: equal to round-off
    assert fit.with_offset.values == pytest.approx(tuple(coef), rel=1e-9)
    assert fit.with_offset.cov == pytest.approx(cov, rel=1e-9)
    resid = fit.residuals_pe(offset=True)
    assert fit.with_offset.chi2 == pytest.approx(float(np.sum((resid / err) ** 2)), rel=1e-12)
    # through the origin: the closed form of physics.md
    w = 1 / err**2
    assert fit.y_pe_per_kev == pytest.approx(
        np.sum(w * ENERGIES_KEV * pe) / np.sum(w * ENERGIES_KEV**2)
    )
    closed_err = np.sum(w * ENERGIES_KEV**2) ** -0.5
    assert fit.through_origin.error("y_pe_per_kev") == pytest.approx(closed_err)
    # the 3 PE offset makes the through-origin fit poor: its statistical error is scaled by
    # sqrt(chi2/ndf) (PDG); no gain errors given -> the total is that statistical error
    o = fit.through_origin
    assert fit.chi2_scale == pytest.approx(np.sqrt(o.chi2 / o.ndf))
    assert fit.chi2_scale > 1
    assert fit.y_stat_err_pe_per_kev == pytest.approx(closed_err * fit.chi2_scale)
    assert fit.y_err_pe_per_kev == pytest.approx(fit.y_stat_err_pe_per_kev)


def test_pulls_of_the_light_yield_over_toys():
    rng = np.random.default_rng(7)
    err = 0.03 * 4.3 * ENERGIES_KEV + 1.0
    pulls, offset_pulls, chi2 = [], [], []
    for _ in range(400):
        pe = 4.3 * ENERGIES_KEV + rng.normal(0, err)
        f = fit_linearity(_points(pe, err))
        pulls.append((f.y_pe_per_kev - 4.3) / f.through_origin.error("y_pe_per_kev"))
        offset_pulls.append(f.with_offset["offset_pe"] / f.with_offset.error("offset_pe"))
        chi2.append(f.through_origin.chi2)
    # 400 toys: means known to 1/sqrt(400) = 0.05 -> 3 sigma 0.15; widths to ~0.035 -> 0.12
    for p in (np.array(pulls), np.array(offset_pulls)):
        assert abs(p.mean()) < 0.15
        assert p.std() == pytest.approx(1.0, abs=0.12)
    # chi2 with 4 degrees of freedom: mean 4, standard error sqrt(8/400) = 0.14 -> 3 sigma
    assert np.mean(chi2) == pytest.approx(4.0, abs=0.45)


def test_single_point_has_no_offset_fit_and_bad_points_raise():
    fit = fit_linearity(_points([176.8], [3.6]))
    assert fit.through_origin.valid
    assert not fit.with_offset.valid
    assert "two different energies" in fit.with_offset.message
    with pytest.raises(CalibrationError, match="no linearity point"):
        fit_linearity([])
    with pytest.raises(CalibrationError, match="positive error"):
        fit_linearity(_points([176.8], [0.0]))


def _gauss_fit(mean, mean_err, sigma, sigma_err):
    return FitResult(
        names=("mean", "sigma", "area"),
        values=(mean, sigma, 1000.0),
        errors=(mean_err, sigma_err, 30.0),
        covariance=((mean_err**2, 0, 0), (0, sigma_err**2, 0), (0, 0, 900.0)),
        chi2=40.0,
        ndf=38,
        valid=True,
        model="gauss",
    )


def _table(gains_used, ftop=0.5, n=50):
    cols = {"ftop": np.full(n, ftop), "total_pe": np.zeros(n)}
    return RQTable(cols, {"pe_units": "PE", "spe_gain_adc_ns": gains_used})


def test_step_collects_peaks_and_components_and_converts_gains():
    used = {"top": 100.0, "bottom": 120.0}
    gains = {"A": (100.0, 120.0), "B": (87.0, 105.0)}
    peaks = SimpleNamespace(
        peaks={
            "kr_41": SimpleNamespace(role="kr", fit=_gauss_fit(178.0, 0.6, 16.0, 0.5)),
            "am241_59": SimpleNamespace(role="am241", fit=_gauss_fit(255.0, 1.0, 20.0, 0.8)),
            "co57_122": SimpleNamespace(role="co57", fit=_gauss_fit(525.0, 2.0, 32.0, 1.5)),
        }
    )
    comp_a = SimpleNamespace(
        light_points=lambda: [
            {"energy_kev": 9.4, "pe": 41.0, "pe_err": 2.0, "label": "9.4 keV A"},
            {"energy_kev": 32.1, "pe": 137.0, "pe_err": 4.0, "label": "32.1 keV A"},
        ]
    )
    inputs = StepInputs(
        rq={r: _table(used, 0.6) for r in ("kr", "am241", "co57")},
        gains=gains,
        results={"peak_fit": peaks, "components_a": comp_a},
    )
    res = compute_linearity(inputs, {"analyses": ["A", "B"]})
    a, b = res.fits["A"], res.fits["B"]
    assert [p.energy_kev for p in a.points] == [9.4, 32.1, 41.5, 59.5, 122.0]
    assert [p.energy_kev for p in b.points] == [41.5, 59.5, 122.0]
    # reduced with A's gains: factor 1 for A; for B: 0.6*100/87 + 0.4*120/105 (ftop = 0.6)
    k = 0.6 * 100 / 87 + 0.4 * 120 / 105
    assert b.points[0].pe == pytest.approx(178.0 * k, rel=1e-12)
    assert a.points[2].pe == 178.0
    assert res.resolution["A"].energy_kev == (41.5, 59.5, 122.0)
    assert res.resolution["A"].resolution[0] == pytest.approx(16.0 / 178.0)
    back = LinearityResult.from_dict(json.loads(json.dumps(res.to_dict())))
    assert back.fits["B"].y_pe_per_kev == pytest.approx(b.y_pe_per_kev, rel=1e-12)
    # excluded points leave the fit
    res2 = compute_linearity(inputs, {"analyses": ["A"], "exclude": ["9.4 keV A"]})
    assert len(res2.fits["A"].points) == 4
    assert "B" not in res2.fits


def test_step_without_results_explains_why():
    bad = SimpleNamespace(
        peaks={
            "kr_41": SimpleNamespace(
                role="kr", fit=FitResult.failed(("mean", "sigma"), "too few counts")
            )
        }
    )
    with pytest.raises(CalibrationError, match="too few counts"):
        compute_linearity(StepInputs(results={"peak_fit": bad}), {})
    with pytest.raises(CalibrationError, match="no peak fit"):
        compute_linearity(StepInputs(), {})
