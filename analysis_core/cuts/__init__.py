"""Cuts as data: named, serialisable event selections over RQ columns.

What to use when
----------------
- ``parse_expression(text)``: check a typed expression (safe parser, never ``eval``);
  ``CutError`` names the expression, position and fault.
- Cut kinds: ``ExpressionCut`` (typed), ``RangeCut`` (1D band), ``PolygonCut`` (2D polygon),
  ``RotatedCut`` (``x cos(a) - y sin(a) < c``, the paper's I35:I55 cut); ``cut_from_dict``.
- ``CutSet``: the ordered set the calibration applies (``mask``, ``to_dict``/``from_dict``,
  ``to_expression``); ``default_cutset()`` to start from.
- ``survival(cutset, table)``: per-cut and cumulative survival with Wilson 1-sigma intervals;
  ``efficiency_vs(column, bins, table, cutset)``: efficiency in bins of e.g. ``total_pe``.
- ``MaskCache(table)``: masks cached by cut definition, for interactive re-application.

Examples
--------
>>> cuts = CutSet().with_cut(RangeCut("ER F90 band", "f90", 0.2, 0.45))
>>> passed = table.select(cuts.mask(table))  # doctest: +SKIP
"""

from __future__ import annotations

from analysis_core.cuts.cache import MaskCache, definition_key
from analysis_core.cuts.cutset import CUTSET_FORMAT, CUTSET_FORMAT_VERSION, CutSet
from analysis_core.cuts.defaults import ER_F90_BAND, FTOP_RANGE, default_cutset
from analysis_core.cuts.expression import FUNCTIONS, CutExpression, parse_expression
from analysis_core.cuts.kinds import (
    Cut,
    ExpressionCut,
    PolygonCut,
    RangeCut,
    RotatedCut,
    cut_from_dict,
    points_in_polygon,
    with_enabled,
)
from analysis_core.cuts.survival import (
    CONFIDENCE,
    EfficiencyCurve,
    SurvivalRow,
    binomial_interval,
    efficiency_vs,
    survival,
)
from analysis_core.errors import CutError

__all__ = [
    "CONFIDENCE",
    "CUTSET_FORMAT",
    "CUTSET_FORMAT_VERSION",
    "ER_F90_BAND",
    "FTOP_RANGE",
    "FUNCTIONS",
    "Cut",
    "CutError",
    "CutExpression",
    "CutSet",
    "EfficiencyCurve",
    "ExpressionCut",
    "MaskCache",
    "PolygonCut",
    "RangeCut",
    "RotatedCut",
    "SurvivalRow",
    "binomial_interval",
    "cut_from_dict",
    "default_cutset",
    "definition_key",
    "efficiency_vs",
    "parse_expression",
    "points_in_polygon",
    "survival",
    "with_enabled",
]
