"""The calibration session file (``larcal-session`` version 1): what the user did, as data.

What to use when
----------------
- ``CalibrationSession``: runs by role (raw and RQ paths), SPE gains per analysis and the active
  one, the cut set (``CutSet.to_dict()``), every step's settings exactly as the GUI's
  ``ctx.calib.all_settings()`` holds them, optional reduction parameters and HPGe data.
- ``save_session(path, session)`` / ``load_session(path)``: atomic write, validated read
  (schema ``resources/schemas/calibration_session.schema.json``); ``SessionFormatError`` names
  the file and the JSON path of the fault.
"""

from __future__ import annotations

import copy
import functools
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from analysis_core.atomic import atomic_write_text
from analysis_core.constants.io import json_ready
from analysis_core.errors import FileFormatError

__all__ = [
    "SESSION_FORMAT",
    "SESSION_VERSION",
    "CalibrationSession",
    "SessionFormatError",
    "SessionRun",
    "load_session",
    "save_session",
    "validate_session",
]

SESSION_FORMAT = "larcal-session"
SESSION_VERSION = 1
_SCHEMA = "schemas/calibration_session.schema.json"


class SessionFormatError(FileFormatError):
    """A session file is unreadable or breaks its schema."""


@dataclass(frozen=True, slots=True)
class SessionRun:
    """The files of one run role.

    Attributes
    ----------
    raw_path : str or None
        Raw waveform file (absolute path).
    rq_path : str or None
        The RQ file in use when the session was saved (None: raw only).
    """

    raw_path: str | None
    rq_path: str | None = None


@dataclass(frozen=True)
class CalibrationSession:
    """Everything needed to redo a calibration.

    Attributes
    ----------
    runs : dict of str to SessionRun
        By role (``led``, ``background``, ``kr``, ``co57``, ``am241``).
    gains : dict of str to tuple of float
        SPE gains ``(top, bottom)`` in ADC x ns per PE by analysis.
    gain_errors : dict of str to tuple of float
        Their errors (analyses without errors are absent).
    active_gain_analysis : str
        The gains the reductions use.
    cuts : dict or None
        ``CutSet.to_dict()``.
    settings : dict of str to dict
        Step settings by step name.
    reduction : dict or None
        ``ReductionConfig.to_dict()`` without ``spe_gain_adc_ns`` (None: defaults).
    hpge : dict or None
        HPGe inputs/results.
    """

    runs: dict[str, SessionRun] = field(default_factory=dict)
    gains: dict[str, tuple[float, float]] = field(default_factory=dict)
    gain_errors: dict[str, tuple[float, float]] = field(default_factory=dict)
    active_gain_analysis: str = "A"
    cuts: dict[str, Any] | None = None
    settings: dict[str, dict[str, Any]] = field(default_factory=dict)
    reduction: dict[str, Any] | None = None
    hpge: dict[str, Any] | None = None

    def to_dict(self, *, saved_utc: str | None = None) -> dict[str, Any]:
        """Return the JSON-ready session document."""
        gains = {}
        for analysis, pair in self.gains.items():
            errs = self.gain_errors.get(analysis)
            gains[analysis] = {
                "gain_adc_ns": list(pair),
                "gain_err_adc_ns": None if errs is None else list(errs),
            }
        return json_ready(
            {
                "format": SESSION_FORMAT,
                "format_version": SESSION_VERSION,
                "saved_utc": saved_utc,
                "runs": {
                    role: {"raw_path": r.raw_path, "rq_path": r.rq_path}
                    for role, r in self.runs.items()
                },
                "gains": gains,
                "active_gain_analysis": self.active_gain_analysis,
                "cuts": copy.deepcopy(self.cuts),
                "settings": copy.deepcopy(self.settings),
                "reduction": copy.deepcopy(self.reduction),
                "hpge": copy.deepcopy(self.hpge),
            }
        )

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], source: str | os.PathLike[str] = "<session>"):
        """Validate and rebuild a session (``SessionFormatError`` on a schema fault)."""
        validate_session(d, source)
        gains, errors = {}, {}
        for analysis, g in d["gains"].items():
            gains[analysis] = (float(g["gain_adc_ns"][0]), float(g["gain_adc_ns"][1]))
            if g.get("gain_err_adc_ns") is not None:
                e = g["gain_err_adc_ns"]
                errors[analysis] = (float(e[0]), float(e[1]))
        return cls(
            runs={
                role: SessionRun(r.get("raw_path"), r.get("rq_path"))
                for role, r in d["runs"].items()
            },
            gains=gains,
            gain_errors=errors,
            active_gain_analysis=d["active_gain_analysis"],
            cuts=copy.deepcopy(d["cuts"]),
            settings=copy.deepcopy(dict(d["settings"])),
            reduction=copy.deepcopy(d.get("reduction")),
            hpge=copy.deepcopy(d.get("hpge")),
        )


@functools.lru_cache(maxsize=1)
def _schema() -> dict[str, Any]:
    import resources

    with open(resources.path(_SCHEMA), encoding="utf-8") as fh:
        return json.load(fh)


def validate_session(doc: Any, source: str | os.PathLike[str] = "<session>") -> None:
    """Check a session document against its schema; ``SessionFormatError`` on a fault."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(_schema())
    error = jsonschema.exceptions.best_match(validator.iter_errors(doc))
    if error is not None:
        where = "$" + "".join(
            f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path
        )
        raise SessionFormatError(source, f"{where}: {error.message}")


def save_session(path: str | os.PathLike[str], session: CalibrationSession) -> Path:
    """Write ``session`` atomically to ``path`` (validated first); return the path."""
    path = Path(path)
    doc = session.to_dict(saved_utc=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    validate_session(doc, path)
    atomic_write_text(path, json.dumps(doc, indent=2, allow_nan=False) + "\n")
    return path


def load_session(path: str | os.PathLike[str]) -> CalibrationSession:
    """Read and validate a session file.

    Raises
    ------
    SessionFormatError
        Unreadable, not JSON (line and column) or breaking the schema (JSON path).
    """
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise SessionFormatError(path, f"cannot read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise SessionFormatError(
            path, f"not valid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    return CalibrationSession.from_dict(doc, path)
