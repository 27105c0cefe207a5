"""An ordered set of named cuts, applied together, saved as JSON.

What to use when
----------------
- ``CutSet``: what ``ctx.calib.cuts`` holds and a session file stores (``to_dict()``). It is
  immutable: ``with_cut``, ``without``, ``with_enabled`` return a new set, so a job computing
  with one set never sees it change under it.
- ``CutSet.mask(table)``: rows passing every *enabled* cut (all rows when none is enabled).
- ``CutSet.to_expression()``: one expression equivalent to the enabled cuts (for ``--cut`` on
  the command line); ``CutError`` when an enabled polygon cut has none.
- ``CutSet.from_dict`` / ``from_json``: read a saved set; the format version is checked.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from analysis_core.cuts.expression import table_rows
from analysis_core.cuts.kinds import Cut, cut_from_dict
from analysis_core.errors import CutError
from analysis_core.rqfile import RQ_COLUMNS

__all__ = ["CUTSET_FORMAT", "CUTSET_FORMAT_VERSION", "CutSet"]

CUTSET_FORMAT = "larcal-cuts"
CUTSET_FORMAT_VERSION = 1


@dataclass(frozen=True)
class CutSet:
    """Ordered named cuts (names unique).

    Attributes
    ----------
    cuts : tuple of Cut
        The cuts in application order (the order of cumulative survival).
    """

    cuts: tuple[Cut, ...] = ()

    def __post_init__(self) -> None:
        cuts = tuple(self.cuts)
        names = [c.name for c in cuts]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise CutError(f"cut names must be unique; repeated: {', '.join(dupes)}")
        object.__setattr__(self, "cuts", cuts)

    def __iter__(self) -> Iterator[Cut]:
        return iter(self.cuts)

    def __len__(self) -> int:
        return len(self.cuts)

    def __contains__(self, name: object) -> bool:
        return any(c.name == name for c in self.cuts)

    @property
    def names(self) -> tuple[str, ...]:
        """Cut names in order."""
        return tuple(c.name for c in self.cuts)

    @property
    def enabled_cuts(self) -> tuple[Cut, ...]:
        """The enabled cuts in order."""
        return tuple(c for c in self.cuts if c.enabled)

    @property
    def columns(self) -> tuple[str, ...]:
        """Sorted RQ columns read by the enabled cuts."""
        return tuple(sorted({col for c in self.enabled_cuts for col in c.columns}))

    def get(self, name: str) -> Cut:
        """Return the cut called ``name`` (``KeyError`` naming the known cuts otherwise)."""
        for cut in self.cuts:
            if cut.name == name:
                return cut
        raise KeyError(f"no cut named {name!r}; cuts are {list(self.names)}")

    def with_cut(self, cut: Cut) -> CutSet:
        """Return a set with ``cut`` added at the end, or replacing the cut of the same name."""
        if cut.name in self:
            return CutSet(tuple(cut if c.name == cut.name else c for c in self.cuts))
        return CutSet((*self.cuts, cut))

    def without(self, name: str) -> CutSet:
        """Return a set without the cut ``name`` (``KeyError`` when absent)."""
        self.get(name)
        return CutSet(tuple(c for c in self.cuts if c.name != name))

    def with_enabled(self, name: str, enabled: bool) -> CutSet:
        """Return a set with cut ``name`` enabled or disabled."""
        return self.with_cut(replace(self.get(name), enabled=bool(enabled)))

    def moved(self, name: str, index: int) -> CutSet:
        """Return a set with cut ``name`` moved to position ``index``."""
        cut = self.get(name)
        rest = [c for c in self.cuts if c.name != name]
        rest.insert(max(0, min(int(index), len(rest))), cut)
        return CutSet(tuple(rest))

    def masks(self, table: Mapping[str, Any]) -> dict[str, NDArray[np.bool_]]:
        """Mask of every cut (enabled or not) by name."""
        return {c.name: c.mask(table) for c in self.cuts}

    def mask(self, table: Mapping[str, Any]) -> NDArray[np.bool_]:
        """Rows passing every enabled cut."""
        out = np.ones(table_rows(table), dtype=bool)
        for cut in self.enabled_cuts:
            out &= cut.mask(table)
        return out

    def to_expression(self) -> str:
        """One expression equivalent to the enabled cuts (``"True"`` when there are none).

        Raises
        ------
        CutError
            An enabled cut (a polygon) cannot be written as an expression.
        """
        parts = []
        for cut in self.enabled_cuts:
            expr = cut.to_expression()
            if expr is None:
                raise CutError(
                    f"cut {cut.name!r} ({cut.kind}) has no expression form; save the cut set "
                    "as JSON instead"
                )
            # Expression cuts also reject rows where their columns are NaN; say so explicitly.
            floats = [c for c in cut.columns if RQ_COLUMNS.get(c, ("f4",))[0].startswith("f")]
            finite = "".join(f" and {col} == {col}" for col in floats)
            parts.append(f"({expr}){finite}" if cut.kind == "expression" else f"({expr})")
        return " and ".join(parts) or "True"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict with format name and version."""
        return {
            "format": CUTSET_FORMAT,
            "format_version": CUTSET_FORMAT_VERSION,
            "cuts": [c.to_dict() for c in self.cuts],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CutSet:
        """Read a set written by :meth:`to_dict`.

        Raises
        ------
        CutError
            Wrong format or version, or an invalid cut (the message names it).
        """
        if not isinstance(data, Mapping) or data.get("format") != CUTSET_FORMAT:
            raise CutError(f"not a cut set: expected format {CUTSET_FORMAT!r}")
        version = data.get("format_version")
        if version != CUTSET_FORMAT_VERSION:
            raise CutError(
                f"cut set format version {version!r} is not supported "
                f"(this version reads {CUTSET_FORMAT_VERSION})"
            )
        cuts = data.get("cuts", [])
        if not isinstance(cuts, list):
            raise CutError("cut set: 'cuts' must be a list")
        return cls(tuple(cut_from_dict(c) for c in cuts))

    def to_json(self) -> str:
        """Serialise to a JSON string (``to_dict``, indented)."""
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_json(cls, text: str) -> CutSet:
        """Read a set from a JSON string."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CutError(f"cut set: invalid JSON ({exc})") from None
        return cls.from_dict(data)
