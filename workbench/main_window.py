"""The main window: the composition root that docks the panes and owns menus and status bar.

What to use when
----------------
- ``MainWindow(ctx, panes)``; usually through ``workbench.app.create_main_window``. It holds no
  data and runs no analysis: it docks each ``PaneSpec`` (see ``workbench.registry``), lists the
  docks in the View menu, merges the panes' menu items, shows job progress and notifications in
  the status bar, accepts dropped files, and saves/restores the layout.
- ``add_pane(spec)`` docks one more pane at run time; ``dock(key)`` and ``binding(key)`` give
  access to what was built (tests, scripts).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from PySide6.QtCore import QByteArray, Qt, Signal, Slot
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu, QMessageBox

from analysis_core import __version__
from widgets.job_status import JobStatusWidget
from workbench.context import AppContext
from workbench.controllers.job_status import JobStatusController
from workbench.registry import PaneBinding, PaneSpec

__all__ = ["MainWindow"]

log = logging.getLogger(__name__)

_AREA = {
    "left": Qt.DockWidgetArea.LeftDockWidgetArea,
    "right": Qt.DockWidgetArea.RightDockWidgetArea,
    # With the corners given to the side areas and no central widget, the top area is the
    # middle column: "centre" panes live there, stacked as tabs.
    "centre": Qt.DockWidgetArea.TopDockWidgetArea,
    "bottom": Qt.DockWidgetArea.BottomDockWidgetArea,
}
_MENU_ORDER = ("File", "Analysis", "View", "Help")
#: Bump when the default dock arrangement changes, so old saved layouts are ignored.
LAYOUT_VERSION = 1
_RAW_SUFFIXES = (".h5", ".hdf5")


class MainWindow(QMainWindow):
    """Dock-based main window of the workbench.

    Parameters
    ----------
    ctx : AppContext
        Shared services.
    panes : sequence of PaneSpec
        Panes to dock, in order.
    show_dialogs : bool
        Show errors in (non-blocking) message boxes as well as in the status bar.
    restore_layout : bool
        Restore the geometry and dock layout saved in the settings.

    Signals
    -------
    files_dropped(list)
        Raw files dropped anywhere on the window.
    """

    files_dropped = Signal(list)

    def __init__(
        self,
        ctx: AppContext,
        panes: Sequence[PaneSpec] = (),
        *,
        show_dialogs: bool = True,
        restore_layout: bool = True,
    ) -> None:
        super().__init__()
        self.ctx = ctx
        self.show_dialogs = show_dialogs
        self._docks: dict[str, QDockWidget] = {}
        self._bindings: dict[str, PaneBinding] = {}
        self._menus: dict[str, QMenu] = {}
        self._closed = False
        self.setWindowTitle("LArCal Workbench")
        self.setObjectName("MainWindow")
        self.setDockNestingEnabled(True)
        self.setDocumentMode(True)
        self.setCorner(Qt.Corner.TopLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.setCorner(Qt.Corner.TopRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        self.setAcceptDrops(True)

        for title in _MENU_ORDER:
            self._menus[title] = self.menuBar().addMenu(f"&{title}")
        self._quit_action = QAction("&Quit", self)
        self._quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        self._quit_action.triggered.connect(self.close)
        self._reset_action = QAction("&Reset layout", self)
        self._reset_action.triggered.connect(self.reset_layout)
        about = QAction("&About LArCal Workbench", self)
        about.triggered.connect(self._on_about_triggered)
        self._menus["Help"].addAction(about)

        self.job_status = JobStatusWidget(self)
        self.statusBar().addPermanentWidget(self.job_status)
        self._job_status_controller = JobStatusController(ctx.jobs, self.job_status)
        ctx.jobs.job_failed.connect(ctx.notifier.error)
        ctx.notifier.posted.connect(self._on_notice_posted)
        self.files_dropped.connect(ctx.loader.open_files)

        for spec in panes:
            self.add_pane(spec)
        self._finish_menus()
        self.resize(1500, 900)
        self._arrange_default()
        self._default_state = self.saveState(LAYOUT_VERSION)
        if restore_layout:
            self._restore_layout()

    # ------------------------------------------------------------------ panes
    def add_pane(self, spec: PaneSpec) -> QDockWidget:
        """Build ``spec`` with the context, dock it and list it in the View menu."""
        if spec.key in self._docks:
            raise ValueError(f"a pane with key {spec.key!r} is already docked")
        binding = spec.build(self.ctx)
        # "&&": a literal "&" in the title bar, the tab and the View menu (not a mnemonic)
        dock = QDockWidget(spec.title.replace("&", "&&"), self)
        dock.setObjectName(f"dock_{spec.key}")
        dock.setWidget(binding.widget)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetClosable
            | QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        )
        area = _AREA[spec.area]
        siblings = [d for k, d in self._docks.items() if self.dockWidgetArea(d) == area]
        self.addDockWidget(area, dock)
        if spec.area == "centre" and siblings:
            self.tabifyDockWidget(siblings[-1], dock)
        dock.setVisible(spec.visible)
        toggle = dock.toggleViewAction()
        if spec.shortcut:
            toggle.setShortcut(QKeySequence(spec.shortcut))
        self._menus["View"].addAction(toggle)
        if binding.controller is not None and binding.controller.parent() is None:
            binding.controller.setParent(self)
        for menu_title, items in binding.menu_items.items():
            menu = self._menus.get(menu_title)
            if menu is None:
                menu = self.menuBar().addMenu(f"&{menu_title}")
                self._menus[menu_title] = menu
            for item in items:
                if isinstance(item, QMenu):
                    menu.addMenu(item)
                else:
                    menu.addAction(item)
        self._docks[spec.key] = dock
        self._bindings[spec.key] = binding
        return dock

    def dock(self, key: str) -> QDockWidget:
        """Return the dock of the pane ``key``."""
        return self._docks[key]

    def binding(self, key: str) -> PaneBinding:
        """Return the built pane and controller of ``key``."""
        return self._bindings[key]

    def pane_keys(self) -> list[str]:
        """Keys of the docked panes, in docking order."""
        return list(self._docks)

    def _finish_menus(self) -> None:
        file_menu = self._menus["File"]
        file_menu.addSeparator()
        file_menu.addAction(self._quit_action)
        view = self._menus["View"]
        view.addSeparator()
        view.addAction(self._reset_action)
        for title in ("Analysis",):
            self._menus[title].menuAction().setVisible(not self._menus[title].isEmpty())

    def _arrange_default(self) -> None:
        docks = self._docks
        if {"runs", "waveforms", "event_rqs"} <= docks.keys():
            self.resizeDocks(
                [docks["runs"], docks["waveforms"], docks["event_rqs"]],
                [430, 780, 290],
                Qt.Orientation.Horizontal,
            )
        if "waveforms" in docks:
            docks["waveforms"].raise_()

    @Slot()
    def reset_layout(self) -> None:
        """Return to the default dock arrangement."""
        self.restoreState(self._default_state, LAYOUT_VERSION)
        for dock in self._docks.values():
            dock.setFloating(False)
        self._arrange_default()

    def _restore_layout(self) -> None:
        settings = self.ctx.settings
        geometry = settings.window_geometry()
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = settings.window_state()
        if state is not None:
            self.restoreState(state, LAYOUT_VERSION)  # a layout of another version is ignored

    # ------------------------------------------------------------------ notifications
    @Slot(str, str, str)
    def _on_notice_posted(self, level: str, title: str, text: str) -> None:
        prefix = {"error": "Error: ", "warning": "Warning: "}.get(level, "")
        heading = f"{title}: " if title else ""
        timeout_ms = 5000 if level == "info" else 20000
        self.statusBar().showMessage(f"{prefix}{heading}{text}", timeout_ms)
        if level in ("error", "warning") and self.show_dialogs:
            box = QMessageBox(
                QMessageBox.Icon.Critical if level == "error" else QMessageBox.Icon.Warning,
                title or "LArCal Workbench",
                text,
                QMessageBox.StandardButton.Ok,
                self,
            )
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.open()  # window-modal but non-blocking: no nested event loop

    @Slot()
    def _on_about_triggered(self) -> None:
        QMessageBox.about(
            self,
            "About LArCal Workbench",
            f"<b>LArCal Workbench</b> {__version__}<br>Calibration workbench for liquid-argon "
            "scintillation detectors: 83mKr, 57Co and 241Am sources and the HPGe assay of the "
            "83Rb source.",
        )

    # ------------------------------------------------------------------ drops
    @staticmethod
    def _raw_paths(event: QDragEnterEvent | QDropEvent) -> list[str]:
        mime = event.mimeData()
        if not mime.hasUrls():
            return []
        paths = [u.toLocalFile() for u in mime.urls() if u.isLocalFile()]
        return [p for p in paths if p.lower().endswith(_RAW_SUFFIXES)]

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: D102 (Qt override)
        if self._raw_paths(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: D102 (Qt override)
        paths = self._raw_paths(event)
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        self.files_dropped.emit(paths)

    # ------------------------------------------------------------------ shutdown
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: D102 (Qt override)
        if not self._closed:
            self._closed = True
            settings = self.ctx.settings
            settings.set_window_geometry(self.saveGeometry())
            settings.set_window_state(QByteArray(self.saveState(LAYOUT_VERSION)))
            settings.sync()
            self.ctx.jobs.shutdown(2000)
            for binding in self._bindings.values():
                close = getattr(binding.controller, "close", None)
                if callable(close):
                    close()
        super().closeEvent(event)
