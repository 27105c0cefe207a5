"""The objects every pane builder receives: state, job runner, settings, notifier, run loader.

What to use when
----------------
- ``AppContext`` is built once by ``workbench.app.create_main_window`` and handed to each
  ``PaneSpec.build``. It replaces globals: a pane reaches the session only through it.
"""

from __future__ import annotations

from dataclasses import dataclass

from workbench.calibration import CalibrationState
from workbench.controllers.hpge_model import HpgeSession
from workbench.controllers.run_loader import RunLoader
from workbench.jobs import JobRunner
from workbench.notify import Notifier
from workbench.reductions import Reductions
from workbench.settings import Settings
from workbench.state import SessionState

__all__ = ["AppContext"]


@dataclass(frozen=True)
class AppContext:
    """Shared services of one workbench window.

    Attributes
    ----------
    state : SessionState
        The observable session.
    jobs : JobRunner
        Runs long work off the GUI thread.
    settings : Settings
        UI preferences.
    notifier : Notifier
        Errors and information for the user.
    loader : RunLoader
        Opens runs (dialog, drag-and-drop, command line, demo campaign).
    calib : CalibrationState
        The liquid-argon calibration: run roles, SPE gains, cuts, step settings and results.
    reductions : Reductions
        Reduces open runs in jobs (whichever pane asks).
    hpge : HpgeSession
        The HPGe assay's inputs and results (the HPGe pane edits it; sessions and the
        constants export read it).
    """

    state: SessionState
    jobs: JobRunner
    settings: Settings
    notifier: Notifier
    loader: RunLoader
    calib: CalibrationState
    reductions: Reductions
    hpge: HpgeSession
