"""CutListWidget: rows, survival text, toggles, in-place edits, validated typed cuts."""

from __future__ import annotations

import math

import pytest

from widgets.cut_list import CutListWidget, CutRowView, format_fraction


def _rows(enabled=True):
    return [
        CutRowView("q", "expression", True, "not saturated", True, 0.99, 0.98, 1.0, 0.99, 0.98,
                   1.0),
        CutRowView("band", "range", enabled, "0.2 <= f90 < 0.45", False, 0.5, 0.49, 0.51, 0.45,
                   0.44, 0.46),
    ]  # fmt: skip


@pytest.fixture
def cut_list(qtbot):
    w = CutListWidget()
    qtbot.addWidget(w)
    w.set_rows(_rows())
    w.show()
    return w


def test_format_fraction():
    assert format_fraction(0.5, 0.49, 0.51) == "50.00 ± 1.00 %"
    assert format_fraction(1.0, 0.9, 1.0) == "100.00 −10.00 %"
    assert format_fraction(0.5, 0.45, 0.6) == "50.00 +10.00/−5.00 %"
    assert format_fraction(math.nan, 0, 1) == "–"
    assert format_fraction(0.99999, 0.99998, 1.0) == "99.999 ± 0.001 %"


def test_rows_shown(cut_list):
    assert cut_list.cell_text("band", "Alone") == "50.00 ± 1.00 %"
    assert cut_list.cell_text("band", "Cumulative") == "45.00 ± 1.00 %"
    assert cut_list.cell_text("q", "Definition") == "not saturated"


def test_toggle_emits_and_refresh_is_silent(cut_list, qtbot):
    with qtbot.waitSignal(cut_list.enabled_toggled) as blocker:
        cut_list.set_enabled("band", False)
    assert blocker.args == ["band", False]
    with qtbot.assertNotEmitted(cut_list.enabled_toggled):
        cut_list.set_rows(_rows(enabled=False))  # model -> view


def test_expression_edit_only_for_expression_cuts(cut_list, qtbot):
    with qtbot.waitSignal(cut_list.expression_edited) as blocker:
        cut_list.edit_definition("q", "not saturated and f90 > 0")
    assert blocker.args == ["q", "not saturated and f90 > 0"]
    with qtbot.assertNotEmitted(cut_list.expression_edited):
        cut_list.edit_definition("band", "f90 > 0")


def test_typed_cut_validated(cut_list, qtbot):
    cut_list.set_validator(lambda t: "unknown column 'bogus'" if "bogus" in t else "")
    with qtbot.assertNotEmitted(cut_list.add_requested):
        cut_list.type_new_cut("bad", "bogus > 1")
    assert "unknown column" in cut_list.error_text()
    assert not cut_list.add_button.isEnabled()
    with qtbot.waitSignal(cut_list.add_requested) as blocker:
        cut_list.type_new_cut("good", "f90 > 0.1")
    assert blocker.args == ["good", "f90 > 0.1"]
    assert cut_list.error_text() == ""


def test_remove_selected(cut_list, qtbot):
    cut_list.select("band")
    with qtbot.waitSignal(cut_list.remove_requested) as blocker:
        cut_list.remove_button.click()
    assert blocker.args == ["band"]
