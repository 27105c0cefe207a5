"""The list of panes the main window docks, and how a pane plugs in.

What to use when
----------------
To add a pane (cuts, spectrum fits, Kr timing, ...):

1. write the view in ``workbench/panes/<name>.py`` and its controller in
   ``workbench/controllers/<name>.py``;
2. give the controller module a ``build(ctx: AppContext) -> PaneBinding`` that creates both and
   wires them (state signals -> ``pane.show_*``, pane intents -> state/jobs);
3. append a ``PaneSpec`` to ``default_panes()`` below.

The main window then docks the pane in its area, lists it in the View menu, merges the
``menu_items`` it contributes into the named menus, and saves/restores its place. Panes in the
``"centre"`` area are stacked as tabs beside the waveform browser.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QWidget

from workbench.context import AppContext

__all__ = ["AREAS", "PaneBinding", "PaneSpec", "default_panes"]

#: Dock areas a pane may ask for.
AREAS = ("left", "centre", "right", "bottom")


@dataclass
class PaneBinding:
    """A built pane: its widget, its controller and what it adds to the menus.

    Attributes
    ----------
    widget : QWidget
        The pane (a passive view).
    controller : QObject or None
        Keeps the wiring alive; the window re-parents it to itself. If it has a ``close()``
        method, the window calls it on exit (disconnects, closes files).
    menu_items : dict of str to list of QAction or QMenu
        Items for the window's menus by menu title (``"File"``, ``"Analysis"``, ...).
    """

    widget: QWidget
    controller: QObject | None = None
    menu_items: dict[str, list[QAction | QMenu]] = field(default_factory=dict)


@dataclass(frozen=True)
class PaneSpec:
    """How to build and where to dock one pane.

    Attributes
    ----------
    key : str
        Stable identifier (the dock's object name; saved layouts refer to it).
    title : str
        Dock title and View-menu entry.
    area : str
        One of ``AREAS``.
    build : callable
        ``build(ctx) -> PaneBinding``.
    visible : bool
        Shown at first start (the View menu toggles it later).
    shortcut : str
        Optional key sequence that toggles the dock (e.g. ``"Ctrl+1"``).
    """

    key: str
    title: str
    area: str
    build: Callable[[AppContext], PaneBinding]
    visible: bool = True
    shortcut: str = ""

    def __post_init__(self) -> None:
        if self.area not in AREAS:
            raise ValueError(f"pane {self.key!r}: area {self.area!r} not in {AREAS}")


def default_panes() -> list[PaneSpec]:
    """Return the panes of the workbench, in the order they are docked."""
    from workbench.controllers import (
        components,
        cuts,
        event_browser,
        event_rqs,
        export,
        hpge,
        kr_timing,
        linearity,
        runs,
        spe,
        spectrum_fit,
    )

    # Centre panes are tabs in workflow order (workflow.md steps 1-10).
    return [
        PaneSpec("runs", "Runs", "left", runs.build, shortcut="Ctrl+1"),
        PaneSpec("waveforms", "Waveforms", "centre", event_browser.build, shortcut="Ctrl+2"),
        PaneSpec("event_rqs", "Event RQs", "right", event_rqs.build, shortcut="Ctrl+3"),
        PaneSpec("spe", "SPE gains", "centre", spe.build, shortcut="Ctrl+4"),
        PaneSpec("cuts", "Cuts", "centre", cuts.build, shortcut="Ctrl+5"),
        PaneSpec("spectrum_fit", "Spectrum & fit", "centre", spectrum_fit.build, shortcut="Ctrl+7"),
        PaneSpec("kr_timing", "Kr timing", "centre", kr_timing.build, shortcut="Ctrl+8"),
        PaneSpec("components", "Components", "centre", components.build, shortcut="Ctrl+9"),
        PaneSpec("linearity", "Linearity", "centre", linearity.build, shortcut="Ctrl+0"),
        PaneSpec("hpge", "HPGe assay", "centre", hpge.build, shortcut="Ctrl+6"),
        PaneSpec("export", "Export", "centre", export.build, shortcut="Ctrl+E"),
    ]
