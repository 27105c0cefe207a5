"""MaskCache: same masks as direct evaluation, keyed by definition, bounded."""

from __future__ import annotations

import numpy as np

from analysis_core.cuts import CutSet, ExpressionCut, MaskCache, RangeCut, survival


def test_cache_equals_direct_and_reuses(rq_table):
    cs = CutSet((ExpressionCut("q", "not saturated"), RangeCut("band", "f90", 0.2, 0.45)))
    cache = MaskCache(rq_table)
    np.testing.assert_array_equal(cache.mask(cs), cs.mask(rq_table))
    assert cache.misses == 2
    # Dragging the band: only the new band definition is evaluated.
    dragged = cs.with_cut(RangeCut("band", "f90", 0.25, 0.45))
    np.testing.assert_array_equal(cache.mask(dragged), dragged.mask(rq_table))
    assert cache.misses == 3
    # Renaming or disabling does not change what a cut selects: cache hit.
    renamed = CutSet((ExpressionCut("quality", "not saturated", enabled=False),))
    cache.masks(renamed)
    assert cache.misses == 3
    rows = survival(dragged, rq_table, masks=cache.masks(dragged))
    assert [r.n_pass for r in rows] == [r.n_pass for r in survival(dragged, rq_table)]


def test_cache_bounded(rq_table):
    cache = MaskCache(rq_table, max_entries=3)
    for i in range(6):
        cache.cut_mask(RangeCut("band", "f90", 0.1 + 0.01 * i, 0.5))
    assert len(cache._masks) == 3
