"""JobStatusWidget: task display, busy mode, cancel signal."""

from __future__ import annotations

from widgets.job_status import JobStatusWidget


def test_show_and_finish(qtbot):
    w = JobStatusWidget()
    qtbot.addWidget(w)
    assert not w.is_active()
    assert w.title() == ""
    w.show_task("Reducing a.h5", 30, 120)
    assert w.is_active()
    assert w.title() == "Reducing a.h5"
    assert w.progress() == (30, 120)
    w.show_task("Building demo", 0, 0)
    assert w.progress() == (0, 0)  # busy indicator
    w.finish()
    assert not w.is_active()


def test_cancel_button(qtbot):
    w = JobStatusWidget()
    qtbot.addWidget(w)
    w.show_task("Reducing a.h5", 1, 2)
    with qtbot.waitSignal(w.cancel_requested):
        w._cancel.click()
    w.set_cancelling()
    assert not w._cancel.isEnabled()
    assert "cancelling" in w._label.text()
