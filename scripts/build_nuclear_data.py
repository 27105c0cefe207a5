"""Build ``resources/nuclear_data.json`` from the DDEP/LNHB LARA exports plus ENSDF values.

What to use when
----------------
Run it after changing the LARA inputs, the ENSDF records below or the flags, then commit the JSON:

    .venv/bin/python scripts/build_nuclear_data.py [--lara-dir DIR] [--out FILE]

The defaults read ``../shared/data/real/nuclear_data/ddep_lara`` beside the checkout and write
``resources/nuclear_data.json``. The output is deterministic (no time stamps), so re-running it on
unchanged inputs reproduces the committed file byte for byte (a test checks this).

Sources
-------
- DDEP/LNHB "Nucleide-LARA" exports (copied from ``ehsteve/roentgen`` commit 2cb9e7a): the
  calibration standards. Gamma lines ("g") with an emission probability of at least
  ``MIN_GAMMA_INTENSITY`` and K x-rays are kept.
- ENSDF values quoted in ``spec/physics.md`` section 1: 83Rb, 83mKr, 39Ar (absent from DDEP), and
  alternative ENSDF records for 57Co and 137Cs so that an analysis can choose one library.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_LARA_DIR = ROOT.parent / "shared" / "data" / "real" / "nuclear_data" / "ddep_lara"
DEFAULT_OUT = ROOT / "resources" / "nuclear_data.json"

#: Version of the shipped table: bump on any change of values, flags or records.
DATA_VERSION = "1.0.0"

#: Gamma lines weaker than this (fraction per decay) are not shipped.
MIN_GAMMA_INTENSITY = 1e-4

#: Days per year used by DDEP to convert half-lives given in years ("a") to seconds.
DAYS_PER_YEAR = 365.2422
UNIT_S = {"s": 1.0, "min": 60.0, "h": 3600.0, "d": 86400.0, "a": DAYS_PER_YEAR * 86400.0}

#: Standards taken from DDEP (file stem -> shipped name).
DDEP_NUCLIDES = (
    "Am-241",
    "Ba-133",
    "Ba-137m",
    "Cd-109",
    "Co-57",
    "Co-60",
    "Cs-137",
    "Eu-152",
    "K-40",
    "Kr-85",
    "Mn-54",
    "Na-22",
    "Y-88",
)

LOSS = "summing-loss"
GAIN = "summing-gain"
DOUBLET = "doublet"
XRAY = "xray"
DERIVED = "derived-intensity"
ANNIHILATION = "annihilation"

FLAG_DEFINITIONS = {
    LOSS: "true-coincidence summing removes counts from this peak in close geometry "
    "(the line is in a cascade); exclude it or correct it when the source is close",
    GAIN: "true-coincidence summing adds counts to this peak in close geometry (cross-over "
    "transition fed by a cascade sum, e.g. 152Eu 964+122 -> 1085.8, 57Co 122+14.4 -> 136.5)",
    DOUBLET: "unresolved or barely resolved multiplet on an HPGe; the peak area belongs to more "
    "than one line",
    XRAY: "x-ray emission (listed in Nuclide.xrays, not in Nuclide.lines)",
    ANNIHILATION: "511 keV annihilation radiation: Doppler-broadened, its intensity depends on "
    "where the positrons stop; not for efficiency calibration",
    DERIVED: "emission probability derived from a conversion coefficient, not evaluated directly",
}

#: (nuclide, energy in keV rounded to 0.1) -> flags. Sources: spec/physics.md section 2 and
#: the issue text (152Eu, 57Co); 60Co, 22Na, 88Y are the textbook two-photon cascades.
LINE_FLAGS: dict[tuple[str, float], tuple[str, ...]] = {
    ("Eu-152", 121.8): (LOSS,),
    ("Eu-152", 244.7): (LOSS,),
    ("Eu-152", 344.3): (LOSS,),
    ("Eu-152", 1408.0): (LOSS,),
    ("Eu-152", 1085.8): (GAIN, DOUBLET),
    ("Eu-152", 1089.7): (DOUBLET,),
    ("Eu-152", 444.0): (DOUBLET,),
    ("Co-57", 136.5): (GAIN,),
    ("Co-60", 1173.2): (LOSS,),
    ("Co-60", 1332.5): (LOSS,),
    ("Na-22", 1274.5): (LOSS,),
    ("Y-88", 898.0): (LOSS,),
    ("Y-88", 1836.1): (LOSS,),
}

LIBRARIES = {
    "DDEP": {
        "title": "Decay Data Evaluation Project, recommended data (LNHB Nucleide-LARA exports)",
        "url": "http://www.lnhb.fr/ddep_wg/",
        "origin": "ehsteve/roentgen roentgen/data/lara/*.lara.txt, commit "
        "2cb9e7a41c466fe0845600ede56ac55c9e56337b (copied to shared/data/real/nuclear_data)",
        "citation": "DDEP/LNHB evaluations; the evaluation of each nuclide is in its record",
    },
    "ENSDF": {
        "title": "Evaluated Nuclear Structure Data File (NNDC)",
        "url": "https://www.nndc.bnl.gov/ensdf/",
        "origin": "values as quoted in spec/physics.md section 1 (no network access at build time)",
        "citation": "ENSDF, via spec/physics.md",
    },
}


def _float(text: str) -> float | None:
    text = text.strip()
    return float(text) if text else None


def parse_lara(path: Path) -> dict[str, Any]:
    """Parse one LARA export into a nuclide record of the JSON table."""
    header: dict[str, list[str]] = {}
    emissions: list[list[str]] = []
    in_table = False
    for raw in path.read_text(encoding="utf-8").splitlines():
        fields = [f.strip() for f in raw.split(";")]
        if raw.startswith("Energy (keV)"):
            in_table = True
            continue
        if raw.startswith(("---", "===")) or not raw.strip():
            continue
        if in_table:
            emissions.append(fields)
        else:
            header[fields[0]] = fields[1:]
    name = header["Nuclide"][0]
    hl_key = next(k for k in header if k.startswith("Half-life (") and k != "Half-life (s)")
    unit = hl_key[len("Half-life (") : -1]
    hl_value, hl_err = float(header[hl_key][0]), float(header[hl_key][1])
    lines, xrays = [], []
    for f in emissions:
        energy, e_err, inten, i_err, kind, origin = f[0], f[1], f[2], f[3], f[4], f[5]
        intensity = float(inten) / 100.0
        record = {
            "energy_kev": float(energy),
            "energy_err_kev": _float(e_err),
            "intensity": round(intensity, 12),
            "intensity_err": None if _float(i_err) is None else round(float(i_err) / 100.0, 12),
            "origin": origin,
            "flags": [],
        }
        if kind in ("g", "g511") and intensity >= MIN_GAMMA_INTENSITY:
            flags = LINE_FLAGS.get((name, round(float(energy), 1)), ())
            if kind == "g511":
                flags = (*flags, ANNIHILATION)
            record["flags"] = sorted(flags)
            lines.append(record)
        elif kind.startswith("XK") and intensity >= 0.01:
            record["flags"] = [XRAY]
            record["kind"] = kind
            xrays.append(record)
    return {
        "name": name,
        "library": "DDEP",
        "evaluation": header["Reference"][0],
        "half_life": {"value": hl_value, "uncertainty": hl_err, "unit": unit},
        "half_life_s": hl_value * UNIT_S[unit],
        "half_life_err_s": hl_err * UNIT_S[unit],
        "normalisation_rel_err": 0.0,
        "daughters": [],
        "notes": f"DDEP evaluation {header['Reference'][0]}; file {path.name}",
        "lines": lines,
        "xrays": xrays,
    }


def _line(
    energy: float,
    intensity_pct: float,
    intensity_err_pct: float | None,
    flags: tuple[str, ...] = (),
    origin: str = "",
    energy_err: float | None = None,
) -> dict[str, Any]:
    return {
        "energy_kev": energy,
        "energy_err_kev": energy_err,
        "intensity": round(intensity_pct / 100.0, 12),
        "intensity_err": None if intensity_err_pct is None else round(intensity_err_pct / 100, 12),
        "origin": origin,
        "flags": sorted(flags),
    }


def ensdf_records() -> list[dict[str, Any]]:
    """Return the ENSDF records of ``spec/physics.md`` section 1."""
    day, hour, year = UNIT_S["d"], UNIT_S["h"], UNIT_S["a"]
    # 83Rb: relative uncertainties 5 %, 4.4 %, 4.2 % per line, plus a 5.4 % normalisation
    # common to all lines (kept separately, fully correlated).
    rb_lines = [
        _line(520.3991, 44.7, 44.7 * 0.05, origin="Kr-83"),
        _line(529.5945, 29.3, 29.3 * 0.044, origin="Kr-83"),
        _line(552.5512, 15.96, 15.96 * 0.042, origin="Kr-83"),
    ]
    alpha_32, alpha_9 = 1950.0, 16.3
    kr_lines = [
        _line(9.4057, 100.0 / (1.0 + alpha_9), None, (DERIVED,), origin="Kr-83"),
        _line(32.1516, 100.0 / (1.0 + alpha_32), None, (DERIVED,), origin="Kr-83"),
    ]
    co57_flags = {122.06065: (), 136.47356: (GAIN,)}
    return [
        {
            "name": "Rb-83",
            "library": "ENSDF",
            "evaluation": "ENSDF (A=83), as quoted in spec/physics.md",
            "half_life": {"value": 86.2, "uncertainty": 0.1, "unit": "d"},
            "half_life_s": 86.2 * day,
            "half_life_err_s": 0.1 * day,
            "normalisation_rel_err": 0.054,
            "daughters": [{"name": "Kr-83m", "branching": 0.743, "branching_err": None}],
            "notes": "EC decay. Line intensity uncertainties are the relative parts (5 %, 4.4 %, "
            "4.2 %); a 5.4 % normalisation uncertainty is common to all lines (fully "
            "correlated). 74.3 % of decays feed 83mKr. Energy uncertainties not quoted.",
            "lines": rb_lines,
            "xrays": [],
        },
        {
            "name": "Kr-83m",
            "library": "ENSDF",
            "evaluation": "ENSDF (A=83), as quoted in spec/physics.md",
            "half_life": {"value": 1.83, "uncertainty": 0.02, "unit": "h"},
            "half_life_s": 1.83 * hour,
            "half_life_err_s": 0.02 * hour,
            "normalisation_rel_err": 0.0,
            "daughters": [],
            "notes": "Isomer at 41.5575 keV: 32.1516 keV E3 transition (conversion coefficient "
            "~1950) to the 9.4057 keV level (half-life 155.1(12) ns, mean life 223.8 ns), then "
            "9.4057 keV to the ground state (conversion coefficient 16.3). Gamma emission "
            "probabilities are 1/(1+alpha), without uncertainty; nearly all decays emit "
            "conversion electrons and x-rays.",
            "lines": kr_lines,
            "xrays": [],
        },
        {
            "name": "Ar-39",
            "library": "ENSDF",
            "evaluation": "ENSDF; specific activity from WARP",
            "half_life": {"value": 268.0, "uncertainty": 8.0, "unit": "a"},
            "half_life_s": 268.0 * year,
            "half_life_err_s": 8.0 * year,
            "normalisation_rel_err": 0.0,
            "daughters": [],
            "notes": "Pure beta-, unique first forbidden, Q = 565 keV; about 1.01 Bq/kg in "
            "atmospheric argon (WARP). No gamma lines.",
            "lines": [],
            "xrays": [],
        },
        {
            "name": "Co-57",
            "library": "ENSDF",
            "evaluation": "ENSDF, as quoted in spec/physics.md",
            "half_life": {"value": 271.74, "uncertainty": 0.06, "unit": "d"},
            "half_life_s": 271.74 * day,
            "half_life_err_s": 0.06 * day,
            "normalisation_rel_err": 0.0,
            "daughters": [],
            "notes": "Alternative to the DDEP record (DDEP: 85.49(14) % at 122 keV).",
            "lines": [
                _line(14.4129, 9.16, 0.15, origin="Fe-57"),
                _line(122.06065, 85.60, 0.17, co57_flags[122.06065], origin="Fe-57"),
                _line(136.47356, 10.68, 0.08, co57_flags[136.47356], origin="Fe-57"),
            ],
            "xrays": [],
        },
        {
            "name": "Cs-137",
            "library": "ENSDF",
            "evaluation": "ENSDF, as quoted in spec/physics.md",
            "half_life": {"value": 30.05, "uncertainty": 0.08, "unit": "a"},
            "half_life_s": 30.05 * year,
            "half_life_err_s": 0.08 * year,
            "normalisation_rel_err": 0.0,
            "daughters": [],
            "notes": "Alternative to the DDEP record; 661.657 keV is emitted by 137mBa in "
            "secular equilibrium.",
            "lines": [_line(661.657, 85.10, 0.20, origin="Ba-137")],
            "xrays": [],
        },
    ]


def build(lara_dir: Path) -> dict[str, Any]:
    """Return the complete table as a JSON-ready dictionary."""
    missing = [n for n in DDEP_NUCLIDES if not (lara_dir / f"{n}.lara.txt").is_file()]
    if missing:
        raise FileNotFoundError(f"{lara_dir}: missing LARA files for {', '.join(missing)}")
    records = [parse_lara(lara_dir / f"{n}.lara.txt") for n in DDEP_NUCLIDES]
    used = {(r["name"], round(line["energy_kev"], 1)) for r in records for line in r["lines"]}
    unused = sorted(set(LINE_FLAGS) - used)
    if unused:
        raise ValueError(f"flags for lines not in the table: {unused}")
    records += ensdf_records()
    for rec in records:
        for line in rec["lines"] + rec["xrays"]:
            for key in ("energy_err_kev", "intensity_err"):
                v = line[key]
                if v is not None and not math.isfinite(v):
                    raise ValueError(f"{rec['name']}: non-finite {key}")
    return {
        "format": "larcal-nuclear-data",
        "version": DATA_VERSION,
        "description": "Gamma lines, x-rays and half-lives of the calibration standards (DDEP) "
        "and of 83Rb/83mKr/39Ar (ENSDF). Intensities are emission probabilities per decay "
        "(fractions, not percent). null means 'not quoted by the source'. Generated by "
        "scripts/build_nuclear_data.py; do not edit by hand.",
        "min_gamma_intensity": MIN_GAMMA_INTENSITY,
        "days_per_year": DAYS_PER_YEAR,
        "default_library": "DDEP",
        "libraries": LIBRARIES,
        "flag_definitions": FLAG_DEFINITIONS,
        "nuclides": records,
    }


def dumps(table: dict[str, Any]) -> str:
    """Serialise the table deterministically."""
    return json.dumps(table, indent=1, ensure_ascii=False, allow_nan=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lara-dir", type=Path, default=DEFAULT_LARA_DIR)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    text = dumps(build(args.lara_dir))
    args.out.write_text(text, encoding="utf-8")
    sys.stderr.write(f"wrote {args.out} ({len(text)} bytes)\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
