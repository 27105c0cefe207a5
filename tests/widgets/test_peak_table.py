"""PeakTableWidget: rows, numeric sorting, the exclude checkbox and selection signals."""

from __future__ import annotations

import math

import pytest
from PySide6.QtCore import Qt

from widgets.peak_table import COLUMNS, PeakRow, PeakTableWidget, demo

ROWS = [
    PeakRow(344.28, "Eu-152 344.28", 213491.0, 472.0, 1.286, 0.03, 1.09, "chi2", "ok",
            flags="summing-loss"),
    PeakRow(1005.27, "Eu-152 1005.27", 2706.0, 88.0, 1.9, -0.29, 1.0, "poisson",
            "energy residual -0.29 keV"),
    PeakRow(121.78, "Eu-152 121.78", 494475.0, 776.0, 1.089, math.nan, 1.23, "chi2", "ok"),
    PeakRow(33.1, "unidentified", -1315.0, 246.0, 1.3, math.nan, 333.4, "chi2", "ok",
            excludable=False),
]  # fmt: skip


@pytest.fixture
def table(qtbot):
    w = PeakTableWidget()
    qtbot.addWidget(w)
    w.set_rows(ROWS)
    return w


def _column(table, c):
    return [table.item(r, c).text() for r in range(table.rowCount())]


def test_rows_are_shown_sorted_by_energy_with_flags_and_dashes(table):
    assert table.columnCount() == len(COLUMNS)
    assert _column(table, 1) == ["33.10", "121.78", "344.28", "1005.27"]
    assert _column(table, 2)[2] == "Eu-152 344.28 [summing-loss]"
    assert _column(table, 6)[1] == "–"  # NaN residual
    assert _column(table, 3)[0] == "-1,315"


def test_sorting_is_numeric_not_textual(table):
    table.sortByColumn(3, Qt.SortOrder.AscendingOrder)  # net area
    assert _column(table, 3) == ["-1,315", "2,706", "213,491", "494,475"]
    table.sortByColumn(7, Qt.SortOrder.DescendingOrder)  # chi2/ndf
    assert _column(table, 7)[0] == "333.40"


def test_exclude_checkbox_emits_energy_and_state_once(table, qtbot):
    row = _column(table, 1).index("344.28")
    item = table.item(row, 0)
    with qtbot.waitSignal(table.exclusion_changed) as blocker:
        item.setCheckState(Qt.CheckState.Checked)
    assert blocker.args == [344.28, True]
    assert table.excluded_energies() == [344.28]
    with qtbot.assertNotEmitted(table.exclusion_changed):
        item.setCheckState(Qt.CheckState.Checked)  # no change
        table.set_excluded(344.28, False)  # model -> view is silent
    assert table.excluded_energies() == []


def test_unidentified_rows_have_no_checkbox(table):
    row = _column(table, 2).index("unidentified")
    assert not table.item(row, 0).flags() & Qt.ItemFlag.ItemIsUserCheckable


def test_selection_emits_energy_and_survives_new_rows(table, qtbot):
    with qtbot.waitSignal(table.peak_selected) as blocker:
        table.selectRow(_column(table, 1).index("1005.27"))
    assert blocker.args == [1005.27]
    with qtbot.assertNotEmitted(table.peak_selected):
        table.set_rows(ROWS[:3])
        table.select_energy(121.78)
    assert table.selected_energy() == 121.78
    assert table.row_for(121.781).label == "Eu-152 121.78"
    assert table.row_for(125.0) is None


def test_demo_builds(qtbot):
    w = demo()
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    assert w.windowTitle().endswith("demo")
