"""Kr timing controller: the ``halflife`` and ``delay`` steps of the calibration.

What to use when
----------------
- ``build(ctx)`` is the pane's entry for ``workbench.registry`` (``PaneSpec("kr_timing",
  "Kr timing", "centre", build)``).
- ``KrTimingController`` keeps the settings of both steps in ``ctx.calib`` in exactly the
  format of ``analysis_core.fitting.timing_steps`` and their results (``HalfLifeResult``,
  ``DelayResult``). Each step runs in its own job (``key="halflife"`` / ``"delay"``: the latest
  request wins) with ``compute_halflife`` / ``compute_delay``, as a headless replay does.
- Recomputation: an edit of a form (or the dragged end of the filling period) reruns its step;
  new cuts, roles or RQ tables rerun both; a new 41.5 keV peak fit reruns the half-life when its
  window follows that fit. The filling period is ``exclude_before_s: "auto"`` (found in each
  run by ``compute_halflife``: up to the highest-rate time bin, so a session replayed on a new
  Kr run finds that run's own) until the user types a time or drags its edge (then that
  number is stored).
- Errors (no Kr run, no peak fit yet, bad settings) are shown in the pane; after an edit by the
  user they also go to the notifier.
- Every user edit of the settings is undoable (``undo``: Ctrl+Z / Ctrl+Shift+Z in the pane).
- Scripts and tests: ``edit_halflife(**settings)``, ``edit_delay(**settings)``, ``refresh()``.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Slot

from analysis_core.fitting.timing_steps import compute_delay, compute_halflife
from analysis_core.reduction import ReductionConfig
from workbench.context import AppContext
from workbench.controllers.kr_timing_present import show_delay, show_halflife
from workbench.controllers.spectrum_fit_inputs import (
    StepOutcome,
    inputs_signature,
    pe_columns,
    run_step,
    step_inputs,
)
from workbench.controllers.spectrum_fit_undo import SettingsUndo, describe_change
from workbench.panes.kr_timing import KrTimingPane
from workbench.registry import PaneBinding

__all__ = ["DEFAULT_DELAY", "DEFAULT_HALFLIFE", "KrTimingController", "build"]

#: First ``halflife`` settings: the window follows the Kr peak fit; 10 min bins; the filling
#: period is found in the run.
DEFAULT_HALFLIFE: dict[str, Any] = {
    "role": "kr",
    "column": "total_pe",
    "range": None,
    "n_sigma": 2.0,
    "bin_s": 600.0,
    "exclude_before_s": "auto",
    "apply_cuts": True,
}
#: First ``delay`` settings (the step's defaults fill in the rest).
DEFAULT_DELAY: dict[str, Any] = {"role": "kr", "apply_cuts": True}
_COMPUTE = {"halflife": compute_halflife, "delay": compute_delay}
#: Shown while the half-life window waits for a 41.5 keV fit.
NO_PEAK_FIT = (
    "the window follows the 41.5 keV peak fit, and there is none yet: fit the peak in the "
    "Spectrum & fit pane, or untick 'From the 41.5 keV peak fit' and type the window."
)


def _has_kr_fit(inputs: Any) -> bool:
    """Return True when an earlier ``peak_fit`` holds a valid fit of a Kr-role peak."""
    peaks = getattr(inputs.results.get("peak_fit"), "peaks", {}) or {}
    return any(p.role == "kr" and p.fit.valid for p in peaks.values())


class KrTimingController(QObject):
    """Wires ``KrTimingPane`` to ``ctx.calib`` and jobs (see the module docstring)."""

    def __init__(self, ctx: AppContext, pane: KrTimingPane) -> None:
        super().__init__(pane)
        self._ctx = ctx
        self._pane = pane
        self._errors: dict[str, str] = {}
        self._user_edit: set[str] = set()
        self._writing = False
        self._signature: tuple[Any, ...] = ()
        self.resolving_cut_ns = float(ReductionConfig().delayed_after_ns)
        pane.halflife_edited.connect(self._on_halflife_edited)
        pane.delay_edited.connect(self._on_delay_edited)
        calib, state = ctx.calib, ctx.state
        for signal in (calib.cuts_settled, calib.roles_changed, state.rq_changed):
            signal.connect(self._on_inputs_changed)
        calib.settings_changed.connect(self._on_settings_changed)
        calib.result_changed.connect(self._on_result_changed)
        self.undo = SettingsUndo(self._set_step_settings, self)
        pane.add_undo_actions(self.undo.undo_action, self.undo.redo_action)
        self._signature = inputs_signature(ctx)
        self.refresh()

    # ------------------------------------------------------------------ actions
    def settings(self, step: str) -> dict[str, Any] | None:
        """Return the stored settings of ``step`` (None when never set)."""
        s = self._ctx.calib.settings(step)
        return s or None

    def edit_halflife(self, **changes: Any) -> None:
        """Change ``halflife`` settings and rerun the step (as the form does)."""
        self._edit("halflife", changes)

    def edit_delay(self, **changes: Any) -> None:
        """Change ``delay`` settings and rerun the step (as the form does)."""
        self._edit("delay", changes)

    def _edit(self, step: str, changes: dict[str, Any]) -> None:
        old = self.settings(step) or dict(DEFAULT_HALFLIFE if step == "halflife" else DEFAULT_DELAY)
        new = {**old, **changes}
        if new != old:
            title = "half-life" if step == "halflife" else "delay"
            self.undo.apply(step, old, new, f"{title} {describe_change(old, new)}")

    def _set_step_settings(self, step: str, settings: dict[str, Any]) -> None:
        """Store a user's settings of ``step`` (or undo/redo them) and rerun it."""
        self._user_edit.add(step)
        self._errors.pop(step, None)
        self._store(step, settings)
        self._submit(step)

    def refresh(self) -> None:
        """Show the Kr run and both steps (computing what is missing), or what to do first."""
        inputs = step_inputs(self._ctx)
        table = inputs.rq.get("kr")
        path = self._ctx.calib.role_path("kr")
        self._pane.show_columns(pe_columns(table))
        if table is None:
            if path is None:
                text = "No Kr run is open: open an 83mKr injection run and reduce it."
            else:
                text = f"The Kr run {Path(path).name} is not reduced yet: reduce it (Runs pane)."
            self._pane.run_label.setText(text)
            for plot in (self._pane.rate, self._pane.time_map, self._pane.delay):
                plot.clear(text)
            self._pane.halflife_params.clear("No fit yet.")
            self._pane.delay_params.clear("No fit yet.")
            return
        self._pane.run_label.setText(
            f"Kr run: {Path(path or '').name} ({len(table)} events, "
            f"{table.livetime_s / 3600.0:.2f} h)"
        )
        for step, default in (("halflife", DEFAULT_HALFLIFE), ("delay", DEFAULT_DELAY)):
            if self.settings(step) is None:
                self._store(step, dict(default))
            self._show_settings(step)
            if self._ctx.calib.result(step) is None and step not in self._errors:
                self._submit(step)
            else:
                self._show(step)

    # ------------------------------------------------------------------ storing and showing
    def _store(self, step: str, settings: dict[str, Any]) -> None:
        self._writing = True
        try:
            self._ctx.calib.set_settings(step, settings)
        finally:
            self._writing = False
        self._show_settings(step)

    def _show_settings(self, step: str) -> None:
        s = self.settings(step) or {}
        result = self._ctx.calib.result(step)
        if step == "halflife":
            window = getattr(result, "window", None)
            used_s = getattr(result, "exclude_before_s", None)
            self._pane.show_halflife_values(s, window, used_s)
        else:
            full = getattr(result, "settings", None) or {}
            self._pane.show_delay_values({**full, **s})

    def _show(self, step: str) -> None:
        error = self._errors.get(step)
        pane = self._pane
        if error:
            if step == "halflife":
                pane.rate.clear(f"No half-life fit: {error}")
                pane.time_map.clear("ftop vs time follows the half-life window.")
                pane.halflife_params.show_error(error)
            else:
                pane.delay.clear(f"No delay fit: {error}")
                pane.delay_params.show_error(error)
            return
        result = self._ctx.calib.result(step)
        if result is None:
            return
        if step == "halflife":
            cuts = self._ctx.calib.cuts if result.settings.get("apply_cuts", True) else None
            enabled = getattr(cuts, "enabled_cuts", ()) if cuts is not None else ()
            show_halflife(pane, result, ftop_cut=any("ftop" in c.columns for c in enabled))
        else:
            show_delay(pane, result, self.resolving_cut_ns)
        self._show_settings(step)

    # ------------------------------------------------------------------ jobs
    def _submit(self, step: str) -> None:
        settings = self.settings(step)
        inputs = step_inputs(self._ctx)
        if settings is None or settings.get("role", "kr") not in inputs.rq:
            return  # no reduced Kr run: refresh() shows what to do
        if step == "halflife" and settings.get("range") is None and not _has_kr_fit(inputs):
            self._errors[step] = NO_PEAK_FIT
            if self._ctx.calib.result(step) is not None:
                self._ctx.calib.set_result(step, None)
            self._show(step)
            return
        self._ctx.jobs.submit(
            run_step,
            _COMPUTE[step],
            inputs,
            settings,
            key=f"kr_timing:{step}",
            on_done=functools.partial(self._on_step_done, step),
            on_error=functools.partial(self._on_step_crashed, step),
        )

    def _on_step_done(self, step: str, outcome: StepOutcome) -> None:
        if outcome.settings != self.settings(step):
            return  # settings changed meanwhile; their own job follows
        if outcome.error:
            self._on_step_failed(step, outcome.error)
            return
        self._errors.pop(step, None)
        self._user_edit.discard(step)
        self._ctx.calib.set_result(step, outcome.result)

    def _on_step_crashed(self, step: str, message: str) -> None:
        self._user_edit.discard(step)  # the job runner has told the notifier already
        self._on_step_failed(step, message)

    def _on_step_failed(self, step: str, message: str) -> None:
        self._errors[step] = message
        if self._ctx.calib.result(step) is not None:
            self._ctx.calib.set_result(step, None)
        if step in self._user_edit:
            self._user_edit.discard(step)
            title = "Kr half-life" if step == "halflife" else "Kr delay"
            self._ctx.notifier.error(title, message)
        self._show(step)

    # ------------------------------------------------------------------ events
    @Slot()
    def _on_halflife_edited(self) -> None:
        self._edit("halflife", self._pane.halflife_values())

    @Slot()
    def _on_delay_edited(self) -> None:
        self._edit("delay", self._pane.delay_values())

    @Slot()
    def _on_inputs_changed(self, *_: object) -> None:
        signature = inputs_signature(self._ctx)
        if signature == self._signature:
            return
        self._signature = signature
        self._errors.clear()
        for step in ("halflife", "delay"):
            if self._ctx.calib.result(step) is not None:
                self._ctx.calib.set_result(step, None)  # stale: recomputed below
        self.refresh()

    @Slot(str)
    def _on_settings_changed(self, step: str) -> None:
        if step in _COMPUTE and not self._writing:  # e.g. a session was loaded
            self._errors.pop(step, None)
            self.undo.clear()
            self._show_settings(step)
            self._submit(step)

    @Slot(str)
    def _on_result_changed(self, step: str) -> None:
        if step in _COMPUTE:
            self._show(step)
        elif step == "peak_fit":
            s = self.settings("halflife")
            if s is not None and s.get("range") is None:
                self._errors.pop("halflife", None)
                self._submit("halflife")  # the window follows the peak fit


def build(ctx: AppContext) -> PaneBinding:
    """Create the Kr timing pane and its controller."""
    pane = KrTimingPane()
    return PaneBinding(pane, KrTimingController(ctx, pane))
