"""HPGe session -> pane: pushes the model's state into the pane's ``show_*`` methods.

What to use when
----------------
- ``HpgePresenter`` is created by ``HpgeController``. It listens to the ``HpgeSession``
  signals and redraws what changed: the spectra list and form, the spectrum view (drawn again
  only when the spectrum or its calibration changes, so zoom survives new fits), line markers,
  fitted models, the peak table, and the efficiency, attenuation and activity tabs. Pushes are
  wrapped in signal blockers so that nothing echoes back as a user intent.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QSignalBlocker, Slot

from workbench.controllers.hpge_model import ROLE_TEXT, HpgeSession
from workbench.controllers.hpge_views import (
    activity_view,
    analysis_fit_curves,
    attenuation_view,
    efficiency_view,
    fwhm_guess,
    line_markers,
    peak_rows,
    region_fit_curves,
    spectrum_arrays,
)
from workbench.panes.hpge import HpgePane
from workbench.panes.hpge_sources import EntryForm, EntryRow

__all__ = ["HpgePresenter"]


class HpgePresenter(QObject):
    """Keeps ``HpgePane`` in step with ``HpgeSession``.

    Parameters
    ----------
    session : HpgeSession
        The model.
    pane : HpgePane
        The view.
    parent : QObject, optional
        Qt parent (the controller).
    """

    def __init__(self, session: HpgeSession, pane: HpgePane, parent: QObject | None = None):
        super().__init__(parent)
        self._s = session
        self._pane = pane
        self._drawn: tuple[str, int] | None = None  # (key, id(spectrum)) in the spectrum view
        self._selected_kev: float | None = None
        self._problems: list[str] = []
        self._unidentified = False
        session.entries_changed.connect(self._on_entries_changed)
        session.current_changed.connect(self._on_current_changed)
        session.spectrum_changed.connect(self._on_spectrum_changed)
        session.settings_changed.connect(self._on_settings_changed)
        session.efficiency_changed.connect(self._on_efficiency_changed)
        session.attenuation_changed.connect(self._on_attenuation_changed)
        session.activity_changed.connect(self._on_activity_changed)
        pane.peak_selected.connect(self.select_peak)
        pane.show_unidentified_changed.connect(self._on_show_unidentified_changed)
        self._on_settings_changed()

    # ------------------------------------------------------------------ queries
    def partner_choices(self, key: str) -> list[tuple[str, str]]:
        """Return ``(key, name)`` of spectra an inside spectrum ``key`` may pair with."""
        me = self._s.entry(key)
        if me is None:
            return []
        return [
            (e.key, e.name)
            for e in self._s.entries
            if e.key != key
            and e.role in ("outside", "calibration")
            and (not me.nuclide or e.nuclide == me.nuclide)
        ]

    def set_efficiency_problems(self, problems: list[str]) -> None:
        """Remember why some calibration spectra are not in the curve (shown under it)."""
        self._problems = list(problems)

    # ------------------------------------------------------------------ entries
    @Slot()
    def _on_entries_changed(self) -> None:
        rows = [
            EntryRow(
                e.key,
                e.name,
                ROLE_TEXT[e.role],
                e.nuclide or "?",
                self._s.status(e.key) or ("loaded" if self._s.spectrum(e.key) else "not read"),
                e.path,
            )  # fmt: skip
            for e in self._s.entries
        ]
        src = self._pane.sources
        with QSignalBlocker(src):
            src.show_rows(rows)
            src.show_form(self._form(self._s.current))

    def _form(self, key: str) -> EntryForm | None:
        e = self._s.entry(key)
        if e is None:
            return None
        return EntryForm(
            e.key, e.role, e.nuclide, e.activity_bq, e.activity_err_bq, e.reference_date,
            e.label, e.partner, tuple(self.partner_choices(key)),
        )  # fmt: skip

    @Slot(str)
    def _on_current_changed(self, _key: str) -> None:
        self._selected_kev = None
        self._on_entries_changed()
        self.show_current_spectrum()

    @Slot(str)
    def _on_spectrum_changed(self, key: str) -> None:
        if key == self._s.current:
            self.show_current_spectrum()

    # ------------------------------------------------------------------ spectrum view
    def show_current_spectrum(self) -> None:
        """Draw the current spectrum, its markers, fits and peak table."""
        key = self._s.current
        plot = self._pane.spectrum
        analysis = self._s.analysis(key)
        spectrum = analysis.spectrum if analysis is not None else self._s.spectrum(key)
        if spectrum is None:
            self._drawn = None
            plot.clear()
            self._pane.peaks.set_rows([])
            self._pane.notes.setText("")
            return
        if self._drawn != (key, id(spectrum)):
            self._drawn = (key, id(spectrum))
            edges, counts, note = spectrum_arrays(spectrum)
            plot.set_spectrum(edges, counts, title=self._title(key, spectrum, note))
        if analysis is not None:
            plot.set_lines(*line_markers(analysis))
            plot.set_fwhm_guess(*fwhm_guess(analysis))
            notes = list(analysis.notes)
        else:
            plot.set_lines([], [])
            notes = [self._s.status(key) or "Not analysed: choose the nuclide, then Analyse."]
        self._pane.notes.setText("\n".join(notes))
        self._show_fits()
        self.show_current_peaks()

    def _title(self, key: str, spectrum: Any, note: str) -> str:
        e = self._s.entry(key)
        start = spectrum.start_time.strftime("%Y-%m-%d %H:%M") if spectrum.start_time else "?"
        parts = [e.name if e else key, f"live {spectrum.live_time_s:g} s", f"start {start}"]
        if spectrum.energy_cal is not None and spectrum.energy_cal.source:
            parts.append(f"calibration: {spectrum.energy_cal.source}")
        return "  ·  ".join(parts + ([note] if note else []))

    def _show_fits(self) -> None:
        key = self._s.current
        analysis = self._s.analysis(key)
        fits = analysis_fit_curves(analysis) if analysis is not None else []
        spectrum = analysis.spectrum if analysis is not None else self._s.spectrum(key)
        manual = self._s.manual_fits(key)
        fits += [region_fit_curves(r, spectrum, "manual fit") for r in manual if r.valid]
        highlight = None
        if self._selected_kev is not None:
            for i, f in enumerate(fits):
                if f.x_kev.size and f.x_kev[0] <= self._selected_kev <= f.x_kev[-1]:
                    highlight = i  # the last match: a manual fit wins over the analysis
        self._pane.spectrum.set_fits(fits, highlight)

    def show_current_peaks(self) -> None:
        """Fill the peak table of the current spectrum."""
        key = self._s.current
        e = self._s.entry(key)
        rows = peak_rows(
            self._s.analysis(key),
            e.excluded_kev if e else (),
            self._s.manual_fits(key),
            exclude_summing=self._s.settings.exclude_summing,
            unidentified=self._unidentified,
        )
        self._pane.peaks.set_rows(rows)
        if self._selected_kev is not None:
            self._pane.peaks.select_energy(self._selected_kev)

    @Slot(bool)
    def _on_show_unidentified_changed(self, on: bool) -> None:
        self._unidentified = bool(on)
        self.show_current_peaks()

    @Slot(float)
    def select_peak(self, energy_kev: float) -> None:
        """Highlight the fit at ``energy_kev``, zoom on it and select its table row."""
        self._selected_kev = float(energy_kev)
        self._show_fits()
        plot = self._pane.spectrum
        fw = plot.fwhm_guess_at(energy_kev)
        plot.zoom_to(energy_kev - 12 * fw, energy_kev + 12 * fw)
        self._pane.peaks.select_energy(energy_kev)

    # ------------------------------------------------------------------ settings and results
    @Slot()
    def _on_settings_changed(self) -> None:
        st = self._s.settings
        self._pane.show_settings(
            st.order, st.exclude_summing, st.attenuation_kind, st.activity_date
        )
        self._pane.sources.show_options(st.tolerance_kev, st.min_intensity, st.area)

    @Slot()
    def _on_efficiency_changed(self) -> None:
        curve = self._s.efficiency
        if curve is None:
            self._pane.show_efficiency_message(self._s.efficiency_message)
            return
        self._pane.show_efficiency(efficiency_view(curve))
        if self._problems:
            self._pane.efficiency_note.setText("Not in the curve: " + "; ".join(self._problems))

    def _assay_energies(self) -> list[float]:
        keys = [k for k in self._s.keys_with_role("unknown") if self._s.analysis(k) is not None]
        if not keys:
            return []
        return [p.line.energy_kev for p in self._s.analysis(keys[0]).peaks if p.fit.valid]

    @Slot()
    def _on_attenuation_changed(self) -> None:
        s = self._s
        if s.attenuation is None and not s.attenuation_points:
            self._pane.show_attenuation_message(s.attenuation_message)
            return
        rows, curve, summary = attenuation_view(
            s.attenuation, s.attenuation_points, self._assay_energies(), s.attenuation_message
        )
        self._pane.show_attenuation(rows, curve, summary, self._assay_energies())

    @Slot()
    def _on_activity_changed(self) -> None:
        report = self._s.activity
        if report is None:
            self._pane.show_activity_message(self._s.activity_message)
            return
        self._pane.show_activity(*activity_view(report))
