"""Real 152Eu spectrum (curie_eu_calib_7cm.Spe): efficiencies, widths, energy scale, closure.

Source: 37.0 kBq on 2009-01-01 12:00 (curie docs), counted 2018-09-13 08:39:08 at 7 cm,
live 2289 s, real 2454 s. The certificate uncertainty is not published; we assume 1.5 % (k=1),
typical of a 1 uCi point source (3 % at k=2).

Measured with this pipeline (for the record): eps = 3.38e-2 at 121.8 keV, 2.06e-2 at 244.7,
1.56e-2 at 344.3, 6.99e-3 at 778.9, 5.55e-3 at 964.1, 5.06e-3 at 1112.1, 4.01e-3 at 1408.0;
FWHM 1.09 keV at 121.8 to 2.24 keV at 1408.0; activity recovered from the lines not flagged for
summing 22.5 +- 1.0 kBq against 22.51 kBq from the certificate.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from analysis_core.hpge.activity_spectrum import activity_from_analysis
from analysis_core.hpge.efficiency import fit_efficiency
from analysis_core.hpge.efficiency_points import efficiency_points
from analysis_core.hpge.nuclides import SUMMING_FLAGS, get_nuclide
from analysis_core.hpge.sources import SourceCertificate

pytestmark = pytest.mark.realdata

CERT = SourceCertificate("Eu-152", 37.0e3, 0.555e3, datetime(2009, 1, 1, 12), label="curie")
MAIN = (121.78, 244.70, 344.28, 778.90, 964.08, 1112.08, 1408.01)


@pytest.fixture(scope="module")
def analysis():
    from analysis_core.hpge.identify import analyse_source_spectrum
    from analysis_core.hpge.readers import read_spectrum
    from tests.conftest import REAL_DATA

    path = Path(REAL_DATA) / "hpge" / "curie_eu_calib_7cm.Spe"
    if not path.is_file():
        pytest.skip(f"real data not found at {path}")
    spectrum = read_spectrum(path)
    return analyse_source_spectrum(spectrum, [get_nuclide("Eu-152")])


@pytest.fixture(scope="module")
def points(analysis):
    return {round(p.energy_kev, 1): p for p in efficiency_points(analysis, CERT)}


def test_times_come_from_the_file(analysis) -> None:
    s = analysis.spectrum
    assert s.start_time == datetime(2018, 9, 13, 8, 39, 8)
    assert (s.live_time_s, s.real_time_s) == (2289.0, 2454.0)


def test_efficiencies_fall_from_122_to_1408_kev(points) -> None:
    effs = [points[round(e, 1)].efficiency for e in MAIN]
    assert all(not points[round(e, 1)].excluded for e in MAIN)
    assert np.all(np.diff(effs) < 0)
    # Sensible for a coaxial HPGe at 7 cm: a few % at 122 keV, a few 1e-3 at 1.4 MeV.
    assert 0.02 < effs[0] < 0.05
    assert 2e-3 < effs[-1] < 6e-3
    assert 6 < effs[0] / effs[-1] < 12
    # Independent errors: counting + emission probability, about 0.5-1 % for these strong lines
    # (964 keV shares its fit region with 1005 keV, so its area error is ~2x Poisson).
    assert all(points[round(e, 1)].independent_rel_err < 0.012 for e in MAIN)
    assert points[121.8].correlated_rel_err == pytest.approx(0.015, abs=1e-3)


def test_fwhm_rises_from_1p1_to_2p2_kev(points) -> None:
    fwhm = [points[round(e, 1)].fwhm_kev for e in MAIN]
    assert fwhm[0] == pytest.approx(1.1, abs=0.1)
    assert fwhm[-1] == pytest.approx(2.2, abs=0.15)
    assert np.all(np.diff(fwhm) > -0.02)  # rising, allowing fit noise of ~0.02 keV


def test_refitted_energy_scale_puts_lines_within_0p2_kev(points) -> None:
    strong = [p for p in points.values() if p.intensity > 0.02 and not p.excluded]
    assert len(strong) >= 9
    for p in strong:
        assert abs(p.measured_energy_kev - p.energy_kev) < 0.2, p.energy_kev


def test_activity_recovered_from_its_own_curve(analysis) -> None:
    pts = efficiency_points(analysis, CERT)
    curve = fit_efficiency(pts, order=3, exclude_flags=SUMMING_FLAGS)
    assert curve.valid
    used = [p for p in curve.points if not p.excluded]
    assert not any(p.flags & SUMMING_FLAGS for p in used)
    result = activity_from_analysis(analysis, "Eu-152", curve, exclude_flags=SUMMING_FLAGS)
    expected = CERT.activity_at(analysis.spectrum.start_time)
    assert expected == pytest.approx(22.51e3, rel=1e-3)
    assert abs(result.activity_bq - expected) < result.activity_err_bq
    # The curve carries the certificate's 1.5 %, so the recovered value cannot be more precise.
    assert result.rel_err > 0.015
    assert result.method == "decay-corrected"
    assert len(result.lines) >= 8
    back = result.decayed_to(CERT.reference_date, CERT.half_life_s)
    assert abs(back.activity_bq - 37.0e3) < back.activity_err_bq
    assert {s["energy_kev"] for s in result.extra["skipped_lines"]} >= {121.7817, 1408.013}


def test_roi_areas_agree_with_fitted_areas_on_clean_lines(analysis, points) -> None:
    roi = {round(p.energy_kev, 1): p for p in efficiency_points(analysis, CERT, area="roi")}
    clean = [e for e, p in roi.items() if not p.excluded and p.intensity > 0.04]
    assert len(clean) >= 4  # 344.3, 778.9, 1112.1, 1408.0 at least
    for e in clean:
        # Same counts, two continuum estimates: agreement well inside the ~0.6 % counting error.
        assert roi[e].efficiency / points[e].efficiency - 1 == pytest.approx(0, abs=0.01), e
    # Multiplet ROIs are refused for single lines (1085.8 keV shares its ROI with 1089.7 keV).
    assert roi[1085.8].excluded
    assert roi[1085.8].excluded_reason.startswith("ROI area not usable")


def test_attenuation_of_a_spectrum_against_itself_is_one(analysis) -> None:
    from analysis_core.hpge.attenuation import attenuation_points

    pts = attenuation_points(analysis, analysis, "Eu-152")
    assert len(pts) >= 12
    for p in pts:
        assert p.mu == pytest.approx(1.0, rel=1e-12)
        peak = next(q for q in analysis.peaks if q.line.energy_kev == p.energy_kev)
        assert p.mu_err == pytest.approx(np.sqrt(2) * peak.fit.area_err / peak.fit.area, rel=1e-9)
