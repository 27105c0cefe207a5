"""The Linearity pane: light vs energy for both analyses, residuals, Y values, resolution.

What to use when
----------------
A passive view: ``LinearityController`` pushes plain numbers into its plots with
``linearity_plot.set_series`` / ``resolution_plot.set_series``, the points list with
``show_points`` and messages with ``show_status``. User intents leave as signals: which
analyses to fit, which points to leave out, recompute.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QSignalBlocker, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from widgets.linearity_plot import LinearityPlot
from widgets.resolution_plot import ResolutionPlot

__all__ = ["LinearityPane"]


class LinearityPane(QWidget):
    """Linearity and resolution plots with the points used.

    Signals
    -------
    recompute_requested()
        The user pressed Recompute.
    analyses_changed(list)
        Analyses to fit (``["A", "B"]`` or a subset).
    excluded_changed(list)
        Point labels the user unchecked.
    """

    recompute_requested = Signal()
    analyses_changed = Signal(list)
    excluded_changed = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.analysis_boxes = {a: QCheckBox(f"Analysis {a}", self) for a in ("A", "B")}
        tips = {
            "A": "SPE gain = mean of the fully amplified SPE (DEAP model on LED data)",
            "B": "SPE gain = Gaussian fit to isolated late single photoelectrons",
        }
        for a, box in self.analysis_boxes.items():
            box.setChecked(True)
            box.setToolTip(tips[a])
            box.toggled.connect(self._on_analysis_toggled)
        self.recompute_button = QPushButton("Recompute", self)
        self.recompute_button.setToolTip("Fit the linearity again from the latest peak fits")
        self.recompute_button.clicked.connect(self.recompute_requested)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.linearity_plot = LinearityPlot(self)
        self.resolution_plot = ResolutionPlot(self)
        self.points = QListWidget(self)
        self.points.setToolTip("Uncheck a point to leave it out of the fits (both analyses)")
        self.points.itemChanged.connect(self._on_point_changed)
        right = QWidget(self)
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(self.resolution_plot, 3)
        rl.addWidget(QLabel("Points (uncheck to exclude):", right))
        rl.addWidget(self.points, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.linearity_plot)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        top = QHBoxLayout()
        for box in self.analysis_boxes.values():
            top.addWidget(box)
        top.addWidget(self.recompute_button)
        top.addWidget(self.status, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)

    # ------------------------------------------------------------------ view
    def set_analyses(self, analyses: Sequence[str]) -> None:
        """Check the boxes of ``analyses`` (no signal)."""
        for a, box in self.analysis_boxes.items():
            with QSignalBlocker(box):
                box.setChecked(a in analyses)

    def analyses(self) -> list[str]:
        """Return the analyses checked."""
        return [a for a, box in self.analysis_boxes.items() if box.isChecked()]

    def show_points(self, rows: Sequence[tuple[str, bool]]) -> None:
        """List points ``(label, included)``; one row per label.

        When the labels are those already listed, only the check marks are updated (the items
        are kept, so this is safe from inside the list's own signals).
        """
        with QSignalBlocker(self.points):
            current = [self.points.item(i).text() for i in range(self.points.count())]
            if current != [label for label, _ in rows]:
                self.points.clear()
                for label, _ in rows:
                    item = QListWidgetItem(label, self.points)
                    item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            for i, (_, included) in enumerate(rows):
                self.points.item(i).setCheckState(
                    Qt.CheckState.Checked if included else Qt.CheckState.Unchecked
                )

    def excluded(self) -> list[str]:
        """Return the labels unchecked."""
        return [
            self.points.item(i).text()
            for i in range(self.points.count())
            if self.points.item(i).checkState() != Qt.CheckState.Checked
        ]

    def show_status(self, text: str, *, error: bool = False) -> None:
        """Show a message above the plots (red when ``error``)."""
        self.status.setText(text)
        self.status.setStyleSheet("color: #b00020;" if error else "color: #404040;")

    # ------------------------------------------------------------------ intents
    @Slot(bool)
    def _on_analysis_toggled(self, _checked: bool) -> None:
        self.analyses_changed.emit(self.analyses())

    @Slot(QListWidgetItem)
    def _on_point_changed(self, _item: QListWidgetItem) -> None:
        self.excluded_changed.emit(self.excluded())
