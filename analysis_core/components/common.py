"""Helpers shared by the two component analyses: settings, selections, serialisation.

What to use when
----------------
- ``merged(defaults, settings)``: a step's settings over its defaults (unknown keys rejected).
- ``base_mask(table, cuts, apply_cuts)``: finite, unsaturated events passing the cut set.
- ``kr_window(total_pe, ...)``: the 41.5 keV peak window found from the data (mode of the
  total-PE spectrum, +-30 %).
- ``hist_to_dict``/``hist_from_dict``: ``Hist1D`` or None to JSON and back.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from analysis_core.errors import CalibrationError
from analysis_core.histograms import Hist1D

__all__ = ["base_mask", "clean", "hist_from_dict", "hist_to_dict", "kr_window", "merged"]


def merged(defaults: Mapping[str, Any], settings: Mapping[str, Any] | None, step: str) -> dict:
    """Return ``defaults`` updated by ``settings``; unknown keys raise ``CalibrationError``."""
    settings = dict(settings or {})
    unknown = sorted(set(settings) - set(defaults))
    if unknown:
        raise CalibrationError(f"{step}: unknown setting(s) {unknown}; known: {sorted(defaults)}")
    out = dict(defaults)
    out.update(settings)
    return out


def base_mask(table: Mapping[str, Any], cuts: Any, apply_cuts: bool) -> NDArray[np.bool_]:
    """Events with a pulse (finite ``t0_ns``), not saturated, passing ``cuts`` if asked."""
    m = np.isfinite(np.asarray(table["t0_ns"], dtype=float))
    if "saturated" in table:
        m &= ~np.asarray(table["saturated"], dtype=bool)
    if cuts is not None and apply_cuts:
        m &= np.asarray(cuts.mask(table), dtype=bool)
    return m


def kr_window(
    total_pe: NDArray[np.floating], window: Any = None, rel_half_width: float = 0.3
) -> tuple[float, float]:
    """Return ``window`` if given, else the mode of the total-PE spectrum x (1 -+ 0.3)."""
    if window is not None:
        lo, hi = (float(v) for v in window)
        if not 0 <= lo < hi:
            raise CalibrationError(f"bad 41.5 keV window {window}")
        return lo, hi
    x = np.asarray(total_pe, dtype=float)
    x = x[np.isfinite(x) & (x > 20) & (x < 2000)]
    if x.size < 50:
        raise CalibrationError("too few Kr events to find the 41.5 keV peak (< 50 above 20 PE)")
    edges = np.geomspace(20, 2000, 161)
    c, _ = np.histogram(x, edges)
    c = np.convolve(c, np.ones(5) / 5, mode="same")
    i = int(np.argmax(c))
    mode = math.sqrt(edges[i] * edges[i + 1])
    return mode * (1 - rel_half_width), mode * (1 + rel_half_width)


def hist_to_dict(h: Hist1D | None) -> dict | None:
    """``Hist1D.to_dict`` or None."""
    return None if h is None else h.to_dict()


def hist_from_dict(d: Mapping[str, Any] | None) -> Hist1D | None:
    """Inverse of ``hist_to_dict``."""
    return None if d is None else Hist1D.from_dict(dict(d))


def clean(x: float) -> float | None:
    """NaN/inf to None for JSON."""
    return None if x is None or not math.isfinite(x) else float(x)


def num(x: Any) -> float:
    """None to NaN."""
    return float("nan") if x is None else float(x)
