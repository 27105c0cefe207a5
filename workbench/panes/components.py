"""The Components pane: Analysis A and B of the 83mKr component separation, step by step.

What to use when
----------------
- ``ComponentsPane``: a passive view with two tabs. "Analysis A": prompt amplitude fit, S_Ap(PE)
  profile with its curve, delayed amplitude fit with the 39Ar template, delay distribution, and
  the result table (9.4 and 32.1 keV light, Y per keV). "Analysis B": I35:I55 histogram with the
  profile line and the rotated cut, the rotated-axis projection with two Gaussians and the cut,
  the I90 fits of both populations, the F90(I) curve, and the system (4.4) table. A settings row
  per tab edits the main choices (emitted as ``settings_edited(step, changes)``).
- The controller (``workbench.controllers.components``) fills the plots; every plot exports to
  PNG/SVG/CSV from its tool button.

Signals
-------
settings_edited(str, dict)
    ``step`` ("components_a"/"components_b") and the changed settings.
recompute_requested()
    The user asked to recompute both analyses.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from widgets.components_plot import ComponentPlot
from widgets.hist2d_image import Hist2DImage

__all__ = ["ComponentsPane"]


def _table(columns: Sequence[str], parent: QWidget) -> QTableWidget:
    t = QTableWidget(0, len(columns), parent)
    t.setHorizontalHeaderLabels(list(columns))
    t.verticalHeader().setVisible(False)
    t.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    t.horizontalHeader().setStretchLastSection(True)
    t.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    t.setMaximumHeight(130)
    return t


def _spin(
    lo: float, hi: float, value: float, step: float, suffix: str, dec: int = 1
) -> QDoubleSpinBox:
    s = QDoubleSpinBox()
    s.setRange(lo, hi)
    s.setDecimals(dec)
    s.setSingleStep(step)
    s.setValue(value)
    s.setSuffix(suffix)
    s.setKeyboardTracking(False)
    return s


class ComponentsPane(QWidget):
    """Two tabs of small plots and result tables (see the module docstring)."""

    settings_edited = Signal(str, dict)
    recompute_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tabs = QTabWidget(self)
        self.status = QLabel("", self)
        self.status.setWordWrap(True)
        self.recompute = QPushButton("Recompute", self)
        self.recompute.setToolTip("Run Analysis A and B again on the current runs and cuts")
        self.recompute.clicked.connect(self.recompute_requested)
        top = QHBoxLayout()
        top.addWidget(self.status, 1)
        top.addWidget(self.recompute)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(top)
        lay.addWidget(self.tabs, 1)
        self.i35_overlays: list = []  # profile points, line and cut drawn over the I35:I55 image
        self._build_a()
        self._build_b()

    # ------------------------------------------------------------------ layout
    def _build_a(self) -> None:
        page = QWidget()
        self.prompt_plot = ComponentPlot(
            "1. Prompt (32.1 keV) amplitude, delayed-pulse events", "components_a_prompt", page
        )
        self.sap_plot = ComponentPlot("2. S_Ap(PE) from 39Ar", "components_a_sap", page)
        self.delayed_plot = ComponentPlot(
            "3. Delayed (9.4 keV) amplitude with 39Ar template", "components_a_delayed", page
        )
        self.delay_plot = ComponentPlot("4. Delay of the 9.4 keV pulse", "components_a_delay", page)
        self.prompt_plot.set_labels("Prompt peak amplitude (ADC)", "Events per bin")
        self.sap_plot.set_labels("Total PE", "Peak amplitude / total PE (ADC/PE)")
        self.delayed_plot.set_labels("Delayed peak amplitude (ADC)", "Events per bin")
        self.delay_plot.set_labels("Delayed pulse time after t0 (ns)", "Events per bin")
        self.threshold_a = _spin(0, 1000, 110, 5, " ADC", 0)
        self.threshold_a.setToolTip("A delayed pulse above this amplitude is the 9.4 keV step")
        self.threshold_a.valueChanged.connect(
            lambda v: self.settings_edited.emit("components_a", {"delayed_min_adc": float(v)})
        )
        self.table_a = _table(["Step", "Amplitude (ADC)", "Light (PE)", "Y (PE/keV)"], page)
        self.table_a.setMinimumHeight(96)  # header and both rows without a scroll bar
        grid = QGridLayout()
        grid.addWidget(self.prompt_plot, 0, 0)
        grid.addWidget(self.sap_plot, 0, 1)
        grid.addWidget(self.delayed_plot, 1, 0)
        grid.addWidget(self.delay_plot, 1, 1)
        row = QHBoxLayout()
        row.addWidget(QLabel("Delayed pulse above"))
        row.addWidget(self.threshold_a)
        row.addStretch(1)
        v = QVBoxLayout(page)
        v.setContentsMargins(2, 2, 2, 2)
        v.addLayout(row)
        v.addLayout(grid, 1)
        v.addWidget(self.table_a)
        self.tabs.addTab(page, "Analysis A (amplitudes)")

    def _build_b(self) -> None:
        page = QWidget()
        self.i35_i55 = Hist2DImage(page, name="components_b_i35_i55")
        self.i35_i55.set_title("1. I35 vs I55 of the 41.5 keV events, profile line and cut")
        self.i35_i55.set_axis_labels("I55 (PE)", "I35 (PE)")
        self.rotated_plot = ComponentPlot(
            "2. Rotated axis I35 cos(a) - I55 sin(a)", "components_b_rotated", page
        )
        self.i90_41_plot = ComponentPlot(
            "3. I90 below the cut (41.5 keV in 90 ns)", "components_b_i90_41", page
        )
        self.i90_32_plot = ComponentPlot(
            "4. I90 above the cut (32.1 keV only: lower peak)", "components_b_i90_32", page
        )
        self.f90_plot = ComponentPlot(
            "5. F90(I) of 57Co electron recoils", "components_b_f90", page
        )
        self.rotated_plot.set_labels("Rotated coordinate (PE)", "Events per bin")
        self.rotated_plot.set_legend_corner("left")
        self.i90_41_plot.set_labels("I90 (PE)", "Events per bin")
        self.i90_32_plot.set_labels("I90 (PE)", "Events per bin")
        self.f90_plot.set_labels("Total PE", "Median F90")
        self.alpha_auto = QCheckBox("alpha from the profile", page)
        self.alpha_auto.setChecked(True)
        self.alpha = _spin(0, 90, 37.5, 0.5, " deg", 2)
        self.alpha.setEnabled(False)
        self.alpha_auto.toggled.connect(self._on_alpha)
        self.alpha.valueChanged.connect(lambda _v: self._on_alpha(self.alpha_auto.isChecked()))
        self.cut_auto = QCheckBox("cut at 10⁻³ of the main Gaussian", page)
        self.cut_auto.setChecked(True)
        self.cut = _spin(-100, 100, -2.0, 0.1, " PE", 2)
        self.cut.setEnabled(False)
        self.cut_auto.toggled.connect(self._on_cut)
        self.cut.valueChanged.connect(lambda _v: self._on_cut(self.cut_auto.isChecked()))
        self.i90_method = QComboBox(page)
        self.i90_method.addItem("events with a delayed pulse", "delayed_pulse")
        self.i90_method.addItem("two Gaussians above the cut (paper)", "two_gauss")
        self.i90_method.setToolTip(
            "Which events give I90 of the 32.1 keV step alone: those whose 9.4 keV pulse is seen "
            "after 152 ns (clean), or the lower of two Gaussians above the cut (the paper's)"
        )
        self.i90_method.currentIndexChanged.connect(
            lambda _i: self.settings_edited.emit(
                "components_b", {"i90_32_method": self.i90_method.currentData()}
            )
        )
        self.table_b = _table(["Quantity", "32.1 keV", "9.4 keV", "41.5 keV"], page)
        self.table_b.setMaximumHeight(16777215)
        self.table_b.setMinimumHeight(180)
        grid = QGridLayout()
        grid.addWidget(self.i35_i55, 0, 0)
        grid.addWidget(self.rotated_plot, 0, 1)
        grid.addWidget(self.f90_plot, 0, 2)
        grid.addWidget(self.i90_41_plot, 1, 0)
        grid.addWidget(self.i90_32_plot, 1, 1)
        grid.addWidget(self.table_b, 1, 2)
        row = QHBoxLayout()
        row.addWidget(self.alpha_auto)
        row.addWidget(self.alpha)
        row.addSpacing(16)
        row.addWidget(self.cut_auto)
        row.addWidget(self.cut)
        row.addSpacing(16)
        row.addWidget(QLabel("I90(32.1) from"))
        row.addWidget(self.i90_method)
        row.addStretch(1)
        v = QVBoxLayout(page)
        v.setContentsMargins(2, 2, 2, 2)
        v.addLayout(row)
        v.addLayout(grid, 1)
        self.tabs.addTab(page, "Analysis B (I35:I55, system 4.4)")

    def _on_alpha(self, auto: bool) -> None:
        self.alpha.setEnabled(not auto)
        value = None if auto else float(self.alpha.value())
        self.settings_edited.emit("components_b", {"alpha_deg": value})

    def _on_cut(self, auto: bool) -> None:
        self.cut.setEnabled(not auto)
        value = None if auto else float(self.cut.value())
        self.settings_edited.emit("components_b", {"cut_value_pe": value})

    # ------------------------------------------------------------------ model -> view
    def show_status(self, text: str) -> None:
        """Show one line saying what is shown, what runs or what is missing."""
        self.status.setText(text)

    def show_settings(self, a: dict, b: dict) -> None:
        """Reflect stored settings in the editors (no signals)."""
        with QSignalBlocker(self.threshold_a):
            self.threshold_a.setValue(float(a.get("delayed_min_adc", 110.0)))
        for box, spin, value in (
            (self.alpha_auto, self.alpha, b.get("alpha_deg")),
            (self.cut_auto, self.cut, b.get("cut_value_pe")),
        ):
            with QSignalBlocker(box), QSignalBlocker(spin):
                box.setChecked(value is None)
                spin.setEnabled(value is not None)
                if value is not None:
                    spin.setValue(float(value))
        with QSignalBlocker(self.i90_method):
            i = self.i90_method.findData(b.get("i90_32_method", "delayed_pulse"))
            self.i90_method.setCurrentIndex(max(i, 0))

    def plots_a(self) -> list[ComponentPlot]:
        """Return the Analysis A plots in step order."""
        return [self.prompt_plot, self.sap_plot, self.delayed_plot, self.delay_plot]

    def plots_b(self) -> list[ComponentPlot]:
        """Return the Analysis B 1D plots in step order."""
        return [self.rotated_plot, self.i90_41_plot, self.i90_32_plot, self.f90_plot]

    @staticmethod
    def fill_table(table: QTableWidget, rows: Sequence[Sequence[str]]) -> None:
        """Replace the rows of a result table."""
        table.setRowCount(len(rows))
        for i, row in enumerate(rows):
            for j, text in enumerate(row):
                table.setItem(i, j, QTableWidgetItem(str(text)))

    def table_rows(self, table: QTableWidget) -> list[list[str]]:
        """Return the texts of a result table (for tests and export)."""
        return [
            [
                table.item(i, j).text() if table.item(i, j) else ""
                for j in range(table.columnCount())
            ]
            for i in range(table.rowCount())
        ]
