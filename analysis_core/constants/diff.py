"""Compare two calibration-constants documents entry by entry.

What to use when
----------------
- ``diff_constants(old, new)``: the list of ``ConstantChange`` (changed, added, removed) with
  JSON paths such as ``light_yield.A.y_pe_per_kev``, old and new values and, for numbers, the
  relative change. ``created_utc`` is ignored. Long lists of plain values (histogram contents,
  covariance rows) are compared as one entry so that a diff stays readable.
- ``format_change(change)``: one line of text for a confirmation dialog or the console.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["IGNORED", "ConstantChange", "diff_constants", "format_change"]

#: Top-level keys never reported.
IGNORED = frozenset({"created_utc"})

#: Lists of scalars longer than this are compared as one value.
_LONG_LIST = 16


@dataclass(frozen=True, slots=True)
class ConstantChange:
    """One difference between two constants documents.

    Attributes
    ----------
    path : str
        Dotted JSON path (list items as ``[i]``).
    kind : str
        ``"changed"``, ``"added"`` or ``"removed"``.
    old, new : object
        Values (None for the missing side).
    relative_change : float or None
        ``(new - old) / |old|`` for two numbers with ``old != 0``.
    """

    path: str
    kind: str
    old: Any
    new: Any
    relative_change: float | None = None


def _is_num(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _scalar_list(x: Any) -> bool:
    return isinstance(x, list) and not any(isinstance(v, (dict, list)) for v in x)


def _walk(old: Any, new: Any, path: str, out: list[ConstantChange], tol: float) -> None:
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        for key in old:
            if not path and key in IGNORED:
                continue
            sub = f"{path}.{key}" if path else str(key)
            if key not in new:
                out.append(ConstantChange(sub, "removed", old[key], None))
            else:
                _walk(old[key], new[key], sub, out, tol)
        for key in new:
            if key not in old and not (not path and key in IGNORED):
                out.append(
                    ConstantChange(f"{path}.{key}" if path else str(key), "added", None, new[key])
                )
        return
    if (
        isinstance(old, list)
        and isinstance(new, list)
        and not (_scalar_list(old) and _scalar_list(new) and max(len(old), len(new)) > _LONG_LIST)
        and len(old) == len(new)
    ):
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            _walk(a, b, f"{path}[{i}]", out, tol)
        return
    if old == new:
        return
    if _is_num(old) and _is_num(new) and abs(new - old) <= tol * max(abs(old), abs(new)):
        return
    rel = None
    if _is_num(old) and _is_num(new) and old != 0 and math.isfinite(old):
        rel = (new - old) / abs(old)
    out.append(ConstantChange(path, "changed", old, new, rel))


def diff_constants(
    old: Mapping[str, Any], new: Mapping[str, Any], *, rel_tol: float = 1e-9
) -> list[ConstantChange]:
    """Return the differences from ``old`` to ``new`` (creation date ignored).

    Numbers within ``rel_tol`` of each other (relative; round-off of a refit) are equal; pass
    0 for an exact comparison.
    """
    out: list[ConstantChange] = []
    _walk(old, new, "", out, rel_tol)
    return out


def _short(value: Any) -> str:
    text = repr(value) if not isinstance(value, float) else f"{value:.6g}"
    return text if len(text) <= 60 else text[:57] + "..."


def format_change(change: ConstantChange) -> str:
    """Return one readable line, e.g. ``light_yield.A.y_pe_per_kev: 4.3 -> 4.5 (+4.65 %)``."""
    if change.kind == "added":
        return f"+ {change.path}: {_short(change.new)}"
    if change.kind == "removed":
        return f"- {change.path}: {_short(change.old)}"
    rel = "" if change.relative_change is None else f" ({100 * change.relative_change:+.3g} %)"
    return f"~ {change.path}: {_short(change.old)} -> {_short(change.new)}{rel}"
