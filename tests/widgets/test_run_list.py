"""RunListWidget: rows, selection signals, activation and file drops."""

from __future__ import annotations

import math

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from widgets.run_list import RunListWidget, RunRow, format_duration_s

ROWS = [
    RunRow("/d/led.h5", "led.h5", "led", 2000, 40.0, "reduced"),
    RunRow("/d/kr_run.h5", "kr_run.h5", "kr83m", 120000, 15120.0, "raw only"),
]


@pytest.fixture
def runs(qtbot):
    w = RunListWidget()
    qtbot.addWidget(w)
    w.set_rows(ROWS)
    return w


def _cell(w, row, col):
    return w.item(row, col).text()


def test_rows_are_shown_with_formatted_values(runs):
    assert runs.rowCount() == 2
    assert [_cell(runs, 1, c) for c in range(5)] == [
        "kr_run.h5",
        "kr83m",
        "120,000",
        "4 h 12 min",
        "raw only",
    ]
    assert runs.rows() == ROWS


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(2.5, "2.5 s"), (40.0, "40.0 s"), (200.0, "3 min 20 s"), (7500.0, "2 h 05 min")],
)
def test_format_duration(seconds, text):
    assert format_duration_s(seconds) == text


def test_format_duration_unknown():
    assert format_duration_s(math.nan) == "–"


def test_user_selection_emits_run_selected(qtbot, runs):
    with qtbot.waitSignal(runs.run_selected) as blocker:
        runs.selectRow(1)
    assert blocker.args == ["/d/kr_run.h5"]
    assert runs.current_key() == "/d/kr_run.h5"


def test_set_current_is_silent(qtbot, runs):
    with qtbot.assertNotEmitted(runs.run_selected):
        runs.set_current("/d/led.h5")
    assert runs.current_key() == "/d/led.h5"
    runs.set_current(None)
    assert runs.current_key() is None


def test_selection_survives_set_rows(qtbot, runs):
    runs.set_current("/d/kr_run.h5")
    with qtbot.assertNotEmitted(runs.run_selected):
        runs.set_rows([*ROWS, RunRow("/d/co57.h5", "co57.h5", "co57", 10, 1.0, "raw only")])
    assert runs.current_key() == "/d/kr_run.h5"


def test_activation_emits_key(qtbot, runs):
    with qtbot.waitSignal(runs.run_activated) as blocker:
        runs.itemActivated.emit(runs.item(0, 2))
    assert blocker.args == ["/d/led.h5"]


def _drop(widget, paths):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(p) for p in paths])
    event = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    widget.dropEvent(event)
    return event


def test_drop_of_h5_files_emits_paths(qtbot, runs, tmp_path):
    a, b = str(tmp_path / "a.h5"), str(tmp_path / "b.HDF5")
    with qtbot.waitSignal(runs.files_dropped) as blocker:
        event = _drop(runs, [a, str(tmp_path / "notes.txt"), b])
    assert blocker.args == [[a, b]]
    assert event.isAccepted()


def test_drop_without_raw_files_is_ignored(qtbot, runs, tmp_path):
    with qtbot.assertNotEmitted(runs.files_dropped):
        event = _drop(runs, [str(tmp_path / "notes.txt")])
    assert not event.isAccepted()
