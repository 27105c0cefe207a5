"""Controller of the Linearity pane: recompute the ``"linearity"`` step when its inputs change.

What to use when
----------------
``build(ctx)`` docks the pane. The controller recomputes ``compute_linearity`` in a job
(``key="linearity"``: the latest request wins) whenever a peak fit or component result, the
gains, or the linearity settings change, with ``step_inputs_from_context`` (the same inputs a
session replay builds) and ``ctx.calib.settings("linearity")``. It stores the result with
``ctx.calib.set_result("linearity", ...)`` and the settings it used, so a saved session replays
the step. Errors (no point yet, unusable points) are shown in the pane, never raised.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Slot

from analysis_core.linearity import LinearityResult, compute_linearity
from workbench.context import AppContext
from workbench.controllers.session import step_inputs_from_context
from workbench.panes.linearity import LinearityPane
from workbench.registry import PaneBinding

__all__ = ["DEFAULT_SETTINGS", "SOURCE_STEPS", "LinearityController", "build"]

#: Steps whose results give linearity points.
SOURCE_STEPS = ("peak_fit", "components_a", "components_b")
DEFAULT_SETTINGS: dict[str, Any] = {"analyses": ["A", "B"], "exclude": []}
_EMPTY = (
    "No points yet: fit the 41.5 keV (Kr), 59.5 keV (241Am) or 122 keV (57Co) peaks in "
    "Spectrum & fit, or separate the Kr components."
)


class LinearityController(QObject):
    """Wires ``ctx.calib`` to the Linearity pane."""

    def __init__(self, ctx: AppContext, pane: LinearityPane) -> None:
        super().__init__(pane)
        self._ctx = ctx
        self._pane = pane
        self._storing = False
        calib = ctx.calib
        calib.result_changed.connect(self._on_result_changed)
        calib.gains_changed.connect(self.recompute)
        calib.settings_changed.connect(self._on_settings_changed)
        pane.recompute_requested.connect(self.recompute)
        pane.analyses_changed.connect(self._on_analyses_changed)
        pane.excluded_changed.connect(self._on_excluded_changed)
        self.recompute()

    def settings(self) -> dict[str, Any]:
        """Return the linearity settings in force (defaults when none stored)."""
        return {**DEFAULT_SETTINGS, **self._ctx.calib.settings("linearity")}

    # ------------------------------------------------------------------ intents
    @Slot(str)
    def _on_result_changed(self, step: str) -> None:
        if step in SOURCE_STEPS:
            self.recompute()

    @Slot(str)
    def _on_settings_changed(self, step: str) -> None:
        if step == "linearity" and not self._storing:
            self.recompute()

    @Slot(list)
    def _on_analyses_changed(self, analyses: list) -> None:
        self._ctx.calib.set_settings("linearity", {**self.settings(), "analyses": analyses})

    @Slot(list)
    def _on_excluded_changed(self, labels: list) -> None:
        self._ctx.calib.set_settings("linearity", {**self.settings(), "exclude": labels})

    @Slot()
    def recompute(self) -> None:
        """Recompute the step in a job (or clear it when no source result exists)."""
        settings = self.settings()
        self._pane.set_analyses(settings["analyses"])
        if not any(self._ctx.calib.result(s) is not None for s in SOURCE_STEPS):
            self._ctx.calib.set_result("linearity", None)
            self._show(None, settings)
            self._pane.show_status(_EMPTY)
            return
        self._ctx.jobs.submit(
            compute_linearity,
            step_inputs_from_context(self._ctx),
            settings,
            key="linearity",
            on_done=self._on_done,
            on_error=self._on_error,
        )

    def _on_done(self, result: LinearityResult) -> None:
        settings = self.settings()
        if self._ctx.calib.settings("linearity") != settings:
            self._storing = True
            try:
                self._ctx.calib.set_settings("linearity", settings)
            finally:
                self._storing = False
        self._ctx.calib.set_result("linearity", result)
        self._show(result, settings)
        notes = [f"{k}: {w}" for k, fit in result.fits.items() for w in fit.warnings]
        for k, r in result.resolution.items():
            for text in (r.fit.message, r.fit.extra.get("warning")):
                if text:
                    notes.append(f"{k} resolution: {text}")
        if result.skipped:
            notes.append("Left out: " + "; ".join(result.skipped))
        self._pane.show_status("\n".join(notes))

    def _on_error(self, message: str) -> None:
        self._ctx.calib.set_result("linearity", None)
        self._show(None, self.settings())
        self._pane.show_status(message, error=True)

    # ------------------------------------------------------------------ view
    def _show(self, result: LinearityResult | None, settings: dict[str, Any]) -> None:
        lin, res = self._pane.linearity_plot, self._pane.resolution_plot
        lin.clear()
        res.clear()
        labels: dict[str, bool] = {}
        if result is not None:
            for key, fit in result.fits.items():
                e = [p.energy_kev for p in fit.points]
                w = fit.with_offset
                lin.set_series(
                    key,
                    e,
                    [p.pe for p in fit.points],
                    [p.pe_err for p in fit.points],
                    labels=[p.label for p in fit.points],
                    y_pe_per_kev=fit.y_pe_per_kev,
                    y_err_pe_per_kev=fit.y_err_pe_per_kev,
                    chi2=fit.through_origin.chi2,
                    ndf=fit.through_origin.ndf,
                    slope_pe_per_kev=w["slope_pe_per_kev"] if w.valid else None,
                    offset_pe=w["offset_pe"] if w.valid else None,
                    offset_err_pe=w.error("offset_pe") if w.valid else None,
                    y_stat_err_pe_per_kev=fit.y_stat_err_pe_per_kev,
                    y_gain_err_pe_per_kev=fit.y_gain_err_pe_per_kev,
                    chi2_scale=fit.chi2_scale,
                )
                for p in fit.points:
                    labels[p.label] = True
            for key, rfit in result.resolution.items():
                grid = np.linspace(0.8 * min(rfit.energy_kev), 1.1 * max(rfit.energy_kev), 200)
                a, b, c = rfit.abc
                res.set_series(
                    key,
                    rfit.energy_kev,
                    rfit.resolution,
                    rfit.resolution_err,
                    curve_energy_kev=grid,
                    curve_resolution=rfit.relative(grid),
                    text=f"{key}: a = {a:.3f} √keV, b = {100 * b:.2f} %, c = {c:.2f} keV "
                    f"[{rfit.describe()}]",
                    constrained=rfit.constrained and rfit.fit.valid,
                )
        for label in settings.get("exclude", []):
            labels[label] = False
        self._pane.show_points(sorted(labels.items(), key=lambda kv: _energy(kv[0])))


def _energy(label: str) -> float:
    try:
        return float(label.split()[0])
    except (ValueError, IndexError):
        return float("inf")


def build(ctx: AppContext) -> PaneBinding:
    """Create the Linearity pane and its controller."""
    pane = LinearityPane()
    controller = LinearityController(ctx, pane)
    return PaneBinding(pane, controller)
