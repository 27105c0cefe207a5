"""Reader of ORTEC binary ``.Chn`` spectra (Maestro, UMCBI, PeakEasy exports).

What to use when
----------------
``read_chn(path)`` for ``.Chn`` files; ``parse_chn(data, path)`` for bytes in memory.

Layout (little-endian), following the ORTEC file-structure description as reproduced in
INL's SpecFileLib ``SFChnFile.h`` and cross-checked against SpecUtils' ``SpecFile_chn.cpp``::

    header, 32 bytes
      int16   -1                  file type tag
      int16   MCA number
      int16   segment number
      char[2] start seconds "ss"
      int32   real time, 20 ms ticks
      int32   live time, 20 ms ticks
      char[8] start date "DDMMMYY" + century flag ('1' = 20xx, else 19xx)
      char[4] start time "hhmm"
      uint16  channel offset (absolute number of the first stored channel)
      uint16  number of channels (0 means 65536)
    counts: n x uint32
    optional trailer, 512 bytes
      int16   -101 (linear calibration) or -102 (quadratic)
      int16   reserved
      float32 energy c0, c1, c2 (c2 only with -102), keV
      float32 FWHM s0, s1, s2 (s2 only with -102) -> shape_cal, as stored
      228 bytes reserved
      uint8 + char[63]  detector description
      uint8 + char[63]  sample description
      128 bytes reserved

Counts are returned exactly as stored (no channel is zeroed). The start time is naive (the
acquisition PC's local time). A calibration with zero gain (uncalibrated MCA) gives
``energy_cal=None``. A non-zero channel offset is handled as in ``spe.py``.
"""

from __future__ import annotations

import os
import struct
from datetime import datetime
from typing import Any

import numpy as np

from analysis_core.errors import SpectrumFormatError
from analysis_core.hpge.readers._common import (
    build_spectrum,
    make_calibration,
    read_bytes,
    shift_polynomial,
)
from analysis_core.hpge.spectrum import EnergyCalibration, Spectrum

__all__ = ["FORMAT", "HEADER", "TRAILER_SIZE", "parse_chn", "read_chn"]

FORMAT = "ortec-chn"
#: struct layout of the 32-byte header.
HEADER = struct.Struct("<hhh2sii8s4sHH")
TRAILER_SIZE = 512
_TICK_S = 0.02
_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
    )
}


def read_chn(path: str | os.PathLike[str]) -> list[Spectrum]:
    """Read an ORTEC ``.Chn`` file; return a list with its one spectrum.

    Raises
    ------
    SpectrumFormatError
        For a wrong type tag, a truncated header, counts or trailer, or an unreadable date.
    """
    return [parse_chn(read_bytes(path), path)]


def parse_chn(data: bytes, path: str | os.PathLike[str] = "<bytes>") -> Spectrum:
    """Parse the bytes of a ``.Chn`` file (layout in the module docstring)."""
    if len(data) < HEADER.size:
        raise SpectrumFormatError(
            path, f"truncated: {len(data)} bytes, a .Chn header needs {HEADER.size}"
        )
    tag, mca, segment, sec, real_ticks, live_ticks, date, hhmm, offset, n = HEADER.unpack_from(data)
    if tag != -1:
        raise SpectrumFormatError(path, f"first int16 is {tag}, a .Chn file starts with -1")
    if n == 0:
        n = 65536  # the uint16 count wraps for 64k-channel spectra
    end = HEADER.size + 4 * n
    if len(data) < end:
        raise SpectrumFormatError(
            path, f"truncated: header declares {n} channels ({end} bytes), file has {len(data)}"
        )
    counts = np.frombuffer(data, dtype="<u4", count=n, offset=HEADER.size).astype(np.float64)
    warnings: list[str] = []
    extra: dict[str, Any] = {"mca_number": mca, "segment": segment}
    if real_ticks < 0 or live_ticks < 0:
        raise SpectrumFormatError(
            path, f"negative real/live time ticks ({real_ticks}, {live_ticks})"
        )
    start = _parse_start(date, hhmm, sec, path)

    cal: EnergyCalibration | None = None
    shape: list[float] | None = None
    detector = title = ""
    trailer = data[end:]
    if trailer:
        if len(trailer) < TRAILER_SIZE:
            raise SpectrumFormatError(
                path,
                f"truncated trailer: {len(trailer)} bytes after the counts, "
                f"expected {TRAILER_SIZE}",
            )
        ttag = struct.unpack_from("<h", trailer)[0]
        if ttag in (-101, -102):
            e = struct.unpack_from("<3f", trailer, 4)
            w = struct.unpack_from("<3f", trailer, 16)
            n_coef = 3 if ttag == -102 else 2
            extra["trailer_tag"] = ttag
            cal = make_calibration(e[:n_coef], f"Chn trailer {ttag}", warnings)
            if any(w[:n_coef]):
                shape = [float(x) for x in w[:n_coef]]
            detector = _pascal_string(trailer, 256)
            title = _pascal_string(trailer, 320)
        else:
            warnings.append(f"unknown trailer tag {ttag}; calibration and descriptions ignored")
    if offset:
        extra["first_channel"] = int(offset)
        if cal is not None:
            cal = EnergyCalibration(shift_polynomial(cal.coefficients, offset), cal.source)
        if shape:
            shape = list(shift_polynomial(shape, offset))
    if warnings:
        extra["warnings"] = warnings
    return build_spectrum(
        path,
        FORMAT,
        counts,
        live_time_s=live_ticks * _TICK_S,
        real_time_s=real_ticks * _TICK_S,
        start_time=start,
        energy_cal=cal,
        shape_cal=shape,
        detector=detector,
        title=title,
        extra=extra,
    )


def _parse_start(
    date: bytes, hhmm: bytes, sec: bytes, path: str | os.PathLike[str]
) -> datetime | None:
    raw = date + hhmm + sec
    if not raw.strip(b"\x00 0"):
        return None  # writers without a clock leave the fields blank or zero
    try:
        text = date[:7].decode("ascii")
        day, month, yy = int(text[:2]), _MONTHS[text[2:5].upper()], int(text[5:7])
        century = 2000 if date[7:8] == b"1" else 1900
        hour, minute = int(hhmm[:2]), int(hhmm[2:4])
        second = int(sec.decode("ascii").strip() or 0)
        return datetime(century + yy, month, day, hour, minute, second)
    except (UnicodeDecodeError, KeyError, ValueError):
        raise SpectrumFormatError(
            path,
            f"start date/time {date!r} {hhmm!r} {sec!r} is not 'DDMMMYY' + 'hhmm' + 'ss'",
        ) from None


def _pascal_string(block: bytes, offset: int) -> str:
    """Return the length-prefixed (max 63 characters) string at ``offset``."""
    length = min(block[offset], 63)
    return block[offset + 1 : offset + 1 + length].decode("latin-1").strip("\x00 ").strip()
