"""Efficiency points from identified peaks: eps = N / (A Y t_live D), exclusions, error split."""

from __future__ import annotations

import math
from datetime import datetime
from types import SimpleNamespace

import numpy as np
import pytest

from analysis_core.errors import CalibrationError
from analysis_core.hpge.efficiency_points import (
    efficiency_points,
    exclude_points,
    make_efficiency_point,
)
from analysis_core.hpge.nuclides import get_nuclide
from analysis_core.hpge.sources import CountingInterval, SourceCertificate, counting_decay_factor
from analysis_core.hpge.spectrum import Spectrum

START = datetime(2018, 9, 13, 8, 39, 8)
CERT = SourceCertificate("Eu-152", 37.0e3, 0.74e3, datetime(2009, 1, 1, 12), label="curie")


def fake_peak(line, area, area_err=None, *, valid=True, reason="", message=""):
    """An object with the attributes of identify.IdentifiedPeak that the code reads."""
    fit = SimpleNamespace(
        energy_kev=line.energy_kev + 0.05,
        energy_err_kev=0.01,
        fwhm_kev=1.0 + line.energy_kev / 1000,
        fwhm_err_kev=0.02,
        area=area,
        area_err=math.sqrt(area) if area_err is None else area_err,
        valid=valid,
        message=message,
    )
    roi = SimpleNamespace(net=0.98 * area, net_err=1.1 * fit.area_err, note="")
    return SimpleNamespace(line=line, fit=fit, roi=roi, excluded_reason=reason)


def fake_analysis(peaks, live=2289.0, real=2454.0):
    spec = Spectrum(np.zeros(16), live, real, START, path="eu.Spe")
    return SimpleNamespace(spectrum=spec, peaks=tuple(peaks))


def test_point_is_counts_over_emitted_photons() -> None:
    eu = get_nuclide("Eu-152")
    line = eu.line_near(778.9, 0.1)
    counting = CountingInterval(START, 2289.0, 2454.0)
    p = make_efficiency_point(line, 40000.0, 200.0, CERT, counting, fwhm_kev=1.6)
    a = 37.0e3 * 2 ** (-(START - CERT.reference_date).total_seconds() / eu.half_life_s)
    d = counting_decay_factor(math.log(2) / eu.half_life_s, 2454.0)
    assert d == pytest.approx(1 - math.log(2) * 2454 / eu.half_life_s / 2, rel=1e-9)
    assert p.efficiency == pytest.approx(40000 / (a * 0.1297 * 2289 * d), rel=1e-12)
    assert p.independent_rel_err == pytest.approx(math.hypot(200 / 40000, 0.0006 / 0.1297))
    budget = CERT.activity_budget_at(START)
    assert p.correlated_rel_err == pytest.approx(math.hypot(0.02, budget["half_life"]))
    assert p.rel_err == pytest.approx(math.hypot(p.independent_rel_err, p.correlated_rel_err))
    assert p.source_label == "curie"
    assert p.fwhm_kev == 1.6
    assert not p.excluded


def test_points_from_an_analysis() -> None:
    eu = get_nuclide("Eu-152")
    co = get_nuclide("Co-57")
    lines = [eu.line_near(e, 0.1) for e in (121.78, 344.28, 778.90, 1408.01)]
    peaks = [fake_peak(ln, 1e5 * ln.intensity) for ln in lines]
    peaks.append(fake_peak(eu.line_near(964.08, 0.1), 5000.0, valid=False, message="no minimum"))
    peaks.append(fake_peak(eu.line_near(1112.08, 0.1), 9000.0, reason="overlaps a background line"))
    peaks.append(fake_peak(co.line_near(122.06, 0.1), 1000.0))  # another nuclide: skipped
    pts = efficiency_points(fake_analysis(peaks), CERT)
    assert [round(p.energy_kev) for p in pts] == [122, 344, 779, 964, 1112, 1408]
    used = [p for p in pts if not p.excluded]
    assert len(used) == 4
    # Equal N / Y for the four lines: equal efficiencies.
    assert np.allclose([p.efficiency for p in used], used[0].efficiency, rtol=1e-12)
    bad = {round(p.energy_kev): p for p in pts if p.excluded}
    assert bad[964].excluded_reason == "peak fit not valid: no minimum"
    assert bad[1112].excluded_reason == "overlaps a background line"
    assert "summing-loss" in pts[0].flags
    assert pts[0].measured_energy_kev == pytest.approx(121.8317)
    roi = efficiency_points(fake_analysis(peaks), CERT, area="roi")
    assert roi[2].efficiency == pytest.approx(0.98 * pts[2].efficiency, rel=1e-12)
    assert not roi[2].excluded
    peaks[2].roi.note = "ROI spans the multiplet 778.9 + 780.0 keV: net is the sum of 2 peaks"
    peaks[3].roi = None
    roi = efficiency_points(fake_analysis(peaks), CERT, area="roi")
    assert roi[2].excluded
    assert roi[2].excluded_reason.startswith("ROI area not usable: ROI spans the multiplet")
    assert roi[5].excluded_reason == "no ROI area for this peak"
    longer = efficiency_points(fake_analysis(peaks), CERT, live_time_s=2 * 2289.0, real_time_s=4908)
    assert longer[2].efficiency < 0.51 * pts[2].efficiency


def test_no_line_of_the_nuclide_is_an_error() -> None:
    co = get_nuclide("Co-57")
    with pytest.raises(CalibrationError, match=r"eu\.Spe: no identified line of Eu-152"):
        efficiency_points(fake_analysis([fake_peak(co.lines[2], 100.0)]), CERT)
    with pytest.raises(CalibrationError, match="area must be"):
        efficiency_points(fake_analysis([]), CERT, area="sum")


def test_annihilation_and_zero_area_points_are_excluded() -> None:
    na = SourceCertificate("Na-22", 1e4, 1e2, datetime(2015, 3, 1))
    line511 = get_nuclide("Na-22").line_near(511.0, 0.1)
    counting = CountingInterval(datetime(2015, 3, 5), 600.0, 694.0)
    p = make_efficiency_point(line511, 1e4, 1e2, na, counting)
    assert p.excluded
    assert "annihilation" in p.excluded_reason
    empty = make_efficiency_point(get_nuclide("Na-22").lines[-1], 0.0, 0.0, na, counting)
    assert empty.excluded
    assert "no positive peak area" in empty.excluded_reason
    with pytest.raises(CalibrationError, match="does not belong"):
        make_efficiency_point(get_nuclide("Co-57").lines[2], 1.0, 1.0, na, counting)


def test_exclude_points_by_energy_and_flag_keeps_first_reason() -> None:
    eu = get_nuclide("Eu-152")
    counting = CountingInterval(START, 2289.0, 2454.0)
    pts = [
        make_efficiency_point(eu.line_near(e, 0.1), 1e4, 1e2, CERT, counting)
        for e in (121.78, 411.12, 778.90)
    ]
    out = exclude_points(pts, energies_kev=[411.0], flags=["summing-loss"], tolerance_kev=0.5)
    assert [p.excluded for p in out] == [True, True, False]
    assert out[0].excluded_reason == "excluded by flag: summing-loss"
    assert out[1].excluded_reason == "excluded by the user"
    again = exclude_points(out, energies_kev=[121.8])
    assert again[0].excluded_reason == "excluded by flag: summing-loss"
