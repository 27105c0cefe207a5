"""Reader of plain CSV/TXT spectra: the exchange format for exports from other tools.

What to use when
----------------
``read_csv(path)`` for ``.csv``/``.txt``/``.tsv``/``.dat`` columns; ``parse_csv(text, path)``
for text in memory. Errors name the line (1-based) and the fault, since these files are
often hand-edited.

Accepted forms
--------------
Lines
    Blank lines are skipped. Lines starting with ``#`` are comments.
Metadata comments
    ``# key = value`` or ``# key: value``. Keys are case-insensitive; spaces and hyphens count
    as ``_``; a seconds unit ``(s)``, ``[s]`` or ``_s`` is dropped. Recognised keys:

    - ``live_time`` / ``livetime`` / ``live``: live time in seconds
    - ``real_time`` / ``realtime`` / ``real``: real time in seconds
    - ``start_time`` / ``start`` / ``date``: ISO 8601 (``2018-09-13T08:39:08``, zone optional)
      or ``mm/dd/yyyy hh:mm:ss``
    - ``title`` / ``sample`` / ``description``, and ``detector``
    - ``energy_calibration`` / ``energy_cal`` / ``calibration`` (optionally ``_kev``):
      coefficients ``c0 c1 [c2 [c3]]`` in keV, channel ``i`` = ``i``-th data row, separated by
      spaces, commas or semicolons

    Other ``key = value`` comments are kept in ``extra["metadata"]``.
Separator
    From the first data row: ``;`` if present, else ``,`` if present, else whitespace/tabs.
    With ``;`` a decimal comma (``12,5``) is accepted when no field has a ``.``.
Header row
    The first row is a header when one of its fields is not a number. Column names
    (case-insensitive, optional unit in ``()``/``[]`` or as ``_kev``/``_mev``/``_ev`` suffix):
    channel = ``channel``, ``chan``, ``ch``, ``channel_number``, ``bin``, ``index``;
    energy = ``energy``, ``e`` (keV unless a unit says MeV/eV);
    counts = ``counts``, ``count``, ``cts``, ``data``, ``y``. Other columns are ignored.
Without a header
    1 column: counts. 2 columns: channel and counts when the first column counts up by 1 from
    an integer, else energy [keV] and counts. 3 columns: channel, energy [keV], counts. More
    columns need a header.

A channel column must count up by 1; a first channel ``c > 0`` is kept as
``extra["first_channel"]`` (metadata calibrations refer to absolute channels and are
re-expressed for ``counts[i]``). An energy column is read as bin-centre energies: they are kept
exactly in ``extra["energies_kev"]`` and, when a polynomial of degree <= 3 reproduces them to
their printed precision, also given as ``energy_cal`` (source ``"CSV energy column"``).
"""

from __future__ import annotations

import os
import re
from datetime import datetime
from typing import Any

import numpy as np

from analysis_core.errors import SpectrumFormatError
from analysis_core.hpge.readers._common import (
    build_spectrum,
    calibration_from_energies,
    decode_text,
    make_calibration,
    parse_iso_datetime,
    read_bytes,
    shift_polynomial,
)
from analysis_core.hpge.spectrum import EnergyCalibration, Spectrum

__all__ = ["FORMAT", "parse_csv", "read_csv"]

FORMAT = "csv"

_META_KEYS = {
    **dict.fromkeys(("live_time", "livetime", "live"), "live"),
    **dict.fromkeys(("real_time", "realtime", "real"), "real"),
    **dict.fromkeys(("start_time", "start", "date", "start_date_time", "datetime"), "start"),
    **dict.fromkeys(("title", "sample", "description"), "title"),
    **dict.fromkeys(("detector", "detector_name"), "detector"),
    **dict.fromkeys(
        (
            "energy_calibration",
            "energy_cal",
            "calibration",
            "energy_calibration_kev",
            "energy_cal_kev",
        ),
        "cal",
    ),
}
_CHANNEL = {"channel", "chan", "ch", "channel_number", "channels", "bin", "index"}
_ENERGY = {"energy", "e"}
_COUNTS = {"counts", "count", "cts", "data", "y"}
_ENERGY_UNITS = {"kev": 1.0, "mev": 1000.0, "ev": 1e-3}
_UNIT_SUFFIX = re.compile(r"^(.*?)\s*(?:[\(\[]\s*([^\)\]]*?)\s*[\)\]]|_(kev|mev|ev))$")
_Rows = list[tuple[int, list[str]]]


def read_csv(path: str | os.PathLike[str]) -> list[Spectrum]:
    """Read a CSV/TXT spectrum; return a list with its one spectrum.

    Raises
    ------
    SpectrumFormatError
        Naming the line and the fault (bad number, wrong column count, bad metadata value).
    """
    return [parse_csv(decode_text(read_bytes(path)), path)]


def parse_csv(text: str, path: str | os.PathLike[str] = "<text>") -> Spectrum:
    """Parse CSV/TXT spectrum text (accepted forms in the module docstring)."""
    meta: dict[str, Any] = {}
    other: dict[str, str] = {}
    raw_rows: list[tuple[int, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            _metadata(line[1:], number, path, meta, other)
        else:
            raw_rows.append((number, line))
    if not raw_rows:
        raise SpectrumFormatError(path, "no data rows (only comments or blank lines)")

    sep = _separator(raw_rows[0][1])
    rows: _Rows = [(n, _split(line, sep)) for n, line in raw_rows]
    header_line, header = rows[0]
    has_header = any(not _is_number(f, sep == ";") for f in header)
    if has_header:
        rows = rows[1:]
        if not rows:
            raise SpectrumFormatError(path, f"line {header_line}: header row but no data rows")
    decimal_comma = sep == ";" and not any("." in f for _, r in rows for f in r)
    table, texts = _to_table(rows, len(header), decimal_comma, path)
    if has_header:
        roles = _roles_from_header(header, header_line, path)
    else:
        roles = _roles_by_position(table, header_line, path)

    extra: dict[str, Any] = {}
    warnings: list[str] = []
    counts = table[:, roles["counts"][0]]
    first = 0
    if "channel" in roles:
        first = _check_channels(table[:, roles["channel"][0]], [n for n, _ in rows], path)
        if first:
            extra["first_channel"] = first
    cal: EnergyCalibration | None = None
    if "cal" in meta:
        cal = make_calibration(meta["cal"], "CSV metadata", warnings)
        if cal is not None and first:
            cal = EnergyCalibration(shift_polynomial(cal.coefficients, first), cal.source)
    if "energy" in roles:
        col, scale = roles["energy"]
        energies = table[:, col] * scale
        extra["energies_kev"] = energies
        resolution = scale * max(_quantum(texts[i][col]) for i in range(len(texts)))
        fitted = calibration_from_energies(energies, resolution, "CSV energy column")
        if fitted is None:
            warnings.append("energy column is not a polynomial of degree <= 3 in channel")
        cal = cal or fitted
    if other:
        extra["metadata"] = other
    if warnings:
        extra["warnings"] = warnings
    return build_spectrum(
        path,
        FORMAT,
        counts,
        live_time_s=meta.get("live", np.nan),
        real_time_s=meta.get("real", np.nan),
        start_time=meta.get("start"),
        energy_cal=cal,
        detector=meta.get("detector", ""),
        title=meta.get("title", ""),
        extra=extra,
    )


def _metadata(
    body: str,
    number: int,
    path: str | os.PathLike[str],
    meta: dict[str, Any],
    other: dict[str, str],
) -> None:
    positions = [p for p in (body.find("="), body.find(":")) if p > 0]
    if not positions:
        return  # a plain comment
    cut = min(positions)
    key_raw, value = body[:cut].strip(), body[cut + 1 :].strip()
    key = re.sub(r"\s*[\(\[]\s*s\s*[\)\]]\s*$", "", key_raw.lower())
    key = re.sub(r"[^0-9a-z]+", "_", key).strip("_")
    key = key.removesuffix("_s")
    role = _META_KEYS.get(key)
    if role is None:
        if key and value:
            other[key_raw] = value
        return
    try:
        if role in ("live", "real"):
            meta[role] = float(value)
        elif role == "start":
            meta[role] = _parse_start(value)
        elif role == "cal":
            meta[role] = [float(v) for v in re.split(r"[\s,;]+", value) if v]
        else:
            meta[role] = value
    except ValueError:
        raise SpectrumFormatError(
            path, f"line {number}: metadata {key_raw!r} has unreadable value {value!r}"
        ) from None


def _parse_start(value: str) -> datetime:
    text = value.replace(", ", " ")
    for fmt in ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M"):
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            pass
    return parse_iso_datetime(text)


def _separator(line: str) -> str | None:
    if ";" in line:
        return ";"
    if "," in line:
        return ","
    return None


def _split(line: str, sep: str | None) -> list[str]:
    fields = [f.strip() for f in line.split(sep)] if sep else line.split()
    while fields and fields[-1] == "":
        fields.pop()  # spreadsheet exports often end rows with a separator
    return fields


def _is_number(field: str, decimal_comma: bool) -> bool:
    try:
        float(field.replace(",", ".") if decimal_comma else field)
    except ValueError:
        return False
    return True


def _to_table(
    rows: _Rows, width: int, decimal_comma: bool, path: str | os.PathLike[str]
) -> tuple[np.ndarray, list[list[str]]]:
    table = np.empty((len(rows), width), dtype=np.float64)
    texts: list[list[str]] = []
    for i, (n, fields) in enumerate(rows):
        if len(fields) != width:
            raise SpectrumFormatError(
                path, f"line {n}: expected {width} columns, found {len(fields)}"
            )
        if decimal_comma:
            fields = [f.replace(",", ".") for f in fields]
        for j, f in enumerate(fields):
            try:
                table[i, j] = float(f)
            except ValueError:
                raise SpectrumFormatError(
                    path, f"line {n}: column {j + 1} value {f!r} is not a number"
                ) from None
        texts.append(fields)
    return table, texts


def _roles_from_header(
    header: list[str], number: int, path: str | os.PathLike[str]
) -> dict[str, tuple[int, float]]:
    roles: dict[str, tuple[int, float]] = {}
    for j, name in enumerate(header):
        m = _UNIT_SUFFIX.match(name.strip().lower())
        base, unit = (m.group(1), m.group(2) or m.group(3)) if m else (name.strip().lower(), None)
        base = re.sub(r"[^0-9a-z]+", "_", base).strip("_")
        role, scale = None, 1.0
        if base in _CHANNEL:
            role = "channel"
        elif base in _ENERGY:
            role = "energy"
            scale = _ENERGY_UNITS.get((unit or "kev").strip(), np.nan)
            if np.isnan(scale):
                raise SpectrumFormatError(
                    path, f"line {number}: energy unit {unit!r} of column {name!r} not understood"
                )
        elif base in _COUNTS:
            role = "counts"
        if role is None:
            continue
        if role in roles:
            raise SpectrumFormatError(path, f"line {number}: two {role} columns in the header")
        roles[role] = (j, scale)
    if "counts" not in roles:
        raise SpectrumFormatError(
            path,
            f"line {number}: no counts column in header {header!r} "
            f"(accepted names: {', '.join(sorted(_COUNTS))})",
        )
    return roles


def _roles_by_position(
    table: np.ndarray, number: int, path: str | os.PathLike[str]
) -> dict[str, tuple[int, float]]:
    width = table.shape[1]
    if width == 1:
        return {"counts": (0, 1.0)}
    if width == 2:
        first = table[:, 0]
        is_channel = bool(np.all(first == np.round(first)) and np.all(np.diff(first) == 1.0))
        return {"channel" if is_channel else "energy": (0, 1.0), "counts": (1, 1.0)}
    if width == 3:
        return {"channel": (0, 1.0), "energy": (1, 1.0), "counts": (2, 1.0)}
    raise SpectrumFormatError(
        path, f"line {number}: {width} columns without a header row; add a header naming them"
    )


def _check_channels(channels: np.ndarray, lines: list[int], path: str | os.PathLike[str]) -> int:
    if channels[0] != np.round(channels[0]) or channels[0] < 0:
        raise SpectrumFormatError(
            path, f"line {lines[0]}: channel {float(channels[0])!r} is not a non-negative integer"
        )
    bad = np.flatnonzero(np.diff(channels) != 1.0)
    if bad.size:
        i = int(bad[0]) + 1
        raise SpectrumFormatError(
            path,
            f"line {lines[i]}: channel {float(channels[i])!r} does not follow "
            f"{float(channels[i - 1])!r}",
        )
    return int(channels[0])


def _quantum(token: str) -> float:
    """Return the last printed decimal place of ``token`` (``"12.345"`` -> 1e-3)."""
    mantissa, _, exponent = token.lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    return 10.0 ** (int(exponent or 0) - decimals)
