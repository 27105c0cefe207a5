"""RQTableWidget: formatting, units, order, selection signal."""

from __future__ import annotations

import math

import numpy as np
import pytest

from widgets.rq_table import RQTableWidget, format_value


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (176.83, "PE", "176.8 PE"),
        (0.29341, "-", "0.2934"),
        (-4.0, "ns", "-4 ns"),
        (-2.5, "ns", "-2.500 ns"),
        (3000.0, "ADC", "3,000 ADC"),
        (np.float32(41.7), "PE", "41.70 PE"),
        (12345.678, "s", "12,345.7 s"),
        (1.5e7, "ADC*ns", "1.5e+07 ADC*ns"),
        (2.5e-5, "-", "2.5e-05"),
        (0.0, "ADC", "0 ADC"),
        (math.nan, "PE", "NaN PE"),
        (True, "bool", "yes"),
        (np.bool_(False), "bool", "no"),
        (np.int64(123456), "-", "123,456"),
        (7, "-", "7"),
    ],
)
def test_format_value(value, unit, text):
    assert format_value(value, unit) == text


def test_values_shown_in_order_with_units_and_tooltips(qtbot):
    w = RQTableWidget()
    qtbot.addWidget(w)
    w.set_values(
        {"total_pe": 176.8, "f90": 0.3, "saturated": False},
        {"total_pe": "PE", "f90": "-", "saturated": "bool"},
        {"total_pe": "integral over 6 us"},
    )
    assert [w.item(r, 0).text() for r in range(w.rowCount())] == ["total_pe", "f90", "saturated"]
    assert w.display_text("total_pe") == "176.8 PE"
    assert w.item(0, 0).toolTip() == "integral over 6 us [PE]"
    assert w.values() == {"total_pe": 176.8, "f90": 0.3, "saturated": False}
    assert w.units()["f90"] == "-"
    with pytest.raises(KeyError):
        w.display_text("nope")


def test_selection_emits_name_and_survives_update(qtbot):
    w = RQTableWidget()
    qtbot.addWidget(w)
    w.set_values({"a": 1.0, "b": 2.0})
    with qtbot.waitSignal(w.quantity_selected) as blocker:
        w.selectRow(1)
    assert blocker.args == ["b"]
    with qtbot.assertNotEmitted(w.quantity_selected):
        w.set_values({"a": 3.0, "b": 4.0})
    assert w.selected_quantity() == "b"


def test_clear_values(qtbot):
    w = RQTableWidget()
    qtbot.addWidget(w)
    w.set_values({"a": 1.0})
    w.clear_values()
    assert w.rowCount() == 0
    assert w.values() == {}
