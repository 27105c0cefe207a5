"""HPGe assay pane: spectra and sources, spectrum with peaks, efficiency, attenuation, activity.

What to use when
----------------
- ``HpgePane`` is a passive view built from reusable widgets: the sources panel on the left
  (``workbench.panes.hpge_sources``) and four tabs: the spectrum view with the peak table,
  the efficiency curve, the container attenuation, and the activity with its budget. It emits
  user intents (fit a region, exclude a line, change the order, export...) and shows what
  the ``HpgeController`` pushes into its ``show_*`` methods. It contains no physics.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QSignalBlocker, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from widgets.activity_attenuation_table import AttenuationTableWidget
from widgets.activity_table import ActivityTableWidget
from widgets.efficiency_plot import EfficiencyPlot
from widgets.gamma_spectrum_plot import GammaSpectrumPlot
from widgets.peak_table import PeakTableWidget
from workbench.panes.hpge_sources import HpgeSourcesPanel

if TYPE_CHECKING:
    from widgets.activity_attenuation_table import AttenuationRow
    from widgets.activity_table import ActivityLineRow, BudgetRow
    from workbench.controllers.hpge_views import EfficiencyView

__all__ = ["TABS", "HpgePane"]

#: Tab titles, in order.
TABS = ("Spectrum && peaks", "Efficiency", "Attenuation", "Activity")


def _bar(*widgets: QWidget) -> QHBoxLayout:
    row = QHBoxLayout()
    row.setContentsMargins(0, 0, 0, 0)
    for w in widgets:
        row.addWidget(w)
    row.addStretch(1)
    return row


class HpgePane(QWidget):
    """The HPGe assay pane (see the module docstring).

    Signals
    -------
    fit_requested(float, float)
        Fit the region ``lo_kev, hi_kev`` of the shown spectrum.
    clear_fits_requested()
        Remove the manual fits of the shown spectrum.
    exclusion_changed(float, bool)
        ``energy_kev, excluded`` for a line of the shown spectrum.
    peak_selected(float)
        The user selected the peak at ``energy_kev``.
    efficiency_point_clicked(int, float)
        The user clicked the efficiency point ``index`` (of the curve's points) at ``energy_kev``.
    order_changed(int)
        Efficiency polynomial order (2-5).
    exclude_summing_changed(bool)
        Leave summing-prone lines out.
    attenuation_kind_changed(str)
        Transmission model kind.
    activity_date_changed(str)
        ``YYYY-MM-DD`` or ``""``.
    export_efficiency_requested(), export_activity_requested(str)
        Save the curve (JSON) or the activity (``"json"`` or ``"csv"``).
    show_unidentified_changed(bool)
        List the peaks no line claimed in the peak table too.

    The sources panel's signals (``open_requested``, ``analyse_requested``, ...) are reached
    through ``pane.sources``.
    """

    fit_requested = Signal(float, float)
    clear_fits_requested = Signal()
    exclusion_changed = Signal(float, bool)
    peak_selected = Signal(float)
    efficiency_point_clicked = Signal(int, float)
    order_changed = Signal(int)
    exclude_summing_changed = Signal(bool)
    attenuation_kind_changed = Signal(str)
    activity_date_changed = Signal(str)
    export_efficiency_requested = Signal()
    export_activity_requested = Signal(str)
    show_unidentified_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sources = HpgeSourcesPanel(self)
        self.spectrum = GammaSpectrumPlot(self)
        self.peaks = PeakTableWidget(self)
        self.notes = QLabel(self)
        self.notes.setWordWrap(True)
        self.notes.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.clear_fits_button = QPushButton("Clear manual fits", self)
        self.clear_fits_button.setToolTip("Remove the region fits you asked for on this spectrum")
        self.spectrum.fit_requested.connect(self.fit_requested)
        self.clear_fits_button.clicked.connect(self.clear_fits_requested)
        self.show_unidentified = QCheckBox("List unidentified peaks", self)
        self.show_unidentified.setToolTip(
            "Also list the fitted peaks no line of the nuclide claimed"
        )
        self.show_unidentified.toggled.connect(self.show_unidentified_changed)
        self.peaks.exclusion_changed.connect(self.exclusion_changed)
        self.peaks.peak_selected.connect(self.peak_selected)

        self.efficiency = EfficiencyPlot(self)
        self.efficiency.point_clicked.connect(self.efficiency_point_clicked)
        self.order = QSpinBox(self)
        self.order.setRange(2, 5)
        self.order.setValue(3)
        self.order.setPrefix("order ")
        self.order.setToolTip("Polynomial order of ln ε in ln(E/E0)")
        self.order.valueChanged.connect(self.order_changed)
        self.exclude_summing = QCheckBox("Exclude summing-prone lines", self)
        self.exclude_summing.setToolTip(
            "Leave out lines flagged for true-coincidence summing (close geometry)"
        )
        self.exclude_summing.toggled.connect(self.exclude_summing_changed)
        self.export_curve_button = QPushButton("Export curve…", self)
        self.export_curve_button.setToolTip(
            "Save the curve as JSON (the format of larcal hpge efficiency --out)"
        )
        self.export_curve_button.clicked.connect(self.export_efficiency_requested)
        self.efficiency_note = QLabel(self)
        self.efficiency_note.setWordWrap(True)

        self.attenuation = AttenuationTableWidget(self)
        self.attenuation.model_kind_changed.connect(self.attenuation_kind_changed)
        self.activity = ActivityTableWidget(self)
        self.activity.reference_date_changed.connect(self.activity_date_changed)
        self.export_json_button = QPushButton("Export JSON…", self)
        self.export_json_button.clicked.connect(self._on_export_json_clicked)
        self.export_csv_button = QPushButton("Export CSV…", self)
        self.export_csv_button.clicked.connect(self._on_export_csv_clicked)

        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        spec_tab = QSplitter(Qt.Orientation.Vertical, self)
        spec_tab.addWidget(self.spectrum)
        lower = QWidget(self)
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        notes_row = QHBoxLayout()
        notes_row.addWidget(self.notes, 1)
        notes_row.addWidget(self.show_unidentified, 0, Qt.AlignmentFlag.AlignTop)
        notes_row.addWidget(self.clear_fits_button, 0, Qt.AlignmentFlag.AlignTop)
        lower_layout.addLayout(notes_row)
        lower_layout.addWidget(self.peaks, 1)
        spec_tab.addWidget(lower)
        spec_tab.setStretchFactor(0, 3)
        spec_tab.setStretchFactor(1, 2)
        spec_tab.setSizes([600, 400])
        self.tabs.addTab(spec_tab, TABS[0])
        eff_tab = QWidget(self)
        eff_layout = QVBoxLayout(eff_tab)
        eff_layout.addLayout(_bar(self.order, self.exclude_summing, self.export_curve_button))
        eff_layout.addWidget(self.efficiency, 1)
        eff_layout.addWidget(self.efficiency_note)
        self.tabs.addTab(eff_tab, TABS[1])
        self.tabs.addTab(self.attenuation, TABS[2])
        act_tab = QWidget(self)
        act_layout = QVBoxLayout(act_tab)
        act_layout.addLayout(_bar(self.export_json_button, self.export_csv_button))
        act_layout.addWidget(self.activity, 1)
        self.tabs.addTab(act_tab, TABS[3])

        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(self.sources)
        split.addWidget(self.tabs)
        split.setStretchFactor(0, 0)
        split.setStretchFactor(1, 1)
        split.setSizes([430, 1170])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(split)
        self.show_efficiency_message("No efficiency curve yet: analyse a calibration spectrum.")
        self.show_activity_message("No activity yet: analyse the unknown source's spectrum.")
        self.show_attenuation_message("No container measurement: pair an inside spectrum.")

    # ------------------------------------------------------------------ settings
    def show_settings(self, order: int, exclude_summing: bool, kind: str, date: str) -> None:
        """Show the assay settings without emitting change signals."""
        with QSignalBlocker(self.order), QSignalBlocker(self.exclude_summing):
            self.order.setValue(order)
            self.exclude_summing.setChecked(exclude_summing)
        self.attenuation.set_model_kind(kind)
        self.activity.set_reference_date(date)

    # ------------------------------------------------------------------ efficiency
    def show_efficiency(self, v: EfficiencyView) -> None:
        """Draw an ``EfficiencyView`` (from ``workbench.controllers.hpge_views``)."""
        plot = self.efficiency
        plot.set_curve(
            v.grid_kev, v.curve, v.band_lo, v.band_hi,
            fit_range_kev=v.fit_range_kev, label=f"fit, order {self.order.value()}",
        )  # fmt: skip
        plot.set_points(
            v.energy_kev, v.efficiency, v.efficiency_err, v.sources,
            flagged=v.flagged, excluded=v.excluded, residual_rel=v.residual_rel,
            residual_rel_err=v.residual_rel_err, pull=v.pull,
        )  # fmt: skip
        plot.set_title(v.title)
        self.efficiency_note.setText(
            "Click a point to exclude or include it. Hollow: excluded; ringed: summing-prone."
        )
        self.export_curve_button.setEnabled(True)

    def show_efficiency_message(self, text: str) -> None:
        """Clear the efficiency plot and say why."""
        self.efficiency.clear()
        self.efficiency_note.setText(text)
        self.export_curve_button.setEnabled(False)

    # ------------------------------------------------------------------ attenuation / activity
    def show_attenuation(
        self,
        rows: Sequence[AttenuationRow],
        curve: tuple,
        summary: str,
        marks_kev: Sequence[float] = (),
    ) -> None:
        """Show transmission points, the model curve ``(E, mu, mu_err)`` and its summary."""
        self.attenuation.set_points(rows)
        self.attenuation.set_model_curve(*curve, summary, marks_kev)

    def show_attenuation_message(self, text: str) -> None:
        """Clear the attenuation tab and say why."""
        self.attenuation.clear(text)

    def show_activity(
        self, lines: Sequence[ActivityLineRow], budget: Sequence[BudgetRow], summary: str
    ) -> None:
        """Show an activity assay (rows and rich-text summary)."""
        self.activity.set_result(lines, budget, summary)
        self.export_json_button.setEnabled(True)
        self.export_csv_button.setEnabled(True)

    def show_activity_message(self, text: str) -> None:
        """Clear the activity tab and say why."""
        self.activity.clear(text)
        self.export_json_button.setEnabled(False)
        self.export_csv_button.setEnabled(False)

    # ------------------------------------------------------------------ dialogs
    def ask_open_files(self, start_dir: str, file_filter: str) -> list[str]:
        """Ask for spectrum files (modal dialog); [] when cancelled."""
        files, _ = QFileDialog.getOpenFileNames(self, "Open spectra", start_dir, file_filter)
        return list(files)

    def ask_save_path(self, caption: str, file_filter: str, suggested: str) -> str:
        """Ask where to save (modal dialog); "" when cancelled."""
        path, _ = QFileDialog.getSaveFileName(self, caption, suggested, file_filter)
        return path

    # ------------------------------------------------------------------ intents
    @Slot()
    def _on_export_json_clicked(self) -> None:
        self.export_activity_requested.emit("json")

    @Slot()
    def _on_export_csv_clicked(self) -> None:
        self.export_activity_requested.emit("csv")
