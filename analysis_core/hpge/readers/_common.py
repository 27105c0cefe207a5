"""Shared helpers of the spectrum readers: file access, validation, calibrations, times.

What to use when
----------------
- ``read_bytes(path)`` / ``decode_text(data)``: load a spectrum file, turning OS errors into
  ``SpectrumFormatError`` and decoding text as UTF-8 with a Latin-1 fallback (Windows MCA
  software writes cp1252 remarks).
- ``build_spectrum(...)``: the one place that checks counts and times before a ``Spectrum`` is
  made, so every reader enforces the same contract.
- ``shift_polynomial``: re-express a calibration given for absolute channel numbers when the
  file stores a segment starting at ``first_channel``.
- ``calibration_from_energies``: derive a polynomial calibration from per-channel energies
  (CSV energy columns, N42 ``EnergyBoundaryValues``), accepted only when exact to the printed
  precision.
- ``parse_iso_datetime`` / ``parse_iso_duration_s``: ISO 8601 times as used by N42 and
  RadiaCode (Python 3.10's ``fromisoformat`` does not take ``Z`` or 1-5 fraction digits).
"""

from __future__ import annotations

import logging
import math
import os
import re
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from analysis_core.errors import SpectrumFormatError
from analysis_core.hpge.spectrum import EnergyCalibration, Spectrum

__all__ = [
    "MAX_FILE_BYTES",
    "as_float_array",
    "build_spectrum",
    "calibration_from_energies",
    "decode_text",
    "make_calibration",
    "parse_iso_datetime",
    "parse_iso_duration_s",
    "read_bytes",
    "shift_polynomial",
]

log = logging.getLogger(__name__)

#: Spectrum files are small (a 64k-channel ASCII spectrum is < 1 MB); anything far larger is
#: almost certainly the wrong file (a raw waveform run, say) and is refused before parsing.
MAX_FILE_BYTES = 256 * 1024 * 1024

#: Live and real times above this (about 32 years) come from a misread field, not a measurement.
_MAX_TIME_S = 1.0e9


def read_bytes(path: str | os.PathLike[str]) -> bytes:
    """Return the content of ``path``; raise ``SpectrumFormatError`` when it cannot be read."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise SpectrumFormatError(
                p, f"{size} bytes is too large for a spectrum file (limit {MAX_FILE_BYTES})"
            )
        return p.read_bytes()
    except OSError as exc:
        raise SpectrumFormatError(p, f"cannot read the file ({exc.strerror or exc})") from exc


def decode_text(data: bytes) -> str:
    """Decode a text spectrum file: UTF-8 (with or without BOM), else Latin-1."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def build_spectrum(
    path: str | os.PathLike[str],
    fmt: str,
    counts: ArrayLike,
    *,
    live_time_s: float = math.nan,
    real_time_s: float = math.nan,
    start_time: datetime | None = None,
    energy_cal: EnergyCalibration | None = None,
    shape_cal: Sequence[float] | None = None,
    detector: str = "",
    title: str = "",
    extra: dict[str, Any] | None = None,
    where: str = "",
) -> Spectrum:
    """Check the reader's output and build the ``Spectrum``.

    Parameters
    ----------
    path : str or PathLike
        File the spectrum came from (named in error messages).
    fmt : str
        Reader name stored in ``Spectrum.format``.
    counts : array_like
        Counts per channel; must be 1-D, non-empty, finite and non-negative.
    live_time_s, real_time_s : float
        Acquisition times in seconds, NaN when the file has none; otherwise finite, >= 0 and
        below ~32 years. ``live > real`` is kept but recorded in ``extra["warnings"]``.
    start_time, energy_cal, shape_cal, detector, title, extra
        Passed to ``Spectrum``.
    where : str
        Optional location prefix for messages (``"spectrum 'A1'"``).

    Returns
    -------
    Spectrum

    Raises
    ------
    SpectrumFormatError
        When counts or times break the contract above.
    """
    prefix = f"{where}: " if where else ""
    arr = np.asarray(counts, dtype=np.float64)
    if arr.ndim != 1 or arr.size == 0:
        raise SpectrumFormatError(path, f"{prefix}no channel data")
    bad = ~np.isfinite(arr) | (arr < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise SpectrumFormatError(
            path, f"{prefix}channel {i} holds {float(arr[i])!r}; counts must be finite and >= 0"
        )
    info: dict[str, Any] = dict(extra or {})
    warnings: list[str] = list(info.pop("warnings", []))
    for name, value in (("live time", live_time_s), ("real time", real_time_s)):
        if math.isnan(value):
            continue
        if not math.isfinite(value) or value < 0 or value > _MAX_TIME_S:
            raise SpectrumFormatError(path, f"{prefix}implausible {name} {value!r} s")
    if live_time_s > real_time_s * (1 + 1e-9) + 1e-9:
        warnings.append(f"live time {live_time_s} s exceeds real time {real_time_s} s")
    if warnings:
        info["warnings"] = warnings
        for w in warnings:
            log.warning("%s: %s%s", path, prefix, w)
    arr.setflags(write=False)
    return Spectrum(
        counts=arr,
        live_time_s=float(live_time_s),
        real_time_s=float(real_time_s),
        start_time=start_time,
        energy_cal=energy_cal,
        shape_cal=None if shape_cal is None else tuple(float(s) for s in shape_cal),
        path=str(path),
        format=fmt,
        detector=detector,
        title=title,
        extra=info,
    )


def make_calibration(
    coefficients: Sequence[float], source: str, warnings: list[str] | None = None
) -> EnergyCalibration | None:
    """Return an ``EnergyCalibration``, or None for the "uncalibrated" placeholders MCAs write.

    Files without a real calibration store zeros or a zero gain; those give None, and a note
    is appended to ``warnings`` when one is passed. Trailing zero coefficients are dropped.
    """
    coeffs = [float(c) for c in coefficients]
    while len(coeffs) > 2 and coeffs[-1] == 0.0:
        coeffs.pop()
    if len(coeffs) < 2 or not all(math.isfinite(c) for c in coeffs) or coeffs[1] == 0.0:
        if warnings is not None:
            warnings.append(f"{source} {coefficients!r} is not a usable energy calibration")
        return None
    return EnergyCalibration(tuple(coeffs), source)


def shift_polynomial(coefficients: Sequence[float], offset: float) -> tuple[float, ...]:
    """Return the coefficients of ``p(x + offset)`` given those of ``p(x)`` (lowest first).

    Used when a file stores channels ``first .. last`` and its calibration refers to absolute
    channel numbers: ``counts[i]`` is absolute channel ``first + i``.
    """
    poly = np.polynomial.Polynomial(np.asarray(coefficients, dtype=float))
    shifted = poly(np.polynomial.Polynomial([float(offset), 1.0]))
    out = list(shifted.coef) + [0.0] * (len(coefficients) - len(shifted.coef))
    return tuple(float(c) for c in out[: len(coefficients)])


def calibration_from_energies(
    energies_kev: ArrayLike, resolution_kev: float, source: str
) -> EnergyCalibration | None:
    """Find the lowest-degree polynomial (1..3) that reproduces per-channel energies exactly.

    Parameters
    ----------
    energies_kev : array_like
        Energy of channel ``i`` at position ``i`` (bin centres), at least 2 values.
    resolution_kev : float
        Precision of the stored energies (e.g. 1e-3 keV for three printed decimals). A degree
        is accepted when every residual is within this (rounding to the printed precision
        gives at most half of it), so the calibration is as exact as the file.
    source : str
        Stored in ``EnergyCalibration.source``.

    Returns
    -------
    EnergyCalibration or None
        None when no polynomial of degree <= 3 reproduces the energies; callers then keep the
        energies themselves in ``extra["energies_kev"]``.
    """
    e = np.asarray(energies_kev, dtype=float)
    if e.size < 2 or not np.all(np.isfinite(e)):
        return None
    x = np.arange(e.size, dtype=float)
    tol = max(float(resolution_kev), 1e-9 * float(np.max(np.abs(e))))
    for degree in (1, 2, 3):
        if e.size <= degree:
            break
        # Polynomial.fit rescales x to [-1, 1] internally, which keeps the fit well
        # conditioned for 16k channels; convert() maps back to plain channel powers.
        poly = np.polynomial.Polynomial.fit(x, e, degree).convert()
        coef = list(poly.coef) + [0.0] * (degree + 1 - len(poly.coef))
        if np.max(np.abs(np.polynomial.polynomial.polyval(x, coef) - e)) <= tol:
            return make_calibration(coef, source)
    return None


_ISO_DT = re.compile(
    r"^\s*(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?\s*$",
    re.IGNORECASE,
)


def parse_iso_datetime(text: str) -> datetime:
    """Parse an ISO 8601 date-time; aware when the text has ``Z`` or an offset, else naive.

    Raises
    ------
    ValueError
        When ``text`` is not of the form ``YYYY-MM-DD[Thh:mm[:ss[.fff]]][Z|+hh:mm]``.
    """
    m = _ISO_DT.match(text)
    if not m:
        raise ValueError(f"{text!r} is not an ISO 8601 date-time")
    year, month, day, hh, mm, ss, frac, tz = m.groups()
    micro = int(round(float(f"0.{frac}") * 1e6)) if frac else 0
    second = int(ss or 0)
    if micro >= 1_000_000:  # ".9999996" rounds up to the next second
        micro -= 1_000_000
        second += 1
    tzinfo = None
    if tz:
        if tz.upper() == "Z":
            tzinfo = timezone.utc
        else:
            sign = -1 if tz[0] == "-" else 1
            digits = tz[1:].replace(":", "")
            delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
            tzinfo = timezone(sign * delta)
    base = datetime(int(year), int(month), int(day), int(hh or 0), int(mm or 0), 0, micro, tzinfo)
    return base + timedelta(seconds=second)


_ISO_DURATION = re.compile(
    r"^\s*P(?:(\d+(?:\.\d*)?)D)?(?:T(?:(\d+(?:\.\d*)?)H)?(?:(\d+(?:\.\d*)?)M)?"
    r"(?:(\d+(?:\.\d*)?|\.\d+)S)?)?\s*$",
    re.IGNORECASE,
)


def parse_iso_duration_s(text: str) -> float:
    """Return an ISO 8601 duration (``PT624.5S``, ``P1DT2H``) or a plain number in seconds.

    Years and months are refused: their length in seconds is ambiguous and no MCA writes them.

    Raises
    ------
    ValueError
        When ``text`` is neither a day/time ISO duration nor a plain non-negative number.
    """
    s = text.strip()
    m = _ISO_DURATION.match(s)
    if m and s.upper() not in ("P", "PT"):
        days, hours, minutes, seconds = (float(g) if g else 0.0 for g in m.groups())
        return days * 86400.0 + hours * 3600.0 + minutes * 60.0 + seconds
    try:
        value = float(s)
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 duration (e.g. PT624.5S)") from None
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{text!r} is not a valid duration")
    return value


def as_float_array(tokens: Sequence[str]) -> NDArray[np.float64]:
    """Convert tokens to float64; raise ValueError naming the first bad token."""
    try:
        return np.array([float(t) for t in tokens], dtype=np.float64)
    except ValueError:
        for t in tokens:
            try:
                float(t)
            except ValueError:
                raise ValueError(f"{t!r} is not a number") from None
        raise
