"""Reader of Canberra Genie-2000 ``.CNF`` (CAM) binary spectra.

What to use when
----------------
``read_cnf(path)`` for ``.CNF`` files; ``parse_cnf(data, path)`` for bytes in memory.

Canberra never published the CAM format. This reader follows the open readers that agree on
it: becquerel ``becquerel/parsers/cnf.py`` (LBNL, BSD-style licence), which is based on xylib
``xylib/canberra_cnf.cpp`` (M. Wojdyr, LGPL), and S. Messlinger's ``cnfconv``
``cnf_file_format.txt``. All offsets are little-endian; ``S`` is the start of a section::

    0x70 + 0x30 k   section table entry k: uint32 id at +0x00, uint32 file offset at +0x0A;
                    the table ends at id 0
    id 0x12000      parameter section (first one: acquisition; a second one, when present,
                    holds the energy calibration, as in becquerel/xylib)
      S+0x22 uint16  o1 = offset of the calibration record;  S+0x24 uint16 o2 = of the times
      S+0xB0 "PHA"   acquisition mode;  S+0xBA uint16 = number of channels / 256
      S+0x30+o2+0x01 uint64 start: 100 ns ticks since 1858-11-17 (local time, naive)
      S+0x30+o2+0x09 uint64 real time, S+0x30+o2+0x11 live time: bitwise NOT of 100 ns ticks
      S+0x30+o1+0x44 4 x PDP-11 float32 energy coefficients A0..A3 (retried at o1 = 0 when
                    A1 == 0, as becquerel/xylib do);  +0x5C unit string;  +0x9C MCA type
      S+0x30+o1+0xDC 4 x PDP-11 float32 FWHM coefficients (Genie's FWHM model, kept in
                    ``extra["fwhm_coefficients"]``, not in ``shape_cal``)
    id 0x12001      sample strings: title at S+0x30 (64 chars), id at S+0x70 (64),
                    type at S+0xB0 (16), description at S+0x36E (256)
    id 0x12005      channel data: n x uint32 at S+0x200

Each section starts by repeating its id; a mismatch is reported as corruption. The energy
calibration is applied to 0-based channel indices, as becquerel does (cnfconv prints it
against 1-based channel numbers; Genie's own convention is not documented publicly).
"""

from __future__ import annotations

import math
import os
import struct
from datetime import datetime, timedelta
from typing import Any

from analysis_core.errors import SpectrumFormatError
from analysis_core.hpge.readers._common import build_spectrum, make_calibration, read_bytes
from analysis_core.hpge.spectrum import Spectrum

__all__ = [
    "CAM_EPOCH",
    "FORMAT",
    "SECTION_CHANNELS",
    "SECTION_PARAMETERS",
    "SECTION_SAMPLE",
    "SECTION_TABLE_OFFSET",
    "looks_like_cnf",
    "parse_cnf",
    "pdp11_float",
    "read_cnf",
]

FORMAT = "canberra-cnf"
SECTION_TABLE_OFFSET = 0x70
SECTION_PARAMETERS = 0x12000
SECTION_SAMPLE = 0x12001
SECTION_CHANNELS = 0x12005
#: Origin of CAM absolute times (the Modified Julian Date epoch).
CAM_EPOCH = datetime(1858, 11, 17)
_ENTRY = 0x30
_ENERGY_UNITS = {"kev": 1.0, "mev": 1000.0, "ev": 1e-3}


def read_cnf(path: str | os.PathLike[str]) -> list[Spectrum]:
    """Read a Genie ``.CNF`` file; return a list with its one spectrum.

    Raises
    ------
    SpectrumFormatError
        For a missing section, a section outside the file, a bad channel count or times.
    """
    return [parse_cnf(read_bytes(path), path)]


def looks_like_cnf(head: bytes) -> bool:
    """Return True when ``head`` starts with a CAM section table holding a known section."""
    off = SECTION_TABLE_OFFSET
    while off + _ENTRY <= len(head):
        sid = struct.unpack_from("<I", head, off)[0]
        if sid == 0:
            return False
        if sid in (SECTION_PARAMETERS, SECTION_SAMPLE, SECTION_CHANNELS):
            return True
        off += _ENTRY
    return False


def pdp11_float(data: bytes, offset: int) -> float:
    """Decode the 32-bit DEC PDP-11 (VAX F) float at ``offset``.

    Bytes ``b0 b1 b2 b3``: sign = bit 7 of b1, 8-bit exponent (bias 128) = b1[6:0] b0[7],
    mantissa 0.1fff... with hidden leading bit = b0[6:0] b3 b2. Exponent 0 means zero.
    """
    b0, b1, b2, b3 = data[offset : offset + 4]
    sign = -1.0 if b1 & 0x80 else 1.0
    exponent = ((b1 & 0x7F) << 1) | (b0 >> 7)
    if exponent == 0:
        return 0.0
    mantissa = (0x80 | (b0 & 0x7F)) / 256.0 + b3 / 65536.0 + b2 / 16777216.0
    return sign * math.ldexp(mantissa, exponent - 128)


def parse_cnf(data: bytes, path: str | os.PathLike[str] = "<bytes>") -> Spectrum:
    """Parse the bytes of a ``.CNF`` file (layout in the module docstring)."""
    sections = _section_table(data, path)
    params = sections.get(SECTION_PARAMETERS, [])
    chans = sections.get(SECTION_CHANNELS, [])
    if not params:
        raise SpectrumFormatError(path, "no parameter section (id 0x12000)")
    if not chans:
        raise SpectrumFormatError(path, "no channel-data section (id 0x12005)")
    acq = params[0]
    enc = params[1] if len(params) > 1 else acq
    _need(data, acq, 0xBC, path, "parameter section")
    o1, o2 = struct.unpack_from("<HH", data, acq + 0x22)
    mode = data[acq + 0xB0 : acq + 0xB3]
    n = 256 * struct.unpack_from("<H", data, acq + 0xBA)[0]
    if n == 0:
        raise SpectrumFormatError(path, "parameter section gives 0 channels")

    times = acq + 0x30 + o2 + 1
    _need(data, times, 24, path, "acquisition times")
    start_ticks, real_raw, live_raw = struct.unpack_from("<QQQ", data, times)
    real = _duration_s(real_raw)
    live = _duration_s(live_raw)
    if not (real > 0 and live > 0):
        raise SpectrumFormatError(path, f"unreadable real/live time ({real!r} s, {live!r} s)")
    start = None
    if start_ticks not in (0, 0xFFFFFFFFFFFFFFFF):
        start = CAM_EPOCH + timedelta(microseconds=start_ticks // 10)

    warnings: list[str] = []
    extra: dict[str, Any] = {"acquisition_mode": mode.decode("latin-1").strip("\x00 ")}
    cal_rec = enc + 0x30 + o1
    _need(data, cal_rec, 0xEC, path, "calibration record")
    coeffs = [pdp11_float(data, cal_rec + 0x44 + 4 * i) for i in range(4)]
    if coeffs[1] == 0.0 and o1:
        cal_rec = enc + 0x30
        coeffs = [pdp11_float(data, cal_rec + 0x44 + 4 * i) for i in range(4)]
    unit = _string(data, cal_rec + 0x5C, 8) or "keV"
    extra["energy_unit"] = unit
    scale = _ENERGY_UNITS.get(unit.lower())
    cal = None
    if scale is None:
        warnings.append(f"energy unit {unit!r} is not an energy; calibration ignored")
    else:
        cal = make_calibration([c * scale for c in coeffs], "CNF", warnings)
    extra["fwhm_coefficients"] = tuple(pdp11_float(data, cal_rec + 0xDC + 4 * i) for i in range(4))
    extra["mca_type"] = _string(data, cal_rec + 0x9C, 16)
    detector = _string(data, cal_rec + 0x30C, 8) if cal_rec + 0x314 <= len(data) else ""

    title = ""
    if SECTION_SAMPLE in sections:
        sam = sections[SECTION_SAMPLE][0]
        title = _string(data, sam + 0x30, 64)
        for key, off, size in (("sample_id", 0x70, 64), ("sample_type", 0xB0, 16)):
            extra[key] = _string(data, sam + off, size)
        extra["sample_description"] = _string(data, sam + 0x36E, 256)

    chan = chans[0]
    _need(data, chan + 0x200, 4 * n, path, f"channel data ({n} channels)")
    counts = struct.unpack_from(f"<{n}I", data, chan + 0x200)
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
        detector=detector,
        title=title,
        extra=extra,
    )


def _section_table(data: bytes, path: str | os.PathLike[str]) -> dict[int, list[int]]:
    sections: dict[int, list[int]] = {}
    off = SECTION_TABLE_OFFSET
    while True:
        if off + 0x0E > len(data):
            raise SpectrumFormatError(
                path, f"truncated: section table runs past the end of the file at {off:#x}"
            )
        sid = struct.unpack_from("<I", data, off)[0]
        if sid == 0:
            break
        start = struct.unpack_from("<I", data, off + 0x0A)[0]
        if sid in (SECTION_PARAMETERS, SECTION_SAMPLE, SECTION_CHANNELS):
            if start + 4 > len(data):
                raise SpectrumFormatError(
                    path, f"truncated: section {sid:#x} at {start:#x} is past the end of the file"
                )
            if struct.unpack_from("<I", data, start)[0] != sid:
                raise SpectrumFormatError(
                    path, f"section {sid:#x} at {start:#x} does not start with its id (corrupt)"
                )
            sections.setdefault(sid, []).append(start)
        off += _ENTRY
    if not sections:
        raise SpectrumFormatError(path, "no known CAM section in the section table (not a .CNF?)")
    return sections


def _need(data: bytes, offset: int, size: int, path: str | os.PathLike[str], what: str) -> None:
    if offset + size > len(data):
        raise SpectrumFormatError(
            path,
            f"truncated: {what} needs bytes {offset:#x}..{offset + size:#x}, "
            f"file has {len(data):#x}",
        )


def _duration_s(raw: int) -> float:
    """CAM durations store the bitwise NOT of the number of 100 ns ticks."""
    return float((~raw) & 0xFFFFFFFFFFFFFFFF) * 1e-7


def _string(data: bytes, offset: int, size: int) -> str:
    raw = data[offset : offset + size].split(b"\x00", 1)[0]
    return raw.decode("latin-1").strip()
