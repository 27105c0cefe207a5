"""Controller of the Components pane: runs Analysis A and B in jobs and shows their results.

What to use when
----------------
- ``build(ctx)``: create the pane and this controller (``PaneSpec("components", "Components",
  "centre", build)``).
- ``ComponentsController.recompute(steps=...)``: submit the steps now (the pane's Recompute
  button; changes of roles, cuts, RQ tables and the steps' settings schedule it after 300 ms,
  so a burst of changes runs once). Each step is a job keyed by its name (the latest wins);
  its result goes to ``ctx.calib.set_result(step, result)`` and into the plots.
- Settings live in ``ctx.calib.settings("components_a"/"components_b")`` (what a session saves
  and ``larcal session run`` replays with ``compute_components_a/b``); a step computed with its
  defaults records its (empty) settings so the replay runs it too. Inputs come from
  ``workbench.controllers.session.step_inputs_from_context``, as in the replay.
- PE: the steps work in the Kr run's PE (its reduction gains); the tables and the status line
  show each analysis in its own gains' PE, as Linearity and the constants do
  (``workbench.controllers.components_units``), and follow ``gains_changed``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QObject, QTimer, Slot

from analysis_core.components.analysis_a import ComponentsAResult, compute_components_a
from analysis_core.components.analysis_b import ComponentsBResult, compute_components_b
from workbench.context import AppContext
from workbench.controllers.components_present import clear_a, clear_b, present_a, present_b
from workbench.controllers.components_units import PeUnits, pe_units
from workbench.controllers.session import step_inputs_from_context
from workbench.panes.components import ComponentsPane
from workbench.registry import PaneBinding

__all__ = ["STEPS", "ComponentsController", "build"]

#: step -> (compute function, roles it needs, result type, what the roles are for)
STEPS: dict[str, tuple[Any, tuple[str, ...], type, str]] = {
    "components_a": (
        compute_components_a,
        ("kr", "background"),
        ComponentsAResult,
        "Analysis A needs a reduced Kr run and a reduced background (39Ar) run for S_Ap "
        "and the template",
    ),
    "components_b": (
        compute_components_b,
        ("kr", "co57"),
        ComponentsBResult,
        "Analysis B needs a reduced Kr run and a reduced 57Co run for F90(I)",
    ),
}


class ComponentsController(QObject):
    """Wires ``ComponentsPane`` to ``ctx.calib``, ``ctx.state`` and jobs."""

    def __init__(self, ctx: AppContext, pane: ComponentsPane, *, delay_ms: int = 300) -> None:
        super().__init__(pane)
        self._ctx = ctx
        self._pane = pane
        self._pending: set[str] = set()
        self._status: dict[str, str] = {}
        self._writing = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(delay_ms)
        self._timer.timeout.connect(self._run_pending)
        pane.recompute_requested.connect(self.recompute)
        pane.settings_edited.connect(self._on_edited)
        calib, state = ctx.calib, ctx.state
        calib.roles_changed.connect(self._on_inputs_changed)
        calib.cuts_settled.connect(self._on_inputs_changed)
        calib.settings_changed.connect(self._on_settings_changed)
        calib.gains_changed.connect(self._on_gains_changed)
        state.rq_changed.connect(self._on_inputs_changed)
        pane.show_settings(calib.settings("components_a"), calib.settings("components_b"))
        self.recompute()

    # ------------------------------------------------------------------ actions
    @Slot()
    def recompute(self, steps: Sequence[str] = tuple(STEPS)) -> None:
        """Compute ``steps`` now with the session's runs, cuts and settings."""
        self._timer.stop()
        self._pending.clear()
        inputs = step_inputs_from_context(self._ctx)  # exactly what the replay builds
        for step in steps:
            fn, roles, _, need = STEPS[step]
            missing = [r for r in roles if r not in inputs.rq]
            if missing:
                self._set_status(step, f"{need} (missing: {', '.join(missing)}).")
                (clear_a if step == "components_a" else clear_b)(self._pane, need)
                continue
            self._set_status(step, "computing…")
            self._ctx.jobs.submit(
                fn,
                inputs,
                self._ctx.calib.settings(step),
                title=f"{'Analysis A' if step == 'components_a' else 'Analysis B'} components",
                key=step,
                on_done=functools.partial(self._on_done, step, pe_units(inputs, step[-1].upper())),
                on_error=functools.partial(self._on_failed, step),
            )

    def schedule(self, steps: Sequence[str] = tuple(STEPS)) -> None:
        """Recompute ``steps`` after the debounce delay."""
        self._pending.update(steps)
        self._timer.start()

    def edit(self, step: str, **changes: Any) -> None:
        """Change settings of ``step`` (stored in ``ctx.calib``; recomputes)."""
        settings = self._ctx.calib.settings(step)
        settings.update(changes)
        self._ctx.calib.set_settings(step, settings)

    # ------------------------------------------------------------------ signals
    def _run_pending(self) -> None:
        steps = [s for s in STEPS if s in self._pending]
        if steps:
            self.recompute(steps)

    def _on_inputs_changed(self, *_args: Any) -> None:
        self.schedule()

    def _on_settings_changed(self, step: str) -> None:
        if step in STEPS and not self._writing:
            a, b = (self._ctx.calib.settings(s) for s in STEPS)
            self._pane.show_settings(a, b)
            self.schedule([step])

    def _on_edited(self, step: str, changes: dict) -> None:
        self.edit(step, **changes)

    def _on_done(self, step: str, units: PeUnits, result: Any) -> None:
        calib = self._ctx.calib
        if step not in calib.all_settings():
            # a session replays the steps that have settings: record the (default) ones used
            self._writing = True
            try:
                calib.set_settings(step, calib.settings(step))
            finally:
                self._writing = False
        calib.set_result(step, result)
        self._show(step, result, units)

    def _on_gains_changed(self) -> None:
        # the results do not depend on the gains, their table PE (the analysis' gains) does
        inputs = step_inputs_from_context(self._ctx)
        for step in STEPS:
            result = self._ctx.calib.result(step)
            if isinstance(result, STEPS[step][2]):
                self._show(step, result, pe_units(inputs, step[-1].upper()))

    def _show(self, step: str, result: Any, units: PeUnits) -> None:
        k, pe = units.factor, units.table
        if step == "components_a":
            present_a(self._pane, result, units)
            c9, c32 = result.light_9, result.light_32
            light = ((c9.pe, c9.pe_err), (c32.pe, c32.pe_err))
        else:
            present_b(self._pane, result, units)
            s = result.system
            e32, e9, _ = s.errors
            light = ((s.i_total_9_pe, e9), (s.i_total_32_pe, e32))
        (v9, e9), (v32, e32) = light
        text = (
            f"9.4 keV: {k * v9:.1f} ± {k * e9:.1f} {pe}, "
            f"32.1 keV: {k * v32:.1f} ± {k * e32:.1f} {pe}"
        )
        if units.converted:
            text += f" ({units.note()})"
        if result.messages:
            text += " — " + "; ".join(result.messages)
        self._set_status(step, text)

    def _on_failed(self, step: str, message: str) -> None:
        self._ctx.calib.set_result(step, None)
        (clear_a if step == "components_a" else clear_b)(self._pane, message)
        self._set_status(step, f"failed: {message}")

    def _set_status(self, step: str, text: str) -> None:
        self._status[step] = text
        a = self._status.get("components_a", "")
        b = self._status.get("components_b", "")
        self._pane.show_status(f"<b>A</b>: {a}<br><b>B</b>: {b}")

    def status(self, step: str) -> str:
        """Return the status line of ``step``."""
        return self._status.get(step, "")

    def close(self) -> None:
        """Stop the debounce timer (the window calls this on exit)."""
        self._timer.stop()


def build(ctx: AppContext) -> PaneBinding:
    """Create the Components pane and its controller."""
    pane = ComponentsPane()
    return PaneBinding(pane, ComponentsController(ctx, pane))
