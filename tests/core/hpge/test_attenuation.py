"""Container attenuation: ratio with decay correction, smooth models and their covariance."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from analysis_core.errors import CalibrationError, FitError
from analysis_core.hpge.attenuation import (
    AttenuationPoint,
    attenuation_point,
    attenuation_points,
    fit_attenuation,
    load_attenuation,
)
from analysis_core.hpge.nuclides import get_nuclide
from analysis_core.hpge.sources import CountingInterval
from analysis_core.hpge.spectrum import Spectrum

T0 = datetime(2019, 2, 1, 9, 0)
CO57_T = get_nuclide("Co-57").half_life_s


def expected_counts(rate0: float, c: CountingInterval, half: float, t_ref: datetime) -> float:
    """Counts of a decaying source: integral of the rate over the real time, times live/real."""
    lam = math.log(2) / half
    r_start = rate0 * math.exp(-lam * (c.start - t_ref).total_seconds())
    return r_start * -math.expm1(-lam * c.real_time_s) / lam * c.live_time_s / c.real_time_s


def test_ratio_is_decay_corrected_between_the_two_counts() -> None:
    outside = CountingInterval(T0, 300.0, 310.0)
    inside = CountingInterval(T0 + timedelta(days=60), 300.0, 330.0)  # 60 d later: 14 % decayed
    mu_true = 0.87
    n_out = expected_counts(100.0, outside, CO57_T, T0)
    n_in = mu_true * expected_counts(100.0, inside, CO57_T, T0)
    p = attenuation_point(122.06, (n_in, 150.0, inside), (n_out, 170.0, outside), CO57_T, "Co-57")
    assert p.mu == pytest.approx(mu_true, rel=1e-12)
    assert p.mu_err == pytest.approx(mu_true * math.hypot(150 / n_in, 170 / n_out), rel=1e-12)
    naive = (n_in / 300.0) / (n_out / 300.0)
    assert naive < 0.9 * mu_true  # without the decay correction mu would be 14 % low
    with pytest.raises(CalibrationError, match="positive counts"):
        attenuation_point(122.06, (0.0, 1.0, inside), (n_out, 1.0, outside), CO57_T)


def steel(e: np.ndarray, k: float = 0.2, p: float = 0.55) -> np.ndarray:
    """Transmission exp(-k (E/500)^-p): ~0.55 at 122 keV, ~0.82 at 520 keV."""
    return np.exp(-k * (np.asarray(e) / 500.0) ** -p)


ENERGIES = np.array([122.06, 244.70, 344.28, 411.12, 778.90, 964.08, 1112.08, 1408.01])


def test_power_model_recovers_its_parameters() -> None:
    pts = [AttenuationPoint(e, float(steel(e)), 0.01 * float(steel(e))) for e in ENERGIES]
    model = fit_attenuation(pts, kind="power")
    assert model.parameters[0] == pytest.approx(math.log(0.2), abs=1e-8)
    assert model.parameters[1] == pytest.approx(0.55, abs=1e-8)
    assert model.mu(520.4) == pytest.approx(float(steel(520.4)), rel=1e-9)
    assert model.chi2 == pytest.approx(0.0, abs=1e-12)
    # Three 83Rb lines from one model: strongly correlated.
    cov = model.ln_mu_covariance([520.4, 529.6, 552.6])
    corr = cov / np.sqrt(np.outer(np.diag(cov), np.diag(cov)))
    assert np.all(corr > 0.99)


def test_power_model_errors_are_right_on_toys() -> None:
    # 200 toys with 1 % Gaussian errors: the pull of mu(520 keV) is N(0, 1) within 0.2 in std
    # (0.05 expected statistical spread) and the raw covariance is the scaled one / scale.
    rng = np.random.default_rng(5)
    pulls = []
    for _ in range(200):
        mu = steel(ENERGIES) * (1 + 0.01 * rng.normal(size=ENERGIES.size))
        pts = [AttenuationPoint(e, m, 0.01 * m) for e, m in zip(ENERGIES, mu, strict=True)]
        model = fit_attenuation(pts, kind="power")
        scale = max(1.0, model.chi2 / model.ndf)
        err = model.mu_err(520.4) / math.sqrt(scale)
        pulls.append((model.mu(520.4) - float(steel(520.4))) / err)
    assert abs(np.mean(pulls)) < 0.25
    assert abs(np.std(pulls) - 1.0) < 0.2


def test_interp_and_constant_models() -> None:
    pts = [
        AttenuationPoint(411.12, 0.80, 0.01),
        AttenuationPoint(778.90, 0.86, 0.02),
        AttenuationPoint(344.28, 0.78, 0.01),
    ]
    interp = fit_attenuation(pts, kind="interp")
    assert interp.mu(411.12) == pytest.approx(0.80)
    assert interp.mu_err(411.12) == pytest.approx(0.01)
    t = math.log(520.4 / 411.12) / math.log(778.90 / 411.12)
    expect = math.exp((1 - t) * math.log(0.80) + t * math.log(0.86))
    assert interp.mu(520.4) == pytest.approx(expect, rel=1e-12)
    rel = math.hypot((1 - t) * 0.01 / 0.80, t * 0.02 / 0.86)
    assert interp.mu_err(520.4) == pytest.approx(expect * rel, rel=1e-12)
    assert interp.mu(100.0) == pytest.approx(0.78)  # held constant beyond the ends
    const = fit_attenuation(pts[:2], kind="constant")
    w = np.array([1 / (0.01 / 0.80) ** 2, 1 / (0.02 / 0.86) ** 2])
    mean = np.sum(w * np.log([0.80, 0.86])) / w.sum()
    assert const.mu(520.4) == pytest.approx(math.exp(mean))
    assert const.ndf == 1
    cov = const.ln_mu_covariance([520.4, 552.6])
    assert cov[0, 1] == pytest.approx(cov[0, 0])  # one number for all energies


def test_model_errors_and_round_trip(tmp_path: Path) -> None:
    with pytest.raises(FitError, match="one of"):
        fit_attenuation([AttenuationPoint(500, 0.8, 0.01)], kind="spline")
    with pytest.raises(FitError, match="mu < 1 at two energies"):
        fit_attenuation([AttenuationPoint(500, 0.8, 0.01)], kind="power")
    with pytest.raises(FitError, match="mu < 1"):
        fit_attenuation(
            [AttenuationPoint(300, 0.8, 0.01), AttenuationPoint(500, 1.01, 0.01)], kind="power"
        )
    with pytest.raises(FitError, match="error > 0"):
        fit_attenuation([AttenuationPoint(500, 0.8, 0.0)], kind="constant")
    pts = [AttenuationPoint(e, float(steel(e)), 0.01) for e in ENERGIES]
    model = fit_attenuation(pts)
    model.save(tmp_path / "att.json")
    back = load_attenuation(tmp_path / "att.json")
    assert back == model
    (tmp_path / "x.json").write_text("[]")
    with pytest.raises(CalibrationError, match=r"x\.json"):
        load_attenuation(tmp_path / "x.json")


def fake_analysis(areas: dict[float, float], start: datetime, live: float):
    co = get_nuclide("Co-57")
    peaks = []
    for e, a in areas.items():
        fit = SimpleNamespace(area=a, area_err=math.sqrt(a), valid=True, message="")
        peaks.append(SimpleNamespace(line=co.line_near(e, 0.1), fit=fit, excluded_reason=""))
    spec = Spectrum(np.zeros(4), live, live, start, path="co.Spe")
    return SimpleNamespace(spectrum=spec, peaks=tuple(peaks))


def test_points_from_two_analyses() -> None:
    outside = fake_analysis({122.06: 1e5, 136.47: 1.2e4}, T0, 300.0)
    inside = fake_analysis({122.06: 6e4, 136.47: 8e3, 14.41: 50.0}, T0, 300.0)
    pts = attenuation_points(inside, outside, "57Co")
    assert [round(p.energy_kev) for p in pts] == [122, 136]
    lam = math.log(2) / CO57_T
    d = (1 - math.exp(-lam * 300)) / (lam * 300)
    assert pts[0].mu == pytest.approx(0.6 * d / d, rel=1e-12)
    assert pts[1].mu == pytest.approx(8e3 / 1.2e4, rel=1e-12)
    with pytest.raises(CalibrationError, match="no Eu-152 line"):
        attenuation_points(inside, outside, "Eu-152")
