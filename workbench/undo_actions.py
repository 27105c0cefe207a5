"""An undo stack with its Undo/Redo actions, for the panes whose edits are undoable.

What to use when
----------------
Subclass ``UndoActions`` (the Cuts pane's ``CutsUndo``, the fit panes' ``SettingsUndo``) and
push ``QUndoCommand`` objects on ``stack``; put ``undo_action`` and ``redo_action`` in the
pane's tool bar. The actions enable themselves, their tooltips name the step
("Undo move ER F90 band (Ctrl+Z)"), and their shortcuts act within the pane only.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtGui import QAction, QKeySequence, QUndoStack

__all__ = ["UndoActions"]


class UndoActions(QObject):
    """A ``QUndoStack`` and its Undo/Redo actions.

    Parameters
    ----------
    parent : QObject, optional
        Qt parent.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.stack = QUndoStack(self)
        # Short fixed texts (the step is in the tooltip): buttons keep their width.
        self.undo_action = QAction("↶ Undo", self)
        self.redo_action = QAction("↷ Redo", self)
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.redo_action.setShortcut(QKeySequence.StandardKey.Redo)
        for action in (self.undo_action, self.redo_action):
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.setEnabled(False)
        self.undo_action.triggered.connect(self.stack.undo)
        self.redo_action.triggered.connect(self.stack.redo)
        self.stack.canUndoChanged.connect(self.undo_action.setEnabled)
        self.stack.canRedoChanged.connect(self.redo_action.setEnabled)
        self.stack.undoTextChanged.connect(self._on_undo_text_changed)
        self.stack.redoTextChanged.connect(self._on_redo_text_changed)
        self._on_undo_text_changed("")
        self._on_redo_text_changed("")

    @Slot(str)
    def _on_undo_text_changed(self, text: str) -> None:
        self.undo_action.setToolTip(f"Undo {text} (Ctrl+Z)" if text else "Nothing to undo")

    @Slot(str)
    def _on_redo_text_changed(self, text: str) -> None:
        self.redo_action.setToolTip(f"Redo {text} (Ctrl+Shift+Z)" if text else "Nothing to redo")
