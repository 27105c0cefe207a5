"""CutSet: ordering, editing by name, combined mask, JSON round trip, expression form."""

from __future__ import annotations

import json

import numpy as np
import pytest

from analysis_core.cuts import (
    CutError,
    CutSet,
    ExpressionCut,
    PolygonCut,
    RangeCut,
    RotatedCut,
    default_cutset,
)
from analysis_core.cuts.defaults import ER_F90_BAND


def _set():
    return CutSet(
        (
            ExpressionCut("quality", "not saturated"),
            RangeCut("f90 band", "f90", 0.2, 0.45),
            RotatedCut("rot", "i35_pe", "i55_pe", 37.5, -2.0),
            PolygonCut("poly", "total_pe", "ftop", ((0, 0.2), (400, 0.2), (400, 0.8), (0, 0.8))),
        )
    )


def test_mask_is_and_of_enabled(rq_table):
    cs = _set()
    ref = np.ones(len(rq_table), dtype=bool)
    for cut in cs:
        ref &= cut.mask(rq_table)
    np.testing.assert_array_equal(cs.mask(rq_table), ref)
    off = cs.with_enabled("rot", False)
    ref2 = np.ones(len(rq_table), dtype=bool)
    for name in ("quality", "f90 band", "poly"):
        ref2 &= cs.get(name).mask(rq_table)
    np.testing.assert_array_equal(off.mask(rq_table), ref2)
    assert cs.get("rot").enabled is True  # the original set is unchanged (immutable)
    assert CutSet().mask(rq_table).all()


def test_edit_by_name():
    cs = _set()
    moved = cs.with_cut(RangeCut("f90 band", "f90", 0.25, 0.4))
    assert moved.names == cs.names  # replaced in place, order kept
    assert moved.get("f90 band").lo == 0.25
    added = cs.with_cut(RangeCut("ftop", "ftop", 0.3, 0.7))
    assert added.names[-1] == "ftop"
    assert "rot" not in cs.without("rot")
    assert cs.moved("poly", 0).names[0] == "poly"
    with pytest.raises(KeyError, match="no cut named 'x'"):
        cs.without("x")
    with pytest.raises(CutError, match="unique"):
        CutSet((RangeCut("a", "f90", 0, 1), RangeCut("a", "ftop", 0, 1)))


def test_json_round_trip_identical():
    cs = _set().with_enabled("quality", False)
    text = cs.to_json()
    back = CutSet.from_json(text)
    assert back == cs
    assert back.to_json() == text
    data = json.loads(text)
    assert data["format"] == "larcal-cuts"
    assert data["format_version"] == 1


def test_format_checked():
    with pytest.raises(CutError, match="version 99"):
        CutSet.from_dict({"format": "larcal-cuts", "format_version": 99, "cuts": []})
    with pytest.raises(CutError, match="not a cut set"):
        CutSet.from_dict({"cuts": []})
    with pytest.raises(CutError, match="invalid JSON"):
        CutSet.from_json("{")


def test_to_expression_equivalent(rq_table):
    cs = _set().without("poly").with_cut(ExpressionCut("low", "not (f90 < 0.25)"))
    expr = cs.to_expression()
    got = ExpressionCut("all", expr).mask(rq_table)
    # The rotated boundary may differ by float32 rounding for a row or two.
    assert np.count_nonzero(got != cs.mask(rq_table)) <= 2
    with pytest.raises(CutError, match="'poly' \\(polygon\\) has no expression"):
        _set().to_expression()
    assert CutSet().to_expression() == "True"


def test_default_cutset(rq_table):
    cs = default_cutset()
    assert [c.kind for c in cs] == ["expression", "expression", "expression", "range", "range"]
    m = cs.mask(rq_table)
    assert not m[rq_table["saturated"]].any()
    assert not m[np.isnan(rq_table["f90"])].any()
    f90 = rq_table["f90"][m]
    assert f90.min() >= ER_F90_BAND[0]
    assert f90.max() < ER_F90_BAND[1]
    assert CutSet.from_dict(cs.to_dict()) == cs
