"""What every liquid-argon calibration step receives, in the GUI and in a headless replay.

What to use when
----------------
Each analysis step of the calibration (``"spe"``, ``"peak_fit"``, ``"halflife"``, ``"delay"``,
``"components_a"``, ``"components_b"``, ``"linearity"``, ...) is one headless function

    ``compute_<step>(inputs: StepInputs, settings: dict) -> <typed result with to_dict()>``

in its own ``analysis_core`` module. The GUI controller of the step's pane calls it in a job
with the user's current choices; ``larcal session run`` calls the same function with the
settings saved in the session file, so both give the same numbers. ``settings`` is a JSON-ready
dict owned by the step (fit range, model, cost, ...); ``StepInputs`` carries the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from analysis_core.errors import CalibrationError
from analysis_core.rqfile import RQTable

__all__ = ["ANALYSES", "ROLES", "StepInputs"]

#: Run roles of a calibration campaign, in workflow order.
ROLES = ("led", "background", "kr", "co57", "am241")

#: SPE-gain definitions: ``"A"`` (DEAP model on LED data), ``"B"`` (late single PE, Gaussian).
ANALYSES = ("A", "B")


@dataclass(frozen=True)
class StepInputs:
    """The data a calibration step works on.

    Attributes
    ----------
    rq : mapping of str to RQTable
        Reduced runs by role (``"kr"``, ``"background"``, ``"co57"``, ``"am241"``, ``"led"``).
        Their PE columns are in the units their metadata states (``RQTable.pe_units``).
    raw_paths : mapping of str to str
        Raw files by role (for steps that read waveforms, e.g. SPE gains).
    cuts : object or None
        The cut set (``analysis_core.cuts``) to apply, or None for no cuts.
    gains : mapping of str to tuple of float
        SPE gains ``(top, bottom)`` in ADC x ns per PE by analysis (``"A"``, ``"B"``).
    results : mapping of str to object
        Results of earlier steps by step name (e.g. the peak fits the linearity step uses).
    gain_errors : mapping of str to tuple of float
        Uncertainties of ``gains`` ``(top, bottom)`` in ADC x ns per PE by analysis, where known
        (the linearity step propagates them into the light-yield error).
    """

    rq: Mapping[str, RQTable] = field(default_factory=dict)
    raw_paths: Mapping[str, str] = field(default_factory=dict)
    cuts: Any = None
    gains: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    results: Mapping[str, Any] = field(default_factory=dict)
    gain_errors: Mapping[str, tuple[float, float]] = field(default_factory=dict)

    def table(self, role: str) -> RQTable:
        """Return the RQ table of ``role``; a ``CalibrationError`` says which run is missing."""
        try:
            return self.rq[role]
        except KeyError:
            raise CalibrationError(
                f"no reduced {role!r} run: open one and reduce it (roles present: "
                f"{', '.join(sorted(self.rq)) or 'none'})"
            ) from None

    def raw_path(self, role: str) -> str:
        """Return the raw file of ``role``; a ``CalibrationError`` says which run is missing."""
        try:
            return self.raw_paths[role]
        except KeyError:
            raise CalibrationError(f"no raw {role!r} run given") from None

    def result(self, step: str) -> Any:
        """Return the result of an earlier ``step``; a ``CalibrationError`` if not computed."""
        try:
            return self.results[step]
        except KeyError:
            raise CalibrationError(f"step {step!r} has no result yet: run it first") from None
