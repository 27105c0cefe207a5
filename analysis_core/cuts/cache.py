"""Masks of cuts cached per table, so re-applying a cut set while one cut changes is cheap.

What to use when
----------------
- ``MaskCache(table)``: while a user drags one cut, every other cut's mask is unchanged; the
  cache keys each mask by the cut's *definition* (kind and parameters, not its name or enabled
  flag), so only the dragged cut is re-evaluated. ``masks(cutset)`` gives the dict that
  ``survival(..., masks=...)`` takes; ``mask(cutset)`` the AND of the enabled cuts.
  Thread-safe (jobs run off the GUI thread); least recently used masks are dropped beyond
  ``max_entries``.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from analysis_core.cuts.cutset import CutSet
from analysis_core.cuts.expression import table_rows
from analysis_core.cuts.kinds import Cut

__all__ = ["MaskCache", "definition_key"]


def definition_key(cut: Cut) -> str:
    """Return a key for what a cut selects (its kind and parameters; not name or flag)."""
    data = cut.to_dict()
    data.pop("name", None)
    data.pop("enabled", None)
    return json.dumps(data, sort_keys=True)


class MaskCache:
    """Cached cut masks over one table.

    Parameters
    ----------
    table : mapping of str to ndarray
        The rows (an ``RQTable``); it must not change while the cache is used.
    max_entries : int
        Masks kept (each is one byte per row).
    """

    def __init__(self, table: Mapping[str, Any], max_entries: int = 32) -> None:
        self.table = table
        self.n_rows = table_rows(table)
        self.max_entries = int(max_entries)
        self._masks: OrderedDict[str, NDArray[np.bool_]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def cut_mask(self, cut: Cut) -> NDArray[np.bool_]:
        """Return the mask of ``cut`` (computed once per definition; do not modify it)."""
        key = definition_key(cut)
        with self._lock:
            mask = self._masks.get(key)
            if mask is not None:
                self._masks.move_to_end(key)
                self.hits += 1
                return mask
        mask = cut.mask(self.table)
        mask.setflags(write=False)
        with self._lock:
            self.misses += 1
            self._masks[key] = mask
            while len(self._masks) > self.max_entries:
                self._masks.popitem(last=False)
        return mask

    def masks(self, cutset: CutSet) -> dict[str, NDArray[np.bool_]]:
        """Return the mask of every cut of ``cutset`` by name."""
        return {cut.name: self.cut_mask(cut) for cut in cutset}

    def mask(self, cutset: CutSet) -> NDArray[np.bool_]:
        """Return the rows passing every enabled cut of ``cutset``."""
        out = np.ones(self.n_rows, dtype=bool)
        for cut in cutset.enabled_cuts:
            out &= self.cut_mask(cut)
        return out
