"""HPGe controller: spectra, peak fits, efficiency, attenuation and activity through jobs.

What to use when
----------------
- ``build(ctx)`` is the HPGe pane's entry in ``workbench.registry``.
- ``HpgeController`` wires ``HpgePane`` to an ``HpgeSession``. Every computation (reading
  files, ``analyse_source_spectrum``, region fits, the efficiency and attenuation fits, the
  activity) runs through ``ctx.jobs`` off the GUI thread with the functions of
  ``workbench.controllers.hpge_compute`` (the CLI's calls); results go into the session, whose
  signals update the pane through ``workbench.controllers.hpge_views``. Failures reach the
  notifier with the job's title and the reason; the GUI never dies.
- Chain of recomputation (``workbench.controllers.hpge_results``): analysing a calibration
  spectrum refits the efficiency curve; an inside/outside pair refits the transmission; either
  refreshes the activity of the unknown source.
- Scripts and tests: ``open_files(paths)``, ``analyse(key)``, ``edit_entry(key, **fields)``,
  ``fit_region(lo_kev, hi_kev)``, ``restore(session_dict)``.
"""

from __future__ import annotations

import functools
import logging
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Slot

from analysis_core.errors import CalibrationError
from analysis_core.hpge.nuclides import get_nuclide, list_nuclides
from analysis_core.hpge.readers import FORMATS
from workbench.context import AppContext
from workbench.controllers.hpge_compute import (
    analyse_spectrum,
    fit_manual_region,
    read_spectrum_file,
)
from workbench.controllers.hpge_export import (
    save_activity_csv,
    save_activity_json,
    save_efficiency_curve,
)
from workbench.controllers.hpge_model import HpgeSession, SpectrumEntry
from workbench.controllers.hpge_present import HpgePresenter
from workbench.controllers.hpge_results import HpgeResults
from workbench.panes.hpge import HpgePane
from workbench.registry import PaneBinding

__all__ = ["HpgeController", "build", "guess_nuclide", "spectrum_file_filter"]

log = logging.getLogger(__name__)

_ELEMENT_MASS = re.compile(r"(?<![a-z])([a-z]{1,2})[-_]?(\d{1,3})(m?)(?!\d)", re.IGNORECASE)
_MASS_ELEMENT = re.compile(r"(?<![\d.])(\d{1,3})(m?)[-_]?([a-z]{1,2})(?![a-z])", re.IGNORECASE)


def guess_nuclide(file_name: str) -> str:
    """Return the nuclide named in a file name (``Co-57-0.Spe`` -> ``Co-57``), or ``""``."""
    stem = Path(file_name).stem
    found = [f"{m[1]}-{m[2]}{m[3]}" for m in _ELEMENT_MASS.finditer(stem)]
    found += [f"{m[3]}-{m[1]}{m[2]}" for m in _MASS_ELEMENT.finditer(stem)]
    for name in found:
        try:
            return get_nuclide(name).name
        except CalibrationError:
            continue
    return ""


def spectrum_file_filter() -> str:
    """Return the file-dialog filter of every spectrum format."""
    exts = sorted({e for extensions, _ in FORMATS.values() for e in extensions})
    pattern = " ".join(f"*{e}" for e in exts)
    upper = " ".join(f"*{e.upper()}" for e in exts)
    return f"Gamma spectra ({pattern} {upper});;All files (*)"


class HpgeController(QObject):
    """Wires the HPGe pane to its session and to jobs (see the module docstring).

    Parameters
    ----------
    ctx : AppContext
        Shared services.
    pane : HpgePane
        The view.
    session : HpgeSession, optional
        The model (a new one by default).
    """

    def __init__(self, ctx: AppContext, pane: HpgePane, session: HpgeSession | None = None):
        super().__init__(pane)
        self._ctx = ctx
        self._jobs = ctx.jobs
        self._pane = pane
        self.session = session or HpgeSession(self)
        self.presenter = HpgePresenter(self.session, pane, self)
        self.results = HpgeResults(self.session, ctx.jobs, self.presenter, self)
        self._analysing: dict[int, str] = {}  # job id -> key
        self._templates: dict[str, SpectrumEntry] = {}
        self._current_after_load = ""
        s, src = self.session, pane.sources
        s.restore_requested.connect(self.restore)
        src.show_nuclides(list_nuclides())
        src.open_requested.connect(self._on_open_requested)
        src.remove_requested.connect(self._on_remove_requested)
        src.analyse_requested.connect(self.analyse)
        src.current_requested.connect(s.set_current)
        src.entry_edited.connect(self._on_entry_edited)
        src.options_changed.connect(self._on_options_changed)
        pane.fit_requested.connect(self.fit_region)
        pane.clear_fits_requested.connect(self._on_clear_fits_requested)
        pane.exclusion_changed.connect(self._on_exclusion_changed)
        pane.efficiency_point_clicked.connect(self._on_efficiency_point_clicked)
        pane.order_changed.connect(self._on_order_changed)
        pane.exclude_summing_changed.connect(self._on_exclude_summing_changed)
        pane.attenuation_kind_changed.connect(self._on_attenuation_kind_changed)
        pane.activity_date_changed.connect(self._on_activity_date_changed)
        pane.export_efficiency_requested.connect(self._on_export_efficiency_requested)
        pane.export_activity_requested.connect(self._on_export_activity_requested)
        self._jobs.job_progress.connect(self._on_job_progress)

    # ------------------------------------------------------------------ files
    def open_files(
        self, paths: Sequence[str | os.PathLike[str]], templates: Sequence[SpectrumEntry] = ()
    ) -> None:
        """Read each file in a job; its spectra enter the session (with ``templates``' roles)."""
        self._templates.update({t.key: t for t in templates})
        for p in paths:
            path = str(Path(p).resolve())
            self._jobs.submit(
                read_spectrum_file,
                path,
                title=f"Reading {Path(path).name}",
                on_done=functools.partial(self._on_file_read, path),
            )

    def _on_file_read(self, path: str, spectra: list[Any]) -> None:
        name = Path(path).name
        for i, spectrum in enumerate(spectra):
            key = path if i == 0 else f"{path}#{i}"
            label = name if len(spectra) == 1 else f"{name} [{spectrum.detector or i}]"
            entry = self._templates.pop(key, None)
            if entry is None:
                nuclide = guess_nuclide(name)
                role = "unknown" if nuclide == "Rb-83" else ""
                entry = SpectrumEntry(key, path, i, label, role=role, nuclide=nuclide)
            self.session.add_entry(entry, spectrum)
            if not self.session.current or key == self._current_after_load:
                self.session.set_current(key)
            if entry.nuclide:
                self.analyse(key)
        self._ctx.settings.set_last_directory(str(Path(path).parent))

    @Slot()
    def _on_open_requested(self) -> None:
        paths = self._pane.ask_open_files(
            self._ctx.settings.last_directory(), spectrum_file_filter()
        )
        if paths:
            self.open_files(paths)

    @Slot(str)
    def _on_remove_requested(self, key: str) -> None:
        role = self.session.entry(key).role if self.session.entry(key) else ""
        self.session.remove_entry(key)
        if role:
            self.results.refresh_all()

    def restore(self, d: dict[str, Any]) -> None:
        """Re-open the spectra of a session dictionary (``HpgeSession.to_dict``) and recompute."""
        entries, settings, current = HpgeSession.inputs_from_dict(d)
        self.session.set_settings(**settings.to_dict())
        self._current_after_load = current
        paths = list(dict.fromkeys(e.path for e in entries))
        self.open_files(paths, entries)

    # ------------------------------------------------------------------ analysis
    @Slot(str)
    def analyse(self, key: str) -> None:
        """Analyse spectrum ``key`` in a job (the source's lines: search, fits, calibration)."""
        entry, spectrum = self.session.entry(key), self.session.spectrum(key)
        if entry is None or spectrum is None:
            return
        if not entry.nuclide:
            self._ctx.notifier.warning("Analyse", f"{entry.name}: choose the source nuclide first")
            return
        st = self.session.settings
        self.session.set_status(key, "analysing…")
        handle = self._jobs.submit(
            analyse_spectrum,
            spectrum,
            entry.nuclide,
            tolerance_kev=st.tolerance_kev,
            min_intensity=st.min_intensity,
            hooks=True,
            title=f"Analysing {entry.name}",
            key=f"hpge-analyse:{key}",
            on_done=functools.partial(self._on_analysed, key, entry.nuclide),
            on_error=functools.partial(self._on_analysis_stopped, key),
            on_cancelled=functools.partial(self._on_analysis_stopped, key, "cancelled"),
        )
        if handle.is_running:
            self._analysing[handle.job_id] = key

    def _on_analysed(self, key: str, nuclide: str, analysis: Any) -> None:
        self._forget_job(key)
        entry = self.session.entry(key)
        if entry is None or entry.nuclide != nuclide:
            return  # removed, or its nuclide changed meanwhile
        n_ok = sum(not p.excluded and p.fit.valid for p in analysis.peaks)
        self.session.clear_manual_fits(key)
        self.session.set_analysis(key, analysis, f"{n_ok} of {len(analysis.peaks)} lines")
        self.results.refresh_all()

    def _on_analysis_stopped(self, key: str, why: str) -> None:
        self._forget_job(key)
        self.session.set_status(key, f"failed: {why}" if why != "cancelled" else "cancelled")

    def _forget_job(self, key: str) -> None:
        self._analysing = {j: k for j, k in self._analysing.items() if k != key}

    @Slot(int, int, int)
    def _on_job_progress(self, job_id: int, done: int, total: int) -> None:
        key = self._analysing.get(job_id)
        if key is not None and total > 0:
            self.session.set_status(key, f"analysing {100 * done // total} %")

    # ------------------------------------------------------------------ region fits
    @Slot(float, float)
    def fit_region(self, lo_kev: float, hi_kev: float) -> None:
        """Fit the peaks inside ``lo_kev .. hi_kev`` of the current spectrum in a job."""
        key = self.session.current
        analysis = self.session.analysis(key)
        spectrum = analysis.spectrum if analysis is not None else self.session.spectrum(key)
        if spectrum is None:
            return
        model = getattr(analysis, "fwhm_model", None)
        fwhm = float(model.fwhm_kev(0.5 * (lo_kev + hi_kev))) if model and model.valid else None
        self._jobs.submit(
            fit_manual_region,
            spectrum,
            lo_kev,
            hi_kev,
            fwhm_kev=fwhm,
            title=f"Fitting {lo_kev:.1f}-{hi_kev:.1f} keV",
            key="hpge-region",
            on_done=functools.partial(self._on_region_fitted, key),
        )

    def _on_region_fitted(self, key: str, region: Any) -> None:
        if self.session.entry(key) is not None:
            self.session.add_manual_fit(key, region)
            self.presenter.select_peak(region.peaks[0].energy_kev)

    @Slot()
    def _on_clear_fits_requested(self) -> None:
        self.session.clear_manual_fits(self.session.current)

    # ------------------------------------------------------------------ entries and exclusions
    def edit_entry(self, key: str, **fields: Any) -> None:
        """Change fields of an entry (as the form does) and recompute what depends on them."""
        self._on_entry_edited(key, fields)

    @Slot(str, object)
    def _on_entry_edited(self, key: str, fields: dict[str, Any]) -> None:
        s = self.session
        if s.entry(key) is None:
            return
        changed = s.update_entry(key, **fields)
        entry = s.entry(key)
        if "role" in changed and entry.role == "inside" and not entry.partner:
            partners = self.presenter.partner_choices(key)
            if partners:
                s.update_entry(key, partner=partners[0][0])
        if "nuclide" in changed:
            s.clear_manual_fits(key)
            s.set_analysis(key, None, "")
            if entry.nuclide:
                self.analyse(key)
        if changed:
            self.results.refresh_all()

    @Slot(float, bool)
    def _on_exclusion_changed(self, energy_kev: float, excluded: bool) -> None:
        key = self.session.current
        if key and self.session.set_excluded(key, energy_kev, excluded):
            self.presenter.show_current_peaks()
            self.results.refresh_all()

    @Slot(int, float)
    def _on_efficiency_point_clicked(self, index: int, energy_kev: float) -> None:
        curve = self.session.efficiency
        if curve is None or not 0 <= index < len(curve.points):
            return
        key = self.results.key_of_source(curve.points[index].source_label)
        entry = self.session.entry(key) if key else None
        if entry is not None:
            on = not any(abs(e - energy_kev) < 1e-3 for e in entry.excluded_kev)
            self.session.set_excluded(key, energy_kev, on)
            self.presenter.show_current_peaks()
            self.results.refresh_all()

    # ------------------------------------------------------------------ settings
    @Slot(int)
    def _on_order_changed(self, order: int) -> None:
        if self.session.set_settings(order=int(order)):
            self.results.refresh_efficiency()

    @Slot(bool)
    def _on_exclude_summing_changed(self, on: bool) -> None:
        if self.session.set_settings(exclude_summing=bool(on)):
            self.presenter.show_current_peaks()
            self.results.refresh_efficiency()

    @Slot(str)
    def _on_attenuation_kind_changed(self, kind: str) -> None:
        if self.session.set_settings(attenuation_kind=kind):
            self.results.refresh_attenuation()

    @Slot(str)
    def _on_activity_date_changed(self, date: str) -> None:
        if self.session.set_settings(activity_date=date):
            self.results.refresh_activity()

    @Slot(object)
    def _on_options_changed(self, options: dict[str, Any]) -> None:
        if self.session.set_settings(**options):
            for e in self.session.entries:
                if e.nuclide:
                    self.analyse(e.key)

    # ------------------------------------------------------------------ exports
    def _ask(self, caption: str, file_filter: str, name: str) -> str:
        start = Path(self._ctx.settings.last_directory() or Path.cwd()) / name
        return self._pane.ask_save_path(caption, file_filter, str(start))

    @Slot()
    def _on_export_efficiency_requested(self) -> None:
        curve = self.session.efficiency
        path = self._ask("Save efficiency curve", "JSON (*.json)", "efficiency_curve.json")
        if curve is not None and path:
            self._write("Export efficiency curve", save_efficiency_curve, curve, path)

    @Slot(str)
    def _on_export_activity_requested(self, fmt: str) -> None:
        report = self.session.activity
        filt = "JSON (*.json)" if fmt == "json" else "CSV table (*.csv)"
        path = self._ask("Save activity", filt, f"activity.{fmt}")
        if report is not None and path:
            save = save_activity_json if fmt == "json" else save_activity_csv
            self._write("Export activity", save, report, path)

    def _write(self, title: str, save: Any, obj: Any, path: str) -> None:
        try:
            save(obj, path)
        except OSError as exc:
            self._ctx.notifier.error(title, f"{path}: {exc.strerror or exc}")
            return
        self._ctx.notifier.info(f"{title}: written to {path}")


def build(ctx: AppContext) -> PaneBinding:
    """Create the HPGe pane and its controller."""
    pane = HpgePane()
    return PaneBinding(pane, HpgeController(ctx, pane, ctx.hpge))
