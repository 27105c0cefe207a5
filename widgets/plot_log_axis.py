"""A pyqtgraph axis for data plotted as log10 values, labelled with plain numbers.

What to use when
----------------
- ``LogAxis("bottom")``: put ``log10(x)`` into the plot and label the axis with ``x``: 100, 200,
  500, 1000 keV rather than pyqtgraph's ``1·10²``. Major ticks at 1, 2, 3, 5 x 10^k within a
  decade and a quarter, at 1, 2, 5 x 10^k up to a decade and a half, at 1 x 10^k over wider
  ranges, minor ticks at the other integers; a range narrower than a factor of two gets
  evenly spaced ticks in linear units. Plotting log10 values
  yourself (instead of ``PlotItem.setLogMode``) also keeps error bars and fill bands right,
  which pyqtgraph's log mode does not transform.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg

__all__ = ["LogAxis", "format_tick"]


def format_tick(value: float) -> str:
    """Return a compact label for a positive axis value (``1000``, ``0.02``, ``1e-05``)."""
    if value == 0 or not math.isfinite(value):
        return ""
    a = abs(value)
    if 1e-3 <= a < 1e5:
        text = f"{value:.4g}"
        return text
    return f"{value:.0e}".replace("e-0", "e-").replace("e+0", "e")


class LogAxis(pg.AxisItem):
    """Axis of a log10 coordinate, labelled in linear units (see the module docstring)."""

    def __init__(self, orientation: str, **kwargs: object) -> None:
        super().__init__(orientation, **kwargs)
        self.enableAutoSIPrefix(False)
        self._major: set[float] = set()

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list:  # noqa: N802, D102
        lo, hi = sorted((float(minVal), float(maxVal)))
        if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
            return []
        span = hi - lo
        if span < math.log10(2.0):
            # Narrow view: evenly spaced ticks in linear units.
            levels = super().tickValues(10**lo, 10**hi, size)
            out = []
            for spacing, values in levels:
                vals = [math.log10(v) for v in values if v > 0]
                out.append((spacing, vals))
            self._major = {round(v, 9) for v in (out[0][1] if out else [])}
            return out
        mant_major = (1, 2, 3, 5) if span <= 1.25 else (1, 2, 5) if span <= 1.6 else (1,)
        k0, k1 = math.floor(lo) - 1, math.ceil(hi) + 1
        step = max(1, math.ceil(span / 8)) if span > 8 else 1
        major, minor = [], []
        for k in range(k0, k1 + 1):
            for m in range(1, 10):
                v = math.log10(m) + k
                if not lo <= v <= hi:
                    continue
                if m in mant_major and (k % step == 0 or m != 1):
                    major.append(v)
                elif span <= 4:
                    minor.append(v)
        self._major = {round(v, 9) for v in major}
        return [(None, major), (None, minor)]

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:  # noqa: N802, D102
        return [
            format_tick(float(10.0 ** np.float64(v))) if round(v, 9) in self._major else ""
            for v in values
        ]
