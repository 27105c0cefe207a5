"""The "Kr timing" pane: 83mKr peak rate vs time with its half-life, ftop vs time, delays.

What to use when
----------------
- ``KrTimingPane`` is a passive view. Left: the run, the rate options (column, peak window,
  time bin, excluded filling period, cuts) with the half-life parameters, and the delay options
  (resolving cut, upper end, bin, amplitude threshold, cuts) with the delay parameters. Right:
  the rate plot (``widgets.rate_plot``) on top; below it ftop vs time
  (``widgets.time_map_plot``) and the delay distribution (``widgets.spectrum_fit_plot`` with
  the resolving cut marked). It emits intents (``halflife_edited``, ``delay_edited``) and
  shows what ``workbench.controllers.kr_timing`` pushes.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject, QSignalBlocker, Qt, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from widgets.fit_params_table import FitParamsTable
from widgets.rate_plot import RatePlot
from widgets.spectrum_fit_plot import SpectrumFitPlot
from widgets.time_map_plot import TimeMapPlot
from workbench.panes.spectrum_fit import range_row, spin_box

__all__ = ["SIDE_BY_SIDE_MIN_WIDTH", "KrTimingPane"]

#: Below this width (pixels) of the plot column, ftop vs time and the delays are stacked.
SIDE_BY_SIDE_MIN_WIDTH = 760


class KrTimingPane(QWidget):
    """Rate vs time, ftop vs time and the delay distribution (see the module docstring).

    Signals
    -------
    halflife_edited()
        A rate/half-life option changed (read them with ``halflife_values()``).
    delay_edited()
        A delay option changed (``delay_values()``).
    """

    halflife_edited = Signal()
    delay_edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.run_label = QLabel(self)
        self.run_label.setWordWrap(True)
        self.run_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # --- rate / half-life
        self.column = QComboBox(self)
        self.column.setToolTip("RQ column the peak window applies to")
        self.window_lo = spin_box(self, -1e7, 1e7, 1, "Peak window: low end (events counted)")
        self.window_hi = spin_box(self, -1e7, 1e7, 1, "Peak window: high end")
        self.window_from_fit = QCheckBox("From the 41.5 keV peak fit: mean ±", self)
        self.window_from_fit.setToolTip(
            "Follow the 41.5 keV fit of the Spectrum & fit pane (refits when it changes)"
        )
        self.n_sigma = spin_box(self, 0.5, 10.0, 1, "Half-width of the window in sigmas")
        self.n_sigma.setSuffix(" σ")
        self.bin_min = spin_box(self, 0.1, 1440.0, 1, "Width of the time bins")
        self.bin_min.setSuffix(" min")
        self.exclude_h = spin_box(
            self, 0.0, 1000.0, 2, "Filling period left out of the fit (drag its edge in the plot)"
        )
        self.exclude_h.setSuffix(" h")
        self.exclude_auto = QCheckBox("Find it", self)
        self.exclude_auto.setToolTip(
            "Exclude up to the end of the time bin with the highest rate, found in each Kr run "
            "(also when the session is replayed on a new run); untick to set the time yourself"
        )
        self.rate_cuts = QCheckBox("Apply cuts", self)
        self.rate_cuts.setToolTip("Count only events passing the enabled cuts (Cuts pane)")
        self.halflife_params = FitParamsTable(self)
        # --- delay
        self.min_ns = spin_box(
            self, 0.0, 6000.0, 0,
            "Start of the fitted delays (at or after the 152 ns resolving cut of the reduction)",
        )  # fmt: skip
        self.min_ns.setSuffix(" ns")
        self.max_ns = spin_box(self, 1.0, 6000.0, 0, "Upper end of the fitted delays")
        self.max_ns.setSuffix(" ns")
        self.delay_bin_ns = spin_box(self, 1.0, 500.0, 0, "Width of the drawn delay bins")
        self.delay_bin_ns.setSuffix(" ns")
        self.min_amp = spin_box(self, 0.0, 5000.0, 0, "Delayed pulses smaller than this are noise")
        self.min_amp.setSuffix(" ADC")
        self.delay_cuts = QCheckBox("Apply cuts", self)
        self.delay_cuts.setToolTip("Use only events passing the enabled cuts (Cuts pane)")
        self.delay_params = FitParamsTable(self)
        # --- plots
        self.rate = RatePlot(self, name="kr_rate")
        self.rate.set_axis_labels("Time since run start (h)", "Peak rate (Hz)")
        self.time_map = TimeMapPlot(self, name="ftop_vs_time")
        self.time_map.set_axis_labels("Time since run start (h)", "ftop")
        self.delay = SpectrumFitPlot(self, name="delay")
        self.delay.set_axis_labels("Delay of the second pulse (ns)", "Events per bin")
        self.delay.region.setMovable(False)  # the fit interval is set by the form
        self.delay.set_log_scale(True)

        rate_box = QGroupBox("Rate and half-life", self)
        form = QFormLayout(rate_box)
        form.addRow("Column", self.column)
        form.addRow(range_row(self.window_from_fit, self.n_sigma, ""))
        form.addRow("Window", range_row(self.window_lo, self.window_hi))
        form.addRow("Time bin", self.bin_min)
        form.addRow("Exclude first", range_row(self.exclude_auto, self.exclude_h, ""))
        form.addRow(self.rate_cuts)
        delay_box = QGroupBox("Delay of the 9.4 keV pulse", self)
        dform = QFormLayout(delay_box)
        dform.addRow("Fit from", self.min_ns)
        dform.addRow("Up to", self.max_ns)
        dform.addRow("Bin", self.delay_bin_ns)
        dform.addRow("Min. amplitude", self.min_amp)
        dform.addRow(self.delay_cuts)
        side = QWidget(self)
        sl = QVBoxLayout(side)
        sl.setContentsMargins(4, 4, 4, 4)
        self._top = QHBoxLayout()
        self._top.setContentsMargins(0, 0, 0, 0)
        self._top.addWidget(self.run_label, 1)
        sl.addLayout(self._top)
        sl.addWidget(rate_box)
        sl.addWidget(self.halflife_params)
        sl.addWidget(delay_box)
        sl.addWidget(self.delay_params)
        sl.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(side)
        scroll.setMinimumWidth(375)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._bottom = bottom = QSplitter(Qt.Orientation.Horizontal, self)
        bottom.addWidget(self.time_map)
        bottom.addWidget(self.delay)
        bottom.setStretchFactor(0, 1)
        bottom.setStretchFactor(1, 1)
        self._right = right = QSplitter(Qt.Orientation.Vertical, self)
        right.addWidget(self.rate)
        right.addWidget(bottom)
        right.installEventFilter(self)  # its width decides how the bottom plots are laid out
        right.setStretchFactor(0, 3)
        right.setStretchFactor(1, 2)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(scroll)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([375, 1100])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

        self.column.currentIndexChanged.connect(self._on_halflife_edited)
        for w in (self.window_lo, self.window_hi, self.n_sigma, self.bin_min, self.exclude_h):
            w.valueChanged.connect(self._on_halflife_edited)
        self.rate_cuts.toggled.connect(self._on_halflife_edited)
        self.exclude_auto.toggled.connect(self._on_halflife_edited)
        self.window_from_fit.toggled.connect(self._on_halflife_edited)
        for w in (self.min_ns, self.max_ns, self.delay_bin_ns, self.min_amp):
            w.valueChanged.connect(self._on_delay_edited)
        self.delay_cuts.toggled.connect(self._on_delay_edited)
        self.rate.exclusion_changed.connect(self._on_exclusion_dragged)

    # ------------------------------------------------------------------ values
    def show_columns(self, columns: list[str]) -> None:
        """Set the column chooser's items (keeps the current one when still offered)."""
        current = self.column.currentData()
        with QSignalBlocker(self.column):
            self.column.clear()
            for c in columns:
                self.column.addItem(c, c)
            i = self.column.findData(current)
            self.column.setCurrentIndex(i if i >= 0 else 0)

    def halflife_values(self) -> dict[str, Any]:
        """Return the rate options as ``halflife`` step settings (times in s, window or None).

        ``exclude_before_s`` is "auto" while 'Find it' is ticked, else the typed time (None: 0).
        """
        from_fit = self.window_from_fit.isChecked()
        exclude_s = 3600.0 * float(self.exclude_h.value())
        if self.exclude_auto.isChecked():
            exclude: float | str | None = "auto"
        else:
            exclude = exclude_s if exclude_s > 0 else None
        return {
            "column": str(self.column.currentData() or ""),
            "range": None
            if from_fit
            else [float(self.window_lo.value()), float(self.window_hi.value())],
            "n_sigma": float(self.n_sigma.value()),
            "bin_s": 60.0 * float(self.bin_min.value()),
            "exclude_before_s": exclude,
            "apply_cuts": self.rate_cuts.isChecked(),
        }

    def show_halflife_values(
        self,
        v: dict[str, Any],
        window: tuple[float, float] | None = None,
        exclude_s: float | None = None,
    ) -> None:
        """Show ``halflife`` settings without emitting.

        ``window`` and ``exclude_s`` are the peak window and the exclusion the last fit used
        (shown while they follow the 41.5 keV fit or are found in the run).
        """
        ws = (self.column, self.window_lo, self.window_hi, self.n_sigma, self.bin_min)
        others = (self.exclude_h, self.exclude_auto, self.rate_cuts, self.window_from_fit)
        blockers = [QSignalBlocker(w) for w in (*ws, *others)]
        try:
            if "column" in v:
                i = self.column.findData(v["column"])
                if i < 0:
                    self.column.addItem(str(v["column"]), v["column"])
                    i = self.column.count() - 1
                self.column.setCurrentIndex(i)
            from_fit = v.get("range") is None
            self.window_from_fit.setChecked(from_fit)
            shown = v.get("range") or window
            if shown is not None:
                self.window_lo.setValue(float(shown[0]))
                self.window_hi.setValue(float(shown[1]))
            self.window_lo.setEnabled(not from_fit)
            self.window_hi.setEnabled(not from_fit)
            self.n_sigma.setEnabled(from_fit)
            if v.get("n_sigma") is not None:
                self.n_sigma.setValue(float(v["n_sigma"]))
            if v.get("bin_s") is not None:
                self.bin_min.setValue(float(v["bin_s"]) / 60.0)
            auto = v.get("exclude_before_s") == "auto"
            self.exclude_auto.setChecked(auto)
            self.exclude_h.setEnabled(not auto)
            shown_s = exclude_s if auto else v.get("exclude_before_s")
            self.exclude_h.setValue(float(shown_s or 0.0) / 3600.0)
            if "apply_cuts" in v:
                self.rate_cuts.setChecked(bool(v["apply_cuts"]))
        finally:
            del blockers

    def delay_values(self) -> dict[str, Any]:
        """Return the delay options as ``delay`` step settings."""
        return {
            "min_ns": float(self.min_ns.value()),
            "max_ns": float(self.max_ns.value()),
            "bin_ns": float(self.delay_bin_ns.value()),
            "amp_threshold_adc": float(self.min_amp.value()),
            "apply_cuts": self.delay_cuts.isChecked(),
        }

    def show_delay_values(self, v: dict[str, Any]) -> None:
        """Show ``delay`` settings without emitting."""
        pairs = (
            (self.min_ns, "min_ns"), (self.max_ns, "max_ns"), (self.delay_bin_ns, "bin_ns"),
            (self.min_amp, "amp_threshold_adc"),
        )  # fmt: skip
        blockers = [QSignalBlocker(w) for w, _ in pairs] + [QSignalBlocker(self.delay_cuts)]
        try:
            for w, key in pairs:
                if v.get(key) is not None:
                    w.setValue(float(v[key]))
            if "apply_cuts" in v:
                self.delay_cuts.setChecked(bool(v["apply_cuts"]))
        finally:
            del blockers

    def add_undo_actions(self, undo: QAction, redo: QAction) -> None:
        """Put Undo/Redo buttons beside the run; their shortcuts act anywhere in the pane."""
        for action in (undo, redo):
            button = QToolButton(self)
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            self._top.addWidget(button)
            self.addAction(action)

    # ------------------------------------------------------------------ events
    @Slot()
    def _on_halflife_edited(self, *_: object) -> None:
        self.halflife_edited.emit()

    @Slot()
    def _on_delay_edited(self, *_: object) -> None:
        self.delay_edited.emit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        """Put ftop-vs-time and the delays side by side when wide, one above the other if not."""
        if watched is self._right and event.type() == QEvent.Type.Resize:
            wide = self._right.width() >= SIDE_BY_SIDE_MIN_WIDTH
            orientation = Qt.Orientation.Horizontal if wide else Qt.Orientation.Vertical
            if self._bottom.orientation() != orientation:
                self._bottom.setOrientation(orientation)
                n = self._bottom.width() if wide else self._bottom.height()
                self._bottom.setSizes([n // 2, n - n // 2])
        return super().eventFilter(watched, event)

    @Slot(float)
    def _on_exclusion_dragged(self, end_h: float) -> None:
        """Take a dragged edge as the user's choice: untick 'Find it'."""
        with QSignalBlocker(self.exclude_auto), QSignalBlocker(self.exclude_h):
            self.exclude_auto.setChecked(False)
            self.exclude_h.setEnabled(True)
            self.exclude_h.setValue(max(0.0, end_h))
        self.halflife_edited.emit()
