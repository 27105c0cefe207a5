"""Helpers shared by the CLI commands: JSON output, terminal progress, errors."""

from __future__ import annotations

import json
import math
import sys
import time
from typing import Any, TextIO

import numpy as np

__all__ = ["TerminalProgress", "print_json", "to_jsonable"]


def to_jsonable(obj: Any) -> Any:
    """Convert numpy scalars/arrays and non-finite floats to plain JSON values (NaN -> None)."""
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return to_jsonable(obj.item())
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def print_json(obj: Any, stream: TextIO | None = None) -> None:
    """Print exactly one JSON object on stdout."""
    stream = stream or sys.stdout
    stream.write(json.dumps(to_jsonable(obj), sort_keys=False) + "\n")
    stream.flush()


class TerminalProgress:
    """A ``ProgressFn`` drawing a one-line progress bar on stderr (at most ~10 Hz).

    Parameters
    ----------
    label : str
        Text before the bar.
    enabled : bool
        False turns it into a no-op (e.g. with ``--json`` or when stderr is not a terminal).
    """

    def __init__(self, label: str, *, enabled: bool = True, stream: TextIO | None = None) -> None:
        self.label = label
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self._last = 0.0
        self._t0 = time.perf_counter()

    def __call__(self, done: int, total: int) -> None:
        """Draw the bar for ``done`` of ``total`` units."""
        if not self.enabled:
            return
        now = time.perf_counter()
        if done < total and now - self._last < 0.1:
            return
        self._last = now
        frac = done / total if total else 1.0
        width = 30
        bar = "#" * int(frac * width)
        rate = done / max(now - self._t0, 1e-9)
        self.stream.write(f"\r{self.label} [{bar:<{width}}] {done}/{total} ({rate:,.0f}/s)")
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()
