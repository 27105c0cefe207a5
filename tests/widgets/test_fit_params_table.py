"""FitParamsTable: rounding to the error, derived rows, goodness of fit, invalid fits."""

from __future__ import annotations

import math

import pytest

from widgets import fit_params_table
from widgets.fit_params_table import FitParamsTable, ParamRow, format_value_error


@pytest.mark.parametrize(
    ("value", "error", "expected"),
    [
        (177.2364, 1.4321, ("177.2", "1.4")),  # two significant digits of the error
        (0.09312, 0.00204, ("0.0931", "0.0020")),  # trailing zero of the error kept
        (12345.6, 234.5, ("12350", "230")),  # errors >= 10: rounded integers
        (6588.1, 31.7, ("6588", "32")),
        (3e-7, 2e-8, ("3.00e-07", "2.0e-08")),  # tiny values: scientific, same last digit
        (1.83, 0.0, ("1.83", "—")),  # no error: value alone
        (1.83, math.nan, ("1.83", "—")),
        (math.nan, 1.0, ("—", "—")),
    ],
)
def test_format_value_error(value, error, expected):
    assert format_value_error(value, error) == expected


@pytest.fixture
def table(qtbot):
    w = FitParamsTable()
    qtbot.addWidget(w)
    return w


def test_valid_fit_with_derived_rows(table):
    table.set_fit(
        [ParamRow("mean", 177.236, 0.412, "PE"), ParamRow("sigma", 16.48, 0.37, "PE")],
        derived=[ParamRow("sigma/mean", 9.298, 0.214, "%")],
        chi2=41.3, ndf=36, valid=True, title="gauss, 130-225 PE",
    )  # fmt: skip
    assert table.rows() == [
        ("mean", "177.24", "0.41", "PE"),
        ("sigma", "16.48", "0.37", "PE"),
        ("sigma/mean", "9.30", "0.21", "%"),
    ]
    assert table.goodness.text() == "χ²/ndf = 41.3 / 36 = 1.15"
    assert table.is_valid() is True
    assert table.status_text() == "Fit valid"
    assert table.title.text() == "gauss, 130-225 PE"


def test_invalid_fit_shows_the_reason_in_red(table):
    table.set_fit(
        [ParamRow("mean", math.nan, math.nan, "PE")],
        chi2=math.nan, ndf=0, valid=False, message="too few counts in the range (3)",
    )  # fmt: skip
    assert table.is_valid() is False
    assert table.status_text() == "Fit NOT valid: too few counts in the range (3)"
    assert "b71c1c" in table.status.styleSheet()
    assert table.rows() == [("mean", "—", "—", "PE")]
    assert table.goodness.text() == "χ²/ndf: —"


def test_poisson_fits_name_their_statistic(table):
    table.set_fit([ParamRow("a", 1.0, 0.1)], chi2=12.0, ndf=10, valid=True, cost="poisson")
    assert table.goodness.text().startswith("Poisson deviance/ndf = 12.0 / 10")


def test_clear_and_error(table):
    table.set_fit([ParamRow("a", 1.0, 0.1)], chi2=1.0, ndf=1, valid=True)
    table.clear("Drag a range over the peak")
    assert (table.rows(), table.status_text(), table.is_valid()) == (
        [], "Drag a range over the peak", None,
    )  # fmt: skip
    table.show_error("no reduced 'kr' run")
    assert table.is_valid() is False
    assert table.status_text() == "no reduced 'kr' run"


def test_demo_builds(qtbot):
    w = fit_params_table.demo()
    qtbot.addWidget(w)
    assert w.windowTitle().endswith("demo")
    assert w.is_valid()
