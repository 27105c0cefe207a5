"""The calibration-constants file: build, validate, write, read and compare.

What to use when
----------------
- ``build_constants(...)``: assemble the constants document (a plain JSON-ready dict) from the
  SPE gains, the step results (linearity, peak fits, components, ...), the cut set, the runs
  used and the optional HPGe results. The GUI's Export pane and ``larcal session run`` both call
  it, so a replayed session gives the same file up to ``created_utc``.
- ``run_input(role, raw_path, rq_path, table)``: describe one input run (id, dates) for it.
- ``write_constants(path, doc)``: validate against the published JSON Schema
  (``resources/schemas/calibration_constants.schema.json``, format
  ``larcal-calibration-constants`` version 1) and write atomically.
- ``read_constants(path)`` / ``validate_constants(doc, source)``: read back and validate;
  ``ConstantsFormatError`` names the file and the JSON path of the fault.
- ``diff_constants(old, new)``: changed / added / removed entries with old and new values and
  the relative change of numbers, ignoring the creation date.

Reading the file from other code needs only ``json``: light yield of Analysis A is
``doc["light_yield"]["A"]["y_pe_per_kev"]``, the SPE gain of the top PMT
``doc["spe_gains"]["analyses"]["A"]["top"]["gain_adc_ns"]``.
"""

from __future__ import annotations

from analysis_core.constants.build import (
    CONSTANTS_FORMAT,
    CONSTANTS_VERSION,
    RunInput,
    build_constants,
    run_input,
)
from analysis_core.constants.diff import ConstantChange, diff_constants, format_change
from analysis_core.constants.io import (
    ConstantsFormatError,
    dumps_constants,
    load_schema,
    read_constants,
    validate_constants,
    write_constants,
)

__all__ = [
    "CONSTANTS_FORMAT",
    "CONSTANTS_VERSION",
    "ConstantChange",
    "ConstantsFormatError",
    "RunInput",
    "build_constants",
    "diff_constants",
    "dumps_constants",
    "format_change",
    "load_schema",
    "read_constants",
    "run_input",
    "validate_constants",
    "write_constants",
]
