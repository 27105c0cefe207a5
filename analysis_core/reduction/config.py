"""Reduction parameters and their conversion to sample indices.

What to use when
----------------
- ``ReductionConfig``: every physics choice of the reduction (gains, capacitive-coupling time
  constant, baseline window, onset finder, integration windows) as one frozen, serialisable
  value. ``to_dict()``/``from_dict()`` round-trip it through JSON (RQ metadata, session files).
- ``SampleWindows.resolve(config, sample_period_ns, trigger_index, n_samples)``: the same
  parameters in samples for one digitizer setting. The kernels, the numpy reference and the GUI
  waveform browser all use it, so they agree on every window edge.

Conversions from ns to samples (``dt`` = sample period):

- positions relative to the trigger (baseline stop, onset search range) are rounded to the
  nearest sample, ``trigger_index + round(x_ns / dt)``;
- durations from t0 (integration windows, total window, onset peak window) cover the samples
  whose time lies in ``[t0, t0 + w)``: ``ceil(w / dt)`` samples (35 ns -> 9, 55 ns -> 14,
  90 ns -> 23, 240 ns -> 60, 6000 ns -> 1500 at 4 ns);
- "later than t0 + d" starts at the first sample strictly after ``d``:
  ``floor(d / dt) + 1`` (152 ns -> sample 39 after t0, i.e. 156 ns at 4 ns).

A tolerance of 1e-9 samples absorbs floating-point noise in ``w / dt``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

from analysis_core.errors import CalibrationError

__all__ = ["ReductionConfig", "SampleWindows"]

_EPS = 1e-9


def _is_pos(x: float) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x) and x > 0


@dataclass(frozen=True, slots=True)
class ReductionConfig:
    """Parameters of the waveform -> RQ reduction.

    Attributes
    ----------
    spe_gain_adc_ns : tuple of float or None
        Mean single-photoelectron charge per channel, in ADC x ns per PE, in the raw file's
        channel order. None: integrals stay in ADC x ns (metadata ``pe_units="ADC*ns"``).
    capacitive_tau_ns : float or None
        Time constant of the PMT's AC coupling; when given, every baseline-subtracted trace is
        passed through the exact inverse of the single-pole high-pass before anything else.
    baseline_start_ns : float
        Start of the baseline window, from the start of the record (default 0).
    baseline_stop_ns : float
        End (exclusive) of the baseline window relative to the trigger (default -100 ns:
        samples 0 .. trigger_index - 25 at 4 ns).
    onset_search_start_ns, onset_search_stop_ns : float
        Range, relative to the trigger, in which the summed trace must first cross the onset
        threshold (default -200 ns .. +400 ns). An event whose trace never crosses inside it
        has no pulse: NaN in t0 and every integral/amplitude column.
    onset_threshold_rms : float
        Threshold in units of the summed trace's baseline noise rms (default 5).
    onset_threshold_min_adc : float
        Lower bound of the threshold in ADC (default 10), so that a noiseless record does not
        trigger on rounding.
    onset_peak_ns : float
        Window after the crossing in which the local pulse peak is taken (default 20 ns).
    onset_low_fraction : float
        The onset walks back from the crossing while the previous sample is above
        ``max(onset_low_fraction * local_peak, onset_low_rms * noise_rms)`` (defaults 0.1, 2).
    onset_low_rms : float
        See ``onset_low_fraction``.
    windows_ns : tuple of 4 floats
        Prompt integration windows from t0, stored in ``i35_pe``, ``i55_pe``, ``i90_pe``,
        ``i240_pe`` in this order (default 35, 55, 90, 240 ns); ``f90`` uses the third.
    total_window_ns : float
        Total integration window from t0 (default 6000 ns; truncated at the record end).
    delayed_after_ns : float
        ``delayed_amp_adc`` is the largest summed amplitude later than t0 + this (152 ns).
    """

    spe_gain_adc_ns: tuple[float, ...] | None = None
    capacitive_tau_ns: float | None = None
    baseline_start_ns: float = 0.0
    baseline_stop_ns: float = -100.0
    onset_search_start_ns: float = -200.0
    onset_search_stop_ns: float = 400.0
    onset_threshold_rms: float = 5.0
    onset_threshold_min_adc: float = 10.0
    onset_peak_ns: float = 20.0
    onset_low_fraction: float = 0.1
    onset_low_rms: float = 2.0
    windows_ns: tuple[float, float, float, float] = (35.0, 55.0, 90.0, 240.0)
    total_window_ns: float = 6000.0
    delayed_after_ns: float = 152.0

    def __post_init__(self) -> None:
        if self.spe_gain_adc_ns is not None:
            gains = tuple(float(g) for g in self.spe_gain_adc_ns)
            if not gains or not all(_is_pos(g) for g in gains):
                raise CalibrationError(
                    f"SPE gains must be positive finite numbers (ADC*ns per PE), got {gains}"
                )
            object.__setattr__(self, "spe_gain_adc_ns", gains)
        if self.capacitive_tau_ns is not None:
            if not _is_pos(float(self.capacitive_tau_ns)):
                raise CalibrationError(
                    f"capacitive_tau_ns must be positive, got {self.capacitive_tau_ns}"
                )
            object.__setattr__(self, "capacitive_tau_ns", float(self.capacitive_tau_ns))
        windows = tuple(float(w) for w in self.windows_ns)
        if len(windows) != 4 or not all(_is_pos(w) for w in windows):
            raise ValueError(f"windows_ns must be 4 positive durations, got {self.windows_ns}")
        if any(b <= a for a, b in zip(windows[:-1], windows[1:], strict=True)):
            raise ValueError(f"windows_ns must increase, got {windows}")
        object.__setattr__(self, "windows_ns", windows)
        if not _is_pos(self.total_window_ns) or self.total_window_ns < windows[-1]:
            raise ValueError(
                f"total_window_ns must be positive and >= {windows[-1]}, got {self.total_window_ns}"
            )
        for name in ("onset_threshold_rms", "onset_low_fraction", "onset_low_rms"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be >= 0, got {value}")
        if not _is_pos(self.onset_threshold_min_adc):
            raise ValueError(
                f"onset_threshold_min_adc must be positive, got {self.onset_threshold_min_adc}"
            )
        if not _is_pos(self.onset_peak_ns):
            raise ValueError(f"onset_peak_ns must be positive, got {self.onset_peak_ns}")
        if not self.onset_search_stop_ns > self.onset_search_start_ns:
            raise ValueError("onset_search_stop_ns must be after onset_search_start_ns")
        if not (math.isfinite(self.delayed_after_ns) and self.delayed_after_ns >= 0):
            raise ValueError(f"delayed_after_ns must be >= 0, got {self.delayed_after_ns}")
        for name in ("baseline_start_ns", "baseline_stop_ns"):
            if not math.isfinite(getattr(self, name)):
                raise ValueError(f"{name} must be finite")

    @property
    def pe_units(self) -> str:
        """``"PE"`` with SPE gains, ``"ADC*ns"`` without."""
        return "PE" if self.spe_gain_adc_ns is not None else "ADC*ns"

    def to_dict(self) -> dict[str, Any]:
        """Return the parameters as a JSON-serialisable dict (tuples become lists)."""
        d = asdict(self)
        for k, v in d.items():
            if isinstance(v, tuple):
                d[k] = list(v)
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReductionConfig:
        """Build a config from ``to_dict()`` output; unknown keys raise ``ValueError``."""
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown reduction parameters {sorted(unknown)}")
        kw = dict(data)
        for k in ("spe_gain_adc_ns", "windows_ns"):
            if kw.get(k) is not None:
                kw[k] = tuple(kw[k])
        return cls(**kw)


def _round(x: float) -> int:
    return int(math.floor(x + 0.5))


@dataclass(frozen=True, slots=True)
class SampleWindows:
    """The reduction windows of a ``ReductionConfig`` in samples, for one digitizer setting.

    Attributes
    ----------
    baseline_start, baseline_stop : int
        Baseline window ``[start, stop)`` in samples from the record start.
    search_start, search_stop : int
        Onset search range ``[start, stop)``; clipped to the record.
    peak_samples : int
        Length of the window after the crossing holding the local peak.
    window_samples : tuple of 4 int
        Prompt windows from t0, in samples.
    total_samples : int
        Total window from t0, in samples.
    delayed_offset : int
        First sample after t0 searched for the delayed amplitude.
    sample_period_ns : float
        The sample period used for the conversion.
    trigger_index : int
        Trigger sample of the record.
    """

    baseline_start: int
    baseline_stop: int
    search_start: int
    search_stop: int
    peak_samples: int
    window_samples: tuple[int, int, int, int]
    total_samples: int
    delayed_offset: int
    sample_period_ns: float
    trigger_index: int

    @classmethod
    def resolve(
        cls,
        config: ReductionConfig,
        sample_period_ns: float,
        trigger_index: int,
        n_samples: int,
    ) -> SampleWindows:
        """Convert ``config`` to samples for records of ``n_samples`` with this trigger.

        Raises
        ------
        ValueError
            If the baseline window holds fewer than 2 samples or the onset search range is
            empty for these records.
        """
        dt = float(sample_period_ns)
        if not dt > 0:
            raise ValueError(f"sample_period_ns must be positive, got {sample_period_ns}")

        def dur(w: float) -> int:
            return max(1, math.ceil(w / dt - _EPS))

        b0 = max(0, _round(config.baseline_start_ns / dt))
        b1 = min(n_samples, trigger_index + _round(config.baseline_stop_ns / dt))
        if b1 - b0 < 2:
            raise ValueError(
                f"baseline window [{b0}, {b1}) holds {max(b1 - b0, 0)} samples; the trigger at "
                f"sample {trigger_index} leaves too few pre-trigger samples (need >= 2)"
            )
        s0 = max(0, trigger_index + _round(config.onset_search_start_ns / dt))
        s1 = min(n_samples, trigger_index + _round(config.onset_search_stop_ns / dt))
        if s1 <= s0:
            raise ValueError(
                f"onset search range [{s0}, {s1}) is empty for {n_samples}-sample records"
            )
        windows = tuple(dur(w) for w in config.windows_ns)
        return cls(
            baseline_start=b0,
            baseline_stop=b1,
            search_start=s0,
            search_stop=s1,
            peak_samples=dur(config.onset_peak_ns),
            window_samples=windows,  # type: ignore[arg-type]
            total_samples=max(dur(config.total_window_ns), windows[-1]),
            delayed_offset=int(math.floor(config.delayed_after_ns / dt + _EPS)) + 1,
            sample_period_ns=dt,
            trigger_index=int(trigger_index),
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the windows as a JSON-serialisable dict (for the RQ metadata)."""
        d = asdict(self)
        d["window_samples"] = list(self.window_samples)
        return d
