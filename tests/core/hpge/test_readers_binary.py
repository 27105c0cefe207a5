"""ORTEC .Chn and Canberra .CNF readers against files written here by independent writers.

No real .Chn/.CNF files are available, so each test writes one with ``struct`` following the
published layouts (ORTEC header/trailer as in INL SpecFileLib ``SFChnFile.h``; CAM sections
as in becquerel/xylib and Messlinger's ``cnf_file_format.txt``) and checks that every field
comes back. Float32 fields are compared at rel 1e-7 (float32 has a 24-bit mantissa, 6e-8).
"""

from __future__ import annotations

import math
import struct
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from analysis_core.errors import SpectrumFormatError
from analysis_core.hpge.readers import detect_format, read_spectrum
from analysis_core.hpge.readers.cnf import pdp11_float

F32 = 1e-7
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def chn_bytes(
    counts,
    *,
    real_s=123.46,
    live_s=120.02,
    start=datetime(2021, 8, 19, 15, 16, 55),
    offset=0,
    tag=-102,
    ecal=(0.5, 0.25, 2.0**-20),
    fwhm=(1.5, 0.001, 0.0),
    detector="DSPEC-50 HPGe",
    sample="Eu-152 S/N 129753",
    n_field=None,
) -> bytes:
    date = f"{start.day:02d}{MONTHS[start.month - 1]}{start.year % 100:02d}"
    date += "1" if start.year >= 2000 else "0"
    header = struct.pack(
        "<hhh2sii8s4sHH",
        -1,
        2,
        1,
        f"{start.second:02d}".encode(),
        round(real_s / 0.02),
        round(live_s / 0.02),
        date.encode(),
        f"{start.hour:02d}{start.minute:02d}".encode(),
        offset,
        len(counts) if n_field is None else n_field,
    )
    body = struct.pack(f"<{len(counts)}I", *counts)
    if tag is None:
        return header + body
    trailer = struct.pack(
        "<hh3f3f228xB63sB63s128x",
        tag,
        0,
        *ecal,
        *fwhm,
        len(detector),
        detector.encode(),
        len(sample),
        sample.encode(),
    )
    assert len(trailer) == 512
    return header + body + trailer


def test_chn_every_field_round_trips(tmp_path: Path) -> None:
    counts = np.random.default_rng(1).integers(0, 2**32 - 1, 1024, dtype=np.uint64)
    path = tmp_path / "eu.Chn"
    path.write_bytes(chn_bytes(counts.tolist()))
    assert detect_format(path) == "ortec-chn"
    s = read_spectrum(path)
    assert s.format == "ortec-chn"
    np.testing.assert_array_equal(s.counts, counts.astype(float))  # full uint32 range
    assert s.real_time_s == pytest.approx(123.46, rel=1e-12)  # 6173 ticks of 20 ms
    assert s.live_time_s == pytest.approx(120.02, rel=1e-12)
    assert s.start_time == datetime(2021, 8, 19, 15, 16, 55)
    assert s.energy_cal.coefficients == pytest.approx((0.5, 0.25, 2.0**-20), rel=F32)
    assert s.shape_cal == pytest.approx((1.5, 0.001, 0.0), rel=F32)
    assert s.detector == "DSPEC-50 HPGe"
    assert s.title == "Eu-152 S/N 129753"
    assert s.extra["mca_number"] == 2
    assert s.extra["segment"] == 1
    assert s.extra["trailer_tag"] == -102


def test_chn_linear_trailer_ignores_third_coefficient(tmp_path: Path) -> None:
    path = tmp_path / "a.chn"
    path.write_bytes(chn_bytes([1, 2, 3, 4], tag=-101, ecal=(1.0, 0.5, 99.0), fwhm=(2, 0, 7)))
    s = read_spectrum(path)
    assert s.energy_cal.coefficients == (1.0, 0.5)
    assert s.shape_cal == (2.0, 0.0)


def test_chn_without_trailer_or_clock(tmp_path: Path) -> None:
    path = tmp_path / "bare.chn"
    data = bytearray(chn_bytes([5, 6], tag=None))
    data[6:8] = b"00"
    data[16:28] = b"\x00" * 12  # blank date and time, as clock-less writers leave them
    path.write_bytes(bytes(data))
    s = read_spectrum(path)
    np.testing.assert_array_equal(s.counts, [5, 6])
    assert s.energy_cal is None
    assert s.start_time is None


def test_chn_twentieth_century_flag(tmp_path: Path) -> None:
    path = tmp_path / "old.chn"
    path.write_bytes(chn_bytes([1], start=datetime(1998, 12, 31, 23, 59, 1)))
    assert read_spectrum(path).start_time == datetime(1998, 12, 31, 23, 59, 1)


def test_chn_channel_offset_shifts_calibration(tmp_path: Path) -> None:
    path = tmp_path / "seg.chn"
    path.write_bytes(chn_bytes([1, 2, 3], offset=2048, ecal=(0.5, 0.25, 2.0**-20)))
    s = read_spectrum(path)
    assert s.extra["first_channel"] == 2048
    absolute = np.arange(2048, 2051, dtype=float)
    np.testing.assert_allclose(
        s.energies_kev(), 0.5 + 0.25 * absolute + 2.0**-20 * absolute**2, rtol=1e-12
    )


def test_chn_zero_channel_field_means_65536(tmp_path: Path) -> None:
    path = tmp_path / "big.chn"
    path.write_bytes(chn_bytes([3] * 65536, n_field=0))
    s = read_spectrum(path)
    assert s.n_channels == 65536
    assert s.counts.sum() == 3 * 65536


@pytest.mark.parametrize(
    ("mutate", "fault"),
    [
        (lambda b: b[:20], r"truncated: 20 bytes, a \.Chn header needs 32"),
        (lambda b: b[: 32 + 4 * 10], r"truncated: header declares 16 channels \(96 bytes\)"),
        (lambda b: b[:-100], r"truncated trailer: 412 bytes after the counts, expected 512"),
        (lambda b: b"\x01\x00" + b[2:], r"first int16 is 1, a \.Chn file starts with -1"),
        (lambda b: b[:18] + b"Xyz" + b[21:], r"start date/time b'19Xyz211'"),
    ],
)
def test_chn_malformed(tmp_path: Path, mutate, fault: str) -> None:
    path = tmp_path / "bad.Chn"
    path.write_bytes(mutate(chn_bytes(list(range(16)))))
    with pytest.raises(SpectrumFormatError, match=fault) as info:
        read_spectrum(path)
    assert str(info.value).startswith(f"{path}: ")


def test_chn_unknown_trailer_tag_is_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "odd.chn"
    path.write_bytes(chn_bytes([1, 2], tag=-1))
    s = read_spectrum(path)
    assert s.energy_cal is None
    assert "unknown trailer tag -1" in s.extra["warnings"][0]


# ----------------------------------------------------------------------------- CNF


def pdp11_bytes(x: float) -> bytes:
    """Encode a float as DEC PDP-11 F (exponent bias 128, hidden 0.1 bit, words swapped)."""
    if x == 0:
        return bytes(4)
    m, e = math.frexp(abs(x))  # x = m 2^e, 0.5 <= m < 1
    exp = e + 128
    frac = round((m - 0.5) * 2**24)
    if frac == 2**23:
        frac, exp = 0, exp + 1
    b0 = ((exp & 1) << 7) | ((frac >> 16) & 0x7F)
    b1 = (0x80 if x < 0 else 0) | (exp >> 1)
    return bytes([b0, b1, frac & 0xFF, (frac >> 8) & 0xFF])


def pdp11_via_ieee(b: bytes) -> float:
    """Messlinger's cnf2txt decoding: swap the 16-bit words, read IEEE float32, divide by 4."""
    return struct.unpack("<f", b[2:4] + b[0:2])[0] / 4.0


def test_pdp11_decoder_known_values() -> None:
    # 1.0 is written 80 40 00 00 by SpecUtils' CAMIO (its default efficiency/geometry blocks).
    assert pdp11_float(bytes([0x80, 0x40, 0, 0]), 0) == 1.0
    assert pdp11_float(bytes(4), 0) == 0.0
    rng = np.random.default_rng(7)
    for x in np.r_[rng.normal(0, 1e3, 200), rng.uniform(-1e-6, 1e-6, 50), 0.182920552715]:
        raw = pdp11_bytes(float(x))
        assert pdp11_float(raw, 0) == pytest.approx(pdp11_via_ieee(raw), rel=1e-15)
        assert pdp11_float(raw, 0) == pytest.approx(float(x), rel=F32)


CAM_EPOCH = datetime(1858, 11, 17)
P, S, C = 0x200, 0x800, 0x1000  # section offsets of the test files
O1, O2 = 0x200, 0x100  # calibration and times record offsets inside the parameter section


def cnf_bytes(
    counts,
    *,
    real_s=1234.5678,
    live_s=1200.25,
    start=datetime(2019, 3, 4, 5, 6, 7, 890000),
    ecal=(0.5, 0.25, 1e-5, 0.0),
    unit="keV",
    fwhm=(1.2, 0.03, 0.0, 0.0),
    second_param=None,
    cal_at_record_start=False,
) -> bytearray:
    n = len(counts)
    size = C + 0x200 + 4 * n
    second = 0x1C00
    if second_param is not None:
        size = max(size, second + 0x600)
    buf = bytearray(size)
    entries = [(0x12000, P), (0x12001, S), (0x12005, C)]
    if second_param is not None:
        entries.append((0x12000, second))
    for k, (sid, off) in enumerate(entries):
        struct.pack_into("<I", buf, 0x70 + 0x30 * k, sid)
        struct.pack_into("<I", buf, 0x70 + 0x30 * k + 0x0A, off)

    def param_section(at: int, coeffs) -> None:
        struct.pack_into("<IHH", buf, at, 0x12000, 0, 0)
        struct.pack_into("<HH", buf, at + 0x22, O1, O2)
        buf[at + 0xB0 : at + 0xB4] = b"PHA "
        struct.pack_into("<H", buf, at + 0xBA, n // 256)
        ticks = (start - CAM_EPOCH) // timedelta(microseconds=1) * 10
        mask = 2**64 - 1
        real_raw = ~round(real_s * 1e7) & mask
        live_raw = ~round(live_s * 1e7) & mask
        struct.pack_into("<QQQ", buf, at + 0x30 + O2 + 1, ticks, real_raw, live_raw)
        rec = at + 0x30 + (0 if cal_at_record_start else O1)
        for i, c in enumerate(coeffs):
            buf[rec + 0x44 + 4 * i : rec + 0x48 + 4 * i] = pdp11_bytes(c)
            buf[rec + 0xDC + 4 * i : rec + 0xE0 + 4 * i] = pdp11_bytes(fwhm[i])
        buf[rec + 0x5C : rec + 0x5C + len(unit)] = unit.encode()
        buf[rec + 0x9C : rec + 0x9C + 8] = b"DSA-1000"
        buf[rec + 0x30C : rec + 0x314] = b"Ge      "

    param_section(P, ecal if second_param is None else (0.0, 0.0, 0.0, 0.0))
    if second_param is not None:
        param_section(second, second_param)
    struct.pack_into("<I", buf, S, 0x12001)
    for off, text in ((0x30, "Kr-83 source HPGe assay"), (0x70, "RB83-07"), (0xB0, "POINT")):
        buf[S + off : S + off + len(text)] = text.encode()
    buf[S + 0x36E : S + 0x36E + 12] = b"10 cm, lead "
    struct.pack_into("<I", buf, C, 0x12005)
    struct.pack_into(f"<{n}I", buf, C + 0x200, *counts)
    return buf


def test_cnf_every_field_round_trips(tmp_path: Path) -> None:
    counts = np.random.default_rng(3).integers(0, 2**32 - 1, 512, dtype=np.uint64)
    path = tmp_path / "assay.CNF"
    path.write_bytes(cnf_bytes(counts.tolist()))
    assert detect_format(path) == "canberra-cnf"
    s = read_spectrum(path)
    assert s.format == "canberra-cnf"
    np.testing.assert_array_equal(s.counts, counts.astype(float))
    # 100 ns ticks: exact to 1e-7 s, i.e. rel 1e-12 at these durations
    assert s.real_time_s == pytest.approx(1234.5678, rel=1e-12)
    assert s.live_time_s == pytest.approx(1200.25, rel=1e-12)
    assert s.start_time == datetime(2019, 3, 4, 5, 6, 7, 890000)
    assert s.energy_cal.coefficients == pytest.approx((0.5, 0.25, 1e-5), rel=F32)
    assert s.energy_cal.source == "CNF"
    assert s.extra["fwhm_coefficients"] == pytest.approx((1.2, 0.03, 0.0, 0.0), rel=F32)
    assert s.shape_cal is None
    assert s.title == "Kr-83 source HPGe assay"
    assert s.extra["sample_id"] == "RB83-07"
    assert s.extra["sample_type"] == "POINT"
    assert s.extra["sample_description"] == "10 cm, lead"
    assert s.extra["mca_type"] == "DSA-1000"
    assert s.extra["acquisition_mode"] == "PHA"
    assert s.detector == "Ge"


def test_cnf_second_parameter_section_holds_calibration(tmp_path: Path) -> None:
    path = tmp_path / "two.cnf"
    path.write_bytes(cnf_bytes([1] * 256, second_param=(1.0, 0.125, 0.0, 0.0)))
    assert read_spectrum(path).energy_cal.coefficients == (1.0, 0.125)


def test_cnf_calibration_at_record_start_fallback(tmp_path: Path) -> None:
    path = tmp_path / "alt.cnf"
    path.write_bytes(cnf_bytes([1] * 256, cal_at_record_start=True))
    assert read_spectrum(path).energy_cal.coefficients == pytest.approx((0.5, 0.25, 1e-5), F32)


def test_cnf_mev_calibration_and_uncalibrated(tmp_path: Path) -> None:
    path = tmp_path / "mev.cnf"
    path.write_bytes(cnf_bytes([1] * 256, ecal=(0.001, 0.0005, 0.0, 0.0), unit="MeV"))
    assert read_spectrum(path).energy_cal.coefficients == pytest.approx((1.0, 0.5), rel=F32)
    path.write_bytes(cnf_bytes([1] * 256, ecal=(0.0, 0.0, 0.0, 0.0)))
    s = read_spectrum(path)
    assert s.energy_cal is None
    assert "not a usable energy calibration" in s.extra["warnings"][0]


def _cut(b: bytearray, n: int) -> bytes:
    return bytes(b[:n])


def _set(offset: int, raw: bytes):
    def mutate(b: bytearray) -> bytes:
        b[offset : offset + len(raw)] = raw
        return bytes(b)

    return mutate


@pytest.mark.parametrize(
    ("mutate", "fault"),
    [
        (lambda b: _cut(b, C + 0x200 + 100), r"truncated: channel data \(256 channels\)"),
        (lambda b: _cut(b, 0x78), r"truncated: section table runs past the end"),
        (lambda b: _cut(b, 0x100), r"truncated: section 0x12000 at 0x200 is past the end"),
        (_set(0x70 + 0x30 * 2, bytes(4)), r"no channel-data section \(id 0x12005\)"),
        (_set(S, b"\x07\x00\x00\x00"), r"section 0x12001 at 0x800 does not start with its id"),
        (_set(0x70 + 0x0A, struct.pack("<I", 10**7)), r"section 0x12000 at 0x989680 is past"),
        (_set(P + 0xBA, b"\x00\x00"), r"parameter section gives 0 channels"),
        (_set(P + 0x30 + O2 + 9, bytes(8)), r"implausible real time"),
        (_set(0x70, bytes(4)), r"no known CAM section"),
    ],
)
def test_cnf_malformed(tmp_path: Path, mutate, fault: str) -> None:
    path = tmp_path / "bad.cnf"
    path.write_bytes(mutate(cnf_bytes([1] * 256)))
    with pytest.raises(SpectrumFormatError, match=fault) as info:
        read_spectrum(path)
    assert str(info.value).startswith(f"{path}: ")


@pytest.mark.parametrize("name", ["noise.cnf", "noise.chn", "noise.spe", "noise.n42"])
def test_garbage_with_a_spectrum_extension_raises(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(np.random.default_rng(11).integers(1, 255, 3000, dtype=np.uint8).tobytes())
    with pytest.raises(SpectrumFormatError) as info:
        read_spectrum(path)
    assert str(info.value).startswith(f"{path}: ")
