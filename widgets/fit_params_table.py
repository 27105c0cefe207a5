"""Table of fitted parameters with errors, derived numbers, chi2/ndf and the fit's validity.

What to use when
----------------
- ``FitParamsTable``: show one fit: a row per parameter (name, value, error, unit) rounded to
  the error's two significant digits (``format_value_error``), optional derived rows (e.g. the
  resolution sigma/mean), the goodness of fit and whether the fit is valid. An invalid fit is
  shown in red with its reason in plain words, so a failed fit is never mistaken for a result.
- ``clear(text)`` empties it and says why (no fit yet, what to do).

The widget takes plain numbers and strings; it computes nothing but the rounding.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

__all__ = ["COLUMNS", "FitParamsTable", "ParamRow", "format_value_error"]

#: Column titles.
COLUMNS = ("Parameter", "Value", "Error", "Unit")
_VALID_STYLE = "color: #1b5e20; font-weight: bold;"
_INVALID_STYLE = "color: #b71c1c; font-weight: bold;"
_INVALID_BRUSH = QBrush(QColor(255, 235, 238))
_DERIVED_BRUSH = QBrush(QColor(243, 246, 250))


@dataclass(frozen=True)
class ParamRow:
    """One row of the table.

    Attributes
    ----------
    name : str
        Parameter name as shown (e.g. ``"mean"``, ``"sigma/mean"``).
    value, error : float
        Best value and 1-sigma error (NaN when unknown).
    unit : str
        Unit text (``"PE"``, ``"%"``, ``"s"``...).
    """

    name: str
    value: float
    error: float = float("nan")
    unit: str = ""


def format_value_error(value: float, error: float) -> tuple[str, str]:
    """Return ``value`` and ``error`` as text, rounded to the error's two significant digits.

    Examples
    --------
    >>> format_value_error(177.2364, 1.4321)
    ('177.2', '1.4')
    >>> format_value_error(0.09312, 0.00204)
    ('0.0931', '0.0020')
    """
    if not math.isfinite(value):
        return "—", "—"
    if not (math.isfinite(error) and error > 0):
        return f"{value:.6g}", "—"
    digits = 1 - math.floor(math.log10(error))
    if digits <= 0:
        # Error of 10 or more: integers, value rounded to the error's second digit.
        q = 10 ** (-digits)
        return f"{round(value / q) * q:.0f}", f"{round(error / q) * q:.0f}"
    if abs(value) >= 1e6 or (value != 0 and abs(value) < 1e-4):
        mantissa = max(math.floor(math.log10(abs(value))) + digits, 1)
        return f"{value:.{mantissa}e}", f"{error:.1e}"
    return f"{value:.{digits}f}", f"{error:.{digits}f}"


class FitParamsTable(QWidget):
    """Fitted parameters, derived numbers, goodness of fit and validity.

    Parameters
    ----------
    parent : QWidget, optional
        Qt parent.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._valid: bool | None = None
        self.title = QLabel(self)
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.title.setStyleSheet("font-weight: bold;")
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in (1, 2, 3):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.goodness = QLabel(self)
        self.goodness.setTextFormat(Qt.TextFormat.PlainText)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        layout.addWidget(self.title)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.goodness)
        layout.addWidget(self.status)
        self.clear()

    # ------------------------------------------------------------------ content
    def set_fit(
        self,
        params: Sequence[ParamRow],
        *,
        chi2: float,
        ndf: int,
        valid: bool,
        message: str = "",
        derived: Sequence[ParamRow] = (),
        cost: str = "chi2",
        title: str = "",
    ) -> None:
        """Show one fit.

        Parameters
        ----------
        params : sequence of ParamRow
            The fitted parameters.
        chi2 : float
            Chi-square (or the Poisson deviance for likelihood fits); NaN when unknown.
        ndf : int
            Degrees of freedom.
        valid : bool
            Whether the fit can be trusted.
        message : str
            Why it cannot (shown in red when ``valid`` is False), or a note.
        derived : sequence of ParamRow
            Numbers computed from the parameters (shown shaded below them).
        cost : str
            ``"chi2"`` or ``"poisson"`` (names the goodness-of-fit statistic).
        title : str
            Heading (e.g. the model and range).
        """
        self.title.setText(title)
        rows = [(p, False) for p in params] + [(p, True) for p in derived]
        self.table.setRowCount(len(rows))
        for r, (p, is_derived) in enumerate(rows):
            value, error = format_value_error(p.value, p.error)
            for c, text in enumerate((p.name, value, error, p.unit)):
                item = QTableWidgetItem(text)
                if c in (1, 2):
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                if not valid:
                    item.setBackground(_INVALID_BRUSH)
                elif is_derived:
                    item.setBackground(_DERIVED_BRUSH)
                if c == 1:
                    item.setToolTip(f"{p.value!r} ± {p.error!r}")
                self.table.setItem(r, c, item)
        self.table.setCurrentCell(-1, -1)
        self._fit_height()
        stat = "Poisson deviance" if cost == "poisson" else "χ²"
        if math.isfinite(chi2) and ndf > 0:
            self.goodness.setText(f"{stat}/ndf = {chi2:.1f} / {ndf} = {chi2 / ndf:.2f}")
        elif math.isfinite(chi2):
            self.goodness.setText(f"{stat} = {chi2:.1f} (ndf = {ndf})")
        else:
            self.goodness.setText(f"{stat}/ndf: —")
        self._valid = bool(valid)
        if valid:
            self.status.setText("Fit valid" + (f": {message}" if message else ""))
            self.status.setStyleSheet(_VALID_STYLE)
        else:
            self.status.setText(f"Fit NOT valid: {message or 'no reason given'}")
            self.status.setStyleSheet(_INVALID_STYLE)

    def clear(self, text: str = "") -> None:
        """Remove the fit and show ``text`` (e.g. "drag a range over the peak to fit it")."""
        self.title.setText("")
        self.table.setRowCount(0)
        self._fit_height()
        self.goodness.setText("")
        self.status.setText(text)
        self.status.setStyleSheet("color: #555;")
        self._valid = None

    def show_error(self, text: str) -> None:
        """Empty the table and show ``text`` in red (the computation itself failed)."""
        self.clear()
        self.status.setText(text)
        self.status.setStyleSheet(_INVALID_STYLE)
        self._valid = False

    # ------------------------------------------------------------------ reading back
    def is_valid(self) -> bool | None:
        """Return the validity shown (None when no fit is shown)."""
        return self._valid

    def rows(self) -> list[tuple[str, str, str, str]]:
        """Return the table's text, row by row."""
        return [
            tuple(self.table.item(r, c).text() for c in range(len(COLUMNS)))  # type: ignore[misc]
            for r in range(self.table.rowCount())
        ]

    def status_text(self) -> str:
        """Return the validity line."""
        return self.status.text()

    def _fit_height(self) -> None:
        # Sized to its rows so the pane does not show an empty grey block under a short table.
        h = self.table.horizontalHeader().height() + 4
        h += sum(self.table.rowHeight(r) for r in range(self.table.rowCount()))
        self.table.setMinimumHeight(min(h, 320))
        self.table.setMaximumHeight(max(h, 60))


def demo() -> FitParamsTable:
    """Return the table showing a Gaussian fit (``python -m widgets.fit_params_table``)."""
    w = FitParamsTable()
    w.set_fit(
        [
            ParamRow("area", 2987.4, 61.2, "events"),
            ParamRow("mean", 177.236, 0.412, "PE"),
            ParamRow("sigma", 16.48, 0.37, "PE"),
            ParamRow("slope", -0.0123, 0.0041, "1/PE"),
        ],
        derived=[ParamRow("sigma/mean", 9.298, 0.214, "%")],
        chi2=41.3,
        ndf=36,
        valid=True,
        title="gauss+linear, chi2, 130-225 PE",
    )
    w.resize(420, 300)
    w.setWindowTitle("FitParamsTable demo")
    return w


if __name__ == "__main__":  # pragma: no cover
    app = QApplication(sys.argv)
    widget = demo()
    widget.show()
    sys.exit(app.exec())
