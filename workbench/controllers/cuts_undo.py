"""Undo and redo of cut edits on the Cuts pane.

What to use when
----------------
- ``CutsUndo(calib)``: every edit the pane makes goes through ``apply(new_cutset, text,
  drag=name)`` as a ``QUndoCommand`` on a ``QUndoStack``; ``undo_action``/``redo_action`` are
  the actions to place (Ctrl+Z, Ctrl+Shift+Z). The steps of one drag of a shape merge into one
  command (``close_drag()`` on release ends it), so undo returns to where the drag began. A cut
  set replaced from elsewhere (a session opened) clears the stack: undoing would otherwise
  restore cuts from before the session.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Slot
from PySide6.QtGui import QUndoCommand

from workbench.undo_actions import UndoActions

__all__ = ["CutsCommand", "CutsUndo"]

_DRAG_ID = 4242


class CutsCommand(QUndoCommand):
    """Replace the calibration's cut set (``old`` -> ``new``).

    Parameters
    ----------
    undo : CutsUndo
        The owner (applies the sets to the calibration).
    old, new : CutSet or None
        Cut sets before and after.
    text : str
        Shown as "Undo <text>".
    drag : str
        Name of the cut whose shape is dragged ("" for other edits): consecutive steps of
        one drag merge.
    """

    def __init__(self, undo: CutsUndo, old: Any, new: Any, text: str, drag: str = "") -> None:
        super().__init__(text)
        self._undo = undo
        self.old, self.new = old, new
        self.drag = drag
        self.is_open = bool(drag)

    def id(self) -> int:  # noqa: D102 (Qt override)
        return _DRAG_ID if self.drag else -1

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802, D102 (Qt override)
        if not (isinstance(other, CutsCommand) and self.is_open and other.drag == self.drag):
            return False
        self.new = other.new
        self.is_open = other.is_open
        return True

    def redo(self) -> None:  # noqa: D102 (Qt override)
        self._undo.set_cuts(self.new)

    def undo(self) -> None:  # noqa: D102 (Qt override)
        self._undo.set_cuts(self.old)


class CutsUndo(UndoActions):
    """Undo stack of the cut set in ``calib`` (see the module docstring).

    Parameters
    ----------
    calib : CalibrationState
        Holds the cut set (``cuts``, ``set_cuts``, ``cuts_changed``).
    parent : QObject, optional
        Qt parent.
    """

    def __init__(self, calib: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._calib = calib
        self._applying = False
        calib.cuts_changed.connect(self._on_cuts_changed)

    def apply(self, new: Any, text: str, *, drag: str = "") -> None:
        """Make ``new`` the cut set as an undoable step (drag steps of one cut merge)."""
        self.stack.push(CutsCommand(self, self._calib.cuts, new, text, drag))

    def close_drag(self) -> None:
        """End the current drag: the next one is a separate step."""
        if self.stack.count():
            cmd = self.stack.command(self.stack.index() - 1)
            if isinstance(cmd, CutsCommand):
                cmd.is_open = False

    def set_cuts(self, cutset: Any) -> None:
        """Set the calibration's cut set (for the commands)."""
        self._applying = True
        try:
            self._calib.set_cuts(cutset)
        finally:
            self._applying = False

    @Slot()
    def _on_cuts_changed(self) -> None:
        if not self._applying:
            self.stack.clear()
