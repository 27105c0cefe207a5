"""Observable state of the liquid-argon calibration: run roles, SPE gains, cuts, steps, results.

What to use when
----------------
- ``CalibrationState``: one instance per window (``ctx.calib``), beside ``SessionState``
  (``ctx.state``, the loaded runs and their RQ tables). Every calibration pane reads and writes
  the calibration through it, never through another pane.
- Run roles (``ROLES``): which loaded run is the LED, background, Kr, 57Co or 241Am run. By
  default a run takes the role of its file's ``run_type``; ``set_role`` overrides it.
- SPE gains: per analysis (``"A"``: DEAP model on LED data, ``"B"``: late single PE), each a
  ``(top, bottom)`` tuple in ADC x ns per PE; ``active_gain_analysis`` says which one the
  reductions use.
- Cuts: the current cut set (an ``analysis_core.cuts`` object; stored as given). A drag on the
  Cuts pane replaces it tens of times a second: ``cuts_changed`` follows every change (for the
  Cuts pane's own live survival), ``cuts_settled`` only once the cut set has stayed unchanged for
  ``settle_ms`` — panes whose recomputation is heavier (peak, half-life, component fits) listen
  to that one, so a drag does not queue hundreds of fits.
- Steps: each analysis step (``"peak_fit"``, ``"halflife"``, ``"delay"``, ``"components_a"``,
  ``"components_b"``, ``"linearity"``, ...) keeps its *settings* (a JSON-ready dict: fit range,
  model, cost, ...) and its latest *result* (a typed result object of ``analysis_core``). The
  settings are what a saved session replays; results are recomputed from them.
"""

from __future__ import annotations

import copy
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from analysis_core.steps import ROLES
from workbench.state import SessionState

__all__ = ["ROLES", "ROLE_OF_RUN_TYPE", "CalibrationState"]


#: Default role of a raw file's ``run_type`` attribute.
ROLE_OF_RUN_TYPE = {
    "led": "led",
    "background": "background",
    "ar39": "background",
    "kr83m": "kr",
    "kr-run": "kr",
    "co57": "co57",
    "am241": "am241",
}


class CalibrationState(QObject):
    """The calibration being built in this window.

    Parameters
    ----------
    state : SessionState
        The loaded runs; roles follow them (a removed run loses its role).
    settle_ms : int
        Quiet time after the last cut change before ``cuts_settled`` (0: at once, in the same
        call, as the inline-job windows of the tests use).
    parent : QObject, optional
        Qt parent.

    Signals
    -------
    roles_changed()
        A role was assigned, overridden or lost.
    gains_changed()
        SPE gains of an analysis, or the active analysis, changed.
    cuts_changed()
        The cut set was replaced.
    cuts_settled()
        The cut set has not changed for ``settle_ms`` (after one or many ``cuts_changed``).
    settings_changed(str)
        The settings of the named step changed.
    result_changed(str)
        The result of the named step was replaced or cleared.
    """

    roles_changed = Signal()
    gains_changed = Signal()
    cuts_changed = Signal()
    cuts_settled = Signal()
    settings_changed = Signal(str)
    result_changed = Signal(str)

    #: Default quiet time (ms) before ``cuts_settled``: longer than the gap between the events of
    #: a drag, short enough to feel immediate after the mouse is released.
    SETTLE_MS = 250

    def __init__(
        self, state: SessionState, settle_ms: int = SETTLE_MS, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(max(0, int(settle_ms)))
        self._settle.timeout.connect(self.cuts_settled)
        self._state = state
        self._overrides: dict[str, str | None] = {}
        self._gains: dict[str, tuple[float, float]] = {}
        self._gain_errors: dict[str, tuple[float, float]] = {}
        self._active_gain = "A"
        self._cuts: Any = None
        self._settings: dict[str, dict[str, Any]] = {}
        self._results: dict[str, Any] = {}
        state.runs_changed.connect(self._on_runs_changed)

    # ----------------------------------------------------------------- roles
    def role_path(self, role: str) -> str | None:
        """Path of the run playing ``role`` (explicit choice first, else by run type)."""
        _check_role(role)
        runs = self._state.runs
        if role in self._overrides:
            path = self._overrides[role]
            return path if path in runs else None
        for path, info in runs.items():
            if ROLE_OF_RUN_TYPE.get(info.run_type) == role:
                return path
        return None

    def roles(self) -> dict[str, str | None]:
        """Every role and the path of the run playing it (None when unassigned)."""
        return {role: self.role_path(role) for role in ROLES}

    def set_role(self, role: str, path: str | None) -> None:
        """Assign ``path`` (a loaded run, or None for none) to ``role``."""
        _check_role(role)
        if path is not None and path not in self._state.runs:
            raise KeyError(f"{path} is not a loaded run")
        self._overrides[role] = path
        self.roles_changed.emit()

    def _on_runs_changed(self) -> None:
        self.roles_changed.emit()

    # ----------------------------------------------------------------- gains
    @property
    def active_gain_analysis(self) -> str:
        """``"A"`` or ``"B"``: the SPE-gain definition reductions use."""
        return self._active_gain

    def set_active_gain_analysis(self, analysis: str) -> None:
        """Choose the SPE-gain definition the reductions use."""
        _check_analysis(analysis)
        if analysis != self._active_gain:
            self._active_gain = analysis
            self.gains_changed.emit()

    def gains(self, analysis: str | None = None) -> tuple[float, float] | None:
        """``(top, bottom)`` SPE gains in ADC x ns per PE of ``analysis`` (default: active)."""
        analysis = analysis or self._active_gain
        _check_analysis(analysis)
        return self._gains.get(analysis)

    def gain_errors(self, analysis: str | None = None) -> tuple[float, float] | None:
        """Uncertainties of :meth:`gains`, same units."""
        analysis = analysis or self._active_gain
        _check_analysis(analysis)
        return self._gain_errors.get(analysis)

    def set_gains(
        self,
        analysis: str,
        gains_adc_ns: tuple[float, float] | None,
        errors_adc_ns: tuple[float, float] | None = None,
    ) -> None:
        """Set (or clear with None) the SPE gains of one analysis."""
        _check_analysis(analysis)
        if gains_adc_ns is None:
            self._gains.pop(analysis, None)
            self._gain_errors.pop(analysis, None)
        else:
            self._gains[analysis] = (float(gains_adc_ns[0]), float(gains_adc_ns[1]))
            if errors_adc_ns is not None:
                self._gain_errors[analysis] = (float(errors_adc_ns[0]), float(errors_adc_ns[1]))
            else:
                self._gain_errors.pop(analysis, None)
        self.gains_changed.emit()

    # ------------------------------------------------------------------ cuts
    @property
    def cuts(self) -> Any:
        """The current cut set (None before any cut was made)."""
        return self._cuts

    def set_cuts(self, cuts: Any) -> None:
        """Replace the cut set and notify."""
        self._cuts = cuts
        self.cuts_changed.emit()
        if self._settle.interval() == 0:
            self.cuts_settled.emit()
        else:
            self._settle.start()  # restarts: only the last change of a drag settles

    # ------------------------------------------------------- step settings
    def settings(self, step: str) -> dict[str, Any]:
        """Return a copy of the settings of ``step`` (empty when never set)."""
        return copy.deepcopy(self._settings.get(step, {}))

    def all_settings(self) -> dict[str, dict[str, Any]]:
        """Return the settings of every step (a deep copy), as a saved session stores them."""
        return copy.deepcopy(self._settings)

    def set_settings(self, step: str, settings: dict[str, Any]) -> None:
        """Replace the settings of ``step`` (a JSON-ready dict) and notify."""
        self._settings[step] = copy.deepcopy(dict(settings))
        self.settings_changed.emit(step)

    def clear_step(self, step: str) -> None:
        """Forget the settings and the result of ``step``, and notify.

        A newly opened session without that step must not inherit the previous one's.
        """
        self._settings.pop(step, None)
        self._results.pop(step, None)
        self.settings_changed.emit(step)
        self.result_changed.emit(step)

    # -------------------------------------------------------------- results
    def result(self, step: str) -> Any:
        """Latest result of ``step`` (None when not computed)."""
        return self._results.get(step)

    def results(self) -> dict[str, Any]:
        """Every computed result by step (a shallow copy)."""
        return dict(self._results)

    def set_result(self, step: str, result: Any) -> None:
        """Store (or clear with None) the result of ``step`` and notify."""
        if result is None:
            self._results.pop(step, None)
        else:
            self._results[step] = result
        self.result_changed.emit(step)


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise ValueError(f"unknown run role {role!r}; expected one of {ROLES}")


def _check_analysis(analysis: str) -> None:
    if analysis not in ("A", "B"):
        raise ValueError(f"unknown analysis {analysis!r}; expected 'A' or 'B'")
