"""N42.42 reader on documents written by the tests (2011 edition with CountedZeroes, 2006
edition variants), the CountedZeroes expansion and the ISO 8601 time parsers."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

from analysis_core.errors import SpectrumFormatError
from analysis_core.hpge.readers import detect_format, read_spectra
from analysis_core.hpge.readers._common import parse_iso_datetime, parse_iso_duration_s
from analysis_core.hpge.readers.n42 import expand_counted_zeroes

N42_2011_NS = "http://physics.nist.gov/N42/2011/N42"


def counted_zeroes(counts) -> str:
    """Independent CountedZeroes compressor: each run of zeros becomes '0 <run length>'."""
    out: list[str] = []
    run = 0
    for c in counts:
        if c == 0:
            run += 1
            continue
        if run:
            out += ["0", str(run)]
            run = 0
        out.append(f"{c:g}")
    if run:
        out += ["0", str(run)]
    return " ".join(out)


RNG = np.random.default_rng(2)
# Sparse spectra (most channels empty) so the compression matters; one ends in zeros.
GE_FG = np.where(RNG.random(64) < 0.3, RNG.integers(1, 500, 64), 0)
NAI_FG = np.r_[np.where(RNG.random(60) < 0.5, RNG.integers(1, 50, 60), 0), [0, 0, 0, 0]]
GE_BG = np.where(RNG.random(64) < 0.1, 1, 0)
NAI_BG = np.zeros(64, dtype=int)
NAI_BG[10] = 7
EDGES = 2.0 + 3.0 * (np.arange(65) - 0.5)  # NaI edges: centres exactly 2 + 3 ch keV


def n42_2011() -> str:
    def spectrum(sid, det, cal, counts, live):
        return (
            f'<Spectrum id="{sid}" radDetectorInformationReference="{det}" '
            f'energyCalibrationReference="{cal}" FWHMCalibrationReference="FW-{det}">'
            f"<Remark>{sid} remark</Remark>"
            f"<LiveTimeDuration>{live}</LiveTimeDuration>"
            f'<ChannelData compressionCode="CountedZeroes">{counted_zeroes(counts)}</ChannelData>'
            "</Spectrum>"
        )

    return f"""<?xml version="1.0" encoding="UTF-8"?>
<!-- written by test_readers_n42 -->
<RadInstrumentData xmlns="{N42_2011_NS}" n42DocUUID="d72b7fa7-4a20-43d4-b1b2-7e1e4e8e1b1a">
  <RadInstrumentInformation id="RII"><RadInstrumentManufacturerName>Test</RadInstrumentManufacturerName></RadInstrumentInformation>
  <RadDetectorInformation id="DetGe"><RadDetectorName>Ge-1</RadDetectorName>
    <RadDetectorCategoryCode>Gamma</RadDetectorCategoryCode></RadDetectorInformation>
  <RadDetectorInformation id="DetNaI"><RadDetectorName>NaI-2</RadDetectorName></RadDetectorInformation>
  <EnergyCalibration id="ECGe"><CoefficientValues>-1.5 0.5 1e-6</CoefficientValues></EnergyCalibration>
  <EnergyCalibration id="ECNaI"><EnergyBoundaryValues>{" ".join(f"{e:g}" for e in EDGES)}</EnergyBoundaryValues></EnergyCalibration>
  <FWHMCalibration id="FW-DetGe"><EnergyValues>100 1000</EnergyValues><FWHMValues>0.9 1.8</FWHMValues></FWHMCalibration>
  <FWHMCalibration id="FW-DetNaI"><EnergyValues>662</EnergyValues><FWHMValues>45</FWHMValues></FWHMCalibration>
  <RadMeasurement id="M1">
    <MeasurementClassCode>Foreground</MeasurementClassCode>
    <StartDateTime>2003-11-22T23:45:19-07:00</StartDateTime>
    <RealTimeDuration>PT60S</RealTimeDuration>
    {spectrum("M1-Ge", "DetGe", "ECGe", GE_FG, "PT59.61S")}
    {spectrum("M1-NaI", "DetNaI", "ECNaI", NAI_FG, "PT0H0M58.5S")}
    <GrossCounts id="M1-N" radDetectorInformationReference="DetNaI"><LiveTimeDuration>PT60S</LiveTimeDuration><CountData>3</CountData></GrossCounts>
  </RadMeasurement>
  <RadMeasurement id="M2">
    <MeasurementClassCode>Background</MeasurementClassCode>
    <StartDateTime>2003-11-22T20:00:00Z</StartDateTime>
    <RealTimeDuration>PT1H</RealTimeDuration>
    {spectrum("M2-Ge", "DetGe", "ECGe", GE_BG, "PT3599S")}
    {spectrum("M2-NaI", "DetNaI", "ECNaI", NAI_BG, "PT3590S")}
  </RadMeasurement>
  <DerivedData id="D1"><Spectrum id="D1-sum" radDetectorInformationReference="DetGe" energyCalibrationReference="ECGe">
    <LiveTimeDuration>PT3658.61S</LiveTimeDuration><RealTimeDuration>PT3660S</RealTimeDuration>
    <ChannelData>{" ".join(str(c) for c in GE_FG + GE_BG)}</ChannelData></Spectrum></DerivedData>
</RadInstrumentData>
"""


def test_n42_2011_several_detectors_counted_zeroes(tmp_path: Path) -> None:
    path = tmp_path / "portal.n42"
    path.write_text(n42_2011())
    assert detect_format(path) == "n42"
    spectra = read_spectra(path)
    assert [s.detector for s in spectra] == ["Ge-1", "NaI-2", "Ge-1", "NaI-2", "Ge-1"]
    for s, expected in zip(spectra, [GE_FG, NAI_FG, GE_BG, NAI_BG, GE_FG + GE_BG], strict=True):
        np.testing.assert_array_equal(s.counts, expected)
        assert s.format == "n42"
    ge, nai, ge_bg, nai_bg, total = spectra
    fg_start = datetime(2003, 11, 22, 23, 45, 19, tzinfo=timezone(timedelta(hours=-7)))
    assert ge.start_time == fg_start
    assert ge.start_time == datetime(2003, 11, 23, 6, 45, 19, tzinfo=timezone.utc)
    assert (ge.live_time_s, ge.real_time_s) == (59.61, 60.0)
    assert (nai.live_time_s, nai.real_time_s) == (58.5, 60.0)
    assert (ge_bg.live_time_s, ge_bg.real_time_s) == (3599.0, 3600.0)
    assert [s.extra["role"] for s in spectra[:4]] == ["foreground"] * 2 + ["background"] * 2
    assert ge_bg.start_time == datetime(2003, 11, 22, 20, 0, tzinfo=timezone.utc)
    assert ge.energy_cal.coefficients == (-1.5, 0.5, 1e-6)
    # Edges printed with %g are exact here, so the linear fit reproduces them to round-off.
    assert nai.energy_cal.coefficients == pytest.approx((2.0, 3.0), abs=1e-9)
    assert nai.energy_cal.source == "N42 EnergyBoundaryValues"
    assert ge.extra["fwhm_kev_points"] == ((100.0, 0.9), (1000.0, 1.8))
    assert ge.title == "M1-Ge remark"
    assert ge.extra["n42_edition"] == "2011"
    assert total.extra["derived"] is True
    assert total.real_time_s == 3660.0
    assert total.start_time is None


def test_n42_2011_nonpolynomial_edges_are_kept(tmp_path: Path) -> None:
    text = n42_2011().replace(
        " ".join(f"{e:g}" for e in EDGES), " ".join(f"{e:g}" for e in np.sqrt(np.arange(65.0)))
    )
    path = tmp_path / "sqrt.n42"
    path.write_text(text)
    nai = read_spectra(path)[1]
    assert nai.energy_cal is None
    centres = 0.5 * (np.sqrt(np.arange(64.0)) + np.sqrt(np.arange(1.0, 65.0)))
    np.testing.assert_allclose(nai.extra["energies_kev"], centres, rtol=1e-5)  # %g: 6 digits
    assert "not a polynomial" in nai.extra["warnings"][0]


N42_2006 = """<?xml version="1.0"?>
<N42InstrumentData>
 <Calibration Type="Energy" ID="cal-e" EnergyUnits="MeV">
  <Equation Model="Polynomial"><Coefficients>0.001, 0.0005</Coefficients></Equation>
 </Calibration>
 <Calibration Type="Energy" ID="cal-frf" EnergyUnits="keV">
  <Equation Model="FullRangeFraction"><Coefficients>10 3000 400 0 0</Coefficients></Equation>
 </Calibration>
 <Calibration Type="FWHM" ID="cal-w" FWHMUnits="keV">
  <Equation Model="Polynomial"><Coefficients>0.5 0.01</Coefficients></Equation>
 </Calibration>
 <Measurement UUID="abc-123">
  <Spectrum Detector="Ge" CalibrationIDs="cal-e cal-w">
   <StartTime>2020-06-01T10:00:00</StartTime>
   <LiveTime>PT100S</LiveTime><RealTime>PT2M</RealTime><SourceType>Background</SourceType>
   <Remark>bench test</Remark>
   <ChannelData Compression="None">0 1 2 3</ChannelData>
  </Spectrum>
  <DetectorData><StartTime>2020-06-02T10:00:00Z</StartTime><SampleRealTime>PT30S</SampleRealTime>
   <Spectrum Detector="LaBr" CalibrationIDs="cal-frf">
    <LiveTime>29.5</LiveTime><ChannelData>5 6 7 8 9 10 11 12</ChannelData>
   </Spectrum>
  </DetectorData>
 </Measurement>
</N42InstrumentData>
"""


def test_n42_2006_referenced_calibrations_and_inheritance(tmp_path: Path) -> None:
    path = tmp_path / "bench.xml"
    path.write_text(N42_2006)
    assert detect_format(path) == "n42"
    ge, labr = read_spectra(path)
    np.testing.assert_array_equal(ge.counts, [0, 1, 2, 3])  # "0 1" is not expanded here
    assert ge.energy_cal.coefficients == pytest.approx((1.0, 0.5), rel=1e-15)  # MeV -> keV
    assert ge.extra["fwhm_calibration"] == {"model": "Polynomial", "coefficients": (0.5, 0.01)}
    assert ge.shape_cal is None  # FWHM in keV vs channel is not shape_cal (channels)
    assert (ge.live_time_s, ge.real_time_s) == (100.0, 120.0)
    assert ge.start_time == datetime(2020, 6, 1, 10)
    assert ge.extra["role"] == "background"
    assert ge.extra["uuid"] == "abc-123"
    assert ge.title == "bench test"
    # Inherited from the enclosing DetectorData: start time and SampleRealTime.
    assert labr.start_time == datetime(2020, 6, 2, 10, tzinfo=timezone.utc)
    assert (labr.live_time_s, labr.real_time_s) == (29.5, 30.0)
    # FullRangeFraction with x = ch / 8: E = 10 + 3000 x + 400 x^2.
    ch = np.arange(8.0)
    np.testing.assert_allclose(labr.energies_kev(), 10 + 3000 * ch / 8 + 400 * (ch / 8) ** 2)


@pytest.mark.parametrize(
    ("text", "fault"),
    [
        ("<N42InstrumentData><Spectrum>", r"invalid XML"),
        ("<Other/>", r"root element <Other> is not an N42\.42 document"),
        ("<N42InstrumentData/>", r"no <Spectrum> element"),
        (
            "<N42InstrumentData><Spectrum Detector='X'/></N42InstrumentData>",
            r"spectrum 0 \(detector 'X'\): no <ChannelData>",
        ),
        (
            "<N42InstrumentData><Spectrum><LiveTime>PTxS</LiveTime>"
            "<ChannelData>1</ChannelData></Spectrum></N42InstrumentData>",
            r"spectrum 0: <LiveTime> 'PTxS' is not an ISO 8601 duration",
        ),
        (
            "<N42InstrumentData><Spectrum><ChannelData Compression='CountedZeroes'>"
            "1 2 0</ChannelData></Spectrum></N42InstrumentData>",
            r"<ChannelData>: value 2 is a 0 without a following zero count",
        ),
        (
            "<N42InstrumentData><Spectrum><ChannelData>1 two 3</ChannelData>"
            "</Spectrum></N42InstrumentData>",
            r"<ChannelData>: 'two' is not a number",
        ),
        (
            "<N42InstrumentData><Spectrum><ChannelData Compression='LZW'>1</ChannelData>"
            "</Spectrum></N42InstrumentData>",
            r"unsupported compression 'LZW'",
        ),
        (
            "<N42InstrumentData><Spectrum CalibrationIDs='nope'><ChannelData>1</ChannelData>"
            "</Spectrum></N42InstrumentData>",
            r"CalibrationIDs names unknown calibration 'nope'",
        ),
        (
            "<N42InstrumentData><Spectrum><ChannelData>1 -4</ChannelData>"
            "</Spectrum></N42InstrumentData>",
            r"spectrum 0: channel 1 holds -4\.0",
        ),
    ],
)
def test_n42_malformed(tmp_path: Path, text: str, fault: str) -> None:
    path = tmp_path / "bad.n42"
    path.write_text(text)
    with pytest.raises(SpectrumFormatError, match=fault) as info:
        read_spectra(path, format="n42")
    assert str(info.value).startswith(f"{path}: ")


def test_n42_2011_edge_count_mismatch(tmp_path: Path) -> None:
    path = tmp_path / "edges.n42"
    path.write_text(n42_2011().replace(f"{EDGES[-1]:g}</Energy", "</Energy"))
    with pytest.raises(SpectrumFormatError, match=r"has 64 values for 64 channels"):
        read_spectra(path)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([5, 0, 3, 7], [5, 0, 0, 0, 7]),
        ([0, 2, 0, 1, 4], [0, 0, 0, 4]),  # a zero right after a zero count
        ([1, 0, 1, 0, 2], [1, 0, 0, 0]),
        ([3, 4], [3, 4]),
        ([0.5, 0, 2, 1.5], [0.5, 0, 0, 1.5]),
    ],
)
def test_expand_counted_zeroes(values, expected) -> None:
    out = expand_counted_zeroes(np.array(values, dtype=float))
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("values", [[1, 0], [0, 2.5, 1], [0, 0, 1], [0, -3]])
def test_expand_counted_zeroes_rejects_bad_counts(values) -> None:
    with pytest.raises(ValueError, match="zero count|without a following"):
        expand_counted_zeroes(np.array(values, dtype=float))


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("PT624.5S", 624.5),
        ("PT1H2M3.5S", 3723.5),
        ("P1DT1S", 86401.0),
        ("PT.5S", 0.5),
        (" pt10m ", 600.0),
        ("629.17", 629.17),
    ],
)
def test_iso_durations(text: str, seconds: float) -> None:
    assert parse_iso_duration_s(text) == seconds


@pytest.mark.parametrize("text", ["P1Y", "P2M", "PT", "P", "-5", "PT-5S", "5 s", "nan"])
def test_iso_durations_refused(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_iso_duration_s(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2010-04-17T17:33:19.409Z", datetime(2010, 4, 17, 17, 33, 19, 409000, timezone.utc)),
        ("2022-05-13T08:05:32", datetime(2022, 5, 13, 8, 5, 32)),
        ("2022-05-13 08:05", datetime(2022, 5, 13, 8, 5)),
        ("2022-05-13", datetime(2022, 5, 13)),
        (
            "2020-12-31T23:59:59.9999996+01:00",
            datetime(2021, 1, 1, 0, 0, tzinfo=timezone(timedelta(hours=1))),
        ),
        (
            "2003-11-22T23:45:19-0700",
            datetime(2003, 11, 22, 23, 45, 19, tzinfo=timezone(timedelta(hours=-7))),
        ),
    ],
)
def test_iso_datetimes(text: str, expected: datetime) -> None:
    got = parse_iso_datetime(text)
    assert got == expected
    assert got.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize("text", ["13/09/2018", "2018-13-01", "yesterday", "2018-09-13T25:00"])
def test_iso_datetimes_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_iso_datetime(text)
