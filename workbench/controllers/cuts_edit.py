"""Turning the Cuts pane's gestures into new cut sets, and cut sets into table rows.

What to use when
----------------
- ``apply_shape(cutset, name, kind, params)``: the cut set after the shape of cut ``name`` was
  dragged (a band gives a range cut's ``lo, hi``; a polygon its vertices; a line a rotated
  cut's ``angle_deg, c``).
- ``polygon_cut(cutset, plot, vertices)`` and ``rotated_cut(cutset, view)``: new cuts with
  unique, readable names.
- ``cut_rows(cutset, survival_rows)``: what ``widgets.cut_list.CutListWidget`` shows.
- ``as_cutset(obj)``: the calibration's cut set as a ``CutSet`` (a dict from a session file is
  read with ``CutSet.from_dict``; None stays None).
- ``expression_error(text)``: the parser's message for a typed cut ("" when valid).
- ``status_text(run_name, update)``, ``bin_label(...)``: the pane's summary lines.

Pure functions (no Qt); the controller calls them in its slots.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from analysis_core.cuts import (
    CutError,
    CutSet,
    ExpressionCut,
    PolygonCut,
    RangeCut,
    RotatedCut,
    SurvivalRow,
    parse_expression,
)
from widgets.cut_list import CutRowView, format_fraction
from workbench.controllers.cuts_compute import PLOTS_2D

__all__ = [
    "ROTATED_ANGLE_DEG",
    "ROTATED_NAME",
    "apply_shape",
    "as_cutset",
    "cut_rows",
    "bin_label",
    "expression_error",
    "polygon_cut",
    "rotated_cut",
    "status_text",
]

#: Name and starting angle of the I35:I55 rotated-axis cut (the paper's alpha = 37.5 deg).
ROTATED_NAME = "I35:I55 rotated"
ROTATED_ANGLE_DEG = 37.5

_SHORT = {"f90_pe": "F90:PE", "i35_i55": "I35:I55"}


def as_cutset(obj: Any) -> CutSet | None:
    """Return ``obj`` as a ``CutSet`` (None stays None; dicts are read as saved sets)."""
    if obj is None or isinstance(obj, CutSet):
        return obj
    if isinstance(obj, Mapping):
        return CutSet.from_dict(obj)
    raise CutError(f"the calibration's cuts are a {type(obj).__name__}, not a cut set")


def apply_shape(cutset: CutSet, name: str, kind: str, params: Any) -> CutSet:
    """Return ``cutset`` with cut ``name`` moved to the dragged shape's ``params``.

    Raises
    ------
    KeyError
        No cut of that name.
    CutError
        The shape does not fit the cut (wrong kind) or gives invalid parameters.
    """
    cut = cutset.get(name)
    if kind == "band" and isinstance(cut, RangeCut):
        lo, hi = sorted(float(v) for v in params)
        if not hi > lo:
            raise CutError(f"cut {name!r}: the band has zero width")
        return cutset.with_cut(replace(cut, lo=lo, hi=hi))
    if kind == "polygon" and isinstance(cut, PolygonCut):
        return cutset.with_cut(replace(cut, vertices=tuple(tuple(v) for v in params)))
    if kind == "line" and isinstance(cut, RotatedCut):
        angle, c = (float(v) for v in params)
        return cutset.with_cut(replace(cut, angle_deg=angle, c=c))
    raise CutError(f"cut {name!r} ({cut.kind}) cannot be edited with a {kind} shape")


def _unique(cutset: CutSet, base: str) -> str:
    if base not in cutset:
        return base
    i = 2
    while f"{base} {i}" in cutset:
        i += 1
    return f"{base} {i}"


def polygon_cut(cutset: CutSet, plot: str, vertices: Sequence[tuple[float, float]]) -> PolygonCut:
    """Return a new polygon cut on the 2D plot ``plot`` (name unique in ``cutset``)."""
    x, y, _ = PLOTS_2D[plot]
    name = _unique(cutset, f"polygon ({_SHORT.get(plot, plot)})")
    return PolygonCut(name, x, y, tuple((float(a), float(b)) for a, b in vertices))


def rotated_cut(
    cutset: CutSet, view: tuple[tuple[float, float], tuple[float, float]] | None = None
) -> RotatedCut:
    """Return a new I35:I55 rotated cut at 37.5 deg through the origin (name unique).

    ``i35 cos(a) - i55 sin(a) < 0`` keeps events with ``i55 > 1.30 i35``: those whose 9.4 keV
    pulse falls in the 35-55 ns window (the paper's selection); the user then drags the line.
    ``view`` (the plot's visible range) is accepted for callers that place shapes by view; the
    line does not depend on it.
    """
    del view
    x, y, _ = PLOTS_2D["i35_i55"]
    return RotatedCut(_unique(cutset, ROTATED_NAME), x, y, ROTATED_ANGLE_DEG, 0.0, "below")


def expression_error(text: str) -> str:
    """Return why ``text`` is not a valid cut expression ("" when it is)."""
    try:
        parse_expression(text)
    except CutError as exc:
        return str(exc)
    return ""


def _definition(cut: Any) -> str:
    if isinstance(cut, ExpressionCut):
        return cut.expr
    return str(cut.describe())


def cut_rows(cutset: CutSet, survival_rows: Sequence[SurvivalRow] = ()) -> list[CutRowView]:
    """Return the table rows of ``cutset`` with the numbers of ``survival_rows`` (by name)."""
    numbers = {r.name: r for r in survival_rows}
    rows = []
    for cut in cutset:
        r = numbers.get(cut.name)
        values = (
            (r.fraction, r.fraction_lo, r.fraction_hi, r.cumulative, r.cumulative_lo,
             r.cumulative_hi)
            if r is not None
            else (math.nan,) * 6
        )  # fmt: skip
        rows.append(
            CutRowView(
                cut.name,
                cut.kind,
                bool(cut.enabled),
                _definition(cut),
                isinstance(cut, ExpressionCut),
                *values,
            )
        )
    return rows


def status_text(run_name: str, update: Any) -> str:
    """Return the pane's summary of a ``CutsUpdate``: events passing, fraction, compute time."""
    n, k = update.n_events, update.n_pass
    frac = ""
    if update.rows:
        last = ([r for r in update.rows if r.enabled] or update.rows)[-1]
        frac = f" ({format_fraction(last.cumulative, last.cumulative_lo, last.cumulative_hi)})"
    return (
        f"{run_name}: {k:,} of {n:,} events pass the enabled cuts{frac}"
        f" · computed in {update.compute_ms:.0f} ms"
    )


def bin_label(
    title: str,
    x: str,
    x_range: tuple[float, float],
    y: str,
    y_range: tuple[float, float],
    n_events: int,
    limit: int = 1000,
) -> str:
    """Return the caption of the events listed for a clicked 2D bin."""
    (x0, x1), (y0, y1) = x_range, y_range
    more = " (first 1000)" if n_events >= limit else ""
    return (
        f"{title}: {x0:.4g} ≤ {x} < {x1:.4g}, {y0:.4g} ≤ {y} < {y1:.4g}: "
        f"{n_events} event{'s' if n_events != 1 else ''}{more}"
    )
