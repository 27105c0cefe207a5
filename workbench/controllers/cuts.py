"""Cuts controller: the run's histograms, live cut edits, survival and linked spectra.

What to use when
----------------
- ``build(ctx)`` is the Cuts pane's entry in ``workbench.registry``
  (``PaneSpec("cuts", "Cuts", "centre", cuts.build)``).
- ``CutsController`` shows a reduced run (the Kr run by role unless the user picks another)
  on the ``CutsPane``. The cut set lives in ``ctx.calib.cuts`` (a ``CutSet``; the default
  quality, F90 and ftop cuts on first use). Dragging a shape, ticking a cut, typing one:
  each gesture makes a new ``CutSet`` and ``ctx.calib.set_cuts`` it; on ``cuts_changed`` the
  shapes and the table follow at once and the survival fractions and after-cut spectra are
  recomputed in a quiet job (key ``"cuts"``) at most every ``THROTTLE_MS`` while a drag goes
  on. One job runs at a time: a change arriving meanwhile is computed when it ends, so the
  last request always wins and no work piles up. Masks of unchanged cuts come from a
  ``MaskCache``.
- A click on a 2D bin lists its events and makes the first the current event of
  ``ctx.state`` (the waveform browser shows it); Previous/Next step through the bin.
- Pane choices (the run) are stored with ``ctx.calib.set_settings("cuts", ...)``.
- Every cut edit is an undoable step (``CutsUndo``; one drag is one step): Ctrl+Z / Ctrl+Shift+Z
  on the pane, or its Undo/Redo buttons.

Signals
-------
update_shown(float)
    An update reached the screen; the argument is the latency in ms from the first cut change
    it includes to the pane showing it (what ``benchmarks/bench_cut_drag.py`` measures).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from analysis_core.cuts import CutError, CutSet, ExpressionCut, MaskCache, default_cutset
from analysis_core.rqfile import RQTable
from workbench.context import AppContext
from workbench.controllers.cuts_compute import (
    PLOTS_2D,
    CutsUpdate,
    LoadedRun,
    events_in_bin,
    load_run,
    shapes_for,
    timed_update,
)
from workbench.controllers.cuts_edit import (
    apply_shape,
    as_cutset,
    bin_label,
    cut_rows,
    expression_error,
    polygon_cut,
    rotated_cut,
    status_text,
)
from workbench.controllers.cuts_undo import CutsUndo
from workbench.panes.cuts import CutsPane
from workbench.registry import PaneBinding

__all__ = ["CUTS_JOB_KEY", "SETTINGS_STEP", "THROTTLE_MS", "CutsController", "build"]

log = logging.getLogger(__name__)

CUTS_JOB_KEY = "cuts"
SETTINGS_STEP = "cuts"
#: Shortest interval between two recomputations while a cut is dragged.
THROTTLE_MS = 30
_NO_RUN = (
    "No reduced run to cut on yet.\n\nOpen runs (File ▸ Open runs… or the demo campaign) and "
    "reduce them; the Kr run is shown by default."
)


class CutsController(QObject):
    """Wires the Cuts pane to ``ctx.state``, ``ctx.calib`` and jobs (see the module docstring).

    Parameters
    ----------
    ctx : AppContext
        Shared services.
    pane : CutsPane
        The view.

    Signals
    -------
    update_shown(float)
        Survival and spectra of a cut change are on the pane; latency in ms from the oldest
        change the update includes.
    """

    update_shown = Signal(float)

    def __init__(self, ctx: AppContext, pane: CutsPane) -> None:
        super().__init__(pane)
        self._ctx = ctx
        self._pane = pane
        self._run: LoadedRun | None = None
        self._loading = ""
        self._cache: MaskCache | None = None
        self._last: CutsUpdate | None = None
        self._busy = False
        self._t_request: float | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(THROTTLE_MS)
        self._timer.timeout.connect(self._on_timer)
        self.undo = CutsUndo(ctx.calib, self)
        pane.add_undo_actions(self.undo.undo_action, self.undo.redo_action)

        s, c = ctx.state, ctx.calib
        s.runs_changed.connect(self._on_runs_changed)
        s.rq_changed.connect(self._on_rq_changed)
        c.roles_changed.connect(self._on_runs_changed)
        c.cuts_changed.connect(self._on_cuts_changed)
        c.settings_changed.connect(self._on_settings_changed)
        pane.run_selected.connect(self._on_run_selected)
        pane.pe_max_changed.connect(self._on_pe_max_changed)
        pane.shape_changed.connect(self._on_shape_changed)
        pane.shape_finished.connect(self._on_shape_finished)
        pane.add_polygon_requested.connect(self._on_add_polygon_requested)
        pane.add_rotated_requested.connect(self._on_add_rotated_requested)
        pane.reset_requested.connect(self._on_reset_requested)
        pane.bin_clicked.connect(self._on_bin_clicked)
        pane.event_chosen.connect(self._on_event_chosen)
        cl = pane.cut_list
        cl.set_validator(expression_error)
        cl.enabled_toggled.connect(self._on_enabled_toggled)
        cl.expression_edited.connect(self._on_expression_edited)
        cl.add_requested.connect(self._on_add_requested)
        cl.remove_requested.connect(self._on_remove_requested)
        self._on_runs_changed()

    # ------------------------------------------------------------------ public
    @property
    def cutset(self) -> CutSet:
        """The calibration's cut set (empty when it has none, e.g. a session without cuts)."""
        try:
            cs = as_cutset(self._ctx.calib.cuts)
        except CutError as exc:
            self._pane.cut_list.show_error(str(exc))
            cs = None
        return cs if cs is not None else CutSet()

    @property
    def run_path(self) -> str:
        """Path of the run shown ("" when none)."""
        return self._run.path if self._run is not None else ""

    @property
    def last_update(self) -> CutsUpdate | None:
        """The update shown last (survival rows, after-cut histograms)."""
        return self._last

    def close(self) -> None:
        """Stop the throttle timer."""
        self._timer.stop()

    # ------------------------------------------------------------------ runs
    def _reduced_runs(self) -> list[tuple[str, str]]:
        s = self._ctx.state
        return [(p, info.name) for p, info in s.runs.items() if s.rq(p) is not None]

    def _preferred_run(self, runs: list[tuple[str, str]]) -> str | None:
        paths = [p for p, _ in runs]
        stored = self._ctx.calib.settings(SETTINGS_STEP).get("run")
        # the user's choice, else the Kr run as soon as it is reduced, else what is shown
        for candidate in (stored, self._ctx.calib.role_path("kr"), self.run_path or self._loading):
            if candidate in paths:
                return candidate
        return paths[0] if paths else None

    @Slot()
    def _on_runs_changed(self) -> None:
        runs = self._reduced_runs()
        path = self._preferred_run(runs)
        self._pane.show_runs(runs, path)
        if path is None:
            self._run, self._cache, self._loading = None, None, ""
            self._pane.show_empty(_NO_RUN)
        elif path not in (self.run_path, self._loading):
            self._load_run(path)

    @Slot(str)
    def _on_rq_changed(self, path: str) -> None:
        if path == self.run_path:
            if self._run is not None and self._ctx.state.rq(path) is not self._run.table:
                self._load_run(path)  # re-reduced: new table
        else:
            self._on_runs_changed()

    @Slot(str)
    def _on_run_selected(self, path: str) -> None:
        self._store_settings(path)
        if path != self.run_path:
            self._load_run(path)

    @Slot(str)
    def _on_settings_changed(self, step: str) -> None:
        if step != SETTINGS_STEP:
            return
        self._pane.show_pe_max(self._pe_max() or 0.0)
        stored = self._ctx.calib.settings(SETTINGS_STEP).get("run")
        if stored and stored != self.run_path and stored in dict(self._reduced_runs()):
            self._pane.show_runs(self._reduced_runs(), stored)
            self._load_run(stored)

    def _store_settings(self, path: str) -> None:
        self._store("run", path)

    def _store(self, key: str, value: Any) -> None:
        settings = self._ctx.calib.settings(SETTINGS_STEP)
        if settings.get(key) != value:
            settings[key] = value
            self._ctx.calib.set_settings(SETTINGS_STEP, settings)

    def _pe_max(self) -> float | None:
        value = self._ctx.calib.settings(SETTINGS_STEP).get("pe_max")
        return float(value) if value else None

    @Slot(float)
    def _on_pe_max_changed(self, value: float) -> None:
        self._store("pe_max", float(value) if value > 0 else None)
        if self._run is not None:
            self._load_run(self._run.path)

    def _load_run(self, path: str) -> None:
        table = self._ctx.state.rq(path)
        if table is None:
            return
        self._loading = path
        if self._ctx.calib.cuts is None:
            self._ctx.calib.set_cuts(default_cutset())  # first use: the default cuts
        name = self._ctx.state.run(path).name
        self._pane.show_status(f"{name}: histogramming {len(table):,} events…")
        self._ctx.jobs.submit(
            load_run, path, table, self._pe_max(), key="cuts-overview",
            on_done=self._on_loaded, on_error=self._on_job_error,
        )  # fmt: skip

    def _on_loaded(self, loaded: LoadedRun) -> None:
        if loaded.path != self._loading or self._ctx.state.rq(loaded.path) is not loaded.table:
            return  # a newer choice or a newer reduction superseded this one
        self._loading = ""
        self._run = loaded
        self._cache = MaskCache(loaded.table)
        self._last = None
        self._pane.show_plots()
        self._pane.set_units(loaded.table.pe_units)
        for key, h in loaded.overview.hist2d.items():
            self._pane.show_hist2d(key, h.x_edges, h.y_edges, h.counts)
        for key, h in loaded.overview.hist1d.items():
            self._pane.show_hist1d(key, h.edges, {"all": h.counts})
        self._pane.bin_events.clear()
        self._on_cuts_changed()

    # ------------------------------------------------------------------ cut set -> pane
    @Slot()
    def _on_cuts_changed(self) -> None:
        cs = self.cutset
        rows = self._last.rows if self._last is not None else []
        self._pane.cut_list.set_rows(cut_rows(cs, rows))
        if self._run is None:
            return
        self._pane.set_shapes(shapes_for(cs, self._run.binning))
        self.request_update()

    def request_update(self) -> None:
        """Recompute survival and spectra (throttled; the newest cut set wins).

        The first change after a quiet spell is computed at once; changes arriving while a
        job runs or within ``THROTTLE_MS`` of the last submission are coalesced into one.
        """
        if self._t_request is None:
            self._t_request = time.perf_counter()
        self._on_timer()

    @Slot()
    def _on_timer(self) -> None:
        # While a job runs or the cool-down runs, the newest request waits for them.
        if self._t_request is not None and not self._busy and not self._timer.isActive():
            self._timer.start()  # cool-down before the next submission
            self._submit_update()

    def _submit_update(self) -> None:
        if self._run is None or self._cache is None:
            return
        self._busy = True
        t_request, self._t_request = self._t_request, None
        run = self._run
        self._ctx.jobs.submit(
            timed_update, run, self.cutset, self._cache, t_request,
            key=CUTS_JOB_KEY, on_done=self._on_update_done, on_error=self._on_update_error,
        )  # fmt: skip

    def _on_update_done(self, result: tuple[CutsUpdate, float | None, RQTable]) -> None:
        update, t_request, table = result
        self._busy = False
        if self._run is not None and table is self._run.table:
            self._show_update(update)
            if t_request is not None:
                self.update_shown.emit(1e3 * (time.perf_counter() - t_request))
        self._on_timer()

    def _show_update(self, update: CutsUpdate) -> None:
        self._last = update
        run = self._run
        assert run is not None
        for key, h in update.hist1d.items():
            self._pane.show_hist1d(key, h.edges, {"all": run.overview.hist1d[key].counts,
                                                  "selected": h.counts})  # fmt: skip
        if update.efficiency is not None:
            e = update.efficiency
            self._pane.show_efficiency(e.edges, e.efficiency, e.lo, e.hi)
        self._pane.cut_list.set_rows(cut_rows(self.cutset, update.rows))
        name = self._ctx.state.run(run.path).name if run.path in self._ctx.state.runs else run.path
        self._pane.show_status(status_text(name, update))

    def _on_update_error(self, message: str) -> None:
        self._busy = False
        self._pane.cut_list.show_error(message)
        self._on_timer()

    def _on_job_error(self, message: str) -> None:
        self._loading = ""
        self._pane.show_status(f"failed: {message}")

    # ------------------------------------------------------------------ pane intents
    def _set_cuts(self, cutset: CutSet, text: str, *, drag: str = "") -> None:
        self._pane.cut_list.show_error("")
        self.undo.apply(cutset, text, drag=drag)

    @Slot(str, str, object)
    def _on_shape_changed(self, name: str, kind: str, params: object) -> None:
        try:
            self._set_cuts(apply_shape(self.cutset, name, kind, params), f"move {name}", drag=name)
        except (CutError, KeyError) as exc:
            self._pane.cut_list.show_error(str(exc))

    @Slot(str, str, object)
    def _on_shape_finished(self, name: str, kind: str, params: object) -> None:
        self._on_shape_changed(name, kind, params)
        self.undo.close_drag()  # the next drag is a step of its own

    @Slot(str, bool)
    def _on_enabled_toggled(self, name: str, enabled: bool) -> None:
        self._set_cuts(
            self.cutset.with_enabled(name, enabled), f"{'enable' if enabled else 'disable'} {name}"
        )

    @Slot(str, str)
    def _on_expression_edited(self, name: str, text: str) -> None:
        cs = self.cutset
        try:
            cut = ExpressionCut(name, text, enabled=cs.get(name).enabled)
        except CutError as exc:
            self._pane.cut_list.set_rows(cut_rows(cs, self._last.rows if self._last else []))
            self._pane.cut_list.show_error(str(exc))
            return
        self._set_cuts(cs.with_cut(cut), f"edit {name}")

    @Slot(str, str)
    def _on_add_requested(self, name: str, text: str) -> None:
        cs = self.cutset
        if name in cs:
            self._pane.cut_list.show_error(f"a cut named {name!r} exists; choose another name")
            return
        try:
            cut = ExpressionCut(name, text)
        except CutError as exc:
            self._pane.cut_list.show_error(str(exc))
            return
        self._set_cuts(cs.with_cut(cut), f"add {name}")
        self._pane.cut_list.clear_new_cut()

    @Slot(str)
    def _on_remove_requested(self, name: str) -> None:
        if name in self.cutset:
            self._set_cuts(self.cutset.without(name), f"remove {name}")

    @Slot(str, object)
    def _on_add_polygon_requested(self, plot: str, vertices: Any) -> None:
        cut = polygon_cut(self.cutset, plot, vertices)
        self._set_cuts(self.cutset.with_cut(cut), f"add {cut.name}")

    @Slot(object)
    def _on_add_rotated_requested(self, view: Any) -> None:
        cut = rotated_cut(self.cutset, view)
        self._set_cuts(self.cutset.with_cut(cut), f"add {cut.name}")

    @Slot()
    def _on_reset_requested(self) -> None:
        self._set_cuts(default_cutset(), "default cuts")

    @Slot(str, float, float, float, float)
    def _on_bin_clicked(self, plot: str, x0: float, x1: float, y0: float, y1: float) -> None:
        if self._run is None:
            return
        x, y, title = PLOTS_2D[plot]
        events = events_in_bin(self._run.table, x, y, (x0, x1), (y0, y1))
        label = bin_label(title, x, (x0, x1), y, (y0, y1), len(events))
        self._pane.bin_events.show_events(label, events.tolist())

    @Slot(int)
    def _on_event_chosen(self, event: int) -> None:
        if self._run is None:
            return
        state = self._ctx.state
        if state.current_run != self._run.path:
            state.set_current_run(self._run.path)
        state.set_current_event(event)


def build(ctx: AppContext) -> PaneBinding:
    """Create the Cuts pane and its controller."""
    pane = CutsPane()
    controller = CutsController(ctx, pane)
    return PaneBinding(pane, controller)
