"""ORTEC .Spe reader on small files written by the tests: variants and malformed files."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from analysis_core.errors import SpectrumFormatError
from analysis_core.hpge.readers import read_spectrum


def _spe(
    counts: list[float],
    *,
    first: int = 0,
    cal: str | None = "$MCA_CAL:\n3\n1.000000E+000 2.000000E-001 3.000000E-008 keV\n",
    extra: str = "",
    times: str = "$MEAS_TIM:\n100 120\n",
) -> str:
    data = "\n".join(f"{c:8g}" for c in counts)
    return (
        "$SPEC_ID:\nCo-57 test\n$SPEC_REM:\nDET# 3\nDETDESC# LaBr3 bench\n"
        "$DATE_MEA:\n02/29/2024 23:59:58\n"
        f"{times}$DATA:\n{first} {first + len(counts) - 1}\n{data}\n"
        "$ROI:\n2\n10 20\n30 44\n$PRESETS:\nLive Time\n100\n0\n"
        "$ENER_FIT:\n0.500000 0.250000\n"
        f"{cal or ''}$SHAPE_CAL:\n3\n2.0E+000 1.0E-003 0.0E+000\n{extra}"
    )


def _write(tmp_path: Path, text: str, name: str = "t.Spe", newline: str = "\n") -> Path:
    path = tmp_path / name
    path.write_bytes(text.replace("\n", newline).encode("latin-1"))
    return path


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_full_header_round_trips(tmp_path: Path, newline: str) -> None:
    counts = [0, 1, 5, 17, 123456, 3, 0, 2]
    s = read_spectrum(_write(tmp_path, _spe(counts), newline=newline))
    np.testing.assert_array_equal(s.counts, counts)
    assert s.counts.dtype == np.float64
    assert (s.live_time_s, s.real_time_s) == (100, 120)
    assert s.start_time == datetime(2024, 2, 29, 23, 59, 58)
    assert s.energy_cal.coefficients == (1.0, 0.2, 3e-8)  # $MCA_CAL preferred
    assert s.energy_cal.source == "$MCA_CAL"
    assert s.extra["ener_fit"] == (0.5, 0.25)
    assert s.shape_cal == (2.0, 1e-3, 0.0)
    assert s.title == "Co-57 test"
    assert s.detector == "LaBr3 bench"
    assert s.extra["rois"] == [(10, 20), (30, 44)]
    assert s.extra["sections"]["PRESETS"] == "Live Time\n100\n0"
    assert s.format == "ortec-spe"
    assert "first_channel" not in s.extra


def test_ener_fit_used_without_mca_cal(tmp_path: Path) -> None:
    s = read_spectrum(_write(tmp_path, _spe([1, 2, 3], cal=None)))
    assert s.energy_cal.coefficients == (0.5, 0.25)
    assert s.energy_cal.source == "$ENER_FIT"


def test_zero_gain_mca_cal_falls_back_to_ener_fit(tmp_path: Path) -> None:
    text = _spe([1, 2, 3], cal="$MCA_CAL:\n3\n0 0 0 keV\n")
    s = read_spectrum(_write(tmp_path, text))
    assert s.energy_cal.source == "$ENER_FIT"
    assert any("$MCA_CAL" in w for w in s.extra["warnings"])


def test_mev_unit_is_converted(tmp_path: Path) -> None:
    s = read_spectrum(_write(tmp_path, _spe([1, 2], cal="$MCA_CAL:\n2\n0.001 0.0002 MeV\n")))
    assert s.energy_cal.coefficients == pytest.approx((1.0, 0.2), rel=1e-15)


def test_segment_starting_above_zero_shifts_calibrations(tmp_path: Path) -> None:
    # counts[i] is absolute channel 100 + i: energies must equal the file's polynomial at
    # the absolute channel (exact algebra, so round-off tolerance only).
    s = read_spectrum(_write(tmp_path, _spe([4, 5, 6, 7], first=100)))
    assert s.extra["first_channel"] == 100
    absolute = np.arange(100, 104, dtype=float)
    expected = 1.0 + 0.2 * absolute + 3e-8 * absolute**2
    np.testing.assert_allclose(s.energies_kev(), expected, rtol=1e-14)
    np.testing.assert_allclose(
        np.polynomial.polynomial.polyval(np.arange(4.0), s.shape_cal),
        2.0 + 1e-3 * absolute,
        rtol=1e-14,
    )


def test_missing_times_give_nan_and_a_warning(tmp_path: Path) -> None:
    s = read_spectrum(_write(tmp_path, _spe([1, 2], times="")))
    assert np.isnan(s.live_time_s)
    assert np.isnan(s.real_time_s)
    assert "no $MEAS_TIM" in s.extra["warnings"][0]


def test_several_counts_per_line_and_iso_date(tmp_path: Path) -> None:
    text = "$SPEC_ID:\n\n$DATE_MEA:\n2020-01-02T03:04:05\n$MEAS_TIM:\n1.5 2.5\n$DATA:\n0 5\n1 2 3\n4 5 6\n"
    s = read_spectrum(_write(tmp_path, text, name="x.spe"))
    np.testing.assert_array_equal(s.counts, [1, 2, 3, 4, 5, 6])
    assert s.start_time == datetime(2020, 1, 2, 3, 4, 5)
    assert (s.live_time_s, s.real_time_s) == (1.5, 2.5)
    assert s.energy_cal is None


@pytest.mark.parametrize(
    ("text", "fault"),
    [
        ("$DATA:\n0 4\n1\n2\n3\n", r"channels 0\.\.4 \(5 values\) but holds 3"),
        ("$DATA:\n0 2\n1\n2\n3\n4\n", r"\(3 values\) but holds 4"),
        ("$DATA:\n0 2\n1\nx7\n3\n", r"line 4: \$DATA value 'x7' is not a number"),
        ("$DATA:\n0 2\n1\n-2\n3\n", r"channel 1 holds -2\.0; counts must be finite and >= 0"),
        ("$DATA:\n0 2\n1\nnan\n3\n", r"channel 1 holds nan"),
        ("$DATA:\nzero two\n1\n", r"line 2: \$DATA range 'zero two' is not 'first last'"),
        ("$DATA:\n5 2\n", r"line 2: bad \$DATA range 5\.\.2"),
        ("$DATA:\n", r"line 1: \$DATA: has no channel range"),
        ("$SPEC_ID:\nx\n", r"no \$DATA: section"),
        ("hello\n$DATA:\n0 0\n1\n", r"line 1: text before the first \$SECTION"),
        ("$DATA\n0 0\n1\n", r"line 1: section header '\$DATA' does not end with ':'"),
        ("$DATA:\n0 0\n1\n$DATA:\n0 0\n1\n", r"line 4: section \$DATA: repeated"),
        ("$MEAS_TIM:\n100\n$DATA:\n0 0\n1\n", r"line 1: \$MEAS_TIM needs 2 numbers"),
        ("$MEAS_TIM:\n100 abc\n$DATA:\n0 0\n1\n", r"line 2: \$MEAS_TIM value 'abc'"),
        ("$DATE_MEA:\n13/45/2020 10:00:00\n$DATA:\n0 0\n1\n", r"line 2: \$DATE_MEA '13/45"),
        ("$MCA_CAL:\n3\n1 2 keV\n$DATA:\n0 0\n1\n", r"line 3: \$MCA_CAL value 'keV' is not"),
        (
            "$MCA_CAL:\n3\n1 2\n$DATA:\n0 0\n1\n",
            r"line 2: \$MCA_CAL declares 3 coefficients, has 2",
        ),
        ("$MCA_CAL:\nthree\n$DATA:\n0 0\n1\n", r"line 2: \$MCA_CAL coefficient count 'three'"),
        ("$MCA_CAL:\n2\n1 q keV\n$DATA:\n0 0\n1\n", r"line 3: \$MCA_CAL value 'q'"),
        ("$ROI:\n2\n1 5\n$DATA:\n0 0\n1\n", r"line 1: \$ROI: is not 'n' followed by n lines"),
        ("$MEAS_TIM:\n-5 10\n$DATA:\n0 0\n1\n", r"implausible live time -5\.0 s"),
    ],
)
def test_malformed_spe_names_file_and_fault(tmp_path: Path, text: str, fault: str) -> None:
    path = _write(tmp_path, text, name="bad.Spe")
    with pytest.raises(SpectrumFormatError, match=fault) as info:
        read_spectrum(path)
    assert str(info.value).startswith(f"{path}: ")
    assert info.value.path == str(path)


def test_latin1_remarks_are_read(tmp_path: Path) -> None:
    text = "$SPEC_ID:\nMessung im Labor f\u00fcr \u00b5Ci-Quellen\n$DATA:\n0 0\n7\n"
    s = read_spectrum(_write(tmp_path, text))
    assert s.title == "Messung im Labor f\u00fcr \u00b5Ci-Quellen"


def test_live_above_real_is_kept_with_warning(tmp_path: Path) -> None:
    s = read_spectrum(_write(tmp_path, _spe([1], times="$MEAS_TIM:\n130 120\n")))
    assert s.live_time_s == 130
    assert "exceeds real time" in s.extra["warnings"][0]


def test_unknown_mca_cal_unit_is_not_used_as_energy(tmp_path: Path) -> None:
    s = read_spectrum(_write(tmp_path, _spe([1, 2], cal="$MCA_CAL:\n2\n0 1 channels\n")))
    assert s.energy_cal.source == "$ENER_FIT"
    assert "not an energy unit" in s.extra["warnings"][0]
