"""Validation, serialisation, atomic writing and reading of calibration-constants files.

What to use when
----------------
- ``validate_constants(doc, source)``: check a document against the published JSON Schema;
  raises ``ConstantsFormatError`` naming ``source`` and the JSON path of the first fault.
- ``dumps_constants(doc)``: the exact text written (2-space indent, key order kept, no NaN).
- ``write_constants(path, doc)`` / ``read_constants(path)``: validated atomic write and read.
"""

from __future__ import annotations

import functools
import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from analysis_core.atomic import atomic_write_text
from analysis_core.errors import FileFormatError

__all__ = [
    "SCHEMA_RESOURCE",
    "ConstantsFormatError",
    "dumps_constants",
    "json_ready",
    "load_schema",
    "read_constants",
    "validate_constants",
    "write_constants",
]

#: Resource name of the published schema.
SCHEMA_RESOURCE = "schemas/calibration_constants.schema.json"


class ConstantsFormatError(FileFormatError):
    """A calibration-constants file (or document) breaks its schema or is not JSON."""


@functools.lru_cache(maxsize=1)
def load_schema() -> dict[str, Any]:
    """Return the published JSON Schema of the constants file (draft 2020-12)."""
    import resources

    with open(resources.path(SCHEMA_RESOURCE), encoding="utf-8") as fh:
        return json.load(fh)


def json_ready(value: Any) -> Any:
    """Return ``value`` as plain JSON data: numpy to Python, tuples to lists, NaN/inf to None."""
    if isinstance(value, Mapping):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    if isinstance(value, np.ndarray):
        return [json_ready(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if hasattr(value, "to_dict"):
        return json_ready(value.to_dict())
    raise TypeError(f"cannot store a {type(value).__name__} in a constants file")


def _json_path(parts: Any) -> str:
    out = "$"
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out


def validate_constants(doc: Any, source: str | os.PathLike[str] = "<constants>") -> None:
    """Check ``doc`` against the schema.

    Raises
    ------
    ConstantsFormatError
        Names ``source``, the JSON path of the (most relevant) fault and what is wrong.
    """
    import jsonschema

    validator = jsonschema.Draft202012Validator(load_schema())
    error = jsonschema.exceptions.best_match(validator.iter_errors(doc))
    if error is not None:
        raise ConstantsFormatError(source, f"{_json_path(error.absolute_path)}: {error.message}")


def dumps_constants(doc: Mapping[str, Any]) -> str:
    """Return the file text of ``doc``."""
    return json.dumps(json_ready(doc), indent=2, allow_nan=False) + "\n"


def write_constants(path: str | os.PathLike[str], doc: Mapping[str, Any]) -> Path:
    """Validate ``doc``, write it atomically to ``path``, read it back; return the path.

    Raises
    ------
    ConstantsFormatError
        The document breaks the schema (nothing is written), or the file read back differs
        from what was written.
    """
    path = Path(path)
    plain = json_ready(doc)
    validate_constants(plain, path)
    atomic_write_text(path, dumps_constants(plain))
    if read_constants(path) != plain:
        raise ConstantsFormatError(path, "the file read back differs from what was written")
    return path


def read_constants(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and validate a constants file.

    Raises
    ------
    ConstantsFormatError
        Unreadable, not JSON (with line and column), or breaking the schema (with JSON path).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConstantsFormatError(path, f"cannot read: {exc}") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConstantsFormatError(
            path, f"not valid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    validate_constants(doc, path)
    return doc
