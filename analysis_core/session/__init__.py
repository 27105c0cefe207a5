"""Calibration sessions: save what the user did, load it, replay it headless.

What to use when
----------------
- ``CalibrationSession`` + ``save_session`` / ``load_session``: the session file
  (``larcal-session`` v1, schema ``resources/schemas/calibration_session.schema.json``). The GUI
  writes it from ``ctx.calib`` and ``ctx.state`` (File > Save session...).
- ``replay(session, run_overrides=None, progress=None, cancel=None)``: the constants document,
  with the same step functions and settings as the GUI (``larcal session run``).
- ``replay_steps``: the same, returning the step results too; ``constants_for``: the constants
  of a calibration state (used by the Export pane, so GUI and replay build them alike).
"""

from __future__ import annotations

from analysis_core.session.model import (
    SESSION_FORMAT,
    SESSION_VERSION,
    CalibrationSession,
    SessionFormatError,
    SessionRun,
    load_session,
    save_session,
    validate_session,
)
from analysis_core.session.replay import (
    STEP_FUNCTIONS,
    ReplayOutcome,
    constants_for,
    replay,
    replay_steps,
    rq_path_beside,
    step_function,
)

__all__ = [
    "SESSION_FORMAT",
    "SESSION_VERSION",
    "STEP_FUNCTIONS",
    "CalibrationSession",
    "ReplayOutcome",
    "SessionFormatError",
    "SessionRun",
    "constants_for",
    "load_session",
    "replay",
    "replay_steps",
    "rq_path_beside",
    "save_session",
    "step_function",
    "validate_session",
]
