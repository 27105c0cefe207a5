"""Reduce one in-memory block of events, and draw single events with the same math.

What to use when
----------------
- ``reduce_block(block, ...)``: waveforms already in memory ``[n, ch, s]`` -> dict of RQ
  columns (numba kernels, all cores). For files use ``reduce_raw``/``reduce_file``.
- ``waveform_traces(event, ...)``: the baseline-subtracted, positive-going (and optionally
  capacitive-corrected) float traces of one event, as the GUI waveform browser draws them.
- ``channel_indices(names)``: which channels feed the ``*_top``/``*_bottom`` columns.
- ``capacitive_correction`` / ``highpass``: the exact inverse of a single-pole AC coupling and
  the forward model it inverts (``spec/physics.md`` section 3).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from analysis_core.errors import CalibrationError
from analysis_core.reduction.config import ReductionConfig, SampleWindows
from analysis_core.reduction.kernels import SCALAR_INDEX, run_kernel
from analysis_core.rqfile import RQ_COLUMNS

__all__ = [
    "capacitive_correction",
    "channel_indices",
    "highpass",
    "inverse_gains",
    "reduce_block",
    "waveform_traces",
]

_WINDOW_COLUMNS = ("i35_pe", "i55_pe", "i90_pe", "i240_pe")


def channel_indices(
    channel_names: Sequence[str] | None, n_channels: int
) -> tuple[int | None, int | None]:
    """Return the indices of the ``top`` and ``bottom`` channels.

    Parameters
    ----------
    channel_names : sequence of str or None
        Channel names of the data (case-insensitive). None means the CENNS-10 default
        ``("top", "bottom")`` for 2-channel data.
    n_channels : int
        Number of channels of the data.

    Returns
    -------
    (int or None, int or None)
        Index of ``top`` and of ``bottom``; None where absent (their columns are NaN).

    Raises
    ------
    ValueError
        If 2-channel data lack a ``top`` or ``bottom`` channel, or names and channels differ
        in number.
    """
    if channel_names is None:
        if n_channels == 2:
            return 0, 1
        return None, None
    names = [str(n).strip().lower() for n in channel_names]
    if len(names) != n_channels:
        raise ValueError(f"{len(names)} channel names for {n_channels} channels")
    top = names.index("top") if "top" in names else None
    bottom = names.index("bottom") if "bottom" in names else None
    if n_channels == 2 and (top is None or bottom is None):
        raise ValueError(
            f"2-channel data must name its channels 'top' and 'bottom', got {list(channel_names)}"
        )
    return top, bottom


def inverse_gains(config: ReductionConfig, n_channels: int) -> NDArray[np.float64]:
    """Return 1 / SPE gain per channel (ones when the config has no gains).

    Raises
    ------
    CalibrationError
        If the number of gains differs from the number of channels.
    """
    if config.spe_gain_adc_ns is None:
        return np.ones(n_channels)
    gains = np.asarray(config.spe_gain_adc_ns, dtype=np.float64)
    if gains.shape != (n_channels,):
        raise CalibrationError(
            f"{gains.size} SPE gains given for {n_channels} channels (one per channel)"
        )
    return 1.0 / gains


def highpass(x: NDArray[Any], tau_ns: float, sample_period_ns: float) -> NDArray[np.float64]:
    """Apply a single-pole high-pass (AC coupling) along the last axis.

    ``y[n] = a (y[n-1] + x[n] - x[n-1])`` with ``a = tau / (tau + dt)``, starting from rest
    (``x[-1] = y[-1] = 0``). This is the forward model that ``capacitive_correction`` inverts.
    """
    x = np.asarray(x, dtype=np.float64)
    a = tau_ns / (tau_ns + sample_period_ns)
    y = np.empty_like(x)
    y_prev = np.zeros(x.shape[:-1])
    x_prev = np.zeros(x.shape[:-1])
    for n in range(x.shape[-1]):
        y_prev = a * (y_prev + x[..., n] - x_prev)
        x_prev = x[..., n]
        y[..., n] = y_prev
    return y


def capacitive_correction(
    y: NDArray[Any], tau_ns: float, sample_period_ns: float
) -> NDArray[np.float64]:
    """Undo a single-pole AC coupling along the last axis (exact discrete inverse).

    ``x[n] = x[n-1] + y[n] / a - y[n-1]`` with ``a = tau / (tau + dt)``, from rest; ``y``
    must be baseline-subtracted. Same recursion and operation order as the kernels.
    """
    y = np.asarray(y, dtype=np.float64)
    a = tau_ns / (tau_ns + sample_period_ns)
    x = np.empty_like(y)
    x_prev = np.zeros(y.shape[:-1])
    y_prev = np.zeros(y.shape[:-1])
    for n in range(y.shape[-1]):
        x_prev = x_prev + y[..., n] / a - y_prev
        y_prev = y[..., n]
        x[..., n] = x_prev
    return x


def waveform_traces(
    event_block: NDArray[np.integer],
    *,
    polarity: int,
    baseline_samples: tuple[int, int] | slice,
    capacitive_tau_ns: float | None = None,
    sample_period_ns: float = 4.0,
) -> NDArray[np.float64]:
    """Return the positive-going, baseline-subtracted float traces of one event.

    Parameters
    ----------
    event_block : ndarray, shape (ch, s)
        Raw samples of one event.
    polarity : {-1, +1}
        Pulse polarity of the raw data.
    baseline_samples : (start, stop) or slice
        Baseline window in samples (``SampleWindows.baseline_start/stop``).
    capacitive_tau_ns : float, optional
        Undo the AC coupling with this time constant.
    sample_period_ns : float
        Sample period (needed for the correction).

    Returns
    -------
    ndarray of float64, shape (ch, s)
        ``polarity * (raw - baseline mean)``, corrected if requested; sum over channels for
        the summed trace the RQs use.
    """
    raw = np.asarray(event_block)
    if raw.ndim != 2:
        raise ValueError(f"event_block must be [channel, sample], got shape {raw.shape}")
    sl = baseline_samples if isinstance(baseline_samples, slice) else slice(*baseline_samples)
    base = raw[:, sl].mean(axis=1)
    y = polarity * (raw - base[:, None])
    if capacitive_tau_ns is not None:
        y = capacitive_correction(y, capacitive_tau_ns, sample_period_ns)
    return y


def assemble_columns(
    n: int,
    *,
    baseline: NDArray[np.float64],
    rms: NDArray[np.float64],
    saturated: NDArray[np.bool_],
    channel_total: NDArray[np.float64],
    scalars: dict[str, NDArray[np.float64]],
    top_bottom: tuple[int | None, int | None],
    first_event: int,
    event_time_s: NDArray[np.floating] | None,
) -> dict[str, NDArray[Any]]:
    """Build the RQ columns (``RQ_COLUMNS`` order and dtypes) from per-event quantities.

    ``baseline``, ``rms`` and ``channel_total`` are channel-major ``[ch, n]``.
    """
    top, bottom = top_bottom
    nan = np.full(n, np.nan)

    def pick(arr: NDArray[np.float64], idx: int | None) -> NDArray[np.float64]:
        return arr[idx] if idx is not None else nan

    total = scalars["total"]
    with np.errstate(divide="ignore", invalid="ignore"):
        pos = total > 0
        f90 = np.where(pos, scalars["i90"] / total, np.nan)
        ftop = np.where(pos, pick(channel_total, top) / total, np.nan)
    times = nan if event_time_s is None else np.asarray(event_time_s, np.float64)
    if times.shape != (n,):
        raise ValueError(f"event_time_s has shape {times.shape}, expected ({n},)")
    values: dict[str, Any] = {
        "event": first_event + np.arange(n),
        "time_s": times,
        "baseline_adc_top": pick(baseline, top),
        "baseline_adc_bottom": pick(baseline, bottom),
        "baseline_rms_adc_top": pick(rms, top),
        "baseline_rms_adc_bottom": pick(rms, bottom),
        "saturated": saturated,
        "t0_ns": scalars["t0_ns"],
        "i35_pe": scalars["i35"],
        "i55_pe": scalars["i55"],
        "i90_pe": scalars["i90"],
        "i240_pe": scalars["i240"],
        "total_pe": total,
        "total_pe_top": pick(channel_total, top),
        "total_pe_bottom": pick(channel_total, bottom),
        "f90": f90,
        "ftop": ftop,
        "peak_amp_adc": scalars["peak_amp_adc"],
        "peak_time_ns": scalars["peak_time_ns"],
        "delayed_amp_adc": scalars["delayed_amp_adc"],
        "delayed_time_ns": scalars["delayed_time_ns"],
    }
    return {k: np.asarray(values[k], dtype=dt) for k, (dt, _, _) in RQ_COLUMNS.items()}


def reduce_block(
    block: NDArray[np.integer],
    *,
    sample_period_ns: float,
    trigger_index: int,
    adc_bits: int,
    polarity: int,
    config: ReductionConfig | None = None,
    first_event: int = 0,
    event_time_s: NDArray[np.floating] | None = None,
    channel_names: Sequence[str] | None = None,
) -> dict[str, NDArray[Any]]:
    """Reduce a block of waveforms ``[n, ch, s]`` to RQ columns with the numba kernels.

    Parameters
    ----------
    block : ndarray of int16 or uint16, shape (n, ch, s)
        Raw samples.
    sample_period_ns, trigger_index, adc_bits, polarity
        Digitizer settings (the raw file's root attributes).
    config : ReductionConfig, optional
        Reduction parameters (default ``ReductionConfig()``).
    first_event : int
        Index of ``block[0]`` in its run (the ``event`` column).
    event_time_s : ndarray, optional
        Trigger times; NaN in ``time_s`` when omitted.
    channel_names : sequence of str, optional
        Channel names (default top, bottom for 2 channels); see ``channel_indices``.

    Returns
    -------
    dict of str to ndarray
        Every column of ``RQ_COLUMNS``, in that order and dtype. Events without a pulse have
        NaN in t0 and every integral, ratio and amplitude column.

    Raises
    ------
    ValueError
        If the block's shape, dtype or channel names are unusable with these settings.
    CalibrationError
        If the number of SPE gains differs from the number of channels.
    """
    config = config or ReductionConfig()
    block = np.asarray(block)
    if block.ndim != 3:
        raise ValueError(f"block must be [event, channel, sample], got shape {block.shape}")
    if polarity not in (-1, 1):
        raise ValueError(f"polarity must be -1 or +1, got {polarity}")
    n, n_ch, n_s = block.shape
    top_bottom = channel_indices(channel_names, n_ch)
    windows = SampleWindows.resolve(config, sample_period_ns, trigger_index, n_s)
    res = run_kernel(
        block,
        windows,
        polarity=polarity,
        adc_bits=adc_bits,
        inv_gain=inverse_gains(config, n_ch),
        capacitive_tau_ns=config.capacitive_tau_ns,
        onset=(
            config.onset_threshold_rms,
            config.onset_threshold_min_adc,
            config.onset_low_fraction,
            config.onset_low_rms,
        ),
    )
    scal = res["scalars"]
    return assemble_columns(
        n,
        baseline=res["baseline"],
        rms=res["rms"],
        saturated=res["saturated"],
        channel_total=res["channel_total"],
        scalars={k: scal[j] for k, j in SCALAR_INDEX.items()},
        top_bottom=top_bottom,
        first_event=first_event,
        event_time_s=event_time_s,
    )
