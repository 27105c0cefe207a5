"""Cut kinds: masks equal hand-computed numpy masks, polygon vs brute force, rotated formula."""

from __future__ import annotations

import math

import numpy as np
import pytest

from analysis_core.cuts import (
    CutError,
    ExpressionCut,
    PolygonCut,
    RangeCut,
    RotatedCut,
    cut_from_dict,
    points_in_polygon,
)


def _finite(*arrays):
    out = np.ones(len(arrays[0]), dtype=bool)
    for a in arrays:
        out &= np.isfinite(a)
    return out


def test_expression_cut_nan_rows_never_pass(rq_table):
    cut = ExpressionCut("not low f90", "not (f90 < 0.25)")
    f90 = rq_table["f90"]
    with np.errstate(invalid="ignore"):
        ref = ~(f90 < 0.25) & np.isfinite(f90)
    np.testing.assert_array_equal(cut.mask(rq_table), ref)
    assert not cut.mask(rq_table)[np.isnan(f90)].any()
    assert cut.columns == ("f90",)


@pytest.mark.parametrize(("lo", "hi"), [(0.2, 0.45), (None, 0.3), (0.3, None), (None, None)])
def test_range_cut(rq_table, lo, hi):
    cut = RangeCut("band", "f90", lo, hi)
    f90 = rq_table["f90"]
    ref = np.isfinite(f90)
    with np.errstate(invalid="ignore"):
        if lo is not None:
            ref &= f90 >= lo
        if hi is not None:
            ref &= f90 < hi
    np.testing.assert_array_equal(cut.mask(rq_table), ref)
    # Its expression form selects the same rows.
    np.testing.assert_array_equal(ExpressionCut("e", cut.to_expression()).mask(rq_table), ref)


def test_range_cut_validation():
    with pytest.raises(CutError, match="above lo"):
        RangeCut("b", "f90", 0.5, 0.2)
    with pytest.raises(CutError, match="unknown column"):
        RangeCut("b", "nope", 0.1, 0.2)
    with pytest.raises(CutError, match="finite"):
        RangeCut("b", "f90", float("nan"), 0.2)
    with pytest.raises(CutError, match="non-empty name"):
        RangeCut(" ", "f90", 0.1, 0.2)


def _brute_force_pip(px, py, verts):
    """Winding number by summing signed angles: independent of the even-odd ray cast."""
    out = np.zeros(len(px), dtype=bool)
    v = np.asarray(verts, dtype=float)
    for i, (x, y) in enumerate(zip(px, py, strict=True)):
        if not (np.isfinite(x) and np.isfinite(y)):
            continue
        d = v - (x, y)
        ang = np.arctan2(d[:, 1], d[:, 0])
        dang = np.diff(np.append(ang, ang[0]))
        dang = (dang + np.pi) % (2 * np.pi) - np.pi
        out[i] = abs(dang.sum()) > np.pi  # winding number 1 (simple polygons)
    return out


@pytest.mark.parametrize(
    "verts",
    [
        [(0, 0), (4, 0), (4, 3), (0, 3)],
        [(0, 0), (5, 0), (5, 5), (2.5, 1.5), (0, 5)],  # concave "M"
        [(1, 1), (3, 0.5), (4, 3), (2, 4.5), (0.5, 3)],
    ],
)
def test_polygon_vs_brute_force(verts):
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 6, 3000)
    y = rng.uniform(-1, 6, 3000)
    x[:10] = np.nan
    got = points_in_polygon(x, y, verts)
    ref = _brute_force_pip(x, y, verts)
    # Points within 1e-9 of an edge may go either way; random points never are.
    np.testing.assert_array_equal(got, ref)
    assert 0 < got.sum() < len(got)


def test_polygon_cut_on_table(rq_table):
    verts = ((20.0, 20.0), (60.0, 30.0), (70.0, 80.0), (25.0, 70.0))
    cut = PolygonCut("poly", "i35_pe", "i55_pe", verts)
    ref = _brute_force_pip(rq_table["i35_pe"], rq_table["i55_pe"], verts)
    np.testing.assert_array_equal(cut.mask(rq_table), ref)
    assert cut.to_expression() is None
    with pytest.raises(CutError, match="3 or more"):
        PolygonCut("p", "i35_pe", "i55_pe", ((0, 0), (1, 1)))


@pytest.mark.parametrize("keep", ["below", "above"])
def test_rotated_cut_formula(rq_table, keep):
    cut = RotatedCut("I35:I55", "i35_pe", "i55_pe", 37.5, -4.0, keep)
    a = math.radians(37.5)
    u = rq_table["i35_pe"].astype(float) * math.cos(a) - rq_table["i55_pe"].astype(
        float
    ) * math.sin(a)
    with np.errstate(invalid="ignore"):
        ref = (u < -4.0) if keep == "below" else (u >= -4.0)
    ref &= _finite(rq_table["i35_pe"], rq_table["i55_pe"])
    np.testing.assert_array_equal(cut.mask(rq_table), ref)
    # The expression form agrees except within float32 rounding of the boundary.
    expr = ExpressionCut("e", cut.to_expression()).mask(rq_table)
    assert np.count_nonzero(expr != ref) <= 2


def test_round_trip_every_kind():
    cuts = [
        ExpressionCut("e", "f90 > 0.2", enabled=False),
        RangeCut("r", "ftop", None, 0.7),
        PolygonCut("p", "total_pe", "f90", ((0, 0), (1, 0), (1, 1))),
        RotatedCut("rot", "i35_pe", "i55_pe", 37.5, 1.25, "above"),
    ]
    for cut in cuts:
        back = cut_from_dict(cut.to_dict())
        assert back == cut
        assert type(back) is type(cut)


def test_from_dict_errors():
    with pytest.raises(CutError, match="unknown cut kind"):
        cut_from_dict({"kind": "circle", "name": "c"})
    with pytest.raises(CutError, match="bad fields"):
        cut_from_dict({"kind": "range", "name": "r", "column": "f90", "colour": "red"})
    with pytest.raises(CutError, match="unknown column"):
        cut_from_dict({"kind": "expression", "name": "e", "expr": "zz > 1"})
