"""The calibration step "spe": SPE gains of both PMTs by Analysis A and B.

What to use when
----------------
``compute_spe(inputs, settings)`` is the STEP CONTRACT function (``analysis_core.steps``):
the GUI's SPE pane runs it in a job and ``larcal session run`` replays it with the same
``settings``, so both give the same numbers. ``SpeResult`` holds per analysis the gains
``(top, bottom)`` with errors and the per-PMT fits; ``to_dict``/``from_dict`` round-trip it.

- Analysis A reads ``inputs.raw_path("led")``: LED integrals (``led``) fitted with the DEAP
  model (``fit_a``); its gain is ``mu``.
- Analysis B reads the source run of role ``settings["b_role"]`` (``"auto"``: the Kr run if
  given, else the background run; a sparser triplet tail means fewer pile-ups): isolated late
  single PE (``late_pe``) fitted with one Gaussian (``fit_b``).

A missing run, a run without light or a failed fit gives that analysis ``valid=False`` with a
plain ``message`` (never an exception); a broken file raises ``RawFormatError`` and a bad
setting ``CalibrationError``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from analysis_core.errors import CalibrationError
from analysis_core.progress import CancelToken, ProgressFn
from analysis_core.spe.fit_a import DEFAULT_FIXED, LedFit, fit_led_spectrum
from analysis_core.spe.fit_b import LateFit, fit_single_pe_gauss
from analysis_core.spe.late_pe import find_late_pulses
from analysis_core.spe.led import extract_led_charges
from analysis_core.steps import StepInputs

__all__ = ["DEFAULT_SETTINGS", "SpeAnalysis", "SpeResult", "compute_spe"]

#: Settings of the step with their defaults (see ``led``, ``fit_a``, ``late_pe``, ``fit_b``).
DEFAULT_SETTINGS: dict[str, Any] = {
    "analyses": ["A", "B"],
    "max_events": None,
    "led_window_ns": 80.0,
    "led_pre_ns": 16.0,
    "led_time_ns": None,
    "a_bin_width_adc_ns": None,
    "a_fixed": list(DEFAULT_FIXED),
    "a_start": {},
    "b_role": "auto",
    "b_late_start_ns": 2000.0,
    "b_gap_ns": 100.0,
    "b_threshold_rms": 4.0,
    "b_pre_ns": 8.0,
    "b_post_ns": 48.0,
    "b_nsigma": 1.5,
}


@dataclass(frozen=True)
class SpeAnalysis:
    """Gains of one analysis ("A" or "B") for every PMT.

    Attributes
    ----------
    analysis : str
        ``"A"`` or ``"B"``.
    gains_adc_ns, errors_adc_ns : tuple of float
        Per PMT (file order: top, bottom), NaN where the fit failed.
    fits : tuple
        ``LedFit`` (A) or ``LateFit`` (B) per PMT.
    valid : bool
        True when every PMT's fit is valid.
    message : str
        Why not, in plain words (empty when valid).
    source_path : str
        The raw run analysed.
    extra : dict
        ``led_time_ns``, window, events, pulses (JSON-ready).
    """

    analysis: str
    gains_adc_ns: tuple[float, ...]
    errors_adc_ns: tuple[float, ...]
    fits: tuple[Any, ...] = ()
    valid: bool = False
    message: str = ""
    source_path: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def failed(cls, analysis: str, message: str, source_path: str = "") -> SpeAnalysis:
        """Return an analysis that could not run, with the reason."""
        nan = (math.nan, math.nan)
        return cls(analysis, nan, nan, (), False, message, source_path)

    @classmethod
    def from_fits(
        cls, analysis: str, fits: tuple[Any, ...], source_path: str, extra: dict[str, Any]
    ) -> SpeAnalysis:
        """Collect per-PMT fits; the message names the PMTs whose fit failed."""
        bad = [f"{f.channel}: {f.fit.message}" for f in fits if not f.valid]
        return cls(
            analysis,
            tuple(f.gain_adc_ns for f in fits),
            tuple(f.gain_err_adc_ns for f in fits),
            fits,
            not bad,
            "; ".join(bad),
            source_path,
            extra,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (NaN as None)."""

        def clean(x: float) -> float | None:
            return float(x) if math.isfinite(x) else None

        return {
            "analysis": self.analysis,
            "gains_adc_ns": [clean(g) for g in self.gains_adc_ns],
            "errors_adc_ns": [clean(e) for e in self.errors_adc_ns],
            "fits": [f.to_dict() for f in self.fits],
            "valid": self.valid,
            "message": self.message,
            "source_path": self.source_path,
            "extra": self.extra,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SpeAnalysis:
        """Inverse of ``to_dict``."""
        fit_cls = LedFit if d["analysis"] == "A" else LateFit

        def num(x: Any) -> float:
            return math.nan if x is None else float(x)

        return cls(
            analysis=str(d["analysis"]),
            gains_adc_ns=tuple(num(g) for g in d["gains_adc_ns"]),
            errors_adc_ns=tuple(num(e) for e in d["errors_adc_ns"]),
            fits=tuple(fit_cls.from_dict(f) for f in d.get("fits", ())),
            valid=bool(d.get("valid", False)),
            message=str(d.get("message", "")),
            source_path=str(d.get("source_path", "")),
            extra=dict(d.get("extra", {})),
        )


@dataclass(frozen=True)
class SpeResult:
    """Result of the "spe" step: ``analyses["A"]`` and/or ``analyses["B"]``."""

    analyses: dict[str, SpeAnalysis]
    settings: dict[str, Any] = field(default_factory=dict)

    def gains(self, analysis: str) -> tuple[float, ...]:
        """Gains ``(top, bottom)`` of ``analysis``; ``CalibrationError`` if absent/invalid."""
        a = self.analyses.get(analysis)
        if a is None or not a.valid:
            why = "not computed" if a is None else a.message
            raise CalibrationError(f"no valid SPE gains of analysis {analysis}: {why}")
        return a.gains_adc_ns

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        return {
            "step": "spe",
            "analyses": {k: v.to_dict() for k, v in self.analyses.items()},
            "settings": self.settings,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SpeResult:
        """Inverse of ``to_dict``."""
        return cls(
            analyses={k: SpeAnalysis.from_dict(v) for k, v in d["analyses"].items()},
            settings=dict(d.get("settings", {})),
        )


def resolve_settings(settings: Mapping[str, Any] | None) -> dict[str, Any]:
    """Return the defaults updated by ``settings``; unknown keys are a ``CalibrationError``."""
    unknown = set(settings or {}) - set(DEFAULT_SETTINGS)
    if unknown:
        raise CalibrationError(
            f"unknown SPE setting(s) {sorted(unknown)}; known: {sorted(DEFAULT_SETTINGS)}"
        )
    out = dict(DEFAULT_SETTINGS) | dict(settings or {})
    bad = [a for a in out["analyses"] if a not in ("A", "B")]
    if bad or out["b_role"] not in ("auto", "kr", "background"):
        raise CalibrationError(
            f"SPE settings: analyses must be 'A'/'B' and b_role auto/kr/background, got "
            f"{out['analyses']} and {out['b_role']!r}"
        )
    return out


def _stage(progress: ProgressFn | None, part: int, parts: int) -> ProgressFn | None:
    if progress is None:
        return None
    return lambda done, total: progress(part * 1000 + (1000 * done) // max(total, 1), 1000 * parts)


def _analysis_a(inputs: StepInputs, s: dict[str, Any], progress, cancel) -> SpeAnalysis:
    path = inputs.raw_paths.get("led")
    if not path:
        return SpeAnalysis.failed("A", "no LED run: choose one (role 'led') for Analysis A")
    try:
        led = extract_led_charges(
            path, window_ns=s["led_window_ns"], pre_ns=s["led_pre_ns"],
            led_time_ns=s["led_time_ns"], max_events=s["max_events"],
            progress=progress, cancel=cancel,
        )  # fmt: skip
    except CalibrationError as exc:
        if "LED window must be positive" in str(exc):
            raise
        return SpeAnalysis.failed("A", str(exc), str(path))
    fits = tuple(
        fit_led_spectrum(
            q,
            channel=name,
            bin_width_adc_ns=s["a_bin_width_adc_ns"],
            fixed=tuple(s["a_fixed"]),
            start=s["a_start"] or None,
        )  # fmt: skip
        for name, q in zip(led.channel_names, led.charges_adc_ns, strict=True)
    )
    extra = {
        "led_time_ns": led.led_time_ns,
        "window_start_ns": led.window_start_ns,
        "window_ns": led.window_ns,
        "n_events": led.n_events,
    }
    return SpeAnalysis.from_fits("A", fits, str(path), extra)


def _analysis_b(inputs: StepInputs, s: dict[str, Any], progress, cancel) -> SpeAnalysis:
    roles = ("kr", "background") if s["b_role"] == "auto" else (s["b_role"],)
    role = next((r for r in roles if inputs.raw_paths.get(r)), None)
    if role is None:
        return SpeAnalysis.failed(
            "B", f"no source run for Analysis B: choose a {' or '.join(roles)} run"
        )
    path = inputs.raw_paths[role]
    pulses = find_late_pulses(
        path, late_start_ns=s["b_late_start_ns"], gap_ns=s["b_gap_ns"],
        threshold_rms=s["b_threshold_rms"], pre_ns=s["b_pre_ns"], post_ns=s["b_post_ns"],
        max_events=s["max_events"], progress=progress, cancel=cancel,
    )  # fmt: skip
    fits = tuple(
        fit_single_pe_gauss(q, channel=name, nsigma=s["b_nsigma"], noise_adc_ns=noise)
        for name, q, noise in zip(
            pulses.channel_names, pulses.charges_adc_ns, pulses.noise_adc_ns, strict=True
        )
    )
    extra = {
        "role": role,
        "n_events": pulses.n_events,
        "n_pulses": [int(q.size) for q in pulses.charges_adc_ns],
        "noise_adc_ns": list(pulses.noise_adc_ns),
    }
    return SpeAnalysis.from_fits("B", fits, str(path), extra)


def compute_spe(
    inputs: StepInputs,
    settings: Mapping[str, Any] | None = None,
    *,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> SpeResult:
    """Run the SPE-gain step (STEP CONTRACT ``compute_<step>(inputs, settings)``).

    Parameters
    ----------
    inputs : StepInputs
        Uses ``raw_paths["led"]`` (A) and ``raw_paths["kr"]``/``["background"]`` (B).
    settings : mapping, optional
        Keys of ``DEFAULT_SETTINGS``; missing keys take the defaults.
    progress, cancel
        See ``analysis_core.progress``.

    Returns
    -------
    SpeResult
    """
    s = resolve_settings(settings)
    wanted = [a for a in ("A", "B") if a in s["analyses"]]
    out: dict[str, SpeAnalysis] = {}
    for i, a in enumerate(wanted):
        run = _analysis_a if a == "A" else _analysis_b
        out[a] = run(inputs, s, _stage(progress, i, len(wanted)), cancel)
    return SpeResult(out, s)
