"""Open a run for the session: summarise the raw file and attach its RQ file when present.

What to use when
----------------
- ``load_run(path)`` in a worker thread (it opens its own ``RawFile`` and closes it again, so
  no h5py handle crosses threads). It returns a ``LoadedRun``: the ``RunInfo``, the RQ table of
  ``<stem>_rq.h5`` beside the raw file when that file exists and matches the run, and a warning
  when an RQ file was found but not used.
- ``rq_path_for(raw_path)``: where the reduction of a raw file is written.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

import h5py

from analysis_core.errors import RawFormatError, RQFormatError
from analysis_core.rawfile import RawFile
from analysis_core.rqfile import RQ_FORMAT, RQTable, read_rq
from workbench.state import RunInfo

__all__ = ["LoadedRun", "load_run", "rq_path_for"]


@dataclass(frozen=True, slots=True)
class LoadedRun:
    """A run ready to enter the session.

    Attributes
    ----------
    info : RunInfo
        Summary of the raw file (``rq_path`` set when ``rq`` is attached).
    rq : RQTable or None
        The run's RQ table, if a matching one was found.
    warning : str
        Why an RQ file beside the run was not used ("" when none).
    """

    info: RunInfo
    rq: RQTable | None = None
    warning: str = ""


def rq_path_for(raw_path: str | os.PathLike[str]) -> Path:
    """Return ``<stem>_rq.h5`` beside ``raw_path``."""
    p = Path(raw_path)
    return p.with_name(f"{p.stem}_rq.h5")


def _is_rq_file(path: Path) -> bool:
    try:
        with h5py.File(path, "r") as f:
            fmt = f.attrs.get("format")
    except OSError:
        return False
    fmt = fmt.decode() if isinstance(fmt, bytes) else fmt
    return fmt == RQ_FORMAT


def load_run(path: str | os.PathLike[str]) -> LoadedRun:
    """Summarise the raw run at ``path`` and attach its RQ file if one matches.

    Parameters
    ----------
    path : str or PathLike
        A ``larcal-raw`` file.

    Returns
    -------
    LoadedRun

    Raises
    ------
    RawFormatError
        If ``path`` is not a readable ``larcal-raw`` file (an RQ file gets a message saying so).
    """
    path = Path(path).resolve()
    try:
        with RawFile(path) as raw:
            info = RunInfo.from_raw(raw)
    except RawFormatError:
        if path.exists() and _is_rq_file(path):
            raise RawFormatError(
                path,
                "this is an RQ file (reduced quantities), not a raw waveform file; "
                "open the raw run it was reduced from (its RQs are attached automatically)",
            ) from None
        raise
    rq_path = rq_path_for(path)
    if not rq_path.exists():
        return LoadedRun(info)
    try:
        table = read_rq(rq_path)
    except RQFormatError as exc:
        return LoadedRun(info, None, f"RQ file not used: {exc}")
    size = table.metadata.get("input_size_bytes")
    if isinstance(size, int) and size != path.stat().st_size:
        return LoadedRun(
            info,
            None,
            f"RQ file not used: {rq_path}: it was reduced from a {size:,}-byte file, "
            f"{path.name} has {path.stat().st_size:,} bytes; reduce the run again",
        )
    if len(table) != info.n_events:
        return LoadedRun(
            info,
            None,
            f"RQ file not used: {rq_path}: {len(table)} rows for {info.n_events} events in "
            f"{path.name} (reduced from another file?); reduce the run again",
        )
    return LoadedRun(replace(info, rq_path=str(rq_path)), table)
