"""Certificates and decay corrections against analytic values."""

from __future__ import annotations

import math
from datetime import date, datetime, timezone

import numpy as np
import pytest
from scipy.integrate import quad

from analysis_core.errors import CalibrationError
from analysis_core.hpge.nuclides import get_nuclide
from analysis_core.hpge.sources import (
    CountingInterval,
    SourceCertificate,
    counting_decay_factor,
    decay_factor,
    elapsed_s,
    parse_datetime,
)
from analysis_core.hpge.spectrum import Spectrum

LN2 = math.log(2)


def test_decay_factor_halves_each_half_life() -> None:
    assert decay_factor(10.0, 10.0) == pytest.approx(0.5, rel=1e-15)
    assert decay_factor(30.0, 10.0) == pytest.approx(0.125, rel=1e-15)
    assert decay_factor(-10.0, 10.0) == pytest.approx(2.0, rel=1e-15)
    with pytest.raises(CalibrationError):
        decay_factor(1.0, 0.0)


@pytest.mark.parametrize("lam_t", [0.0, 1e-12, 1e-6, 0.01, LN2, 5.0])
def test_counting_decay_factor_is_the_mean_activity(lam_t: float) -> None:
    t = 1000.0
    lam = lam_t / t
    mean, _ = quad(lambda s: math.exp(-lam * s), 0, t, epsabs=1e-14)
    # Analytic integral; quad is exact to ~1e-14 here.
    assert counting_decay_factor(lam, t) == pytest.approx(mean / t, rel=1e-10)
    if lam_t == LN2:
        assert counting_decay_factor(lam, t) == pytest.approx(0.5 / LN2, rel=1e-12)


def test_counting_decay_factor_rejects_negative_inputs() -> None:
    with pytest.raises(CalibrationError):
        counting_decay_factor(-1.0, 10.0)
    with pytest.raises(CalibrationError):
        counting_decay_factor(1.0, -10.0)


def test_eu152_certificate_decays_to_the_measurement_date() -> None:
    cert = SourceCertificate("152eu", 37.0e3, 0.37e3, datetime(2009, 1, 1, 12), label="curie")
    assert cert.nuclide == "Eu-152"
    t = datetime(2018, 9, 13, 8, 39, 8)
    dt = (t - datetime(2009, 1, 1, 12)).total_seconds()
    half = 13.522 * 365.2422 * 86400
    assert cert.activity_at(t) == pytest.approx(37.0e3 * 2 ** (-dt / half), rel=1e-12)
    assert cert.activity_at(t) == pytest.approx(22.51e3, rel=1e-3)  # 9.70 y: 0.608 of 37 kBq
    budget = cert.activity_budget_at(t)
    assert budget["certificate"] == pytest.approx(0.01)
    assert budget["half_life"] == pytest.approx(LN2 * dt * 0.016 / 13.522**2 / (365.2422 * 86400))
    assert cert.activity_rel_err_at(t) == pytest.approx(math.hypot(*budget.values()))
    assert cert.activity_err_at(t) == pytest.approx(
        cert.activity_at(t) * cert.activity_rel_err_at(t)
    )


def test_plain_date_means_midnight_and_round_trip() -> None:
    cert = SourceCertificate("Co-57", 1000.0, 10.0, date(2019, 2, 19))
    assert cert.reference_date == datetime(2019, 2, 19)
    assert cert.decay_factor(datetime(2019, 2, 19)) == 1.0
    back = SourceCertificate.from_dict(cert.to_dict())
    assert back == cert
    assert cert.to_dict()["library"] == "DDEP"
    one_half_life = cert.reference_date.timestamp() + get_nuclide("Co-57").half_life_s
    assert cert.activity_at(datetime.fromtimestamp(one_half_life)) == pytest.approx(500.0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"activity_bq": 0.0}, "activity must be positive"),
        ({"activity_bq": float("nan")}, "activity must be positive"),
        ({"activity_err_bq": -1.0}, "uncertainty must be >= 0"),
        ({"nuclide": "Zz-1"}, "unknown nuclide"),
    ],
)
def test_bad_certificates_are_refused(kwargs: dict, match: str) -> None:
    args = {"nuclide": "Eu-152", "activity_bq": 1.0, "activity_err_bq": 0.1}
    args.update(kwargs)
    with pytest.raises(CalibrationError, match=match):
        SourceCertificate(reference_date=date(2020, 1, 1), **args)


def test_mixing_aware_and_naive_times_is_refused() -> None:
    with pytest.raises(CalibrationError, match="timezone"):
        elapsed_s(datetime(2020, 1, 1), datetime(2020, 1, 2, tzinfo=timezone.utc))
    assert elapsed_s(date(2020, 1, 1), datetime(2020, 1, 1, 1)) == 3600.0


def test_parse_datetime_formats() -> None:
    assert parse_datetime("2009-01-01") == datetime(2009, 1, 1)
    assert parse_datetime("2018-09-13T08:39:08") == datetime(2018, 9, 13, 8, 39, 8)
    assert parse_datetime("2018-09-13 08:39") == datetime(2018, 9, 13, 8, 39)
    with pytest.raises(CalibrationError, match="not a date"):
        parse_datetime("13/09/2018")


def test_counting_interval_from_spectrum_and_overrides() -> None:
    spec = Spectrum(np.zeros(8), 2289.0, 2454.0, datetime(2018, 9, 13, 8, 39, 8), path="eu.Spe")
    c = CountingInterval.from_spectrum(spec)
    assert (c.live_time_s, c.real_time_s) == (2289.0, 2454.0)
    assert c.dead_time_fraction == pytest.approx(1 - 2289 / 2454)
    assert CountingInterval.from_spectrum(spec, live_time_s=100.0).live_time_s == 100.0
    half = 3600.0
    assert c.decay_factor(half) == pytest.approx(counting_decay_factor(LN2 / half, 2454.0))
    no_start = Spectrum(np.zeros(8), 10.0, 10.0, None, path="x.Spe")
    with pytest.raises(CalibrationError, match=r"x\.Spe: no acquisition start"):
        CountingInterval.from_spectrum(no_start)
    no_real = Spectrum(np.zeros(8), 10.0, float("nan"), datetime(2020, 1, 1))
    assert CountingInterval.from_spectrum(no_real).real_time_s == 10.0
    with pytest.raises(CalibrationError, match="exceeds real time"):
        CountingInterval(datetime(2020, 1, 1), 20.0, 10.0)
