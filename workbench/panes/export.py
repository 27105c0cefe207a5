"""The Export pane: calibration-constants preview, validation, diff against a previous file, save.

What to use when
----------------
A passive view driven by ``ExportController``: ``show_document`` (tree and JSON preview),
``show_validation``, ``show_changes`` (the diff against the file chosen with "Compare with…" or
the one about to be overwritten). Intents: ``refresh_requested``, ``compare_requested``,
``save_requested``. Dialogs (``ask_save_path``, ``ask_open_path``, ``confirm_overwrite``) are
methods so that tests can replace them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from widgets.constants_view import ChangesTable, ConstantsView

__all__ = ["CONSTANTS_FILTER", "ExportPane"]

CONSTANTS_FILTER = "Calibration constants (*.json)"


class ExportPane(QWidget):
    """Preview, validation, diff and save of the calibration constants.

    Signals
    -------
    refresh_requested()
        Rebuild the preview.
    compare_requested()
        Choose a previous constants file to compare with.
    save_requested()
        Save the constants (the controller asks where and confirms an overwrite).
    """

    refresh_requested = Signal()
    compare_requested = Signal()
    save_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.refresh_button = QPushButton("Refresh", self)
        self.refresh_button.setToolTip("Rebuild the constants from the current calibration")
        self.compare_button = QPushButton("Compare with file…", self)
        self.compare_button.setToolTip("Show what changed since a previous constants file")
        self.save_button = QPushButton("Save constants…", self)
        self.save_button.setToolTip(
            "Write the constants file (validated; an existing file is compared first)"
        )
        self.refresh_button.clicked.connect(self.refresh_requested)
        self.compare_button.clicked.connect(self.compare_requested)
        self.save_button.clicked.connect(self.save_requested)
        self.validation = QLabel("Nothing to export yet.", self)
        self.validation.setWordWrap(True)
        self.validation.setTextFormat(Qt.TextFormat.PlainText)
        self.validation.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.view = ConstantsView(self)
        self.changes_title = QLabel(
            "Changes: choose a previous file with “Compare with file…”", self
        )
        self.changes_title.setWordWrap(True)
        self.changes = ChangesTable(self)
        self.details_box = QCheckBox("Include the step results' details (fit_results.*)", self)
        self.details_box.setToolTip(
            "Off: list the constants other code reads (gains, light yields, resolution, Kr "
            "peaks, cuts, validity, provenance); on: also every changed fit parameter"
        )
        self.details_box.toggled.connect(self._refill_changes)
        self._rows: list[tuple[str, str, Any, Any, float | None]] = []
        self._against = ""
        right = QWidget(self)
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(self.changes_title)
        rl.addWidget(self.details_box)
        rl.addWidget(self.changes, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.view)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        buttons = QHBoxLayout()
        for b in (self.refresh_button, self.compare_button, self.save_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(buttons)
        layout.addWidget(self.validation)
        layout.addWidget(splitter, 1)
        self.document: dict[str, Any] | None = None

    # ------------------------------------------------------------------ view
    def show_document(self, doc: dict[str, Any] | None) -> None:
        """Preview ``doc`` (None clears)."""
        self.document = doc
        self.view.set_document(doc)
        self.save_button.setEnabled(doc is not None)

    def show_validation(self, ok: bool, text: str) -> None:
        """Show the validation status (green when ``ok``, red otherwise)."""
        self.validation.setText(text)
        self.validation.setStyleSheet("color: #1b7f3b;" if ok else "color: #b00020;")

    def show_changes(
        self, rows: Sequence[tuple[str, str, Any, Any, float | None]], against: str
    ) -> None:
        """List the changes ``(path, kind, old, new, relative)`` from the file ``against``."""
        self._rows = list(rows)
        self._against = against
        self._refill_changes()

    def _refill_changes(self, *_args: Any) -> None:
        details = self.details_box.isChecked()
        rows = [r for r in self._rows if details or not r[0].startswith("fit_results")]
        n, hidden = len(rows), len(self._rows) - len(rows)
        more = f" (+{hidden} in step results)" if hidden else ""
        self.changes_title.setText(
            f"Changes from {self._against}: {n} entr{'y' if n == 1 else 'ies'}{more}"
            if self._rows
            else f"No change from {self._against} (creation date aside)"
        )
        if rows or not self._rows:
            empty = "identical up to the creation date"
        else:
            empty = "only step-result details changed"
        self.changes.set_changes(rows, empty)

    # ------------------------------------------------------------------ dialogs
    def ask_save_path(self, suggested: str) -> str:
        """Ask where to save the constants."""
        path, _ = QFileDialog.getSaveFileName(
            self, "Save calibration constants", suggested, CONSTANTS_FILTER
        )
        return path

    def ask_open_path(self, start: str) -> str:
        """Ask for a previous constants file."""
        path, _ = QFileDialog.getOpenFileName(
            self, "Compare with calibration constants", start, CONSTANTS_FILTER
        )
        return path

    def confirm_overwrite(self, path: str, lines: Sequence[str]) -> bool:
        """Ask before replacing ``path``, listing the changes ``lines``."""
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Overwrite calibration constants?")
        n = len(lines)
        box.setText(
            f"{path} exists. Replacing it changes {n} entr{'y' if n == 1 else 'ies'}"
            + (":" if n else " (only the creation date).")
        )
        if lines:
            box.setInformativeText("\n".join(lines[:12]) + ("\n…" if n > 12 else ""))
            box.setDetailedText("\n".join(lines))
        box.setStandardButtons(QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        return box.exec() == QMessageBox.StandardButton.Save
