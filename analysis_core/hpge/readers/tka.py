"""Reader of Canberra/Genie ``.TKA`` ASCII spectra.

What to use when
----------------
``read_tka(path)`` for ``.TKA`` files (one number per line: live time [s], real time [s],
then the counts of channels 0, 1, ...). ``parse_tka(text, path)`` for text in memory.

The format stores no start time and no calibration. Blank lines are ignored; any other
line that is not a single number is reported with its line number. The file must hold the
two times and at least one channel.
"""

from __future__ import annotations

import os

import numpy as np

from analysis_core.errors import SpectrumFormatError
from analysis_core.hpge.readers._common import build_spectrum, decode_text, read_bytes
from analysis_core.hpge.spectrum import Spectrum

__all__ = ["FORMAT", "parse_tka", "read_tka"]

FORMAT = "tka"


def read_tka(path: str | os.PathLike[str]) -> list[Spectrum]:
    """Read a ``.TKA`` file; return a list with its one spectrum.

    Raises
    ------
    SpectrumFormatError
        Naming the line that is not a single number, or when times or counts are missing.
    """
    return [parse_tka(decode_text(read_bytes(path)), path)]


def parse_tka(text: str, path: str | os.PathLike[str] = "<text>") -> Spectrum:
    """Parse the text of a ``.TKA`` file."""
    numbered = [(n, t.strip()) for n, t in enumerate(text.splitlines(), start=1) if t.strip()]
    for n, t in numbered:
        if len(t.split()) != 1:
            raise SpectrumFormatError(path, f"line {n}: {t!r} is not a single number")
    try:
        values = np.array([t for _, t in numbered], dtype=np.float64)
    except ValueError:
        for n, t in numbered:
            try:
                float(t)
            except ValueError:
                raise SpectrumFormatError(path, f"line {n}: {t!r} is not a number") from None
        raise  # pragma: no cover - unreachable: some line failed above
    if values.size < 3:
        raise SpectrumFormatError(
            path, f"{values.size} numbers; a .TKA file holds live time, real time, then counts"
        )
    return build_spectrum(
        path, FORMAT, values[2:], live_time_s=float(values[0]), real_time_s=float(values[1])
    )
