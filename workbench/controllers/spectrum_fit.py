"""Spectrum & fit controller: the ``peak_fit`` step of the calibration, one peak at a time.

What to use when
----------------
- ``build(ctx)`` is the pane's entry for ``workbench.registry`` (``PaneSpec("spectrum_fit",
  "Spectrum & fit", "centre", build)``).
- ``SpectrumFitController`` keeps the step's settings in ``ctx.calib`` in exactly the format of
  ``analysis_core.fitting.peak_step`` (``{"peaks": {"kr_41": {...}, "am241_59": {...},
  "co57_122": {...}}}``) and its result as a ``PeakFitSet``. Each peak is computed in its own
  job (``key="peak_fit:<peak>"``: the latest request wins) with ``compute_peak``, which is what
  ``compute_peak_fit`` does per peak, so the GUI's numbers equal a headless replay's.
- Recomputation: an edit of the form or a dragged range refits the shown peak; new cuts, new
  run roles or a new RQ table refit every configured peak. A peak whose run appears gets
  settings suggested from its data (``spectrum_fit_compute.suggest_peak_settings``) and is
  fitted, so every peak of an opened campaign has a result; suggested settings follow new runs
  until the user edits them.
- Scripts and tests: ``set_peak(key)``, ``set_fit_range(lo, hi)``, ``edit(**settings)``,
  ``refit_all()``, ``inputs()``.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Slot

from analysis_core.fitting.peak_step import PeakFitSet
from analysis_core.fitting.peaks import COSTS, MODELS
from analysis_core.steps import StepInputs
from workbench.context import AppContext
from workbench.controllers.spectrum_fit_compute import (
    PeakOutcome,
    fit_one_peak,
    suggest_or_reason,
)
from workbench.controllers.spectrum_fit_inputs import inputs_signature, pe_columns, step_inputs
from workbench.controllers.spectrum_fit_present import (
    PEAKS,
    ROLE_NAMES,
    Peak,
    peak_by_key,
    settings_from_view,
    show_peak_result,
    view_values,
)
from workbench.controllers.spectrum_fit_undo import SettingsUndo, describe_change
from workbench.panes.spectrum_fit import SpectrumFitPane
from workbench.registry import PaneBinding

__all__ = ["STEP", "SpectrumFitController", "build"]

#: The calibration step this pane computes.
STEP = "peak_fit"


class SpectrumFitController(QObject):
    """Wires ``SpectrumFitPane`` to ``ctx.calib`` and jobs (see the module docstring)."""

    def __init__(self, ctx: AppContext, pane: SpectrumFitPane) -> None:
        super().__init__(pane)
        self._ctx = ctx
        self._pane = pane
        self._current = PEAKS[0].key
        self._errors: dict[str, str] = {}
        self._notified: dict[str, str] = {}
        self._auto: set[str] = set()  # peaks whose settings were suggested, not edited yet
        self._writing = False
        self._signature: tuple[Any, ...] = ()
        pane.show_peaks([(p.key, p.label) for p in PEAKS], self._current)
        pane.show_choices(columns=["total_pe"], models=list(MODELS), costs=list(COSTS))
        pane.peak_changed.connect(self.set_peak)
        pane.edited.connect(self._on_edited)
        pane.range_dragged.connect(self._on_range_dragged)
        pane.fit_requested.connect(self._on_fit_requested)
        pane.run_chosen.connect(self._on_run_chosen)
        pane.background_chosen.connect(self._on_background_chosen)
        calib, state = ctx.calib, ctx.state
        calib.cuts_settled.connect(self._on_inputs_changed)
        calib.roles_changed.connect(self._on_inputs_changed)
        calib.settings_changed.connect(self._on_settings_changed)
        calib.result_changed.connect(self._on_result_changed)
        state.rq_changed.connect(self._on_inputs_changed)
        state.runs_changed.connect(self._on_runs_changed)
        self.undo = SettingsUndo(self._set_peak_settings, self)
        pane.add_undo_actions(self.undo.undo_action, self.undo.redo_action)
        self._signature = inputs_signature(self._ctx)
        self.refresh()

    # ------------------------------------------------------------------ model access
    @property
    def current_peak(self) -> Peak:
        """The peak shown."""
        return peak_by_key(self._current)

    def inputs(self) -> StepInputs:
        """Return the step inputs of the session now."""
        return step_inputs(self._ctx)

    def peak_settings(self, key: str) -> dict[str, Any] | None:
        """Return the stored settings of peak ``key`` (None when never configured)."""
        return self._ctx.calib.settings(STEP).get("peaks", {}).get(key)

    def _store(self, key: str, settings: dict[str, Any]) -> None:
        peaks = dict(self._ctx.calib.settings(STEP).get("peaks", {}))
        peaks[key] = settings
        self._writing = True
        try:
            self._ctx.calib.set_settings(STEP, {"peaks": dict(sorted(peaks.items()))})
        finally:
            self._writing = False

    def _result(self, key: str) -> Any:
        return getattr(self._ctx.calib.result(STEP), "peaks", {}).get(key)

    # ------------------------------------------------------------------ public actions
    @Slot(str)
    def set_peak(self, key: str) -> None:
        """Show peak ``key`` (fitting it, or suggesting its first settings, if needed)."""
        self._current = peak_by_key(key).key
        if self._pane.current_peak() != self._current:
            self._pane.show_peaks([(p.key, p.label) for p in PEAKS], self._current)
        self.refresh()

    def set_fit_range(self, lo: float, hi: float) -> None:
        """Fit the shown peak over ``lo .. hi`` (as dragging the range does)."""
        self.edit(range=[float(lo), float(hi)])

    def edit(self, **changes: Any) -> None:
        """Change settings of the shown peak (step keys) and refit it."""
        key = self._current
        old = self.peak_settings(key)
        if old is None:
            return
        new = {**old, **changes}
        if new != old:
            self._commit(key, old, new)

    def _commit(self, key: str, old: dict[str, Any], new: dict[str, Any]) -> None:
        text = f"{peak_by_key(key).energy_kev:g} keV {describe_change(old, new)}"
        self.undo.apply(key, old, new, text)  # runs _set_peak_settings

    def _set_peak_settings(self, key: str, settings: dict[str, Any]) -> None:
        """Store a user's settings of peak ``key`` (or undo/redo them), show and refit it."""
        self._auto.discard(key)
        self._store(key, settings)
        if key != self._current:
            self.set_peak(key)  # an undo of another peak's edit: show what changes
        self._pane.show_values(view_values(settings))
        self._errors.pop(key, None)
        self._submit(key)

    def refit_all(self, skip: frozenset[str] = frozenset()) -> None:
        """Recompute every configured peak but ``skip`` (new cuts, roles or RQ tables)."""
        peaks = self._ctx.calib.settings(STEP).get("peaks", {})
        present = self.inputs().rq
        results = dict(getattr(self._ctx.calib.result(STEP), "peaks", {}))
        for key, settings in peaks.items():
            if key in skip:
                continue
            if settings.get("role") in present:
                self._submit(key)
            elif results.pop(key, None) is not None:
                # Its run was closed or unassigned: no result, and no error either (the pane
                # says what to open when the peak is shown).
                self._ctx.calib.set_result(STEP, PeakFitSet(results) if results else None)
        if self._current not in peaks:
            self.refresh()

    # ------------------------------------------------------------------ showing
    def refresh(self) -> None:
        """Show the current peak: its run, options and result, or what to do first."""
        peak = self.current_peak
        inputs = self.inputs()
        table = inputs.rq.get(peak.role)
        self._show_runs(peak, inputs)
        self._pane.show_choices(columns=pe_columns(table), models=list(MODELS), costs=list(COSTS))
        self._show_cut_summary()
        if table is None:
            self._show_empty(peak)
            return
        self._pane.set_form_enabled(True)
        settings = self.peak_settings(peak.key)
        if settings is None:
            self._suggest(peak, inputs)
            return
        self._pane.show_values(view_values(settings))
        if self._result(peak.key) is None and peak.key not in self._errors:
            self._submit(peak.key)
        self._show_current()

    def _show_empty(self, peak: Peak) -> None:
        role = ROLE_NAMES.get(peak.role, peak.role)
        path = self._ctx.calib.role_path(peak.role)
        if path is None:
            text = (
                f"No {role} run is open. Open one (File > Open…) and reduce it: the "
                f"{peak.energy_kev:g} keV peak is fitted on its spectrum."
            )
        else:
            text = (
                f"The {role} run {Path(path).name} is not reduced yet: reduce it in the Runs "
                "pane to see its spectrum."
            )
        self._pane.plot.clear(text)
        self._pane.params.clear("No fit yet.")
        self._pane.show_values(
            view_values({"range": [0.0, 0.0], "hist_range": [0.0, 0.0], "bins": 2.0})
        )
        self._pane.set_form_enabled(False)

    def _show_runs(self, peak: Peak, inputs: StepInputs) -> None:
        role = ROLE_NAMES.get(peak.role, peak.role)
        runs = self._ctx.state.runs
        items = [(p, f"{i.name} ({i.run_type})") for p, i in runs.items()]
        path = self._ctx.calib.role_path(peak.role)
        if path is None:
            note = f"Open a {role} run (or choose one above)."
        elif peak.role not in inputs.rq:
            note = "Not reduced yet: reduce it in the Runs pane."
        else:
            t = inputs.rq[peak.role]
            note = f"{len(t):,} events, live time {t.livetime_s:.4g} s, {t.pe_units}"
        bpath = self._ctx.calib.role_path("background")
        bkg = inputs.rq.get("background")
        if bkg is not None:
            bnote = f"{len(bkg):,} events, live time {bkg.livetime_s:.4g} s"
        elif bpath is not None:
            bnote = "Not reduced yet: reduce it to subtract it."
        else:
            bnote = "Open a 39Ar background run to subtract it."
        self._pane.show_runs(items, path, bpath, (note, bnote), bkg is not None)

    @Slot(str)
    def _on_run_chosen(self, path: str) -> None:
        self._ctx.calib.set_role(self.current_peak.role, path or None)

    @Slot(str)
    def _on_background_chosen(self, path: str) -> None:
        self._ctx.calib.set_role("background", path or None)

    @Slot()
    def _on_runs_changed(self) -> None:
        self._show_runs(self.current_peak, self.inputs())

    def _show_cut_summary(self) -> None:
        cuts = self._ctx.calib.cuts
        n = len(getattr(cuts, "enabled_cuts", ())) if cuts is not None else 0
        self._pane.show_cut_summary(
            f"Apply cuts ({n} enabled)" if cuts is not None else "Apply cuts (none defined yet)"
        )

    def _show_current(self) -> None:
        peak = self.current_peak
        error = self._errors.get(peak.key)
        if error:
            self._pane.plot.clear(f"Cannot compute the {peak.energy_kev:g} keV spectrum:\n{error}")
            self._pane.params.show_error(error)
            return
        result = self._result(peak.key)
        if result is None:
            return
        show_peak_result(self._pane, peak, result)

    # ------------------------------------------------------------------ jobs
    def _suggest(self, peak: Peak, inputs: StepInputs) -> None:
        if peak.key == self._current and self._result(peak.key) is None:
            self._pane.plot.clear(f"Looking for the {peak.energy_kev:g} keV peak…")
            self._pane.params.clear("")
        self._ctx.jobs.submit(
            suggest_or_reason,
            inputs,
            peak,
            key=f"peak_fit_suggest:{peak.key}",
            on_done=functools.partial(self._on_suggested, peak.key),
            on_error=functools.partial(self._on_suggest_failed, peak.key),
        )

    def _on_suggested(self, key: str, outcome: tuple[dict[str, Any] | None, str]) -> None:
        settings, reason = outcome
        if settings is None:
            self._on_peak_failed(key, reason)
            return
        if self.peak_settings(key) is None or key in self._auto:
            self._store(key, settings)
            self._auto.add(key)
        if key == self._current:
            self._pane.show_values(view_values(self.peak_settings(key) or settings))
        self._submit(key)

    def _on_suggest_failed(self, key: str, message: str) -> None:
        self._errors[key] = message
        if key == self._current:
            self._show_current()

    def _submit(self, key: str) -> None:
        settings = self.peak_settings(key)
        if settings is None:
            return
        self._ctx.jobs.submit(
            fit_one_peak,
            self.inputs(),
            key,
            settings,
            key=f"peak_fit:{key}",
            on_done=self._on_peak_done,
            on_error=functools.partial(self._on_peak_failed, key, notify=False),
        )

    def _on_peak_done(self, outcome: PeakOutcome) -> None:
        key = outcome.key
        if outcome.settings != self.peak_settings(key):
            return  # the settings changed meanwhile; their own job follows
        if outcome.error:
            self._on_peak_failed(key, outcome.error)
            return
        self._errors.pop(key, None)
        self._notified.pop(key, None)
        peaks = dict(getattr(self._ctx.calib.result(STEP), "peaks", {}))
        peaks[key] = outcome.result
        self._ctx.calib.set_result(STEP, PeakFitSet(dict(sorted(peaks.items()))))

    def _on_peak_failed(self, key: str, message: str, *, notify: bool = True) -> None:
        # notify=False: the job itself raised (a bug); the job runner has told the notifier.
        self._errors[key] = message
        peaks = dict(getattr(self._ctx.calib.result(STEP), "peaks", {}))
        if peaks.pop(key, None) is not None:
            self._ctx.calib.set_result(STEP, PeakFitSet(peaks) if peaks else None)
        if notify and self._notified.get(key) != message:
            self._notified[key] = message
            self._ctx.notifier.error(f"Peak fit {peak_by_key(key).energy_kev:g} keV", message)
        if key == self._current:
            self._show_current()

    # ------------------------------------------------------------------ events
    @Slot()
    def _on_edited(self) -> None:
        key = self._current
        old = self.peak_settings(key)
        if old is None:
            return
        new = {**old, **settings_from_view(self._pane.values())}
        if new != old:
            self._commit(key, old, new)
        else:
            self._show_current()  # a view-only option (the overlay)

    @Slot(float, float)
    def _on_range_dragged(self, lo: float, hi: float) -> None:
        self._on_edited()

    @Slot()
    def _on_fit_requested(self) -> None:
        self._errors.pop(self._current, None)
        self._submit(self._current)

    @Slot()
    def _on_inputs_changed(self, *_: object) -> None:
        # runs_changed (hence roles_changed) also fires for activity texts during reductions:
        # refit only when a role, a table or the cuts really changed.
        signature = inputs_signature(self._ctx)
        if signature == self._signature:
            return
        self._signature = signature
        self._errors.clear()
        inputs = self.inputs()
        # Settings never edited by the user are suggested again with the new runs (e.g. the
        # background run arrived after the Kr run: the Kr peak is then fitted after subtraction).
        # Peaks never configured whose run is there are fitted too, so that every calibration
        # peak of the campaign has a result (the linearity step uses all of them).
        configured = self._ctx.calib.settings(STEP).get("peaks", {})
        again = frozenset(
            p.key
            for p in PEAKS
            if p.role in inputs.rq and (p.key in self._auto or p.key not in configured)
        )
        for key in sorted(again):
            self._suggest(peak_by_key(key), inputs)
        self.refit_all(skip=again)
        self.refresh()

    @Slot(str)
    def _on_settings_changed(self, step: str) -> None:
        if step == STEP and not self._writing:  # e.g. a session was loaded
            self._errors.clear()
            self._auto.clear()
            self.undo.clear()
            self.refit_all()
            self.refresh()

    @Slot(str)
    def _on_result_changed(self, step: str) -> None:
        if step == STEP:
            self._show_current()


def build(ctx: AppContext) -> PaneBinding:
    """Create the Spectrum & fit pane and its controller."""
    pane = SpectrumFitPane()
    return PaneBinding(pane, SpectrumFitController(ctx, pane))
