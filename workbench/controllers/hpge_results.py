"""HPGe results pipeline: efficiency curve, container transmission and activity, in jobs.

What to use when
----------------
- ``HpgeResults`` is owned by ``HpgeController``. ``refresh_all()`` after anything that changes
  the inputs (an analysis, a role, a certificate, an exclusion); ``refresh_efficiency``,
  ``refresh_attenuation`` and ``refresh_activity`` for one step. Each gathers its inputs from
  the ``HpgeSession`` in the GUI thread, runs the ``hpge_compute`` function in a job keyed by
  the step (a newer request drops an older result) and stores the result in the session. A
  new efficiency curve or transmission then refreshes the activity. A missing input is not an
  error: the session gets ``None`` with a message saying what is missing.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject

from analysis_core.errors import CalibrationError
from analysis_core.hpge.efficiency_points import source_label
from workbench.controllers.hpge_compute import (
    AttenuationResult,
    CalibrationSource,
    ContainerPair,
    assay_activity,
    fit_container_attenuation,
    fit_efficiency_curve,
)
from workbench.controllers.hpge_model import HpgeSession
from workbench.jobs import JobRunner

__all__ = ["HpgeResults"]


class HpgeResults(QObject):
    """Recomputes the assay's results from the session's inputs (see the module docstring).

    Parameters
    ----------
    session : HpgeSession
        Inputs and where the results go.
    jobs : JobRunner
        Runs the fits.
    presenter : HpgePresenter
        Told which calibration spectra are left out of the curve and why.
    parent : QObject, optional
        Qt parent.
    """

    def __init__(
        self, session: HpgeSession, jobs: JobRunner, presenter: Any, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._s = session
        self._jobs = jobs
        self._presenter = presenter
        self._source_keys: dict[str, str] = {}  # efficiency source label -> entry key

    def key_of_source(self, label: str) -> str:
        """Return the key of the calibration spectrum whose points carry ``label``."""
        return self._source_keys.get(label, "")

    def refresh_all(self) -> None:
        """Refit the efficiency curve and the transmission (each then refreshes the activity)."""
        self.refresh_efficiency()
        self.refresh_attenuation()

    def refresh_efficiency(self) -> None:
        """Fit the efficiency curve of the analysed calibration spectra in a job."""
        s, st = self._s, self._s.settings
        sources, problems = [], []
        for key in s.keys_with_role("calibration"):
            entry, analysis = s.entry(key), s.analysis(key)
            if analysis is None:
                problems.append(f"{entry.name}: not analysed yet")
                continue
            try:
                src = CalibrationSource.from_entry(entry, analysis)
            except CalibrationError as exc:
                problems.append(str(exc))
                continue
            sources.append(src)
            self._source_keys[source_label(src.certificate)] = key
        self._presenter.set_efficiency_problems(problems)
        if not sources:
            why = "; ".join(problems) or "no calibration spectrum (set a spectrum's role)"
            s.set_efficiency(None, f"No efficiency curve: {why}.")
            self.refresh_activity()
            return
        self._jobs.submit(
            fit_efficiency_curve,
            sources,
            order=st.order,
            e0_kev=st.e0_kev,
            exclude_summing=st.exclude_summing,
            area=st.area,
            title="Fitting the efficiency curve",
            key="hpge-efficiency",
            on_done=self._on_efficiency_fitted,
            on_error=self._on_efficiency_failed,
        )

    def _on_efficiency_fitted(self, curve: Any) -> None:
        self._s.set_efficiency(curve, curve.message)
        self.refresh_activity()

    def _on_efficiency_failed(self, message: str) -> None:
        self._s.set_efficiency(None, f"Efficiency fit failed: {message}")
        self.refresh_activity()

    def refresh_attenuation(self) -> None:
        """Measure the container transmission from the inside/outside pairs in a job."""
        s = self._s
        pairs = []
        for key in s.keys_with_role("inside"):
            entry = s.entry(key)
            inside, outside = s.analysis(key), s.analysis(entry.partner)
            partner = s.entry(entry.partner)
            if inside is None or outside is None or partner is None:
                continue
            if entry.nuclide and entry.nuclide == partner.nuclide:
                excl = tuple(entry.excluded_kev) + tuple(partner.excluded_kev)
                pairs.append(ContainerPair(entry.nuclide, inside, outside, excl))
        if not pairs:
            s.set_attenuation(None, (), "No container measurement: pair an analysed inside "
                              "spectrum with the same source outside.")  # fmt: skip
            self.refresh_activity()
            return
        self._jobs.submit(
            fit_container_attenuation,
            pairs,
            s.settings.attenuation_kind,
            title="Fitting the container transmission",
            key="hpge-attenuation",
            on_done=self._on_attenuation_fitted,
            on_error=self._on_attenuation_failed,
        )

    def _on_attenuation_fitted(self, result: AttenuationResult) -> None:
        self._s.set_attenuation(result.model, result.points, result.message)
        self.refresh_activity()

    def _on_attenuation_failed(self, message: str) -> None:
        self._s.set_attenuation(None, (), f"Transmission fit failed: {message}")
        self.refresh_activity()

    def refresh_activity(self) -> None:
        """Assay the (first analysed) unknown source in a job."""
        s, st = self._s, self._s.settings
        keys = [k for k in s.keys_with_role("unknown") if s.analysis(k) is not None]
        if not keys:
            s.set_activity(None, "No activity: no analysed unknown-source spectrum.")
            return
        if s.efficiency is None:
            s.set_activity(None, "No activity: the efficiency curve is missing.")
            return
        entry = s.entry(keys[0])
        attenuation = s.attenuation if st.attenuation_kind != "none" else None
        self._jobs.submit(
            assay_activity,
            s.analysis(keys[0]),
            entry.nuclide,
            s.efficiency,
            attenuation,
            date=st.activity_date,
            excluded_kev=entry.excluded_kev,
            exclude_summing=st.exclude_summing,
            area=st.area,
            title=f"Activity of {entry.name}",
            key="hpge-activity",
            on_done=self._on_activity_done,
            on_error=self._on_activity_failed,
        )

    def _on_activity_done(self, report: Any) -> None:
        self._s.set_activity(report, "")

    def _on_activity_failed(self, message: str) -> None:
        self._s.set_activity(None, f"Activity failed: {message}")
