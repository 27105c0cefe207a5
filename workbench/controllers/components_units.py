"""Which PE the Components pane shows: the plots' (the Kr run's) and the tables' (the analysis').

What to use when
----------------
- ``pe_units(inputs, analysis)``: the ``PeUnits`` of a components step computed on ``inputs``.
  The steps work in the PE of the Kr RQ table, i.e. of the SPE gains the run was reduced with
  (``analysis_core.components.analysis_b.ComponentsBResult.light_points``). The Linearity step
  and the constants give each analysis' points in that analysis' own PE, scaled by
  ``analysis_core.linearity_points.gain_factor``. The pane's plots stay in the Kr run's PE (the
  histograms, the cut and the profile are made there); its result tables and status line are
  scaled by the same factor, so they show the numbers Linearity and the constants show.
- ``PeUnits.plots`` / ``PeUnits.table``: the labels ("PE, gains A", ...) naming each PE.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from analysis_core.linearity_points import gain_factor

__all__ = ["IDENTITY", "PeUnits", "pe_units"]


@dataclass(frozen=True, slots=True)
class PeUnits:
    """PE definitions of one components step in the pane.

    Attributes
    ----------
    factor : float
        Table value = step value (Kr run's PE) x ``factor``.
    analysis : str
        The analysis ("A" or "B") whose SPE gains define the tables' PE ("" when unknown).
    reduced_with : str
        Whose gains the Kr run was reduced with: "A", "B", or "" (other or unknown).
    """

    factor: float = 1.0
    analysis: str = ""
    reduced_with: str = ""

    @property
    def plots(self) -> str:
        """Unit label of the plots' PE: ``"PE, gains A"``, or ``"PE of the Kr run"``."""
        if self.reduced_with:
            return f"PE, gains {self.reduced_with}"
        return "PE of the Kr run" if self.analysis else "PE"

    @property
    def table(self) -> str:
        """Unit label of the tables' PE: ``"PE, gains B"`` (``"PE"`` when unknown)."""
        return f"PE, gains {self.analysis}" if self.analysis else "PE"

    @property
    def converted(self) -> bool:
        """Whether the tables' PE differ from the plots' (a factor other than 1)."""
        return abs(self.factor - 1.0) > 1e-9

    def note(self) -> str:
        """One line saying how the tables' PE relate to the plots' (empty when equal)."""
        if not self.converted:
            return ""
        return (
            f"plots in {self.plots}, table × {self.factor:.4f} into {self.table} "
            "as in Linearity and the constants"
        )


#: No conversion, plain "PE" labels.
IDENTITY = PeUnits()


def _same(a: Sequence[float], b: Sequence[float]) -> bool:
    return all(math.isclose(float(x), float(y), rel_tol=1e-9) for x, y in zip(a, b, strict=True))


def pe_units(inputs: Any, analysis: str) -> PeUnits:
    """Return the ``PeUnits`` of ``analysis``' components step computed on ``inputs``."""
    table = inputs.rq.get("kr") if hasattr(inputs.rq, "get") else None
    gains: Mapping[str, Sequence[float]] = inputs.gains or {}
    factor = gain_factor(table, gains, analysis)
    used = None if table is None else table.metadata.get("spe_gain_adc_ns")
    reduced_with = ""
    if isinstance(used, Mapping) and "top" in used and "bottom" in used:
        pair = (float(used["top"]), float(used["bottom"]))
        # the analysis itself first: when A and B hold equal gains, "A" for A's step
        for name in (analysis, *(a for a in ("A", "B") if a != analysis)):
            g = gains.get(name)
            if g is not None and len(g) >= 2 and _same(pair, g[:2]):
                reduced_with = name
                break
    # without gains of its own an analysis' PE are the Kr run's, whatever they are
    return PeUnits(
        factor=factor, analysis=analysis if analysis in gains else "", reduced_with=reduced_with
    )
