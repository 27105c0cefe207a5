"""Runs pane: the list of opened runs with Open, Reduce and Close actions.

What to use when
----------------
- ``RunsPane`` is a passive view. It shows ``RunRow`` values and the details of the current run,
  owns the actions (also placed in the File menu by the main window) and the Open Recent menu,
  and emits intents. ``RunsController`` wires it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QSignalBlocker, Qt, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QLabel, QMenu, QToolBar, QVBoxLayout, QWidget

from widgets.run_list import RunListWidget, RunRow

__all__ = ["RAW_FILE_FILTER", "RunsPane"]

RAW_FILE_FILTER = "LArCal raw runs (*.h5 *.hdf5);;All files (*)"
_EMPTY_HINT = (
    "No runs open.\n\nDrop .h5 raw files here, use File ▸ Open runs… (Ctrl+O), "
    "or try File ▸ Open demo campaign."
)


class RunsPane(QWidget):
    """List of runs, details of the current one, and run actions.

    Signals
    -------
    open_requested()
        The user wants to open files (the controller asks ``ask_open_files``).
    demo_requested()
        The user wants the demo campaign.
    reduce_requested(str)
        Reduce the run with this path.
    close_requested(str)
        Remove the run with this path from the session.
    run_selected(str)
        The user selected the run with this path.
    files_dropped(list)
        Files dropped on the list.
    recent_requested(str)
        The user picked a recent file.
    clear_recent_requested()
        The user cleared the recent-files list.
    """

    open_requested = Signal()
    demo_requested = Signal()
    reduce_requested = Signal(str)
    close_requested = Signal(str)
    run_selected = Signal(str)
    files_dropped = Signal(list)
    recent_requested = Signal(str)
    clear_recent_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.open_action = QAction("&Open runs…", self)
        self.open_action.setShortcut(QKeySequence.StandardKey.Open)
        self.open_action.setToolTip("Open larcal-raw waveform files (Ctrl+O)")
        self.open_action.triggered.connect(self._on_open_triggered)
        self.reduce_action = QAction("&Reduce selected run", self)
        self.reduce_action.setShortcut(QKeySequence("Ctrl+R"))
        self.reduce_action.setToolTip(
            "Compute the reduced quantities of every event and write <run>_rq.h5 (Ctrl+R)"
        )
        self.reduce_action.triggered.connect(self._on_reduce_triggered)
        self.close_action = QAction("&Close selected run", self)
        self.close_action.setToolTip("Remove the selected run from the session (files untouched)")
        self.close_action.triggered.connect(self._on_close_triggered)
        self.recent_menu = QMenu("Open &recent", self)
        self.demo_action = QAction("Open &demo campaign", self)
        self.demo_action.setToolTip(
            "Simulated LED, background, 83mKr, 57Co and 241Am runs (built on first use)"
        )
        self.demo_action.triggered.connect(self._on_demo_triggered)

        toolbar = QToolBar(self)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        toolbar.addAction(self.open_action)
        toolbar.addAction(self.reduce_action)
        toolbar.addAction(self.close_action)
        self.open_action.setIconText("Open…")  # toolbar text; the menu keeps the long text
        self.reduce_action.setIconText("Reduce")
        self.close_action.setIconText("Close")

        self.run_list = RunListWidget(self)
        self.run_list.run_selected.connect(self.run_selected)
        self.run_list.files_dropped.connect(self.files_dropped)
        self.details = QLabel(_EMPTY_HINT, self)
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.details.setMinimumHeight(self.fontMetrics().height() * 7)
        self.details.setStyleSheet("QLabel { padding: 4px; color: palette(text); }")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        layout.addWidget(toolbar)
        layout.addWidget(self.run_list, 1)
        layout.addWidget(self.details)
        self.show_current(None)

    # ------------------------------------------------------------------ show_*
    def show_runs(self, rows: Sequence[RunRow]) -> None:
        """Show these runs (the selection is kept)."""
        self.run_list.set_rows(rows)
        if not rows:
            self.details.setText(_EMPTY_HINT)

    def show_current(self, path: str | None) -> None:
        """Select the row of ``path`` without emitting ``run_selected``."""
        with QSignalBlocker(self.run_list):
            self.run_list.set_current(path)
        self.reduce_action.setEnabled(path is not None)
        self.close_action.setEnabled(path is not None)

    def show_details(self, text: str) -> None:
        """Show the details of the current run (plain text)."""
        self.details.setText(text or _EMPTY_HINT)

    def show_recent(self, paths: Sequence[str]) -> None:
        """Fill the Open Recent menu (most recent first)."""
        self.recent_menu.clear()
        for p in paths:
            action = self.recent_menu.addAction(Path(p).name)
            action.setToolTip(p)
            action.setStatusTip(p)
            action.setData(p)
            action.triggered.connect(self._on_recent_triggered)
        if paths:
            self.recent_menu.addSeparator()
        clear = self.recent_menu.addAction("Clear list")
        clear.setEnabled(bool(paths))
        clear.triggered.connect(self.clear_recent_requested)

    def ask_open_files(self, start_dir: str) -> list[str]:
        """Ask the user for raw files to open (modal dialog); [] when cancelled."""
        files, _ = QFileDialog.getOpenFileNames(self, "Open runs", start_dir, RAW_FILE_FILTER)
        return list(files)

    # ------------------------------------------------------------------ intents
    @Slot()
    def _on_open_triggered(self) -> None:
        self.open_requested.emit()

    @Slot()
    def _on_demo_triggered(self) -> None:
        self.demo_requested.emit()

    @Slot()
    def _on_reduce_triggered(self) -> None:
        key = self.run_list.current_key()
        if key is not None:
            self.reduce_requested.emit(key)

    @Slot()
    def _on_close_triggered(self) -> None:
        key = self.run_list.current_key()
        if key is not None:
            self.close_requested.emit(key)

    @Slot()
    def _on_recent_triggered(self) -> None:
        action = self.sender()
        if isinstance(action, QAction):
            self.recent_requested.emit(str(action.data()))
