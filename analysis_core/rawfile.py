"""Reader and writer of ``larcal-raw`` format version 1 waveform files (HDF5).

What to use when
----------------
- ``RawFile(path)``: open a run lazily. Metadata is read at once; waveforms are read a chunk at a
  time with ``read(start, stop)``, ``waveform(i)`` (cached by chunk, so stepping through events
  costs at most one chunk read) or ``iter_chunks()``. The whole run is never loaded.
- ``RawWriter`` (``analysis_core.rawwriter``): write a run chunk by chunk, atomically.
- ``RawMetadata``: the root attributes of the contract, as a frozen dataclass.

The contract is ``spec/interfaces.md`` section 1. Any violation raises ``RawFormatError`` whose
message names the file and the fault. Compressed datasets (gzip, LZ4, Blosc via ``hdf5plugin``)
are read transparently.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import h5py
import hdf5plugin  # noqa: F401  (registers the LZ4/Blosc/Zstd filters with HDF5)
import numpy as np
from numpy.typing import NDArray

from analysis_core.errors import RawFormatError

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "RUN_TYPES",
    "RawFile",
    "RawMetadata",
]

FORMAT_NAME = "larcal-raw"
FORMAT_VERSION = 1
RUN_TYPES = ("kr83m", "background", "ar39", "co57", "am241", "led", "unknown")
_REQUIRED_ATTRS: dict[str, tuple[type, ...]] = {
    "format": (str,),
    "format_version": (int, np.integer),
    "run_id": (str,),
    "run_type": (str,),
    "start_time_utc": (str,),
    "sample_period_ns": (float, int, np.floating, np.integer),
    "trigger_index": (int, np.integer),
    "adc_bits": (int, np.integer),
    "polarity": (int, np.integer),
}


@dataclass(frozen=True, slots=True)
class RawMetadata:
    """Root attributes of a ``larcal-raw`` file.

    Attributes
    ----------
    run_id : str
        Free text identifying the run.
    run_type : str
        One of ``RUN_TYPES``.
    start_time_utc : str
        ISO 8601 start time of the run.
    sample_period_ns : float
        Digitizer sample period (4.0 for CENNS-10).
    trigger_index : int
        Sample index of the trigger (375 = 1.5 us at 4 ns).
    adc_bits : int
        ADC resolution in bits (12).
    polarity : int
        -1 for negative-going pulses, +1 for positive.
    livetime_s : float or None
        Live time if stored; else it is derived from the event times.
    extra : dict
        Further root attributes (extensions), kept verbatim.
    """

    run_id: str = ""
    run_type: str = "unknown"
    start_time_utc: str = "1970-01-01T00:00:00+00:00"
    sample_period_ns: float = 4.0
    trigger_index: int = 375
    adc_bits: int = 12
    polarity: int = -1
    livetime_s: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def start_datetime(self) -> datetime:
        """Start time as an aware ``datetime`` (UTC assumed when no offset is given)."""
        dt = datetime.fromisoformat(self.start_time_utc.replace("Z", "+00:00"))
        return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)

    def to_attrs(self) -> dict[str, Any]:
        """Return the HDF5 root attributes, contract names first."""
        attrs: dict[str, Any] = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION}
        d = asdict(self)
        extra = d.pop("extra")
        if d["livetime_s"] is None:
            d.pop("livetime_s")
        attrs.update(d)
        attrs.update(extra)
        return attrs


def _fail(path: str | os.PathLike[str], fault: str) -> RawFormatError:
    return RawFormatError(path, fault)


class RawFile:
    """A ``larcal-raw`` v1 file opened for lazy, chunked reading.

    Parameters
    ----------
    path : str or PathLike
        File to open.
    cache_chunks : int, optional
        How many event chunks ``waveform(i)`` keeps in memory (default 2).

    Raises
    ------
    RawFormatError
        If the file is missing, unreadable, truncated or breaks the format contract.

    Notes
    -----
    The object holds the HDF5 file open; use it as a context manager or call ``close()``.
    h5py objects are not safe to share between threads: open one ``RawFile`` per thread.
    """

    def __init__(self, path: str | os.PathLike[str], *, cache_chunks: int = 2) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise _fail(self.path, "file does not exist")
        try:
            self._h5 = h5py.File(self.path, "r")
        except OSError as exc:
            raise _fail(
                self.path, f"not a readable HDF5 file (truncated or corrupt?): {exc}"
            ) from exc
        try:
            self._validate()
        except RawFormatError:
            self._h5.close()
            raise
        self._cache: dict[int, NDArray[np.integer]] = {}
        self._cache_order: list[int] = []
        self._cache_size = max(1, int(cache_chunks))

    # ---------------------------------------------------------------- validation
    def _validate(self) -> None:
        attrs = self._h5.attrs
        fmt = attrs.get("format")
        if fmt is None:
            raise _fail(self.path, "missing root attribute 'format' (not a larcal-raw file)")
        fmt = fmt.decode() if isinstance(fmt, bytes) else str(fmt)
        if fmt != FORMAT_NAME:
            raise _fail(self.path, f"unknown format {fmt!r}, expected {FORMAT_NAME!r}")
        for name, types in _REQUIRED_ATTRS.items():
            if name not in attrs:
                raise _fail(self.path, f"missing root attribute {name!r}")
            value = attrs[name]
            if isinstance(value, bytes):
                value = value.decode()
            if isinstance(value, np.ndarray) or not isinstance(value, types):
                raise _fail(
                    self.path, f"root attribute {name!r} has invalid type {type(value).__name__}"
                )
        version = int(attrs["format_version"])
        if version != FORMAT_VERSION:
            raise _fail(self.path, f"unsupported format_version {version} (this reader knows 1)")
        meta = self._read_metadata()
        if meta.run_type not in RUN_TYPES:
            raise _fail(
                self.path, f"unknown run_type {meta.run_type!r}; expected one of {RUN_TYPES}"
            )
        if meta.polarity not in (-1, 1):
            raise _fail(self.path, f"polarity must be -1 or +1, got {meta.polarity}")
        if not meta.sample_period_ns > 0:
            raise _fail(
                self.path, f"sample_period_ns must be positive, got {meta.sample_period_ns}"
            )
        if not 1 <= meta.adc_bits <= 16:
            raise _fail(self.path, f"adc_bits must be in 1..16, got {meta.adc_bits}")
        try:
            meta.start_datetime  # noqa: B018  (validates the ISO string)
        except ValueError:
            raise _fail(
                self.path, f"start_time_utc {meta.start_time_utc!r} is not ISO 8601"
            ) from None

        wf = self._h5.get("waveforms")
        if wf is None:
            raise _fail(self.path, "missing dataset /waveforms")
        if not isinstance(wf, h5py.Dataset):
            raise _fail(self.path, "/waveforms is not a dataset")
        if wf.ndim != 3:
            raise _fail(
                self.path,
                f"dataset /waveforms has rank {wf.ndim}, expected 3 [event, channel, sample]",
            )
        if wf.dtype not in (np.dtype("int16"), np.dtype("uint16")):
            raise _fail(
                self.path, f"dataset /waveforms has dtype {wf.dtype}, expected int16 or uint16"
            )
        n_events, n_channels, n_samples = wf.shape
        if not 0 <= meta.trigger_index < max(n_samples, 1):
            raise _fail(self.path, f"trigger_index {meta.trigger_index} outside 0..{n_samples - 1}")
        names = wf.attrs.get("channel_names")
        if names is None:
            raise _fail(self.path, "dataset /waveforms lacks attribute 'channel_names'")
        names = [n.decode() if isinstance(n, bytes) else str(n) for n in np.atleast_1d(names)]
        if len(names) != n_channels:
            raise _fail(self.path, f"{len(names)} channel_names for {n_channels} channels")
        et = self._h5.get("event_time_s")
        if et is None or not isinstance(et, h5py.Dataset):
            raise _fail(self.path, "missing dataset /event_time_s")
        if et.ndim != 1 or et.shape[0] != n_events:
            raise _fail(self.path, f"/event_time_s has shape {et.shape}, expected ({n_events},)")
        if et.dtype.kind != "f":
            raise _fail(self.path, f"/event_time_s has dtype {et.dtype}, expected float64")
        self.metadata = meta
        self.channel_names: tuple[str, ...] = tuple(names)
        self._wf = wf
        chunks = wf.chunks
        self.chunk_events: int = int(chunks[0]) if chunks else max(1, min(n_events, 1024))

    def _read_metadata(self) -> RawMetadata:
        attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in self._h5.attrs.items()}
        known = {f for f in RawMetadata.__dataclass_fields__ if f != "extra"}
        extra = {
            k: v
            for k, v in attrs.items()
            if k not in known and k not in ("format", "format_version")
        }
        live = attrs.get("livetime_s")
        return RawMetadata(
            run_id=str(attrs["run_id"]),
            run_type=str(attrs["run_type"]),
            start_time_utc=str(attrs["start_time_utc"]),
            sample_period_ns=float(attrs["sample_period_ns"]),
            trigger_index=int(attrs["trigger_index"]),
            adc_bits=int(attrs["adc_bits"]),
            polarity=int(attrs["polarity"]),
            livetime_s=None if live is None else float(live),
            extra=extra,
        )

    # ---------------------------------------------------------------- properties
    @property
    def shape(self) -> tuple[int, int, int]:
        """``(n_events, n_channels, n_samples)``."""
        return tuple(int(s) for s in self._wf.shape)  # type: ignore[return-value]

    @property
    def n_events(self) -> int:
        """Number of events in the run."""
        return self.shape[0]

    @property
    def n_channels(self) -> int:
        """Number of channels (2 for CENNS-10: top, bottom)."""
        return self.shape[1]

    @property
    def n_samples(self) -> int:
        """Samples per channel and event (1875 for CENNS-10)."""
        return self.shape[2]

    @property
    def dtype(self) -> np.dtype[Any]:
        """Sample dtype on disk (int16 or uint16)."""
        return self._wf.dtype

    @property
    def compression(self) -> str | None:
        """Name of the HDF5 filter on /waveforms, or None when uncompressed."""
        if self._wf.compression:
            return str(self._wf.compression)
        filters = self._wf._filters  # noqa: SLF001  (plugin filters are not named by h5py)
        return ",".join(str(k) for k in filters) or None

    def event_time_s(self) -> NDArray[np.float64]:
        """Trigger times in seconds since ``start_time_utc`` (8 bytes per event, read whole)."""
        return np.asarray(self._h5["event_time_s"][...], dtype=np.float64)

    @property
    def livetime_s(self) -> float:
        """Live time: the stored attribute, else derived from the event times.

        The derivation is the span of event times scaled by ``n / (n - 1)`` (the span misses
        on average one inter-event interval); 0 for fewer than two events.
        """
        if self.metadata.livetime_s is not None:
            return self.metadata.livetime_s
        t = self.event_time_s()
        if t.size < 2:
            return 0.0
        return float((t[-1] - t[0]) * t.size / (t.size - 1))

    @property
    def has_truth(self) -> bool:
        """True when the file carries simulated ``/truth``."""
        return "truth" in self._h5

    def truth(self) -> dict[str, NDArray[Any]]:
        """Return the simulated per-event truth (for validation only, never for analysis)."""
        if not self.has_truth:
            raise _fail(self.path, "no /truth group (not a simulated file)")
        grp = self._h5["truth"]
        return {k: np.asarray(v[...]) for k, v in grp.items() if isinstance(v, h5py.Dataset)}

    def truth_attrs(self) -> dict[str, Any]:
        """Return the attributes of ``/truth`` (simulation parameters)."""
        if not self.has_truth:
            return {}
        return {
            k: (v.decode() if isinstance(v, bytes) else v)
            for k, v in self._h5["truth"].attrs.items()
        }

    # ---------------------------------------------------------------- reading
    def read(self, start: int, stop: int) -> NDArray[np.integer]:
        """Read events ``start:stop`` as ``[n, channel, sample]`` in the on-disk dtype.

        Raises
        ------
        RawFormatError
            If the underlying HDF5 data cannot be read (truncated file, missing filter).
        IndexError
            If the range is outside ``0..n_events``.
        """
        n = self.n_events
        if not 0 <= start <= stop <= n:
            raise IndexError(f"event range {start}:{stop} outside 0:{n}")
        try:
            return self._wf[start:stop]
        except (OSError, ValueError) as exc:
            raise _fail(
                self.path, f"cannot read events {start}:{stop} of /waveforms: {exc}"
            ) from exc

    def waveform(self, index: int) -> NDArray[np.integer]:
        """Return event ``index`` as ``[channel, sample]``, reading its whole chunk once."""
        n = self.n_events
        if index < 0:
            index += n
        if not 0 <= index < n:
            raise IndexError(f"event {index} outside 0..{n - 1}")
        c = index // self.chunk_events
        block = self._cache.get(c)
        if block is None:
            start = c * self.chunk_events
            block = self.read(start, min(start + self.chunk_events, n))
            self._cache[c] = block
            self._cache_order.append(c)
            if len(self._cache_order) > self._cache_size:
                self._cache.pop(self._cache_order.pop(0), None)
        return block[index - c * self.chunk_events]

    def iter_chunks(
        self, chunk_events: int | None = None
    ) -> Iterator[tuple[int, NDArray[np.integer]]]:
        """Yield ``(start, block)`` over the run in event blocks aligned with HDF5 chunks.

        Parameters
        ----------
        chunk_events : int, optional
            Events per block; rounded up to a multiple of the file's chunk length.
        """
        step = self.chunk_events
        if chunk_events is not None and chunk_events > step:
            step = -(-chunk_events // self.chunk_events) * self.chunk_events
        for start in range(0, self.n_events, step):
            yield start, self.read(start, min(start + step, self.n_events))

    # ---------------------------------------------------------------- lifecycle
    def close(self) -> None:
        """Close the HDF5 file (idempotent)."""
        self._cache.clear()
        with contextlib.suppress(Exception):
            self._h5.close()

    def __enter__(self) -> RawFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        m = self.metadata
        return f"RawFile({str(self.path)!r}, run_type={m.run_type!r}, shape={self.shape})"
