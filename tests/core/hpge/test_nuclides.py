"""The shipped nuclear-data table: lookup, values against spec/physics.md, flags, provenance."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import pytest

import resources
from analysis_core.errors import CalibrationError
from analysis_core.hpge.nuclides import (
    DATA_VERSION,
    FLAG_DOUBLET,
    FLAG_SUMMING_GAIN,
    FLAG_SUMMING_LOSS,
    canonical_name,
    get_nuclide,
    list_libraries,
    list_nuclides,
    nuclear_data_info,
)

ROOT = Path(__file__).resolve().parents[3]
DAY = 86400.0
YEAR = 365.2422 * DAY


@pytest.mark.parametrize(
    ("alias", "name"),
    [
        ("Eu-152", "Eu-152"),
        ("152Eu", "Eu-152"),
        ("eu152", "Eu-152"),
        ("EU-152", "Eu-152"),
        ("co57", "Co-57"),
        ("83mKr", "Kr-83m"),
        ("kr-83m", "Kr-83m"),
        ("Rb83", "Rb-83"),
        ("137cs", "Cs-137"),
    ],
)
def test_aliases_resolve_case_insensitively(alias: str, name: str) -> None:
    assert canonical_name(alias) == name
    assert get_nuclide(alias).name == name


def test_unknown_nuclide_lists_known_names() -> None:
    with pytest.raises(CalibrationError) as err:
        get_nuclide("Xe-999")
    msg = str(err.value)
    assert "Xe-999" in msg
    for known in ("Eu-152", "Co-57", "Rb-83"):
        assert known in msg
    with pytest.raises(CalibrationError, match="not a nuclide name"):
        canonical_name("cobalt")


def test_list_contains_the_standards_and_the_kr_chain() -> None:
    names = list_nuclides()
    for n in ("Am-241", "Ba-133", "Co-57", "Co-60", "Cs-137", "Eu-152", "Na-22", "Rb-83", "Kr-83m"):
        assert n in names
    assert names == sorted(names)


# spec/physics.md section 1 (DDEP values for 152Eu); exact to the printed digits.
EU152 = [
    (121.7817, 28.41, 0.13),
    (244.6974, 7.55, 0.04),
    (344.2785, 26.59, 0.12),
    (411.1165, 2.238, 0.010),
    (778.9045, 12.97, 0.06),
    (867.380, 4.243, 0.023),
    (964.079, 14.50, 0.06),
    (1085.837, 10.13, 0.06),
    (1089.737, 1.73, 0.01),
    (1112.076, 13.41, 0.06),
    (1212.948, 1.416, 0.009),
    (1299.142, 1.633, 0.009),
    (1408.013, 20.85, 0.08),
]


@pytest.mark.parametrize(("energy", "pct", "pct_err"), EU152)
def test_eu152_lines_match_the_physics_spec(energy: float, pct: float, pct_err: float) -> None:
    eu = get_nuclide("Eu-152")
    line = eu.line_near(energy, 0.001)
    assert line is not None
    assert line.intensity == pytest.approx(pct / 100, abs=1e-12)
    assert line.intensity_err == pytest.approx(pct_err / 100, abs=1e-12)
    assert eu.library == "DDEP"
    assert eu.evaluation == "USP, LBNL - 2004"


def test_half_lives_against_the_spec() -> None:
    # Tolerances: the last printed digit of each evaluation.
    assert get_nuclide("Eu-152").half_life_s == pytest.approx(13.522 * YEAR, rel=1e-12)
    assert get_nuclide("Eu-152").half_life_err_s == pytest.approx(0.016 * YEAR, rel=1e-12)
    # The LARA file's own seconds line: 426.7E6 +- 0.5E6 s (rounded to 0.1E6).
    assert get_nuclide("Eu-152").half_life_s == pytest.approx(426.7e6, abs=0.05e6)
    assert get_nuclide("Am-241").half_life_s == pytest.approx(432.6 * YEAR, rel=1e-12)
    assert get_nuclide("Rb-83").half_life_s == pytest.approx(86.2 * DAY, rel=1e-12)
    assert get_nuclide("Rb-83").half_life_err_s == pytest.approx(0.1 * DAY, rel=1e-12)
    assert get_nuclide("Kr-83m").half_life_s == pytest.approx(1.83 * 3600, rel=1e-12)


def test_summing_and_doublet_flags() -> None:
    eu = get_nuclide("Eu-152")
    for e in (121.78, 244.70, 344.28, 1408.01):
        assert FLAG_SUMMING_LOSS in eu.line_near(e, 0.01).flags
    assert eu.line_near(1085.84, 0.01).flags == {FLAG_SUMMING_GAIN, FLAG_DOUBLET}
    assert FLAG_DOUBLET in eu.line_near(1089.74, 0.01).flags
    assert FLAG_DOUBLET in eu.line_near(443.96, 0.01).flags
    for e in (778.90, 964.08, 1112.08, 867.38):
        assert not eu.line_near(e, 0.01).flags
        assert not eu.line_near(e, 0.01).is_summing_prone
    co = get_nuclide("Co-57")
    assert FLAG_SUMMING_GAIN in co.line_near(136.47, 0.01).flags
    assert not co.line_near(122.06, 0.01).flags


def test_rb83_lines_and_common_normalisation() -> None:
    rb = get_nuclide("Rb-83")
    assert rb.library == "ENSDF"
    assert [ln.energy_kev for ln in rb.lines] == [520.3991, 529.5945, 552.5512]
    assert [ln.intensity for ln in rb.lines] == pytest.approx([0.447, 0.293, 0.1596], abs=1e-12)
    assert [ln.intensity_rel_err for ln in rb.lines] == pytest.approx([0.05, 0.044, 0.042])
    assert rb.normalisation_rel_err == 0.054
    kr = rb.daughter("83mKr")
    assert kr.branching == 0.743
    assert math.isnan(kr.branching_err)


def test_kr83m_derived_gamma_intensities() -> None:
    kr = get_nuclide("Kr-83m")
    low, high = kr.lines
    assert low.energy_kev == 9.4057
    assert high.energy_kev == 32.1516
    assert low.intensity == pytest.approx(1 / 17.3, rel=1e-9)  # alpha = 16.3
    assert high.intensity == pytest.approx(1 / 1951, rel=1e-9)  # alpha ~ 1950
    assert math.isnan(low.intensity_err)
    assert "derived-intensity" in low.flags


def test_alternative_library_for_co57() -> None:
    assert list_libraries("co57") == ["DDEP", "ENSDF"]
    ddep, ensdf = get_nuclide("Co-57"), get_nuclide("Co-57", library="ensdf")
    assert ddep.line_near(122.06, 0.01).intensity == pytest.approx(0.8549)
    assert ensdf.line_near(122.06, 0.01).intensity == pytest.approx(0.8560)
    assert ensdf.half_life_s == pytest.approx(271.74 * DAY)
    with pytest.raises(CalibrationError, match="available: DDEP"):
        get_nuclide("Eu-152", library="ENSDF")


def test_table_is_well_formed() -> None:
    for name in list_nuclides():
        nuc = get_nuclide(name)
        energies = [ln.energy_kev for ln in nuc.lines]
        assert energies == sorted(energies)
        assert nuc.half_life_s > 0
        assert nuc.half_life_err_s >= 0
        for ln in nuc.lines + nuc.xrays:
            assert ln.nuclide == nuc.name
            assert 0 < ln.intensity <= 2.0  # annihilation radiation can exceed 1 per decay
            if "derived-intensity" not in ln.flags:
                assert ln.intensity_err >= 0
        for x in nuc.xrays:
            assert "xray" in x.flags


def test_version_and_provenance_are_recorded() -> None:
    raw = json.loads(resources.path("nuclear_data.json").read_text(encoding="utf-8"))
    assert raw["version"] == DATA_VERSION
    assert DATA_VERSION.count(".") == 2
    info = nuclear_data_info()
    assert set(info["libraries"]) == {"DDEP", "ENSDF"}
    assert "summing-loss" in info["flag_definitions"]
    assert get_nuclide("Eu-152").to_dict()["data_version"] == DATA_VERSION


def test_build_script_reproduces_the_shipped_table(real_data: Path) -> None:
    spec = importlib.util.spec_from_file_location(
        "build_nuclear_data", ROOT / "scripts" / "build_nuclear_data.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    text = mod.dumps(mod.build(real_data / "nuclear_data" / "ddep_lara"))
    shipped = resources.path("nuclear_data.json").read_text(encoding="utf-8")
    assert text == shipped, "re-run scripts/build_nuclear_data.py and commit the JSON"
