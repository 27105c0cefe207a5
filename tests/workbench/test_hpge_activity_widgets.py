"""Activity and attenuation widgets of the HPGe pane: tables, budget, decay date, model kind."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
import pytest

from widgets import activity_attenuation_table, activity_table
from widgets.activity_attenuation_table import AttenuationRow, AttenuationTableWidget
from widgets.activity_table import ActivityLineRow, ActivityTableWidget, BudgetRow


def _line(e, a, rel_count, rel_eff):
    budget = (("counting", rel_count, a * rel_count), ("efficiency", rel_eff, a * rel_eff))
    err = a * math.hypot(rel_count, rel_eff)
    return ActivityLineRow(
        e, 30110, 177, 4.37e-3, 6e-5, 0.83, 0.01, 0.45, 0.003, a, err, 0.5, budget
    )


@pytest.fixture
def table(qtbot):
    w = ActivityTableWidget()
    qtbot.addWidget(w)
    return w


def test_lines_and_budget_are_tabulated_term_by_term(table):
    lines = [_line(520.4, 5145.0, 0.006, 0.014), _line(529.6, 5136.0, 0.007, 0.014)]
    budget = [
        BudgetRow("counting", 0.0046, 23.6, "independent"),
        BudgetRow("efficiency", 0.014, 71.7, "fully correlated"),
    ]
    table.set_result(lines, budget, "<b>Combined: 5140 &plusmn; 75 Bq</b>")
    t = table.lines_table
    assert t.rowCount() == 2
    assert [t.item(0, c).text() for c in (0, 1, 3, 9, 10)] == [
        "520.40", "30,110", "4.370e-03", "5,145.0", "78.4",
    ]  # fmt: skip
    b = table.budget_table
    assert b.rowCount() == 3  # two terms and the total
    assert b.horizontalHeaderItem(4).text() == "520.4 keV ± %"
    assert [b.item(1, c).text() for c in range(5)] == [
        "efficiency", "1.400", "71.70", "fully correlated", "1.400",
    ]  # fmt: skip
    total = math.hypot(0.0046, 0.014)
    assert b.item(2, 1).text() == f"{100 * total:.3f}"  # quadrature sum of the terms
    assert table.summary_text() == "Combined: 5140 ± 75 Bq"


def test_clear_shows_a_message(table):
    table.set_result([_line(520.4, 5145.0, 0.006, 0.014)], [], "x")
    table.clear("No activity yet.")
    assert table.lines_table.rowCount() == 0
    assert table.budget_table.columnCount() == 4
    assert table.summary_text() == "No activity yet."


def test_decay_date_signals_only_user_changes(table, qtbot):
    assert table.reference_date() == ""
    with qtbot.waitSignal(table.reference_date_changed) as blocker:
        table._decay_box.setChecked(True)
    assert blocker.args == ["2019-02-19"]
    with qtbot.waitSignal(table.reference_date_changed) as blocker:
        table._date.setDate(table._date.date().addDays(10))
    assert blocker.args == ["2019-03-01"]
    with qtbot.assertNotEmitted(table.reference_date_changed):
        table.set_reference_date("2020-01-31")
        table.set_reference_date("")
    assert table.reference_date() == ""
    with pytest.raises(ValueError, match="not a date"):
        table.set_reference_date("31/01/2020")


def test_attenuation_rows_model_and_kind(qtbot):
    w = AttenuationTableWidget()
    qtbot.addWidget(w)
    rows = [
        AttenuationRow(344.3, "Eu-152", 0.79, 0.01, 0.78),
        AttenuationRow(778.9, "Eu-152", 0.85, 0.02),
    ]
    w.set_points(rows)
    assert w.table.item(0, 5).text() == "+1.00"  # pull (0.79 - 0.78) / 0.01
    assert w.table.item(1, 4).text() == "–"
    grid = np.linspace(300, 800, 11)
    w.set_model_curve(grid, np.full(11, 0.8), np.full(11, 0.01), "constant", marks_kev=[520.4])
    marks = [i for i in w._items if isinstance(i, pg.InfiniteLine)]
    assert [m.value() for m in marks] == [520.4]
    assert [label.text for _, label in w.legend.items] == [
        "measured", "model ± 1σ", "assayed lines",
    ]  # fmt: skip
    with qtbot.waitSignal(w.model_kind_changed) as blocker:
        w._kind.setCurrentIndex(3)
    assert blocker.args == ["none"]
    with qtbot.assertNotEmitted(w.model_kind_changed):
        w.set_model_kind("interp")
    assert w.model_kind() == "interp"
    with pytest.raises(ValueError, match="model kind"):
        w.set_model_kind("linear")
    w.clear("nothing measured")
    assert w.rows() == []
    assert w.summary.text() == "nothing measured"


@pytest.mark.parametrize("module", [activity_table, activity_attenuation_table])
def test_demos_build(qtbot, module):
    w = module.demo()
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    assert w.windowTitle().endswith("demo")
