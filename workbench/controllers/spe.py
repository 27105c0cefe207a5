"""SPE controller: the "spe" step of the calibration (SPE gains, Analysis A and B).

What to use when
----------------
- ``build(ctx)`` is the pane's entry for ``workbench.registry`` (``PaneSpec("spe",
  "SPE gains", "centre", build)``).
- ``SpeController`` keeps the step's settings in ``ctx.calib`` (``set_settings("spe", ...)``,
  the keys of ``analysis_core.spe.DEFAULT_SETTINGS``) and its result (``set_result("spe",
  SpeResult)``); a fit runs ``compute_spe`` in a job (``key="spe"``: the latest request wins;
  progress in the pane; Cancel stops it between chunks), exactly as ``larcal session run``
  replays it. Valid gains go to ``ctx.calib.set_gains(analysis, gains, errors)``; the radio
  buttons set ``ctx.calib.set_active_gain_analysis``.
- "Reduce all runs with these gains" puts the active gains into
  ``ctx.state.reduction_config`` and asks ``ctx.reductions`` to reduce every open run: the same
  job, progress and error handling as "Reduce selected run".
- Runs: the LED box offers the runs of type ``led``, the source box the Kr and background runs;
  a choice sets the run's role in ``ctx.calib`` (and ``b_role`` in the settings).
- Settings that arrive from elsewhere (File › Open calibration session) refit the gains, as
  ``larcal session run`` does: once the LED and source runs have their roles (debounced,
  ``delay_ms``), so an opened session exports the same SPE results as its replay.
- Scripts and tests: ``fit()``, ``cancel()``, ``edit(**settings)``, ``reduce_all()``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from PySide6.QtCore import QObject, QTimer, Slot

from analysis_core.spe import DEFAULT_SETTINGS, SpeResult, compute_spe
from workbench.calibration import ROLE_OF_RUN_TYPE
from workbench.context import AppContext
from workbench.controllers.session import step_inputs_from_context
from workbench.controllers.spe_present import show_result
from workbench.jobs import JobHandle
from workbench.panes.spe import SpePane
from workbench.registry import PaneBinding

__all__ = ["SpeController", "build"]

_SOURCE_ROLES = ("kr", "background")
_TITLE = "Reduce with SPE gains"


class SpeController(QObject):
    """Wires ``SpePane`` to ``ctx.calib``, jobs and the Runs controller (see module docstring)."""

    def __init__(self, ctx: AppContext, pane: SpePane, *, delay_ms: int = 300) -> None:
        super().__init__(pane)
        self._ctx = ctx
        self._pane = pane
        self._job: JobHandle | None = None
        self._writing = False
        # settings from a session: refit once the runs they need have their roles
        self._refit_pending = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(delay_ms)
        self._timer.timeout.connect(self._refit_if_ready)
        pane.led_run_chosen.connect(self._on_led_chosen)
        pane.source_run_chosen.connect(self._on_source_chosen)
        pane.settings_edited.connect(self._on_settings_edited)
        pane.fit_requested.connect(self.fit)
        pane.cancel_requested.connect(self.cancel)
        pane.active_analysis_chosen.connect(self._on_active_chosen)
        pane.reduce_all_requested.connect(self.reduce_all)
        calib = ctx.calib
        calib.roles_changed.connect(self._on_roles_changed)
        calib.gains_changed.connect(self._show_active)
        calib.settings_changed.connect(self._on_settings_changed)
        calib.result_changed.connect(self._on_result_changed)
        ctx.jobs.job_progress.connect(self._on_job_progress)
        self._show_runs()
        pane.show_settings(self.settings())
        self._show_active()
        self._show_result()

    # ------------------------------------------------------------------ settings
    def settings(self) -> dict[str, Any]:
        """Return the step's settings: the defaults updated by the stored ones."""
        return {**DEFAULT_SETTINGS, **self._ctx.calib.settings("spe")}

    def edit(self, **changes: Any) -> None:
        """Change settings (as the form does); the next fit uses them."""
        new = {**self.settings(), **changes}
        if new != self.settings() or not self._ctx.calib.settings("spe"):
            self._writing = True
            try:
                self._ctx.calib.set_settings("spe", new)
            finally:
                self._writing = False
            self._pane.show_settings(new)

    @Slot()
    def _on_settings_edited(self) -> None:
        self.edit(**self._pane.settings_values())

    @Slot(str)
    def _on_settings_changed(self, step: str) -> None:
        if step == "spe" and not self._writing:
            self._pane.show_settings(self.settings())
            self._show_runs()
            if self._ctx.calib.settings("spe"):
                self._refit_pending = True
                self._timer.start()

    @Slot()
    def _refit_if_ready(self) -> None:
        """Refit for settings that came from a session once the runs are there.

        Fits as soon as one input run has its role; stays pending (and fits again) until both
        the LED run (Analysis A) and the source run (Analysis B) have theirs.
        """
        if not self._refit_pending:
            return
        has_led = self._ctx.calib.role_path("led") is not None
        has_source = self._source_path() is not None
        if not (has_led or has_source):
            return
        self._refit_pending = not (has_led and has_source)
        self._fit()

    def has_pending_refit(self) -> bool:
        """Whether settings from a session still wait for their runs to be refitted."""
        return self._refit_pending or self._timer.isActive()

    # ------------------------------------------------------------------ runs
    def _source_path(self) -> str | None:
        role = self.settings()["b_role"]
        roles = _SOURCE_ROLES if role == "auto" else (role,)
        return next((p for r in roles if (p := self._ctx.calib.role_path(r))), None)

    @Slot()
    def _on_roles_changed(self) -> None:
        self._show_runs()
        if self._refit_pending:
            self._timer.start()
        if self._ctx.calib.result("spe") is None:
            self._show_result()  # the hints name the missing runs

    def _show_runs(self) -> None:
        runs = self._ctx.state.runs
        led = [(p, i.name) for p, i in runs.items() if ROLE_OF_RUN_TYPE.get(i.run_type) == "led"]
        src = [
            (p, f"{i.name} ({i.run_type})")
            for p, i in runs.items()
            if ROLE_OF_RUN_TYPE.get(i.run_type) in _SOURCE_ROLES
        ]
        led_path = self._ctx.calib.role_path("led")
        if led_path and all(p != led_path for p, _ in led):
            led.append((led_path, runs[led_path].name))
        self._pane.show_runs(led, led_path, src, self._source_path())

    @Slot(str)
    def _on_led_chosen(self, path: str) -> None:
        self._ctx.calib.set_role("led", path or None)

    @Slot(str)
    def _on_source_chosen(self, path: str) -> None:
        if not path:
            self.edit(b_role="auto")
            for role in _SOURCE_ROLES:
                self._ctx.calib.set_role(role, None)
            return
        role = ROLE_OF_RUN_TYPE.get(self._ctx.state.run(path).run_type, "background")
        role = role if role in _SOURCE_ROLES else "background"
        self.edit(b_role=role)
        self._ctx.calib.set_role(role, path)

    # ------------------------------------------------------------------ fitting
    def fit(self) -> None:
        """Run the step in a job with the current settings (stored first)."""
        self._refit_pending = False
        self._timer.stop()
        self.edit()
        self._fit()

    def _fit(self) -> None:
        self._pane.show_busy(True, "Fitting SPE gains…")
        handle = self._ctx.jobs.submit(
            compute_spe,
            step_inputs_from_context(self._ctx),
            self.settings(),
            hooks=True,
            key="spe",
            title="Fitting SPE gains",
            on_done=self._on_done,
            on_error=self._on_error,
            on_cancelled=self._on_cancelled,
        )
        self._job = handle if handle.is_running else None

    def cancel(self) -> None:
        """Stop a running fit (the previous result stays)."""
        if self._job is not None:
            self._job.cancel()

    @Slot(int, int, int)
    def _on_job_progress(self, job_id: int, done: int, total: int) -> None:
        if self._job is not None and self._job.job_id == job_id and total > 0:
            self._pane.show_busy(True, f"Fitting SPE gains… {100 * done // total} %")

    def _on_done(self, result: SpeResult) -> None:
        self._job = None
        calib = self._ctx.calib
        calib.set_result("spe", result)
        for name, an in result.analyses.items():
            if an.valid and len(an.gains_adc_ns) == 2:
                calib.set_gains(name, an.gains_adc_ns, an.errors_adc_ns)  # type: ignore[arg-type]
        bad = [f"{n}: {a.message}" for n, a in result.analyses.items() if not a.valid]
        text = ("Fit failed for " + "; ".join(bad)) if bad else "Gains fitted."
        self._pane.show_busy(False, text)

    def _on_error(self, message: str) -> None:
        self._job = None
        self._pane.show_busy(False, f"SPE fit failed: {message}")
        self._ctx.notifier.warning("SPE gains", message)

    def _on_cancelled(self) -> None:
        self._job = None
        self._pane.show_busy(False, "Fit cancelled; the previous gains are kept.")

    # ------------------------------------------------------------------ showing
    @Slot(str)
    def _on_result_changed(self, step: str) -> None:
        if step == "spe":
            self._show_result()

    def _show_result(self) -> None:
        todo = "Not fitted yet: press Fit gains."
        hints = {
            "A": "No LED run: open one (File › Open…) for Analysis A."
            if self._ctx.calib.role_path("led") is None
            else todo,
            "B": "No Kr or background run: open one for Analysis B."
            if self._source_path() is None
            else todo,
        }
        show_result(self._pane, self._ctx.calib.result("spe"), hints)

    @Slot()
    def _show_active(self) -> None:
        calib = self._ctx.calib
        available = {a for a in ("A", "B") if calib.gains(a) is not None}
        self._pane.show_active(calib.active_gain_analysis, available)

    @Slot(str)
    def _on_active_chosen(self, analysis: str) -> None:
        self._ctx.calib.set_active_gain_analysis(analysis)

    # ------------------------------------------------------------------ reductions
    def reduce_all(self) -> None:
        """Set the active gains in the reduction parameters and reduce every open run."""
        calib, state, notifier = self._ctx.calib, self._ctx.state, self._ctx.notifier
        gains = calib.gains()
        if gains is None:
            notifier.warning(_TITLE, f"No gains of Analysis {calib.active_gain_analysis} yet")
            return
        odd = [i.name for i in state.runs.values() if tuple(i.channel_names) != ("top", "bottom")]
        if odd:
            notifier.warning(
                _TITLE, f"Channels not named (top, bottom) in {', '.join(odd)}: nothing reduced"
            )
            return
        state.set_reduction_config(
            dataclasses.replace(state.reduction_config, spe_gain_adc_ns=tuple(gains))
        )
        paths = list(state.runs)
        self._pane.status.setText(
            f"{len(paths)} run(s) sent to reduction with the gains of Analysis "
            f"{calib.active_gain_analysis}: {gains[0]:.1f}, {gains[1]:.1f} ADC × ns per PE "
            "(progress in the status bar; the Runs list shows each run when done)"
        )
        for path in paths:
            self._ctx.reductions.reduce(path)

    def close(self) -> None:
        """Cancel a running fit (the window calls this on exit)."""
        self._timer.stop()
        self._refit_pending = False
        self.cancel()


def build(ctx: AppContext) -> PaneBinding:
    """Create the SPE pane and its controller."""
    pane = SpePane()
    return PaneBinding(pane, SpeController(ctx, pane))
