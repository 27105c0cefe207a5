"""Writer of ``larcal-raw`` format version 1 waveform files (HDF5), atomically.

What to use when
----------------
- ``RawWriter(path, metadata, n_samples, channel_names, ...)``: write a run chunk by chunk
  (``append``), then its ``/truth`` (``write_truth``); the file appears under its final name only
  when ``close()`` succeeds (atomic rename), so a failed or aborted writer leaves nothing.
  Reading is ``RawFile``'s job (``analysis_core.rawfile``).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import h5py
import hdf5plugin
import numpy as np
from numpy.typing import NDArray

from analysis_core.rawfile import RUN_TYPES, RawMetadata

__all__ = ["RawWriter"]


_COMPRESSION = {
    None: {},
    "none": {},
    "gzip": {"compression": "gzip", "compression_opts": 4, "shuffle": True},
    "lz4": dict(hdf5plugin.LZ4()),
    "blosc-lz4": dict(hdf5plugin.Blosc(cname="lz4", clevel=5, shuffle=hdf5plugin.Blosc.SHUFFLE)),
    "blosc-zstd": dict(hdf5plugin.Blosc(cname="zstd", clevel=3, shuffle=hdf5plugin.Blosc.SHUFFLE)),
}


class RawWriter:
    """Write a ``larcal-raw`` v1 file chunk by chunk, atomically.

    Parameters
    ----------
    path : str or PathLike
        Final file name; the data go to a temporary file beside it until ``close()``.
    metadata : RawMetadata
        Root attributes.
    n_samples : int
        Samples per channel.
    channel_names : sequence of str
        Channel names, e.g. ``("top", "bottom")``.
    dtype : {"int16", "uint16"}
        Sample dtype on disk.
    compression : {None, "gzip", "lz4", "blosc-lz4", "blosc-zstd"}
        HDF5 filter for /waveforms.
    chunk_events : int
        Events per HDF5 chunk (also the unit of lazy reads).

    Examples
    --------
    >>> with RawWriter("run.h5", RawMetadata(run_type="led"), 1875, ("top", "bottom")) as w:
    ...     w.append(block, times)          # doctest: +SKIP
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        metadata: RawMetadata,
        n_samples: int,
        channel_names: tuple[str, ...] | list[str] = ("top", "bottom"),
        *,
        dtype: str = "int16",
        compression: str | None = None,
        chunk_events: int = 256,
    ) -> None:
        if metadata.run_type not in RUN_TYPES:
            raise ValueError(f"run_type {metadata.run_type!r} not in {RUN_TYPES}")
        if compression not in _COMPRESSION:
            raise ValueError(f"compression {compression!r} not in {sorted(map(str, _COMPRESSION))}")
        self.path = Path(path)
        self.metadata = metadata
        fd, tmp = tempfile.mkstemp(
            prefix=f".{self.path.name}.", suffix=".part", dir=self.path.parent
        )
        os.close(fd)
        self._tmp = Path(tmp)
        self._tmp.unlink()  # let HDF5 create it with the usual permissions (mkstemp gives 0600)
        self._h5 = h5py.File(self._tmp, "w-")
        self._n = 0
        self._closed = False
        try:
            for k, v in metadata.to_attrs().items():
                self._h5.attrs[k] = v
            n_ch = len(channel_names)
            self._wf = self._h5.create_dataset(
                "waveforms",
                shape=(0, n_ch, n_samples),
                maxshape=(None, n_ch, n_samples),
                dtype=dtype,
                chunks=(chunk_events, n_ch, n_samples),
                **_COMPRESSION[compression],
            )
            self._wf.attrs["channel_names"] = np.array(
                list(channel_names), dtype=h5py.string_dtype()
            )
            self._et = self._h5.create_dataset(
                "event_time_s",
                shape=(0,),
                maxshape=(None,),
                dtype="f8",
                chunks=(max(chunk_events, 4096),),
            )
        except Exception:
            self.abort()
            raise

    @property
    def n_events(self) -> int:
        """Events written so far."""
        return self._n

    def append(self, waveforms: NDArray[np.integer], event_time_s: NDArray[np.floating]) -> None:
        """Append a block ``[n, channel, sample]`` with its trigger times."""
        waveforms = np.asarray(waveforms)
        times = np.asarray(event_time_s, dtype=np.float64)
        if waveforms.ndim != 3 or waveforms.shape[1:] != self._wf.shape[1:]:
            raise ValueError(f"block shape {waveforms.shape} does not match {self._wf.shape[1:]}")
        if times.shape != (waveforms.shape[0],):
            raise ValueError("event_time_s must have one entry per event")
        n0, n1 = self._n, self._n + waveforms.shape[0]
        self._wf.resize(n1, axis=0)
        self._wf[n0:n1] = waveforms
        self._et.resize(n1, axis=0)
        self._et[n0:n1] = times
        self._n = n1

    def write_truth(
        self, columns: Mapping[str, NDArray[Any]], attrs: Mapping[str, Any] | None = None
    ) -> None:
        """Write or extend per-event truth columns under ``/truth`` (simulated files only)."""
        grp = self._h5.require_group("truth")
        for name, values in columns.items():
            values = np.asarray(values)
            if name in grp:
                ds = grp[name]
                n0 = ds.shape[0]
                ds.resize(n0 + values.shape[0], axis=0)
                ds[n0:] = values
            else:
                grp.create_dataset(
                    name, data=values, maxshape=(None, *values.shape[1:]), chunks=True
                )
        for k, v in (attrs or {}).items():
            grp.attrs[k] = v

    def set_attrs(self, **attrs: Any) -> None:
        """Set or overwrite root attributes (e.g. ``livetime_s`` once known)."""
        for k, v in attrs.items():
            self._h5.attrs[k] = v

    def close(self) -> Path:
        """Finish the file and move it to its final name; return that path."""
        if self._closed:
            return self.path
        self._h5.close()
        os.replace(self._tmp, self.path)
        self._closed = True
        return self.path

    def abort(self) -> None:
        """Discard everything written; the final path is not touched."""
        if self._closed:
            return
        with contextlib.suppress(Exception):
            self._h5.close()
        with contextlib.suppress(FileNotFoundError):
            self._tmp.unlink()
        self._closed = True

    def __enter__(self) -> RawWriter:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
