"""Streaming reduction of a raw file: bounded memory, all cores, progress and cancel.

What to use when
----------------
- ``reduce_raw(raw)``: reduce a whole run to an in-memory ``RQTable`` (columns + metadata).
- ``reduce_file(raw_path, rq_path)``: the same, then write the RQ file atomically (nothing is
  left at ``rq_path`` when the run fails or is cancelled).

The run is read chunk by chunk (``chunk_events`` events, about 16 MB by default) and reduced
by the numba kernel (all cores; it releases the GIL). SHA-256 of the input file, for the
metadata, runs in its own thread at the same time; being serial it is the critical path on
small machines, so while it runs it keeps a core to itself and the others read and reduce
(with a reader thread prefetching chunk k+1 during the kernel on chunk k when two or more
cores are left). Hot in the page cache on 2 cores, a run is then limited by SHA-256
(~1.4 GB/s); ``hash_input=False`` roughly doubles the speed. Memory stays at a few chunks plus
the output columns (about 90 bytes per event).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numba
import numpy as np
from numpy.typing import NDArray

from analysis_core import __version__
from analysis_core.errors import RawFormatError, RQFormatError
from analysis_core.progress import CancelToken, ProgressFn, check_cancel
from analysis_core.rawfile import RawFile
from analysis_core.reduction.block import (
    assemble_columns,
    channel_indices,
    inverse_gains,
)
from analysis_core.reduction.config import ReductionConfig, SampleWindows
from analysis_core.reduction.kernels import SCALAR_INDEX, run_kernel
from analysis_core.rqfile import RQ_COLUMNS, RQTable, write_rq

__all__ = ["DEFAULT_CHUNK_BYTES", "file_sha256", "reduce_file", "reduce_raw"]

#: Default size of one streamed chunk of waveforms (rounded to whole HDF5 chunks).
DEFAULT_CHUNK_BYTES = 16 * 2**20
_HASH_BLOCK = 2**20


def file_sha256(path: str | os.PathLike[str], stop: threading.Event | None = None) -> str | None:
    """Return the hex SHA-256 of a file, read in 1 MB blocks (None if ``stop`` was set)."""
    h = hashlib.sha256()
    buf = memoryview(bytearray(_HASH_BLOCK))
    with open(path, "rb", buffering=0) as f:
        while size := f.readinto(buf):
            if stop is not None and stop.is_set():
                return None
            h.update(buf[:size])  # releases the GIL for large blocks
    return h.hexdigest()


class _Hasher:
    """SHA-256 of a file computed in a background thread."""

    def __init__(self, path: Path) -> None:
        self._stop = threading.Event()
        self._result: str | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(path,), daemon=True)
        self._thread.start()

    def _run(self, path: Path) -> None:
        try:
            self._result = file_sha256(path, self._stop)
        except BaseException as exc:  # noqa: BLE001  (re-raised in result())
            self._error = exc

    def result(self) -> str:
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._result is not None
        return self._result

    def cancel(self) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()


def _plain(value: Any) -> Any:
    """Convert numpy scalars/arrays (e.g. from HDF5 attributes) to plain JSON values."""
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


class _Plan:
    """Everything the reduction of one file needs besides the waveforms."""

    def __init__(self, raw: RawFile, config: ReductionConfig) -> None:
        meta = raw.metadata
        n_ch = raw.n_channels
        try:
            self.top_bottom = channel_indices(raw.channel_names, n_ch)
            self.windows = SampleWindows.resolve(
                config, meta.sample_period_ns, meta.trigger_index, raw.n_samples
            )
        except ValueError as exc:
            raise RawFormatError(raw.path, str(exc)) from None
        self.inv_gain = inverse_gains(config, n_ch)
        self.config = config
        self.polarity = meta.polarity
        self.adc_bits = meta.adc_bits

    def reduce(
        self,
        block: NDArray[np.integer],
        first: int,
        times: NDArray[np.float64],
        n_threads: int | None = None,
    ) -> dict[str, NDArray[Any]]:
        cfg = self.config
        res = run_kernel(
            block,
            self.windows,
            polarity=self.polarity,
            adc_bits=self.adc_bits,
            inv_gain=self.inv_gain,
            capacitive_tau_ns=cfg.capacitive_tau_ns,
            onset=(
                cfg.onset_threshold_rms,
                cfg.onset_threshold_min_adc,
                cfg.onset_low_fraction,
                cfg.onset_low_rms,
            ),
            n_threads=n_threads,
        )
        return assemble_columns(
            block.shape[0],
            baseline=res["baseline"],
            rms=res["rms"],
            saturated=res["saturated"],
            channel_total=res["channel_total"],
            scalars={k: res["scalars"][j] for k, j in SCALAR_INDEX.items()},
            top_bottom=self.top_bottom,
            first_event=first,
            event_time_s=times,
        )


def _chunk_length(raw: RawFile, chunk_events: int | None) -> int:
    per_event = max(1, raw.n_channels * raw.n_samples * raw.dtype.itemsize)
    want = chunk_events if chunk_events is not None else DEFAULT_CHUNK_BYTES // per_event
    step = raw.chunk_events  # whole HDF5 chunks: a partial one would be decompressed twice
    return max(1, -(-max(1, int(want)) // step)) * step


def _metadata(
    raw: RawFile, config: ReductionConfig, plan: _Plan, sha256: str | None
) -> dict[str, Any]:
    meta = raw.metadata
    names = list(raw.channel_names)
    gains = config.spe_gain_adc_ns
    run = {
        "run_id": meta.run_id,
        "run_type": meta.run_type,
        "start_time_utc": meta.start_time_utc,
        "livetime_s": raw.livetime_s,
        "sample_period_ns": meta.sample_period_ns,
        "trigger_index": meta.trigger_index,
        "adc_bits": meta.adc_bits,
        "polarity": meta.polarity,
        "n_events": raw.n_events,
        "n_samples": raw.n_samples,
        "channel_names": names,
    }
    for k, v in meta.extra.items():
        run.setdefault(str(k), _plain(v))
    return {
        "pe_units": config.pe_units,
        "spe_gain_adc_ns": None if gains is None else dict(zip(names, gains, strict=True)),
        "reduction": config.to_dict(),
        "windows_samples": plan.windows.to_dict(),
        "software_version": __version__,
        "input_path": str(raw.path.resolve()),
        "input_sha256": sha256,
        "input_size_bytes": raw.path.stat().st_size,
        "reduced_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "run": run,
    }


def _stream(
    rf: RawFile,
    plan: _Plan,
    step: int,
    times: NDArray[np.float64],
    columns: dict[str, NDArray[Any]],
    hasher: _Hasher | None,
    progress: ProgressFn | None,
    cancel: CancelToken | None,
) -> None:
    """Read, reduce and store the run chunk by chunk into the preallocated ``columns``.

    CPU plan: SHA-256 is serial, so while it runs it is the critical path and keeps a core to
    itself; the other cores read and reduce. A reader thread prefetches chunk k+1 during the
    kernel on chunk k whenever at least two cores are left for that; with only one (2-core
    machine while hashing) read and kernel alternate on it.
    """
    n = rf.n_events
    cores = numba.get_num_threads()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="larcal-read") as pool:
        pending: Future[NDArray[np.integer]] | None = None
        try:
            for start in range(0, n, step):
                stop = min(start + step, n)
                block = pending.result() if pending is not None else rf.read(start, stop)
                pending = None
                check_cancel(cancel)
                spare = cores - (1 if hasher is not None and hasher.running else 0)
                if stop < n and spare >= 2:
                    pending = pool.submit(rf.read, stop, min(stop + step, n))
                part = plan.reduce(block, start, times[start:stop], max(1, spare))
                for name, values in part.items():
                    columns[name][start:stop] = values
                del block, part
                if progress is not None:
                    progress(stop, n)
        finally:
            if pending is not None:
                pending.cancel()
                # wait for a running read so that the file is not closed under it
                with contextlib.suppress(BaseException):
                    pending.result()


def reduce_raw(
    raw: RawFile | str | os.PathLike[str],
    config: ReductionConfig | None = None,
    *,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
    chunk_events: int | None = None,
    hash_input: bool = True,
) -> RQTable:
    """Reduce a whole raw file to an in-memory RQ table, streaming chunk by chunk.

    Parameters
    ----------
    raw : RawFile or path
        The run. A ``RawFile`` is read from a worker thread and left open; a path is opened
        and closed here.
    config : ReductionConfig, optional
        Reduction parameters (default ``ReductionConfig()``); SPE gains in the file's channel
        order.
    progress : callable, optional
        ``progress(events_done, n_events)``, called at the start and after every chunk.
    cancel : CancelToken, optional
        Checked between chunks; when set, ``Cancelled`` is raised.
    chunk_events : int, optional
        Events per chunk (default: about 16 MB); rounded up to whole HDF5 chunks.
    hash_input : bool
        Compute the SHA-256 of the raw file for the metadata (default True; ~1.4 GB/s on
        one core with SHA extensions, overlapped with the reduction). False leaves
        ``input_sha256`` None.

    Returns
    -------
    RQTable
        All ``RQ_COLUMNS`` plus metadata (``pe_units``, gains, parameters, software version,
        input path and SHA-256, run metadata under ``"run"``).

    Raises
    ------
    RawFormatError
        If the file breaks the raw format or cannot be reduced with these parameters.
    CalibrationError
        If the number of SPE gains does not match the file's channels.
    Cancelled
        If ``cancel`` was set.
    """
    config = config or ReductionConfig()
    own = not isinstance(raw, RawFile)
    rf = RawFile(raw) if own else raw
    hasher: _Hasher | None = None
    try:
        plan = _Plan(rf, config)
        n = rf.n_events
        times = rf.event_time_s()
        columns = {k: np.empty(n, dtype=dt) for k, (dt, _, _) in RQ_COLUMNS.items()}
        step = _chunk_length(rf, chunk_events)
        if hash_input:
            hasher = _Hasher(rf.path)
        if progress is not None:
            progress(0, n)
        _stream(rf, plan, step, times, columns, hasher, progress, cancel)
        sha = hasher.result() if hasher is not None else None
        hasher = None
        return RQTable(columns, _metadata(rf, config, plan, sha))
    except BaseException:
        if hasher is not None:
            hasher.cancel()
        raise
    finally:
        if own:
            rf.close()


def reduce_file(
    raw_path: str | os.PathLike[str],
    rq_path: str | os.PathLike[str],
    config: ReductionConfig | None = None,
    *,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
    chunk_events: int | None = None,
) -> RQTable:
    """Reduce ``raw_path`` and write the RQ file ``rq_path`` atomically.

    Same parameters as ``reduce_raw``. The output appears only when complete: a failed or
    cancelled run leaves neither ``rq_path`` nor a temporary file.

    Raises
    ------
    RQFormatError
        If ``rq_path`` is the raw file itself or its directory does not exist.
    """
    raw_path, rq_path = Path(raw_path), Path(rq_path)
    if rq_path.exists() and raw_path.exists() and rq_path.resolve() == raw_path.resolve():
        raise RQFormatError(rq_path, "output would overwrite the input raw file")
    parent = rq_path.parent if str(rq_path.parent) else Path(".")
    if not parent.is_dir():
        raise RQFormatError(rq_path, f"output directory {parent} does not exist")
    table = reduce_raw(
        raw_path, config, progress=progress, cancel=cancel, chunk_events=chunk_events
    )
    write_rq(rq_path, table)
    return RQTable(table.columns, {**table.metadata, "rq_path": str(rq_path)})
