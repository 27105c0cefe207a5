"""Typed exceptions of the analysis core.

What to use when
----------------
- ``LarcalError``: base class; catch it at the CLI and GUI boundaries.
- ``FileFormatError`` and subclasses: a file breaks its contract. The message always names the
  file and the fault, e.g. ``"run.h5: dataset /waveforms has rank 2, expected 3"``.
- ``FitError``: a fit could not be set up (too few counts, bad range). A fit that runs but does
  not converge returns a result with ``valid=False`` and a ``message`` instead of raising.
- ``CalibrationError``: inconsistent calibration input (missing gains, bad certificate).
- ``CutError``: a cut expression or definition is invalid.

Per-event failures inside vectorised reductions never raise: they write NaN.
"""

from __future__ import annotations

from os import PathLike

__all__ = [
    "CalibrationError",
    "CutError",
    "FileFormatError",
    "FitError",
    "LarcalError",
    "RawFormatError",
    "RQFormatError",
    "SpectrumFormatError",
]


class LarcalError(Exception):
    """Base class of all errors raised on purpose by the analysis core."""


class FileFormatError(LarcalError, ValueError):
    """A file is unreadable or breaks its format contract.

    Parameters
    ----------
    path : str or PathLike
        The offending file.
    fault : str
        What is wrong, in plain words.
    """

    def __init__(self, path: str | PathLike[str], fault: str) -> None:
        self.path = str(path)
        self.fault = fault
        super().__init__(f"{self.path}: {fault}")


class RawFormatError(FileFormatError):
    """A ``larcal-raw`` waveform file breaks the contract of ``spec/interfaces.md`` section 1."""


class RQFormatError(FileFormatError):
    """A reduced-quantity (RQ) file is unreadable or incomplete."""


class SpectrumFormatError(FileFormatError):
    """A gamma spectrum file (Spe, Chn, CNF, N42, TKA, CSV, ...) is malformed."""


class FitError(LarcalError, ValueError):
    """A fit cannot be set up with the given inputs."""


class CalibrationError(LarcalError, ValueError):
    """Calibration inputs are missing or inconsistent."""


class CutError(LarcalError, ValueError):
    """A cut expression or cut definition is invalid."""
