"""CSV/TXT, TKA and RadiaCode readers on files written by the tests, and format detection."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from analysis_core.errors import SpectrumFormatError
from analysis_core.hpge.readers import FORMATS, detect_format, read_spectra, read_spectrum


def _write(tmp_path: Path, text: str, name: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# ------------------------------------------------------------------------------------ CSV


def test_csv_counts_only_with_metadata(tmp_path: Path) -> None:
    text = (
        "# exported by hand\n"
        "# live_time_s = 600\n"
        "# Real time (s): 610.5\n"
        "# start_time: 2024-01-02T03:04:05\n"
        "# title = Co-57 at 10 cm\n"
        "# Detector: LaBr3 #2\n"
        "# energy_calibration = 0.5, 0.25\n"
        "# operator = A. Physicist\n"
        "\n12\n0\n7.5\n3\n"
    )
    s = read_spectrum(_write(tmp_path, text, "spec.csv"))
    np.testing.assert_array_equal(s.counts, [12, 0, 7.5, 3])
    assert (s.live_time_s, s.real_time_s) == (600, 610.5)
    assert s.start_time == datetime(2024, 1, 2, 3, 4, 5)
    assert s.title == "Co-57 at 10 cm"
    assert s.detector == "LaBr3 #2"
    assert s.energy_cal.coefficients == (0.5, 0.25)
    assert s.energy_cal.source == "CSV metadata"
    assert s.extra["metadata"] == {"operator": "A. Physicist"}
    assert s.format == "csv"


def test_csv_channel_counts_header_with_offset_and_trailing_commas(tmp_path: Path) -> None:
    text = "# calibration: 1 0.5 0.001\nChannel,Counts,\n10,4,\n11,5,\n12,6,\n"
    s = read_spectrum(_write(tmp_path, text, "seg.csv"))
    np.testing.assert_array_equal(s.counts, [4, 5, 6])
    assert s.extra["first_channel"] == 10
    ch = np.array([10.0, 11.0, 12.0])  # metadata calibration refers to absolute channels
    np.testing.assert_allclose(s.energies_kev(), 1 + 0.5 * ch + 0.001 * ch**2, rtol=1e-14)
    assert np.isnan(s.live_time_s)


def test_csv_energy_counts_without_header_derives_calibration(tmp_path: Path) -> None:
    ch = np.arange(50)
    energies = 3.25 + 0.731 * ch + 2.5e-4 * ch**2
    rows = "\n".join(f"{e:.3f}\t{c}" for e, c in zip(energies, range(50), strict=True))
    s = read_spectrum(_write(tmp_path, rows, "e.txt"))
    np.testing.assert_array_equal(s.counts, np.arange(50))
    assert s.energy_cal.source == "CSV energy column"
    assert len(s.energy_cal.coefficients) == 3  # quadratic needed, cubic not
    # Three printed decimals: rounding error <= 5e-4 keV; the fit must stay within 1e-3.
    np.testing.assert_allclose(s.energies_kev(), energies, atol=1e-3)
    np.testing.assert_array_equal(s.extra["energies_kev"], np.round(energies, 3))


def test_csv_semicolon_decimal_comma_mev_header(tmp_path: Path) -> None:
    text = "channel;Energy (MeV);Counts\n0;0,1000;0\n1;0,6000;2\n2;1,1000;4\n3;1,6000;6\n"
    s = read_spectrum(_write(tmp_path, text, "eu.csv"))
    np.testing.assert_array_equal(s.counts, [0, 2, 4, 6])
    assert s.energy_cal.coefficients == pytest.approx((100.0, 500.0), abs=1e-9)
    np.testing.assert_allclose(s.extra["energies_kev"], [100, 600, 1100, 1600])


def test_csv_three_columns_without_header_and_extra_columns_with_header(tmp_path: Path) -> None:
    s = read_spectrum(_write(tmp_path, "0 1.0 5\n1 2.0 6\n2 3.0 7\n", "three.dat"))
    np.testing.assert_array_equal(s.counts, [5, 6, 7])
    assert s.energy_cal.coefficients == pytest.approx((1.0, 1.0), abs=1e-12)
    text = "n_ignored channel energy_keV counts rate(1/s)\n9 0 1.5 10 0.1\n9 1 2.5 20 0.2\n"
    s = read_spectrum(_write(tmp_path, text, "cnf2txt.txt"))
    np.testing.assert_array_equal(s.counts, [10, 20])
    assert s.energy_cal.coefficients == pytest.approx((1.5, 1.0), abs=1e-12)


def test_csv_two_columns_not_consecutive_read_as_energy(tmp_path: Path) -> None:
    s = read_spectrum(_write(tmp_path, "0,1\n2,1\n4,1\n", "x.csv"))
    assert s.energy_cal.coefficients == pytest.approx((0.0, 2.0), abs=1e-12)
    assert "first_channel" not in s.extra


def test_csv_non_polynomial_energies_are_kept(tmp_path: Path) -> None:
    e = np.sqrt(np.arange(1.0, 40.0)) * 100
    s = read_spectrum(_write(tmp_path, "".join(f"{v:.4f},1\n" for v in e), "sqrt.csv"))
    assert s.energy_cal is None
    np.testing.assert_allclose(s.extra["energies_kev"], e, atol=5e-5)
    assert "not a polynomial" in s.extra["warnings"][0]


@pytest.mark.parametrize(
    ("text", "fault"),
    [
        ("1,2\n3,4\n5\n", r"line 3: expected 2 columns, found 1"),
        ("# c\n1\n2\nabc\n", r"line 4: column 1 value 'abc' is not a number"),
        ("channel,rate\n0,1\n", r"line 1: no counts column in header \['channel', 'rate'\]"),
        ("1 2 3 4\n", r"line 1: 4 columns without a header row"),
        ("ch,counts\n0,1\n1,1\n3,1\n", r"line 4: channel 3\.0 does not follow 1\.0"),
        ("ch,counts\n0.5,1\n1.5,1\n", r"line 2: channel 0\.5 is not a non-negative integer"),
        ("# live_time_s = ten\n1\n", r"line 1: metadata 'live_time_s' has unreadable value 'ten'"),
        ("# start: 31/12/2020\n1\n", r"line 1: metadata 'start' has unreadable value"),
        ("# only comments\n\n", r"no data rows"),
        ("channel,counts\n", r"line 1: header row but no data rows"),
        ("energy (furlong),counts\n1,1\n", r"energy unit 'furlong' of column"),
        ("counts,cts\n1,1\n", r"line 1: two counts columns"),
        ("counts\n1\n-1\n", r"channel 1 holds -1\.0"),
    ],
)
def test_csv_malformed_names_the_line(tmp_path: Path, text: str, fault: str) -> None:
    path = _write(tmp_path, text, "bad.csv")
    with pytest.raises(SpectrumFormatError, match=fault) as info:
        read_spectrum(path)
    assert str(info.value).startswith(f"{path}: ")


# ------------------------------------------------------------------------------------ TKA


def test_tka_synthetic(tmp_path: Path) -> None:
    path = tmp_path / "x.TKA"
    path.write_bytes(b"300\r\n305.5\r\n0\r\n4\r\n\r\n9\r\n")
    s = read_spectrum(path)
    np.testing.assert_array_equal(s.counts, [0, 4, 9])
    assert (s.live_time_s, s.real_time_s) == (300, 305.5)
    assert s.format == "tka"


@pytest.mark.parametrize(
    ("text", "fault"),
    [
        ("300\n305\n1\nabc\n", r"line 4: 'abc' is not a number"),
        ("300\n305\n1 2\n", r"line 3: '1 2' is not a single number"),
        ("300\n305\n", r"2 numbers; a \.TKA file holds live time, real time, then counts"),
    ],
)
def test_tka_malformed(tmp_path: Path, text: str, fault: str) -> None:
    path = _write(tmp_path, text, "bad.tka")
    with pytest.raises(SpectrumFormatError, match=fault):
        read_spectrum(path)


# ------------------------------------------------------------------------------ RadiaCode


def radiacode_xml(
    *, n_declared: int = 4, order: int = 2, coeff: str = "0.00813342", bg_start: str = ""
) -> str:
    def block(tag: str, name: str, points, time_s: int) -> str:
        data = "".join(f"<DataPoint>{p}</DataPoint>\n" for p in points)
        return (
            f"<{tag}><NumberOfChannels>{n_declared}</NumberOfChannels>"
            f"<SpectrumName>{name}</SpectrumName><SerialNumber>RC-102-000001</SerialNumber>"
            f"<EnergyCalibration><PolynomialOrder>{order}</PolynomialOrder><Coefficients>"
            f"<Coefficient>1.9060767</Coefficient><Coefficient>9.45942</Coefficient>"
            f"<Coefficient>{coeff}</Coefficient></Coefficients></EnergyCalibration>"
            f"<MeasurementTime>{time_s}</MeasurementTime><Spectrum>{data}</Spectrum></{tag}>"
        )

    return (
        '<?xml version="1.0"?>\n<ResultDataFile xmlns:xsd="http://www.w3.org/2001/XMLSchema">'
        "<FormatVersion>120920</FormatVersion><ResultDataList><ResultData>"
        "<DeviceConfigReference><Name>RadiaCode-102</Name></DeviceConfigReference>"
        "<BackgroundSpectrumFile>Room</BackgroundSpectrumFile>"
        "<StartTime>2023-02-21T10:09:00</StartTime><EndTime>2023-02-21T11:10:21</EndTime>"
        + block("EnergySpectrum", "Co-57 bench", [0, 5, 17, 2], 3681)
        + bg_start
        + block("BackgroundEnergySpectrum", "Room", [1, 1, 0, 0], 4333)
        + "<Visible>true</Visible></ResultData></ResultDataList></ResultDataFile>"
    )


def test_radiacode_synthetic_start_times_belong_to_the_next_spectrum(tmp_path: Path) -> None:
    path = _write(tmp_path, radiacode_xml(), "rc.xml")
    assert detect_format(path) == "radiacode"
    fg, bg = read_spectra(path)
    np.testing.assert_array_equal(fg.counts, [0, 5, 17, 2])
    np.testing.assert_array_equal(bg.counts, [1, 1, 0, 0])
    assert fg.start_time == datetime(2023, 2, 21, 10, 9)
    assert fg.extra["end_time"] == "2023-02-21T11:10:21"
    assert fg.extra["background_file"] == "Room"
    assert bg.start_time is None  # the foreground's start is not inherited
    assert bg.title == "Room (background)"
    assert (bg.live_time_s, bg.real_time_s) == (4333, 4333)
    assert fg.extra["live_time_note"].startswith("file stores clock time only")
    assert fg.detector == "RadiaCode-102 RC-102-000001"
    path = _write(
        tmp_path, radiacode_xml(bg_start="<StartTime>2023-02-20T09:00:00</StartTime>"), "b.xml"
    )
    assert read_spectra(path)[1].start_time == datetime(2023, 2, 20, 9)


@pytest.mark.parametrize(
    ("text", "fault"),
    [
        (radiacode_xml(n_declared=5), r"NumberOfChannels is 5 but 4 DataPoint values"),
        (radiacode_xml(order=3), r"PolynomialOrder 3 but 3 coefficients"),
        (radiacode_xml(coeff="x1"), r"<Coefficient> 'x1' is not a number"),
        (radiacode_xml().replace("<DataPoint>17<", "<DataPoint>1 7<"), r"<DataPoint> 2 '1 7'"),
        (
            "<ResultDataFile><FormatVersion>1</FormatVersion></ResultDataFile>",
            "no <EnergySpectrum>",
        ),
        ("<ResultDataFile>", r"invalid XML"),
    ],
)
def test_radiacode_malformed(tmp_path: Path, text: str, fault: str) -> None:
    path = _write(tmp_path, text, "bad.xml")
    with pytest.raises(SpectrumFormatError, match=fault) as info:
        read_spectra(path, format="radiacode")
    assert str(info.value).startswith(f"{path}: ")


# ------------------------------------------------------------------------------ detection


def test_formats_table_lists_every_reader() -> None:
    assert set(FORMATS) == {
        "ortec-spe",
        "ortec-chn",
        "canberra-cnf",
        "n42",
        "tka",
        "radiacode",
        "csv",
    }
    for extensions, description in FORMATS.values():
        assert all(e.startswith(".") and e == e.lower() for e in extensions)
        assert description


def test_content_wins_over_extension(tmp_path: Path) -> None:
    spe = _write(tmp_path, "$SPEC_ID:\nx\n$DATA:\n0 1\n3\n4\n", "looks_like.txt")
    assert detect_format(spe) == "ortec-spe"
    assert read_spectrum(spe).counts.tolist() == [3.0, 4.0]
    rc = _write(tmp_path, radiacode_xml(), "rc.n42")
    assert detect_format(rc) == "radiacode"


def test_explicit_format_overrides_detection(tmp_path: Path) -> None:
    path = _write(tmp_path, "60\n61\n5\n6\n", "tka_saved_as.txt")
    assert detect_format(path) == "csv"
    s = read_spectrum(path, format="tka")
    assert (s.live_time_s, s.real_time_s, s.counts.tolist()) == (60, 61, [5.0, 6.0])


def test_detection_and_api_errors(tmp_path: Path) -> None:
    unknown = _write(tmp_path, "1\n2\n", "spectrum.xyz")
    with pytest.raises(SpectrumFormatError, match=r"unknown spectrum format .*'\.xyz'"):
        read_spectrum(unknown)
    xml = _write(tmp_path, "<?xml version='1.0'?><!-- c --><svg/>", "pic.xml")
    with pytest.raises(SpectrumFormatError, match=r"XML root <svg> is not a known spectrum"):
        detect_format(xml)
    with pytest.raises(SpectrumFormatError, match=r"unknown format 'mca'; known: "):
        read_spectra(unknown, format="mca")
    missing = tmp_path / "missing.Spe"
    with pytest.raises(SpectrumFormatError, match=r"missing\.Spe: cannot read the file"):
        read_spectrum(missing)
    with pytest.raises(SpectrumFormatError, match=r"cannot read the file"):
        detect_format(missing)
    two = _write(tmp_path, radiacode_xml(), "two.xml")
    assert read_spectrum(two, index=-1).extra["role"] == "background"
    with pytest.raises(SpectrumFormatError, match=r"holds 2 spectra; there is no spectrum index 2"):
        read_spectrum(two, index=2)
