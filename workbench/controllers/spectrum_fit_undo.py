"""Undo and redo of step-settings edits (fit ranges, models, windows) on the fit panes.

What to use when
----------------
- ``SettingsUndo(setter)``: the Spectrum & fit and Kr timing controllers push every user edit
  of a step's settings as ``apply(target, old, new, text)``; ``target`` says what the
  settings belong to (a peak key, a step name) and ``setter(target, settings)`` stores them
  and refits. ``undo_action``/``redo_action`` (Ctrl+Z, Ctrl+Shift+Z, active inside the pane)
  go on the pane. Derived results are not undone: they are recomputed from the settings.
- Settings replaced from elsewhere (a session opened) must ``clear()`` the stack: undoing would
  otherwise restore settings from before the session.
- Suggested settings (the first fit of a peak, the filling period found in the data) are not
  user edits and do not go on the stack.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QUndoCommand

from workbench.undo_actions import UndoActions

__all__ = ["SettingsCommand", "SettingsUndo", "describe_change"]


def describe_change(old: dict[str, Any], new: dict[str, Any]) -> str:
    """Return a short text naming what changed (``"fit range 136–230"``, ``"model, cost"``)."""
    changed = [k for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]
    if changed == ["range"] and isinstance(new.get("range"), (list, tuple)):
        lo, hi = new["range"]
        return f"fit range {float(lo):g}–{float(hi):g}"
    return ", ".join(k.replace("_", " ") for k in changed) or "settings"


class SettingsCommand(QUndoCommand):
    """Replace the settings of one target (``old`` -> ``new``)."""

    def __init__(self, owner: SettingsUndo, target: str, old: Any, new: Any, text: str) -> None:
        super().__init__(text)
        self._owner = owner
        self.target = target
        self.old, self.new = copy.deepcopy(old), copy.deepcopy(new)

    def redo(self) -> None:  # noqa: D102 (Qt override)
        self._owner.setter(self.target, copy.deepcopy(self.new))

    def undo(self) -> None:  # noqa: D102 (Qt override)
        self._owner.setter(self.target, copy.deepcopy(self.old))


class SettingsUndo(UndoActions):
    """Undo stack of step settings (see the module docstring).

    Parameters
    ----------
    setter : callable
        ``setter(target, settings)``: store the settings and refit.
    parent : QObject, optional
        Qt parent.
    """

    def __init__(self, setter: Callable[[str, Any], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setter = setter

    def apply(self, target: str, old: Any, new: Any, text: str) -> None:
        """Make ``new`` the settings of ``target`` as an undoable step (runs the setter)."""
        self.stack.push(SettingsCommand(self, target, old, new, text))

    def clear(self) -> None:
        """Forget every step (settings replaced from elsewhere)."""
        self.stack.clear()
