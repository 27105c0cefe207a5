"""Efficiency curve: GLS fit of ln eps against known truths, band coverage, exclusions, sources."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from analysis_core.errors import CalibrationError, FitError
from analysis_core.hpge.efficiency import (
    EfficiencyCurve,
    fit_efficiency,
    load_efficiency_curve,
    points_covariance,
)
from analysis_core.hpge.efficiency_points import EfficiencyPoint
from analysis_core.hpge.nuclides import SUMMING_FLAGS, get_nuclide

TRUE = np.array([-5.3, -0.85, -0.12, 0.04])  # ln eps at 300 keV = -5.3 (eps ~ 5e-3)
E0 = 300.0
# Strong 152Eu lines except the doublets (summing-prone lines included: far geometry).
EU = [ln for ln in get_nuclide("Eu-152").strong_lines(0.01) if not ln.flags - SUMMING_FLAGS]
LOSSES = {121.7817: 0.25, 344.2785: 0.12, 1408.013: 0.08}  # close-geometry summing losses
CO = [ln for ln in get_nuclide("Co-57").lines if ln.intensity > 0.05 and ln.energy_kev > 100]


def ln_eps_true(e: np.ndarray | float) -> np.ndarray:
    x = np.log(np.asarray(e, dtype=float) / E0)
    return np.polynomial.polynomial.polyval(x, TRUE)


def make_points(
    rng: np.random.Generator | None,
    *,
    u: float = 0.02,
    c_eu: float = 0.015,
    c_co: float = 0.01,
    with_co: bool = False,
    u_scale: float = 1.0,
    losses: dict[float, float] | None = None,
) -> list[EfficiencyPoint]:
    """Points scattered as the GLS model assumes: independent u plus a shift per source."""
    out = []
    sources = [("Eu-152 ref", EU, c_eu)] + ([("Co-57 ref", CO, c_co)] if with_co else [])
    for label, lines, c in sources:
        shift = rng.normal(0, c) if rng is not None else 0.0
        for ln in lines:
            y = ln_eps_true(ln.energy_kev) + shift
            if rng is not None:
                y += rng.normal(0, u * u_scale)
            eff = math.exp(y) * (1.0 - (losses or {}).get(ln.energy_kev, 0.0))
            out.append(
                EfficiencyPoint(
                    energy_kev=ln.energy_kev,
                    efficiency=eff,
                    efficiency_err=eff * math.hypot(u, c),
                    source_label=label,
                    nuclide=ln.nuclide,
                    independent_rel_err=u,
                    correlated_rel_err=c,
                    flags=ln.flags,
                )
            )
    return out


def test_noise_free_points_give_the_true_coefficients() -> None:
    curve = fit_efficiency(make_points(None), order=3, e0_kev=E0)
    assert np.allclose(curve.coefficients, TRUE, atol=1e-10)  # exact linear algebra
    assert curve.chi2 == pytest.approx(0.0, abs=1e-18)
    assert curve.ndf == len(EU) - 4
    assert curve.scale_factor == 1.0
    assert curve.valid
    e = np.array([130.0, 500.0, 1300.0])
    assert np.allclose(curve.efficiency(e), np.exp(ln_eps_true(e)), rtol=1e-10)
    assert curve.in_range([100.0, 500.0, 1500.0]).tolist() == [False, True, False]
    # One source: its common 1.5 % cannot be averaged away, so the band is at least that wide.
    assert np.all(curve.efficiency_rel_err(e) >= 0.015 - 1e-12)


def test_coefficients_and_band_are_statistically_right_on_toys() -> None:
    # 400 toy data sets from the assumed error model: the GLS estimator is unbiased and its
    # (unscaled) covariance exact, so pulls are N(0, 1) and the 1-sigma band covers 68.3 %.
    rng = np.random.default_rng(12345)
    pulls, cover, chi2 = [], [], []
    e_test = np.array([150.0, 520.0, 1200.0])
    for _ in range(400):
        curve = fit_efficiency(make_points(rng, with_co=True), order=3, e0_kev=E0)
        raw_cov = curve.cov / curve.scale_factor
        pulls.append((np.array(curve.coefficients) - TRUE) / np.sqrt(np.diag(raw_cov)))
        j = np.vander(np.log(e_test / E0), 4, increasing=True)
        band = np.sqrt(np.einsum("ij,jk,ik->i", j, raw_cov, j))
        cover.append(np.abs(curve.ln_efficiency(e_test) - ln_eps_true(e_test)) < band)
        chi2.append(curve.chi2)
    pulls = np.array(pulls)
    # Tolerances: with 400 toys the mean of a unit normal is known to 0.05 and its std to 0.035
    # (1 sigma); we allow about 3.5 sigma.
    assert np.all(np.abs(pulls.mean(axis=0)) < 0.18)
    assert np.all(np.abs(pulls.std(axis=0) - 1.0) < 0.12)
    # Coverage: binomial sigma sqrt(0.683 * 0.317 / 400) = 0.023.
    assert np.all(np.abs(np.mean(cover, axis=0) - 0.683) < 0.08)
    ndf = len(EU) + len(CO) - 4
    assert np.mean(chi2) == pytest.approx(ndf, rel=0.1)  # chi2 mean = ndf, 400 toys: +-3 %


def test_band_covers_the_truth_with_the_scaled_covariance() -> None:
    rng = np.random.default_rng(7)
    curve = fit_efficiency(make_points(rng, with_co=True), order=3, e0_kev=E0)
    e = np.geomspace(122, 1408, 25)
    pull = (curve.ln_efficiency(e) - ln_eps_true(e)) / curve.efficiency_rel_err(e)
    assert np.all(np.abs(pull) < 3.0)  # a 3-sigma band, one smooth curve


def test_chi2_scaling_when_points_scatter_more_than_their_errors() -> None:
    rng = np.random.default_rng(3)
    pts = make_points(rng, u_scale=3.0)  # true scatter 3x the stated independent errors
    curve = fit_efficiency(pts, order=3, e0_kev=E0)
    assert curve.chi2_ndf > 2.0
    assert curve.scale_factor == pytest.approx(curve.chi2_ndf)
    assert "scaled by chi2/ndf" in curve.message
    # Scaled covariance does not depend on the overall size of the stated errors once scaled.
    bigger = [
        replace(
            p,
            independent_rel_err=1.2 * p.independent_rel_err,
            correlated_rel_err=1.2 * p.correlated_rel_err,
            efficiency_err=1.2 * p.efficiency_err,
        )
        for p in pts
    ]
    curve2 = fit_efficiency(bigger, order=3, e0_kev=E0)
    assert curve2.chi2 == pytest.approx(curve.chi2 / 1.44, rel=1e-10)
    assert np.allclose(curve2.cov, curve.cov, rtol=1e-9)
    # Points that scatter less than their errors are not rescaled down.
    calm = fit_efficiency(make_points(rng, u_scale=0.2), order=3, e0_kev=E0)
    assert calm.chi2_ndf < 1
    assert calm.scale_factor == 1.0


def test_two_sources_match_an_explicit_nuisance_parameter_fit() -> None:
    # GLS with V = D + sum_g c_g^2 1_g 1_g^T equals ordinary least squares with one nuisance
    # shift per source constrained by its certificate (s_g ~ N(0, c_g)). Both are exact linear
    # algebra, so they agree to rounding.
    rng = np.random.default_rng(11)
    pts = make_points(rng, with_co=True, c_co=0.03)
    curve = fit_efficiency(pts, order=3, e0_kev=E0)
    labels = sorted({p.source_label for p in pts})
    n, k, g = len(pts), 4, len(labels)
    a = np.zeros((n + g, k + g))
    b = np.zeros(n + g)
    for i, p in enumerate(pts):
        x = math.log(p.energy_kev / E0)
        a[i, :k] = [x**m / p.independent_rel_err for m in range(k)]
        a[i, k + labels.index(p.source_label)] = 1.0 / p.independent_rel_err
        b[i] = math.log(p.efficiency) / p.independent_rel_err
    for j, lab in enumerate(labels):
        c = next(p.correlated_rel_err for p in pts if p.source_label == lab)
        a[n + j, k + j] = 1.0 / c
    sol, *_ = np.linalg.lstsq(a, b, rcond=None)
    cov = np.linalg.inv(a.T @ a)[:k, :k]
    assert np.allclose(curve.coefficients, sol[:k], rtol=1e-9, atol=1e-12)
    assert np.allclose(curve.cov / curve.scale_factor, cov, rtol=1e-8, atol=1e-14)
    v = points_covariance(pts)
    same = pts[0].source_label == pts[1].source_label
    assert v[0, 1] == pytest.approx(pts[0].correlated_rel_err ** 2 if same else 0.0)


def test_excluding_summing_prone_lines() -> None:
    pts = make_points(None, losses=LOSSES)
    biased = fit_efficiency(pts, order=3, e0_kev=E0)
    assert biased.chi2_ndf > 5  # 25 %, 12 %, 8 % losses against 2 % errors
    clean = fit_efficiency(pts, order=3, e0_kev=E0, exclude_flags=SUMMING_FLAGS)
    assert np.allclose(clean.coefficients, TRUE, atol=1e-9)
    excluded = [p for p in clean.points if p.excluded]
    # 244.7 keV (flagged, not biased here) is excluded by the flag as well.
    assert sorted(round(p.energy_kev) for p in excluded) == [122, 245, 344, 1408]
    assert all("summing" in p.excluded_reason for p in excluded)
    res = {round(r.energy_kev): r for r in clean.residuals if r.excluded}
    assert res[122].relative == pytest.approx(-0.25, abs=1e-9)
    assert res[344].relative == pytest.approx(-0.12, abs=1e-9)
    by_energy = fit_efficiency(pts, order=3, e0_kev=E0, exclude_energies_kev=[121.8, 344.3, 1408])
    assert np.allclose(by_energy.coefficients, TRUE, atol=1e-9)
    assert all(p.excluded_reason == "excluded by the user" for p in by_energy.points if p.excluded)
    assert clean.energy_range_kev == (411.1165, 1299.142)


@pytest.mark.parametrize("order", [2, 3, 4, 5])
def test_every_selectable_order_fits(order: int) -> None:
    curve = fit_efficiency(make_points(np.random.default_rng(order)), order=order, e0_kev=E0)
    assert len(curve.coefficients) == order + 1
    assert curve.cov.shape == (order + 1, order + 1)
    assert curve.valid


def test_setup_errors() -> None:
    pts = make_points(None)
    with pytest.raises(FitError, match="order must be 2 to 5"):
        fit_efficiency(pts, order=6)
    with pytest.raises(FitError, match="order must be 2 to 5"):
        fit_efficiency(pts, order=1)
    with pytest.raises(FitError, match="at least 6 distinct energies"):
        fit_efficiency(pts[:4], order=5)
    bad = [*pts, replace(pts[0], energy_kev=50.0, efficiency=-1.0)]
    with pytest.raises(FitError, match="50.0 keV"):
        fit_efficiency(bad)


def test_no_degrees_of_freedom_is_reported() -> None:
    curve = fit_efficiency(make_points(None)[:3], order=2, e0_kev=E0)
    assert curve.ndf == 0
    assert "no degrees of freedom" in curve.message


def test_from_value_splits_the_error() -> None:
    p = EfficiencyPoint.from_value(661.66, 2e-3, 5e-5, correlated_rel_err=0.015, source_label="Cs")
    assert p.rel_err == pytest.approx(0.025)
    assert math.hypot(p.independent_rel_err, p.correlated_rel_err) == pytest.approx(0.025)
    with pytest.raises(CalibrationError, match="exceeds"):
        EfficiencyPoint.from_value(661.66, 2e-3, 1e-5, correlated_rel_err=0.015)


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    curve = fit_efficiency(make_points(np.random.default_rng(1), with_co=True), extra={"k": 1})
    path = tmp_path / "curve.json"
    curve.save(path)
    back = load_efficiency_curve(path)
    assert back.coefficients == curve.coefficients
    assert back.covariance == curve.covariance
    # NaN fields (no peak area for value-only points) compare via their JSON text.
    assert json.dumps(back.to_dict()) == json.dumps(curve.to_dict())
    assert back.extra == {"k": 1}
    d = json.loads(path.read_text())
    for key in ("coefficients", "covariance", "e0_kev", "order", "chi2", "ndf", "points"):
        assert key in d
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "something-else"}')
    with pytest.raises(CalibrationError, match=r"bad\.json"):
        load_efficiency_curve(bad)
    with pytest.raises(CalibrationError, match=r"missing\.json"):
        load_efficiency_curve(tmp_path / "missing.json")
    assert isinstance(EfficiencyCurve.from_dict(curve.to_dict()), EfficiencyCurve)


def test_chi2_of_toys_follows_the_chi2_distribution() -> None:
    # Kolmogorov-Smirnov of 300 toy chi2 values against chi2(ndf): p > 0.001.
    rng = np.random.default_rng(99)
    chi2 = [fit_efficiency(make_points(rng), order=3, e0_kev=E0).chi2 for _ in range(300)]
    ndf = len(EU) - 4
    assert stats.kstest(chi2, stats.chi2(ndf).cdf).pvalue > 1e-3
