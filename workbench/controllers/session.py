"""File > Save session… / Open session…: the calibration session between GUI and file.

What to use when
----------------
- ``session_from_context(ctx)``: the ``CalibrationSession`` of the window: runs by role (raw
  and RQ paths from ``ctx.state``), SPE gains and the active analysis, the cut set and every
  step's settings from ``ctx.calib``, reduction parameters without gains.
- ``step_inputs_from_context(ctx)``: the ``StepInputs`` a step computed in the GUI gets, built
  like ``analysis_core.session.replay`` builds them (same tables, gains, cuts, results).
- ``hpge_snapshot(ctx.hpge)``: the HPGe assay's inputs (``HpgeSession.to_dict()``) and its
  latest results (efficiency curve, container attenuation, activity, each ``to_dict()``) for
  the session file; the constants carry the results (replay does not recompute HPGe).
- ``SessionController``: the two menu actions. Saving writes the file atomically (in a job);
  opening validates it, opens its runs through ``ctx.loader`` and, as they arrive, restores
  their roles and RQ files, then the gains, cuts and settings. ``current_path`` is the session
  last saved or opened (the Export pane records it in the constants' provenance).
"""

from __future__ import annotations

import contextlib
import functools
import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QWidget

from analysis_core.constants.io import json_ready
from analysis_core.rqfile import read_rq
from analysis_core.session import CalibrationSession, SessionRun, load_session, save_session
from analysis_core.steps import ROLES, StepInputs
from workbench.context import AppContext

__all__ = [
    "SESSION_FILTER",
    "SessionController",
    "apply_session_settings",
    "hpge_snapshot",
    "session_from_context",
    "step_inputs_from_context",
]

log = logging.getLogger(__name__)

SESSION_FILTER = "LArCal session (*.json)"


def hpge_snapshot(session: Any) -> dict[str, Any] | None:
    """Return ``{"inputs", "results"}`` of the HPGe assay (``ctx.hpge``; None when unused)."""
    if session is None or not session.entries:
        return None
    results = {}
    for name in ("efficiency", "attenuation", "activity"):
        value = getattr(session, name, None)
        if value is not None and hasattr(value, "to_dict"):
            results[name] = json_ready(value.to_dict())
    return {"inputs": json_ready(session.to_dict()), "results": results}


def session_from_context(ctx: AppContext, hpge: dict[str, Any] | None = None) -> CalibrationSession:
    """Return the window's calibration as a ``CalibrationSession`` (``hpge``: its snapshot)."""
    calib, state = ctx.calib, ctx.state
    runs = {}
    for role, path in calib.roles().items():
        if path is not None:
            runs[role] = SessionRun(path, state.run(path).rq_path)
    gains = {a: g for a in ("A", "B") if (g := calib.gains(a)) is not None}
    errors = {a: e for a in ("A", "B") if (e := calib.gain_errors(a)) is not None}
    cuts = calib.cuts
    reduction = state.reduction_config.to_dict()
    reduction.pop("spe_gain_adc_ns", None)
    return CalibrationSession(
        runs=runs,
        gains=gains,
        gain_errors=errors,
        active_gain_analysis=calib.active_gain_analysis,
        cuts=None if cuts is None else cuts.to_dict(),
        settings=calib.all_settings(),
        reduction=reduction,
        hpge=hpge,
    )


def step_inputs_from_context(ctx: AppContext) -> StepInputs:
    """Return the inputs of a calibration step computed in the window."""
    calib, state = ctx.calib, ctx.state
    tables, raw_paths = {}, {}
    for role, path in calib.roles().items():
        if path is None:
            continue
        raw_paths[role] = path
        table = state.rq(path)
        if table is not None:
            tables[role] = table
    gains = {a: g for a in ("A", "B") if (g := calib.gains(a)) is not None}
    errors = {a: e for a in ("A", "B") if (e := calib.gain_errors(a)) is not None}
    return StepInputs(
        rq=tables,
        raw_paths=raw_paths,
        cuts=calib.cuts,
        gains=gains,
        results=calib.results(),
        gain_errors=errors,
    )


def apply_session_settings(ctx: AppContext, session: CalibrationSession) -> None:
    """Restore gains, active analysis, cuts and step settings of ``session`` in ``ctx.calib``."""
    calib = ctx.calib
    for analysis in ("A", "B"):
        calib.set_gains(analysis, session.gains.get(analysis), session.gain_errors.get(analysis))
    calib.set_active_gain_analysis(session.active_gain_analysis)
    if session.cuts is not None:
        from analysis_core.cuts import CutSet

        calib.set_cuts(CutSet.from_dict(session.cuts))
    else:
        calib.set_cuts(None)
    for step in set(calib.all_settings()) | set(calib.results()):
        if step not in session.settings:
            calib.clear_step(step)  # not inherited from the session opened before
    for step, settings in session.settings.items():
        calib.set_settings(step, settings)


class SessionController(QObject):
    """Save and open calibration sessions.

    Parameters
    ----------
    ctx : AppContext
        The window's services.
    dialog_parent : QWidget
        Parent of the file dialogs.

    Signals
    -------
    saved(str)
        A session file was written (its path).
    opened(str)
        A session file was read and applied (its path); runs may still be loading.
    """

    saved = Signal(str)
    opened = Signal(str)

    def __init__(self, ctx: AppContext, dialog_parent: QWidget) -> None:
        super().__init__(dialog_parent)
        self._ctx = ctx
        self._parent = dialog_parent
        self.current_path: str | None = None
        self._pending: dict[str, tuple[list[str], str | None]] = {}
        self.save_action = QAction("Save calibration &session…", self)
        self.save_action.setShortcut(QKeySequence("Ctrl+Shift+S"))
        self.save_action.setToolTip(
            "Save runs, roles, SPE gains, cuts and fit settings to replay them later "
            "(larcal session run)"
        )
        self.save_action.triggered.connect(self._on_save_triggered)
        self.open_action = QAction("Open calibration s&ession…", self)
        self.open_action.setToolTip("Open a saved calibration session: its runs and choices")
        self.open_action.triggered.connect(self._on_open_triggered)
        ctx.loader.run_loaded.connect(self._on_run_loaded)

    def current_session(self) -> CalibrationSession:
        """Return the window's session, with the HPGe pane's snapshot when it has one."""
        return session_from_context(self._ctx, hpge_snapshot(self._ctx.hpge))

    # ------------------------------------------------------------------ dialogs
    def ask_save_path(self, suggested: str) -> str:
        """Ask where to save (a file dialog; replaceable in tests)."""
        path, _ = QFileDialog.getSaveFileName(
            self._parent, "Save calibration session", suggested, SESSION_FILTER
        )
        return path

    def ask_open_path(self, start: str) -> str:
        """Ask which session to open (a file dialog; replaceable in tests)."""
        path, _ = QFileDialog.getOpenFileName(
            self._parent, "Open calibration session", start, SESSION_FILTER
        )
        return path

    @Slot()
    def _on_save_triggered(self) -> None:
        start = self.current_path or str(
            Path(self._ctx.settings.last_directory() or ".") / "calibration_session.json"
        )
        path = self.ask_save_path(start)
        if path:
            self.save(path)

    @Slot()
    def _on_open_triggered(self) -> None:
        path = self.ask_open_path(self.current_path or self._ctx.settings.last_directory() or "")
        if path:
            self.open(path)

    # ------------------------------------------------------------------ actions
    def save(self, path: str) -> None:
        """Write the window's session to ``path`` (in a job)."""
        session = self.current_session()
        self._ctx.jobs.submit(
            save_session,
            path,
            session,
            title=f"Saving session {Path(path).name}",
            on_done=self._on_saved,
        )

    def _on_saved(self, path: Path) -> None:
        self.current_path = str(Path(path).resolve())
        self._ctx.notifier.info(f"Session saved to {path}")
        self.saved.emit(self.current_path)

    def open(self, path: str) -> None:
        """Read ``path`` (in a job) and apply it."""
        self._ctx.jobs.submit(
            load_session,
            path,
            title=f"Opening session {Path(path).name}",
            on_done=functools.partial(self._on_loaded, str(Path(path).resolve())),
        )

    def _on_loaded(self, path: str, session: CalibrationSession) -> None:
        self.current_path = path
        apply_session_settings(self._ctx, session)
        self._pending.clear()
        to_open = []
        for role in ROLES:
            run = session.runs.get(role)
            if run is None or run.raw_path is None:
                continue
            roles, _ = self._pending.get(run.raw_path, ([], None))
            self._pending[run.raw_path] = ([*roles, role], run.rq_path)
            if run.raw_path in self._ctx.state.runs:
                continue
            if run.raw_path not in to_open:
                to_open.append(run.raw_path)
        for raw in [p for p in self._pending if p in self._ctx.state.runs]:
            self._restore_run(raw)
        if to_open:
            self._ctx.loader.open_files(to_open)
        if session.hpge and session.hpge.get("inputs"):
            self._ctx.hpge.request_restore(session.hpge["inputs"])
        self._ctx.notifier.info(f"Session {Path(path).name} opened")
        self.opened.emit(path)

    @Slot(str)
    def _on_run_loaded(self, path: str) -> None:
        if path in self._pending:
            self._restore_run(path)

    def _restore_run(self, raw: str) -> None:
        roles, rq_path = self._pending.pop(raw)
        for role in roles:
            self._ctx.calib.set_role(role, raw)
        info = self._ctx.state.run(raw)
        if rq_path and info.rq_path != rq_path and Path(rq_path).is_file():
            self._ctx.jobs.submit(
                read_rq,
                rq_path,
                title=f"Reading {Path(rq_path).name}",
                on_done=functools.partial(self._on_rq_read, raw, rq_path),
            )

    def _on_rq_read(self, raw: str, rq_path: str, table: Any) -> None:
        if raw in self._ctx.state.runs:
            self._ctx.state.set_rq(raw, table, rq_path)

    def close(self) -> None:
        """Disconnect from the run loader."""
        with contextlib.suppress(RuntimeError, TypeError):
            self._ctx.loader.run_loaded.disconnect(self._on_run_loaded)
