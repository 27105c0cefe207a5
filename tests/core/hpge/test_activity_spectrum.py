"""Activity from an analysed spectrum with a fitted curve and attenuation model (synthetic truth)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from types import SimpleNamespace

import numpy as np
import pytest

from analysis_core.errors import CalibrationError
from analysis_core.hpge.activity_spectrum import activity_from_analysis
from analysis_core.hpge.attenuation import AttenuationModel, AttenuationPoint
from analysis_core.hpge.efficiency import EfficiencyCurve
from analysis_core.hpge.nuclides import get_nuclide
from analysis_core.hpge.sources import counting_decay_factor

RB = get_nuclide("Rb-83")
START = datetime(2019, 2, 19, 10, 0)
LIVE, REAL = 3500.0, 3600.0
A_TRUE = 5120.0
# Efficiency curve with a 1 % band mostly from a0 (common to all energies).
CURVE = EfficiencyCurve(
    coefficients=(-5.40, -0.80, -0.10, 0.0),
    covariance=((1e-4, 0, 0, 0), (0, 4e-6, 0, 0), (0, 0, 1e-6, 0), (0, 0, 0, 1e-8)),
    e0_kev=300.0,
    order=3,
    chi2=5.0,
    ndf=5,
)
ATT = AttenuationModel(
    "power",
    (math.log(0.19), 0.5),
    ((1e-3, 0.0), (0.0, 1e-3)),
    (AttenuationPoint(344.3, 0.8, 0.01), AttenuationPoint(778.9, 0.85, 0.01)),
)


def fake_analysis(scale: dict[float, float] | None = None, extra_peaks=()):
    d = counting_decay_factor(RB.decay_constant_per_s, REAL)
    peaks = []
    for ln in RB.lines:
        eff = float(CURVE.efficiency(ln.energy_kev))
        n = A_TRUE * ln.intensity * eff * float(ATT.mu(ln.energy_kev)) * LIVE * d
        n *= (scale or {}).get(ln.energy_kev, 1.0)
        fit = SimpleNamespace(area=n, area_err=math.sqrt(n), valid=True, message="", fwhm_kev=1.8)
        peaks.append(SimpleNamespace(line=ln, fit=fit, roi=None, excluded_reason=""))
    spec = SimpleNamespace(live_time_s=LIVE, real_time_s=REAL, start_time=START, path="rb.Spe")
    return SimpleNamespace(spectrum=spec, peaks=(*peaks, *extra_peaks))


def test_noise_free_lines_give_the_true_activity() -> None:
    res = activity_from_analysis(fake_analysis(), "Rb-83", CURVE, attenuation=ATT)
    assert [ln.activity_bq for ln in res.lines] == pytest.approx([A_TRUE] * 3, rel=1e-12)
    assert res.activity_bq == pytest.approx(A_TRUE, rel=1e-12)
    assert res.reference_time == START
    assert res.nuclide == "Rb-83"
    assert res.library == "ENSDF"
    terms = {t.name: t for t in res.budget}
    # The 5.4 % 83Rb normalisation is common to all lines: it survives the average in full.
    assert terms["normalisation"].rel_err == pytest.approx(0.054, rel=1e-12)
    # Efficiency term from the curve covariance: J C J^T projected on the GLS weights.
    e = np.array([ln.energy_kev for ln in RB.lines])
    j = np.vander(np.log(e / 300.0), 4, increasing=True)
    w = np.array([ln.weight for ln in res.lines])
    assert terms["efficiency"].rel_err == pytest.approx(math.sqrt(w @ j @ CURVE.cov @ j.T @ w))
    assert terms["efficiency"].correlation == "covariance"
    assert terms["efficiency"].rel_err > 0.0099  # a0 alone contributes 1 %
    assert terms["attenuation"].correlation == "covariance"
    rel = math.sqrt(sum(t.rel_err**2 for t in res.budget))
    assert rel == pytest.approx(res.rel_err, rel=1e-12)
    assert res.extra["attenuation"] == "power"
    assert res.extra["extrapolated_lines_kev"] == []  # empty curve range: nothing flagged


def test_stated_mu_eq31_and_decay_to_a_date() -> None:
    mu = float(ATT.mu(529.6))
    an = fake_analysis()
    res = activity_from_analysis(an, "Rb-83", CURVE, attenuation=(mu, 0.01))
    assert res.correlations["attenuation"] == "fully correlated"
    assert {t.name: t for t in res.budget}["attenuation"].rel_err == pytest.approx(0.01 / mu)
    eq31 = activity_from_analysis(an, "Rb-83", CURVE, attenuation=ATT, decay_during_counting=False)
    d = counting_decay_factor(RB.decay_constant_per_s, REAL)
    assert eq31.activity_bq == pytest.approx(A_TRUE * d, rel=1e-12)
    assert eq31.reference_time == START + timedelta(seconds=REAL / 2)
    later = START + timedelta(days=30)
    dec = activity_from_analysis(an, "Rb-83", CURVE, attenuation=ATT, date=later)
    assert dec.activity_bq == pytest.approx(A_TRUE * 2 ** (-30 * 86400 / RB.half_life_s))
    assert dec.reference_time == later


def test_exclusions_and_skipped_lines() -> None:
    co = get_nuclide("Co-57").lines[2]
    other = SimpleNamespace(
        line=co, fit=SimpleNamespace(area=1.0, area_err=1.0, valid=True), excluded_reason=""
    )
    an = fake_analysis({552.5512: 1.3}, extra_peaks=(other,))
    biased = activity_from_analysis(an, "Rb-83", CURVE, attenuation=ATT)
    assert biased.chi2 > 10
    res = activity_from_analysis(an, "83Rb", CURVE, attenuation=ATT, exclude_energies_kev=[552.6])
    assert res.activity_bq == pytest.approx(A_TRUE, rel=1e-12)
    assert res.extra["skipped_lines"] == [
        {"energy_kev": 552.5512, "reason": "excluded by the user"}
    ]
    bad = fake_analysis()
    bad.peaks[0].fit.valid = False
    bad.peaks[0].fit.message = "singular covariance"
    res = activity_from_analysis(bad, "Rb-83", CURVE)
    assert res.extra["skipped_lines"][0]["reason"] == "peak fit not valid: singular covariance"
    with pytest.raises(CalibrationError, match=r"rb\.Spe: no usable line of Rb-83"):
        activity_from_analysis(
            fake_analysis(), "Rb-83", CURVE, exclude_energies_kev=[520, 530, 553]
        )
    with pytest.raises(CalibrationError, match="none identified"):
        activity_from_analysis(fake_analysis(), "Cs-137", CURVE)
