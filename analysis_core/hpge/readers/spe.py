"""Reader of ORTEC Maestro ASCII ``.Spe`` spectra (also the IAEA/Genie "SPE" export).

What to use when
----------------
``read_spe(path)`` for any ``$SECTION:``-structured text spectrum; ``parse_spe(text, path)``
when the text is already in memory. Both return a list with one ``Spectrum``.

Layout (ORTEC "File Structures" manual, as written by Maestro 7)::

    $SPEC_ID:      free text (one or more lines)              -> Spectrum.title
    $SPEC_REM:     remarks, e.g. "DET# 9480", "DETDESC# HPGE" -> extra["remarks"], detector
    $DATE_MEA:     mm/dd/yyyy hh:mm:ss (local time)           -> start_time (naive)
    $MEAS_TIM:     live real (seconds)
    $DATA:         first last, then last-first+1 counts (any number per line)
    $ROI:          n, then n lines "start end"                -> extra["rois"]
    $ENER_FIT:     a b            (E = a + b ch, keV)
    $MCA_CAL:      n, then c0 .. c(n-1) [unit]  (preferred over $ENER_FIT)
    $SHAPE_CAL:    n, then s0 .. s(n-1)                       -> shape_cal (verbatim)

``$SHAPE_CAL`` is passed on exactly as written; Maestro files seen so far hold values that are
not a plausible FWHM(channel) polynomial (e.g. ``0.085 -2.01 4.51``), so fit the FWHM from the
peaks rather than trusting it. Minimal files with only ``$SPEC_ID``/``$DATE_MEA``/``$MEAS_TIM``/
``$DATA`` are valid and give an uncalibrated spectrum. When ``$DATA`` starts at channel
``first > 0`` the counts hold channels ``first .. last`` and the calibrations are re-expressed
for ``counts[i]`` = channel ``first + i`` (``extra["first_channel"]``). Sections the reader
does not interpret are kept verbatim in ``extra["sections"]``. Dates in ISO form
(``2018-09-13 08:39:08``) are also taken.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray

from analysis_core.errors import SpectrumFormatError
from analysis_core.hpge.readers._common import (
    build_spectrum,
    decode_text,
    make_calibration,
    parse_iso_datetime,
    read_bytes,
    shift_polynomial,
)
from analysis_core.hpge.spectrum import EnergyCalibration, Spectrum

__all__ = ["FORMAT", "parse_spe", "read_spe"]

FORMAT = "ortec-spe"

_ENERGY_UNITS = {"kev": 1.0, "mev": 1000.0, "ev": 1e-3}
_Lines = list[tuple[int, str]]  # (1-based line number, stripped text)


def read_spe(path: str | os.PathLike[str]) -> list[Spectrum]:
    """Read an ORTEC ``.Spe`` file; return a list with its one spectrum.

    Raises
    ------
    SpectrumFormatError
        Naming the file, the line and the fault for any malformed section.
    """
    return [parse_spe(decode_text(read_bytes(path)), path)]


def parse_spe(text: str, path: str | os.PathLike[str] = "<text>") -> Spectrum:
    """Parse the text of a ``.Spe`` file (see the module docstring for the layout)."""
    sections = _split_sections(text, path)
    if "DATA" not in sections:
        raise SpectrumFormatError(path, "no $DATA: section")
    header_line, data_lines = sections.pop("DATA")
    first, counts = _parse_data(data_lines, header_line, path)

    warnings: list[str] = []
    extra: dict[str, Any] = {}
    title = "\n".join(t for _, t in sections.pop("SPEC_ID", (0, []))[1] if t)
    remarks = [t for _, t in sections.pop("SPEC_REM", (0, []))[1] if t]
    detector = ""
    if remarks:
        extra["remarks"] = remarks
        fields = dict(_remark_field(r) for r in remarks)
        detector = fields.get("DETDESC", "") or fields.get("DET", "")

    live, real = np.nan, np.nan
    if "MEAS_TIM" in sections:
        live, real = _parse_times(sections.pop("MEAS_TIM"), path)
    else:
        warnings.append("no $MEAS_TIM: section; live and real time unknown")
    start = _parse_date(sections.pop("DATE_MEA"), path) if "DATE_MEA" in sections else None

    ener_fit = mca_cal = None
    if "ENER_FIT" in sections:
        ener_fit = _floats(sections.pop("ENER_FIT"), "$ENER_FIT", path, count=2)
        extra["ener_fit"] = tuple(ener_fit)
    if "MCA_CAL" in sections:
        mca_cal, unit = _parse_mca_cal(sections.pop("MCA_CAL"), path)
        extra["mca_cal_unit"] = unit
        scale = _ENERGY_UNITS.get(unit.lower())
        if scale is None:
            warnings.append(f"$MCA_CAL unit {unit!r} is not an energy unit; calibration ignored")
            mca_cal = None
        else:
            mca_cal = [c * scale for c in mca_cal]
    cal: EnergyCalibration | None = None
    if mca_cal is not None:
        cal = make_calibration(mca_cal, "$MCA_CAL", warnings)
    if cal is None and ener_fit is not None:
        cal = make_calibration(ener_fit, "$ENER_FIT", warnings)

    shape = None
    if "SHAPE_CAL" in sections:
        header, lines = sections.pop("SHAPE_CAL")
        shape = _counted_floats((header, lines), "$SHAPE_CAL", path)[0]
    if "ROI" in sections:
        extra["rois"] = _parse_rois(sections.pop("ROI"), path)

    if first:
        extra["first_channel"] = first
        if cal is not None:
            cal = EnergyCalibration(shift_polynomial(cal.coefficients, first), cal.source)
        if shape:
            shape = list(shift_polynomial(shape, first))
    if sections:
        extra["sections"] = {k: "\n".join(t for _, t in v[1]) for k, v in sections.items()}
    if warnings:
        extra["warnings"] = warnings
    return build_spectrum(
        path,
        FORMAT,
        counts,
        live_time_s=live,
        real_time_s=real,
        start_time=start,
        energy_cal=cal,
        shape_cal=shape,
        detector=detector,
        title=title,
        extra=extra,
    )


def _split_sections(text: str, path: str | os.PathLike[str]) -> dict[str, tuple[int, _Lines]]:
    sections: dict[str, tuple[int, _Lines]] = {}
    current: _Lines | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line.startswith("$"):
            if not line.endswith(":"):
                raise SpectrumFormatError(
                    path, f"line {number}: section header {line!r} does not end with ':'"
                )
            name = line[1:-1].strip().upper()
            if name in sections:
                raise SpectrumFormatError(path, f"line {number}: section ${name}: repeated")
            current = []
            sections[name] = (number, current)
        elif current is not None:
            current.append((number, line))
        elif line:
            raise SpectrumFormatError(
                path, f"line {number}: text before the first $SECTION: header (not a .Spe file?)"
            )
    if not sections:
        raise SpectrumFormatError(path, "no $SECTION: headers (not a .Spe file)")
    return sections


def _parse_data(
    lines: _Lines, header_line: int, path: str | os.PathLike[str]
) -> tuple[int, NDArray[np.float64]]:
    body = [(n, t) for n, t in lines if t]
    if not body:
        raise SpectrumFormatError(path, f"line {header_line}: $DATA: has no channel range")
    number, first_line = body[0]
    parts = first_line.split()
    try:
        if len(parts) != 2:
            raise ValueError
        first, last = int(parts[0]), int(parts[1])
    except ValueError:
        raise SpectrumFormatError(
            path, f"line {number}: $DATA range {first_line!r} is not 'first last'"
        ) from None
    if first < 0 or last < first:
        raise SpectrumFormatError(path, f"line {number}: bad $DATA range {first}..{last}")
    expected = last - first + 1
    rest = body[1:]
    tokens = " ".join(t for _, t in rest).split()
    try:
        counts = np.array(tokens, dtype=np.float64)
    except ValueError:
        for n, t in rest:
            for tok in t.split():
                try:
                    float(tok)
                except ValueError:
                    raise SpectrumFormatError(
                        path, f"line {n}: $DATA value {tok!r} is not a number"
                    ) from None
        raise  # pragma: no cover - unreachable: some token failed above
    if counts.size != expected:
        raise SpectrumFormatError(
            path,
            f"$DATA declares channels {first}..{last} ({expected} values) but holds {counts.size}",
        )
    return first, counts


def _floats(
    section: tuple[int, _Lines], name: str, path: str | os.PathLike[str], count: int
) -> list[float]:
    header, lines = section
    tokens = [(n, tok) for n, t in lines for tok in t.split()]
    if len(tokens) < count:
        raise SpectrumFormatError(path, f"line {header}: {name} needs {count} numbers")
    out = []
    for n, tok in tokens[:count]:
        try:
            out.append(float(tok))
        except ValueError:
            raise SpectrumFormatError(
                path, f"line {n}: {name} value {tok!r} is not a number"
            ) from None
    return out


def _counted_floats(
    section: tuple[int, _Lines], name: str, path: str | os.PathLike[str]
) -> tuple[list[float], list[str]]:
    """Parse ``n`` then ``n`` numbers; return the numbers and the tokens that follow."""
    header, lines = section
    tokens = [(n, tok) for n, t in lines for tok in t.split()]
    if not tokens:
        raise SpectrumFormatError(path, f"line {header}: {name} is empty")
    n0, tok0 = tokens[0]
    try:
        count = int(tok0)
    except ValueError:
        raise SpectrumFormatError(
            path, f"line {n0}: {name} coefficient count {tok0!r} is not an integer"
        ) from None
    if count < 1 or len(tokens) < 1 + count:
        raise SpectrumFormatError(
            path, f"line {n0}: {name} declares {count} coefficients, has {len(tokens) - 1}"
        )
    values = []
    for n, tok in tokens[1 : 1 + count]:
        try:
            values.append(float(tok))
        except ValueError:
            raise SpectrumFormatError(
                path, f"line {n}: {name} value {tok!r} is not a number"
            ) from None
    return values, [tok for _, tok in tokens[1 + count :]]


def _parse_mca_cal(
    section: tuple[int, _Lines], path: str | os.PathLike[str]
) -> tuple[list[float], str]:
    values, rest = _counted_floats(section, "$MCA_CAL", path)
    if len(rest) > 1:
        raise SpectrumFormatError(
            path, f"line {section[0]}: $MCA_CAL has {len(rest)} extra values {rest!r}"
        )
    return values, rest[0] if rest else "keV"


def _parse_times(section: tuple[int, _Lines], path: str | os.PathLike[str]) -> tuple[float, float]:
    live, real = _floats(section, "$MEAS_TIM", path, count=2)
    return live, real


def _parse_date(section: tuple[int, _Lines], path: str | os.PathLike[str]) -> datetime | None:
    header, lines = section
    body = [(n, t) for n, t in lines if t]
    if not body:
        return None
    number, text = body[0]
    for fmt in ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y"):
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            pass
    try:
        return parse_iso_datetime(text)
    except ValueError:
        raise SpectrumFormatError(
            path, f"line {number}: $DATE_MEA {text!r} is not 'mm/dd/yyyy hh:mm:ss'"
        ) from None


def _parse_rois(section: tuple[int, _Lines], path: str | os.PathLike[str]) -> list[tuple[int, int]]:
    header, lines = section
    body = [(n, t) for n, t in lines if t]
    try:
        count = int(body[0][1]) if body else 0
        rois = [tuple(int(v) for v in t.split()) for _, t in body[1 : 1 + count]]
        if len(rois) != count or any(len(r) != 2 for r in rois):
            raise ValueError
    except ValueError:
        raise SpectrumFormatError(
            path, f"line {header}: $ROI: is not 'n' followed by n lines 'start end'"
        ) from None
    return [(r[0], r[1]) for r in rois]


def _remark_field(remark: str) -> tuple[str, str]:
    """Split Maestro remarks ``"DETDESC# HPGE"`` into ``("DETDESC", "HPGE")``."""
    key, sep, value = remark.partition("#")
    return (key.strip().upper(), value.strip()) if sep else (remark, "")
