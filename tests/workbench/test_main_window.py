"""MainWindow as composition root: docks, View/File menus, add_pane, layout, notifications."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QLabel, QMessageBox

from widgets.job_status import JobStatusWidget
from workbench.app import create_main_window
from workbench.controllers.job_status import JobStatusController
from workbench.registry import PaneBinding, PaneSpec, default_panes


def _menu(window, title):
    return next(a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == title)


def _texts(menu):
    def plain(text):  # drop mnemonic markers, keep escaped "&&" as "&"
        return text.replace("&&", "\0").replace("&", "").replace("\0", "&")

    return [plain(a.text()) for a in menu.actions() if not a.isSeparator()]


_AREA = {
    "left": Qt.DockWidgetArea.LeftDockWidgetArea,
    "centre": Qt.DockWidgetArea.TopDockWidgetArea,
    "right": Qt.DockWidgetArea.RightDockWidgetArea,
}

#: The workflow's panes, in dock order (a pane added or lost must be a deliberate change here).
_KEYS = [
    "runs",
    "waveforms",
    "event_rqs",
    "spe",
    "cuts",
    "spectrum_fit",
    "kr_timing",
    "components",
    "linearity",
    "hpge",
    "export",
]


def _centre_keys():
    return [p.key for p in default_panes() if p.area == "centre"]


def test_default_docks_and_areas(window):
    assert window.pane_keys() == _KEYS
    for spec in default_panes():
        assert window.dockWidgetArea(window.dock(spec.key)) == _AREA[spec.area], spec.key
    # centre panes share one tab group with the waveform browser in front
    centre = _centre_keys()
    assert centre[0] == "waveforms"
    tabbed = window.tabifiedDockWidgets(window.dock("waveforms"))
    assert tabbed == [window.dock(k) for k in centre[1:]]
    assert all(window.dock(k).isVisible() for k in ["runs", "waveforms", "event_rqs"])
    assert window.centralWidget() is None


def test_view_menu_lists_and_toggles_docks(window):
    view = _menu(window, "View")
    assert _texts(view) == [p.title for p in default_panes()] + ["Reset layout"]
    shortcuts = [a.shortcut().toString() for a in view.actions()[: len(_KEYS)]]
    assert len(set(shortcuts)) == len(shortcuts)  # no two panes share a key
    toggle = view.actions()[2]
    assert toggle.shortcut().toString() == "Ctrl+3"
    toggle.trigger()
    assert not window.dock("event_rqs").isVisible()
    window.reset_layout()
    assert window.dock("event_rqs").isVisible()


def test_file_menu_holds_pane_actions_and_quit(window):
    assert _texts(_menu(window, "File")) == [
        "Open runs…",
        "Open recent",
        "Open demo campaign",
        "Reduce selected run",
        "Close selected run",
        "Open calibration session…",
        "Save calibration session…",
        "Quit",
    ]
    assert not _menu(window, "Analysis").menuAction().isVisible()  # nothing contributed yet


class _NoteController(QObject):
    def __init__(self, pane):
        super().__init__(pane)
        self.closed = False

    def close(self):
        self.closed = True


def _build_note(ctx):
    pane = QLabel("a later pane")
    action = QAction("Fit peak", pane)
    return PaneBinding(pane, _NoteController(pane), {"Analysis": [action]})


def test_add_pane_docks_tabs_and_menus(qtbot):
    spec = PaneSpec("note", "Notes", "centre", _build_note, shortcut="Ctrl+Shift+9")
    window = create_main_window(
        inline_jobs=True, panes=[*default_panes(), spec], show_dialogs=False, restore_layout=False
    )
    qtbot.addWidget(window)
    window.show()
    dock = window.dock("note")
    assert window.tabifiedDockWidgets(dock) == [window.dock(k) for k in _centre_keys()]
    assert "Notes" in _texts(_menu(window, "View"))
    assert _texts(_menu(window, "Analysis")) == ["Fit peak"]
    assert _menu(window, "Analysis").menuAction().isVisible()
    controller = window.binding("note").controller
    with pytest.raises(ValueError, match="already docked"):
        window.add_pane(spec)
    window.close()
    assert controller.closed  # controllers are closed on exit


def test_pane_spec_checks_area():
    with pytest.raises(ValueError, match="area"):
        PaneSpec("x", "X", "middle", _build_note)


def test_layout_is_saved_and_restored(qtbot):
    first = create_main_window(inline_jobs=True, show_dialogs=False)
    qtbot.addWidget(first)
    first.show()
    first.dock("event_rqs").hide()
    first.close()
    second = create_main_window(inline_jobs=True, show_dialogs=False)
    qtbot.addWidget(second)
    second.show()
    assert not second.dock("event_rqs").isVisible()
    assert second.dock("runs").isVisible()
    second.close()


def test_notices_reach_status_bar_and_dialogs(qtbot):
    window = create_main_window(inline_jobs=True, show_dialogs=True, restore_layout=False)
    qtbot.addWidget(window)
    window.show()
    window.ctx.notifier.error("Opening x.h5", "/d/x.h5: missing dataset /waveforms")
    assert window.statusBar().currentMessage() == (
        "Error: Opening x.h5: /d/x.h5: missing dataset /waveforms"
    )
    boxes = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
    assert len(boxes) == 1
    assert boxes[0].text() == "/d/x.h5: missing dataset /waveforms"
    boxes[0].close()  # non-blocking: the test (and the user) carried on while it was open
    window.ctx.notifier.info("Opened y.h5")
    assert window.statusBar().currentMessage() == "Opened y.h5"
    assert not [b for b in window.findChildren(QMessageBox) if b.isVisible()]
    window.close()


def test_job_status_follows_runner_and_cancels(qtbot, pool_runner):
    widget = JobStatusWidget()
    qtbot.addWidget(widget)
    JobStatusController(pool_runner, widget)
    gate = threading.Event()
    started = threading.Event()

    def wait(*, progress, cancel):
        started.set()
        progress(1, 4)
        while not gate.wait(0.002):
            if cancel.is_cancelled():
                from analysis_core.progress import Cancelled

                raise Cancelled
        return "done"

    first = pool_runner.submit(wait, hooks=True, title="First")
    assert started.wait(5)
    pool_runner.submit(wait, hooks=True, title="Second")
    pool_runner.submit(lambda: None)  # quiet jobs never show
    assert widget.title() == "Second"
    assert widget._more.text() == "(+1 more)"
    with qtbot.waitSignal(pool_runner.job_ended, timeout=10_000) as blocker:
        widget._cancel.click()  # cancels the job on display: "Second"
    assert blocker.args != [first.job_id]
    qtbot.waitUntil(lambda: widget.title() == "First", timeout=10_000)
    qtbot.waitUntil(lambda: widget.progress() == (1, 4), timeout=10_000)
    with qtbot.waitSignal(pool_runner.job_ended, timeout=10_000):
        gate.set()
    assert not widget.is_active()
    qtbot.waitUntil(lambda: pool_runner.active_count() == 0, timeout=10_000)


def test_docks_are_dock_widgets_with_object_names(window):
    for key in window.pane_keys():
        dock = window.dock(key)
        assert isinstance(dock, QDockWidget)
        assert dock.objectName() == f"dock_{key}"
