"""Data files shipped with LArCal Workbench (nuclear data, schemas, icons).

Use ``resources.path(name)`` to get a file, so that it works from a wheel as well as a source tree.
"""

from __future__ import annotations

from importlib.resources import as_file, files
from pathlib import Path

__all__ = ["path"]


def path(name: str) -> Path:
    """Return the filesystem path of the resource file ``name`` (e.g. ``"nuclear_data.json"``)."""
    ref = files(__name__).joinpath(name)
    with as_file(ref) as p:
        return Path(p)
