"""Reduced-quantity (RQ) tables and their HDF5 files.

What to use when
----------------
- ``RQ_COLUMNS``: the fixed column names of ``spec/interfaces.md`` section 2 with units.
- ``RQTable``: columns (numpy arrays, one row per event) plus metadata; ``table["f90"]``.
- ``write_rq(path, table)``: atomic write (temporary file, then rename).
- ``read_rq(path)``: read a whole RQ file (RQs are small: ~100 bytes per event).

File layout (format ``larcal-rq`` version 1), readable from any HDF5 tool::

    /            attrs: format="larcal-rq", format_version=1, pe_units ("PE" or "ADC*ns"),
                        metadata_json (input path and SHA-256, gains, software version,
                        reduction parameters, run metadata)
    /rq/<column> one 1-D dataset per column, all the same length

From your own code::

    import h5py
    with h5py.File("run_rq.h5") as f:
        total = f["rq/total_pe"][:]
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np
from numpy.typing import NDArray

from analysis_core.atomic import atomic_path
from analysis_core.errors import RQFormatError

__all__ = ["RQ_COLUMNS", "RQ_FORMAT", "RQTable", "read_rq", "write_rq"]

RQ_FORMAT = "larcal-rq"
RQ_FORMAT_VERSION = 1

#: Column name -> (dtype, unit, meaning). Names are a stable contract.
RQ_COLUMNS: dict[str, tuple[str, str, str]] = {
    "event": ("i8", "-", "index of the event in its raw file"),
    "time_s": ("f8", "s", "event time (from event_time_s)"),
    "baseline_adc_top": ("f4", "ADC", "pre-trigger baseline mean, top PMT"),
    "baseline_adc_bottom": ("f4", "ADC", "pre-trigger baseline mean, bottom PMT"),
    "baseline_rms_adc_top": ("f4", "ADC", "pre-trigger baseline rms, top PMT"),
    "baseline_rms_adc_bottom": ("f4", "ADC", "pre-trigger baseline rms, bottom PMT"),
    "saturated": ("?", "bool", "any sample at the ADC limits"),
    "t0_ns": ("f4", "ns", "pulse onset relative to the trigger"),
    "i35_pe": ("f4", "PE", "integral from t0 over 35 ns, both PMTs"),
    "i55_pe": ("f4", "PE", "integral from t0 over 55 ns, both PMTs"),
    "i90_pe": ("f4", "PE", "integral from t0 over 90 ns, both PMTs"),
    "i240_pe": ("f4", "PE", "integral from t0 over 240 ns, both PMTs"),
    "total_pe": ("f4", "PE", "integral from t0 over 6 us, both PMTs (the paper's I)"),
    "total_pe_top": ("f4", "PE", "integral from t0 over 6 us, top PMT"),
    "total_pe_bottom": ("f4", "PE", "integral from t0 over 6 us, bottom PMT"),
    "f90": ("f4", "-", "i90_pe / total_pe"),
    "ftop": ("f4", "-", "total_pe_top / total_pe"),
    "peak_amp_adc": ("f4", "ADC", "largest amplitude of the summed baseline-subtracted waveform"),
    "peak_time_ns": ("f4", "ns", "time of peak_amp_adc relative to t0"),
    "delayed_amp_adc": ("f4", "ADC", "largest amplitude later than t0 + 152 ns"),
    "delayed_time_ns": ("f4", "ns", "time of delayed_amp_adc relative to t0"),
}


@dataclass(frozen=True)
class RQTable:
    """A table of reduced quantities, one row per event.

    Attributes
    ----------
    columns : dict of str to ndarray
        Column arrays, all of the same length.
    metadata : dict
        JSON-serialisable metadata (input file, gains, parameters, run metadata, ``pe_units``).
    """

    columns: dict[str, NDArray[Any]]
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        lengths = {k: len(v) for k, v in self.columns.items()}
        if len(set(lengths.values())) > 1:
            raise ValueError(f"RQ columns differ in length: {lengths}")

    def __getitem__(self, name: str) -> NDArray[Any]:
        try:
            return self.columns[name]
        except KeyError:
            raise KeyError(f"no RQ column {name!r}; columns are {sorted(self.columns)}") from None

    def __contains__(self, name: object) -> bool:
        return name in self.columns

    def __iter__(self) -> Iterator[str]:
        return iter(self.columns)

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    @property
    def pe_units(self) -> str:
        """``"PE"`` when SPE gains were applied, else ``"ADC*ns"``."""
        return str(self.metadata.get("pe_units", "PE"))

    @property
    def livetime_s(self) -> float:
        """Live time of the source run, from the metadata (NaN when unknown)."""
        return float(self.metadata.get("run", {}).get("livetime_s", float("nan")))

    @property
    def run_type(self) -> str:
        """Run type of the source run (``"unknown"`` when not recorded)."""
        return str(self.metadata.get("run", {}).get("run_type", "unknown"))

    def select(self, mask: NDArray[np.bool_]) -> RQTable:
        """Return a new table with the rows where ``mask`` is True."""
        return RQTable({k: v[mask] for k, v in self.columns.items()}, dict(self.metadata))


def write_rq(path: str | os.PathLike[str], table: RQTable) -> Path:
    """Write ``table`` to ``path`` atomically and return the path.

    Parameters
    ----------
    path : str or PathLike
        Output file; replaced only once the new file is complete.
    table : RQTable
        The table; its metadata must be JSON-serialisable.
    """
    path = Path(path)
    meta_json = json.dumps(table.metadata, sort_keys=True, default=_json_default)
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        f.attrs["format"] = RQ_FORMAT
        f.attrs["format_version"] = RQ_FORMAT_VERSION
        f.attrs["pe_units"] = table.pe_units
        f.attrs["metadata_json"] = meta_json
        grp = f.create_group("rq")
        for name, values in table.columns.items():
            ds = grp.create_dataset(
                name, data=values, compression="gzip", compression_opts=1, shuffle=True
            )
            unit = RQ_COLUMNS.get(name, (None, "", ""))[1]
            if unit == "PE" and table.pe_units != "PE":
                unit = table.pe_units
            ds.attrs["unit"] = unit
    return path


def read_rq(path: str | os.PathLike[str], columns: Mapping[str, Any] | None = None) -> RQTable:
    """Read an RQ file.

    Parameters
    ----------
    path : str or PathLike
        File written by ``write_rq`` (or any HDF5 file with the same layout).
    columns : iterable of str, optional
        Read only these columns.

    Raises
    ------
    RQFormatError
        If the file is missing, unreadable or not an RQ file.
    """
    path = Path(path)
    if not path.exists():
        raise RQFormatError(path, "file does not exist")
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise RQFormatError(path, f"not a readable HDF5 file: {exc}") from exc
    with f:
        fmt = f.attrs.get("format")
        fmt = fmt.decode() if isinstance(fmt, bytes) else fmt
        if fmt != RQ_FORMAT:
            raise RQFormatError(path, f"format attribute is {fmt!r}, expected {RQ_FORMAT!r}")
        if "rq" not in f:
            raise RQFormatError(path, "missing group /rq")
        names = list(columns) if columns is not None else list(f["rq"].keys())
        missing = [n for n in names if n not in f["rq"]]
        if missing:
            raise RQFormatError(path, f"missing RQ columns {missing}")
        try:
            data = {n: f["rq"][n][...] for n in names}
            meta = json.loads(f.attrs.get("metadata_json", "{}"))
        except (OSError, ValueError) as exc:
            raise RQFormatError(path, f"cannot read RQ data: {exc}") from exc
    meta.setdefault("pe_units", "PE")
    meta["rq_path"] = str(path)
    try:
        return RQTable(data, meta)
    except ValueError as exc:
        raise RQFormatError(path, str(exc)) from exc


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")
