"""Source activity per gamma line and combined, with the uncertainty budget and a decay date.

What to use when
----------------
- ``ActivityTableWidget``: show an activity assay the way the 83mKr paper's Table 1 does (per
  line: net counts N, efficiency, transmission, emission probability, activity), the combined
  value, and the uncertainty budget term by term, relative and absolute, for the combined value
  and for each line. A "Decay to" date selector asks for the activity on another date
  (``reference_date_changed("YYYY-MM-DD")``, ``""`` for the time of the count).
- Rows are plain values: ``ActivityLineRow`` and ``BudgetRow``; the summary is text.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QDate, QSignalBlocker, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

__all__ = ["LINE_COLUMNS", "ActivityLineRow", "ActivityTableWidget", "BudgetRow"]

LINE_COLUMNS = (
    "E (keV)", "N", "± N", "η′", "± η′", "μ", "± μ", "Y", "± Y",
    "A (Bq)", "± A (Bq)", "± %", "GLS weight",
)  # fmt: skip
_BUDGET_FIXED = ("Term", "Combined ± %", "Combined ± (Bq)", "Correlation between lines")
_ISO = "yyyy-MM-dd"


@dataclass(frozen=True, slots=True)
class ActivityLineRow:
    """Inputs and activity of one line.

    Attributes
    ----------
    energy_kev : float
        Line energy.
    counts, counts_err : float
        Net peak counts ``N``.
    efficiency, efficiency_err : float
        Full-energy-peak efficiency without the container.
    attenuation, attenuation_err : float
        Container transmission ``mu`` (1 without container).
    intensity, intensity_err : float
        Emission probability ``Y`` (fraction).
    activity_bq, activity_err_bq : float
        Activity from this line.
    weight : float
        Weight of the line in the combination.
    budget : tuple of (str, float, float)
        ``(term, relative error, absolute error in Bq)`` per budget term.
    """

    energy_kev: float
    counts: float
    counts_err: float
    efficiency: float
    efficiency_err: float
    attenuation: float
    attenuation_err: float
    intensity: float
    intensity_err: float
    activity_bq: float
    activity_err_bq: float
    weight: float
    budget: tuple[tuple[str, float, float], ...] = ()


@dataclass(frozen=True, slots=True)
class BudgetRow:
    """One term of the combined budget: ``term``, ``rel_err``, ``abs_err_bq``, ``correlation``."""

    term: str
    rel_err: float
    abs_err_bq: float
    correlation: str


def _fmt(v: float, spec: str) -> str:
    return "–" if not math.isfinite(v) else format(v, spec)


def _table(columns: Sequence[str], parent: QWidget) -> QTableWidget:
    t = QTableWidget(0, len(columns), parent)
    t.setHorizontalHeaderLabels(list(columns))
    t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    t.setAlternatingRowColors(True)
    t.setWordWrap(False)
    t.verticalHeader().setVisible(False)
    t.verticalHeader().setDefaultSectionSize(t.fontMetrics().height() + 6)
    t.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    return t


def _cell(text: str, *, right: bool = True, bold: bool = False) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    if right:
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    if bold:
        font = item.font()
        font.setBold(True)
        item.setFont(font)
    return item


class ActivityTableWidget(QWidget):
    """Per-line activities, combined value, budget and the decay-date selector.

    Parameters
    ----------
    parent : QWidget, optional
        Qt parent.

    Signals
    -------
    reference_date_changed(str)
        ``"YYYY-MM-DD"`` to decay the activity to that date, ``""`` for the count itself.
    """

    reference_date_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._lines: list[ActivityLineRow] = []
        self._budget: list[BudgetRow] = []
        self._decay_box = QCheckBox("Decay to", self)
        self._decay_box.setToolTip(
            "Give the activity on another date (the half-life uncertainty enters the budget); "
            "unticked: at the count (start of the count, or mid-count without the D factor)"
        )
        self._date = QDateEdit(self)
        self._date.setCalendarPopup(True)
        self._date.setDisplayFormat(_ISO)
        self._date.setDate(QDate(2019, 2, 19))
        self._date.setEnabled(False)
        self._decay_box.toggled.connect(self._on_decay_toggled)
        self._date.dateChanged.connect(self._on_date_changed)
        self.summary = QLabel(self)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.lines_table = _table(LINE_COLUMNS, self)
        self.budget_table = _table(_BUDGET_FIXED, self)
        self.budget_table.setToolTip(
            "Relative and absolute standard uncertainty contributed by each term; their squares "
            "add up to the total. Per-line columns: relative % of that line"
        )

        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(self._decay_box)
        bar.addWidget(self._date)
        bar.addStretch(1)
        self.lines_table.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.summary)
        layout.addWidget(self.lines_table)
        layout.addWidget(self.budget_table, 1)
        self.clear("No activity yet.")

    # ------------------------------------------------------------------ content
    def set_result(
        self, lines: Sequence[ActivityLineRow], budget: Sequence[BudgetRow], summary: str
    ) -> None:
        """Show per-line rows, the combined budget and the summary (rich text)."""
        self._lines, self._budget = list(lines), list(budget)
        self.summary.setText(summary)
        t = self.lines_table
        t.setRowCount(len(lines))
        for r, ln in enumerate(lines):
            rel = ln.activity_err_bq / ln.activity_bq if ln.activity_bq else math.nan
            values = (
                _fmt(ln.energy_kev, ".2f"), _fmt(ln.counts, ",.0f"), _fmt(ln.counts_err, ",.0f"),
                _fmt(ln.efficiency, ".3e"), _fmt(ln.efficiency_err, ".1e"),
                _fmt(ln.attenuation, ".4f"), _fmt(ln.attenuation_err, ".4f"),
                _fmt(ln.intensity, ".4g"), _fmt(ln.intensity_err, ".2g"),
                _fmt(ln.activity_bq, ",.1f"), _fmt(ln.activity_err_bq, ",.1f"),
                _fmt(100 * rel, ".2f"), _fmt(ln.weight, ".3f"),
            )  # fmt: skip
            for c, text in enumerate(values):
                t.setItem(r, c, _cell(text, bold=c == 9))
        b = self.budget_table
        b.setColumnCount(len(_BUDGET_FIXED) + len(lines))
        b.setHorizontalHeaderLabels(
            list(_BUDGET_FIXED) + [f"{ln.energy_kev:.1f} keV ± %" for ln in lines]
        )
        b.setRowCount(len(budget) + 1)
        per_line = [{k: rel for k, rel, _ in ln.budget} for ln in lines]
        for r, row in enumerate(budget):
            b.setItem(r, 0, _cell(row.term, right=False))
            b.setItem(r, 1, _cell(_fmt(100 * row.rel_err, ".3f")))
            b.setItem(r, 2, _cell(_fmt(row.abs_err_bq, ",.2f")))
            b.setItem(r, 3, _cell(row.correlation, right=False))
            for k, d in enumerate(per_line):
                b.setItem(r, 4 + k, _cell(_fmt(100 * d.get(row.term, math.nan), ".3f")))
        total = math.sqrt(sum(x.rel_err**2 for x in budget))
        total_abs = math.sqrt(sum(x.abs_err_bq**2 for x in budget))
        last = len(budget)
        b.setItem(last, 0, _cell("total (quadrature)", right=False, bold=True))
        b.setItem(last, 1, _cell(_fmt(100 * total, ".3f"), bold=True))
        b.setItem(last, 2, _cell(_fmt(total_abs, ",.2f"), bold=True))
        b.setItem(last, 3, _cell("", right=False))
        for k, ln in enumerate(lines):
            rel = ln.activity_err_bq / ln.activity_bq if ln.activity_bq else math.nan
            b.setItem(last, 4 + k, _cell(_fmt(100 * rel, ".3f"), bold=True))
        self._fit_lines_height()

    def _fit_lines_height(self) -> None:
        """Make the per-line table exactly as tall as its rows (the budget takes the rest)."""
        t = self.lines_table
        rows = max(t.rowCount(), 1)
        head = t.horizontalHeader().sizeHint().height()
        scroll = t.horizontalScrollBar().sizeHint().height()
        height = head + rows * t.verticalHeader().defaultSectionSize() + 2 * t.frameWidth()
        t.setFixedHeight(height + scroll)

    def clear(self, message: str = "") -> None:
        """Empty the tables and show ``message``."""
        self._lines, self._budget = [], []
        self.lines_table.setRowCount(0)
        self._fit_lines_height()
        self.budget_table.setRowCount(0)
        self.budget_table.setColumnCount(len(_BUDGET_FIXED))
        self.summary.setText(message)

    def line_rows(self) -> list[ActivityLineRow]:
        """Return the per-line rows shown."""
        return list(self._lines)

    def budget_rows(self) -> list[BudgetRow]:
        """Return the combined budget shown."""
        return list(self._budget)

    def summary_text(self) -> str:
        """Return the summary as plain text."""
        return _strip_tags(self.summary.text())

    # ------------------------------------------------------------------ date
    def set_reference_date(self, iso_date: str) -> None:
        """Set the decay date (``""``: none) without emitting ``reference_date_changed``."""
        with QSignalBlocker(self._decay_box), QSignalBlocker(self._date):
            self._decay_box.setChecked(bool(iso_date))
            self._date.setEnabled(bool(iso_date))
            if iso_date:
                d = QDate.fromString(iso_date[:10], _ISO)
                if not d.isValid():
                    raise ValueError(f"not a date: {iso_date!r} (write YYYY-MM-DD)")
                self._date.setDate(d)

    def reference_date(self) -> str:
        """Return the decay date as ``YYYY-MM-DD``, or ``""`` when decaying is off."""
        return self._date.date().toString(_ISO) if self._decay_box.isChecked() else ""

    @Slot(bool)
    def _on_decay_toggled(self, on: bool) -> None:
        self._date.setEnabled(on)
        self.reference_date_changed.emit(self.reference_date())

    @Slot(QDate)
    def _on_date_changed(self, _date: QDate) -> None:
        if self._decay_box.isChecked():
            self.reference_date_changed.emit(self.reference_date())


def _strip_tags(html: str) -> str:
    out, inside = [], False
    for ch in html.replace("<br>", "\n"):
        if ch == "<":
            inside = True
        elif ch == ">":
            inside = False
        elif not inside:
            out.append(ch)
    return "".join(out).replace("&nbsp;", " ").replace("&plusmn;", "±")


def demo() -> ActivityTableWidget:
    """Return the widget with the paper's Table 1 (``python -m widgets.activity_table``)."""
    rows = []
    for e, n, ne, eff, effe, y, ye, a, ae in (
        (520.4, 30110, 177, 4.37e-3, 0.06e-3, 0.450, 0.003, 5145, 79),
        (529.6, 19205, 141, 4.29e-3, 0.06e-3, 0.293, 0.002, 5136, 83),
        (552.6, 9902, 103, 4.07e-3, 0.05e-3, 0.160, 0.001, 5077, 90),
    ):
        budget = (("counting", ne / n, a * ne / n), ("efficiency", effe / eff, a * effe / eff))
        rows.append(ActivityLineRow(e, n, ne, eff, effe, 0.83, 0.01, y, ye, a, ae, 1 / 3, budget))
    budget_rows = [
        BudgetRow("counting", 0.0047, 24.0, "independent"),
        BudgetRow("efficiency", 0.0137, 70.0, "fully correlated"),
    ]
    w = ActivityTableWidget()
    w.set_result(rows, budget_rows, "<b>Combined: 5120 &plusmn; 50 Bq</b> (demo numbers)")
    w.resize(1000, 420)
    w.setWindowTitle("ActivityTableWidget demo")
    return w


if __name__ == "__main__":  # pragma: no cover
    app = QApplication(sys.argv)
    widget = demo()
    widget.show()
    sys.exit(app.exec())
