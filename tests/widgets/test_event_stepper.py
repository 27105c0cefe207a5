"""EventStepperWidget: range, clamping, signals, buttons, keys and the jump field."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSignalBlocker, Qt

from widgets.event_stepper import PAGE_STEP, EventStepperWidget


@pytest.fixture
def stepper(qtbot):
    w = EventStepperWidget()
    qtbot.addWidget(w)
    w.set_count(100)
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    return w


def test_set_index_emits_only_on_change(qtbot, stepper):
    with qtbot.waitSignal(stepper.event_changed) as blocker:
        stepper.set_index(7)
    assert blocker.args == [7]
    with qtbot.assertNotEmitted(stepper.event_changed):
        stepper.set_index(7)


def test_index_is_clamped_to_count(qtbot, stepper):
    with qtbot.waitSignal(stepper.event_changed) as blocker:
        stepper.set_index(1000)
    assert blocker.args == [99]
    stepper.set_index(-5)
    assert stepper.index() == 0


def test_shrinking_count_moves_index(qtbot, stepper):
    stepper.set_index(80)
    with qtbot.waitSignal(stepper.event_changed) as blocker:
        stepper.set_count(50)
    assert blocker.args == [49]
    assert stepper.count() == 50


def test_signal_blocker_silences_model_to_view_updates(qtbot, stepper):
    with qtbot.assertNotEmitted(stepper.event_changed), QSignalBlocker(stepper):
        stepper.set_index(12)
    assert stepper.index() == 12
    assert stepper._spin.value() == 12


def test_buttons_step(qtbot, stepper):
    seen = []
    stepper.event_changed.connect(seen.append)
    qtbot.mouseClick(stepper._next, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(stepper._fwd_page, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(stepper._prev, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(stepper._last, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(stepper._first, Qt.MouseButton.LeftButton)
    assert seen == [1, 1 + PAGE_STEP, PAGE_STEP, 99, 0]


def test_buttons_disabled_at_ends(stepper):
    assert not stepper._prev.isEnabled()
    assert stepper._next.isEnabled()
    stepper.last()
    assert stepper._prev.isEnabled()
    assert not stepper._next.isEnabled()


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        (Qt.Key.Key_Right, 51),
        (Qt.Key.Key_Left, 49),
        (Qt.Key.Key_PageDown, 50 + PAGE_STEP),
        (Qt.Key.Key_PageUp, 50 - PAGE_STEP),
        (Qt.Key.Key_Home, 0),
        (Qt.Key.Key_End, 99),
    ],
)
def test_keyboard_shortcuts(qtbot, stepper, key, expected):
    stepper.set_index(50)
    stepper.setFocus()
    with qtbot.waitSignal(stepper.event_changed, timeout=1000) as blocker:
        qtbot.keyClick(stepper, key)
    assert blocker.args == [expected]


def test_spin_box_typing_emits_once(qtbot, stepper):
    seen = []
    stepper.event_changed.connect(seen.append)
    spin = stepper._spin
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, "42")
    assert seen == []  # keyboard tracking off: nothing until Enter
    qtbot.keyClick(spin, Qt.Key.Key_Return)
    assert seen == [42]


@pytest.mark.parametrize(("text", "expected"), [("17", 17), ("-1", 99), ("-10", 90)])
def test_jump_field(qtbot, stepper, text, expected):
    stepper.set_index(3)
    qtbot.keyClicks(stepper._jump, text)
    with qtbot.waitSignal(stepper.event_changed) as blocker:
        qtbot.keyClick(stepper._jump, Qt.Key.Key_Return)
    assert blocker.args == [expected]
    assert stepper._jump.text() == ""


@pytest.mark.parametrize(("text", "expected"), [("1000", 99), ("-1000", 0)])
def test_jump_field_clamps_out_of_range(qtbot, stepper, text, expected):
    stepper.set_index(50)
    qtbot.keyClicks(stepper._jump, text)
    with qtbot.waitSignal(stepper.event_changed) as blocker:
        qtbot.keyClick(stepper._jump, Qt.Key.Key_Return)
    assert blocker.args == [expected]


def test_jump_field_accepts_only_integers(qtbot, stepper):
    qtbot.keyClicks(stepper._jump, "1x.5")
    assert stepper._jump.text() == "15"


def test_ctrl_g_focuses_jump_field(qtbot, stepper):
    stepper.setFocus()
    qtbot.keyClick(stepper, Qt.Key.Key_G, Qt.KeyboardModifier.ControlModifier)
    assert stepper._jump.hasFocus()


def test_empty_stepper_is_disabled(qtbot):
    w = EventStepperWidget()
    qtbot.addWidget(w)
    assert w.count() == 0
    assert not w.isEnabled()
