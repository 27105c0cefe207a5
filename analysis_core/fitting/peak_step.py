"""The ``peak_fit`` calibration step: spectra of source runs, background subtraction, peak fits.

What to use when
----------------
- ``compute_peak_fit(inputs, settings) -> PeakFitSet``: the STEP CONTRACT function
  (``analysis_core.steps``). ``settings`` is either ``{"peaks": {name: peak_settings, ...}}``
  (the calibration: e.g. ``kr_41``, ``am241_59``, ``co57_122``, fitted in name order) or one
  ``peak_settings`` dict (then the peak is named after its role). The result always has
  ``.peaks`` (name -> ``PeakFitResult``), so later steps read every peak the same way.
- ``compute_peak(inputs, peak_settings, name=None) -> PeakFitResult``: one peak, e.g. for an
  interactive fit in the Spectrum pane.

``peak_settings`` keys (``PEAK_SETTINGS`` holds the defaults):

======================  ===================================================================
``role``                run role to histogram (``"kr"``, ``"am241"``, ``"co57"``, ...)
``column``              RQ column (``"total_pe"``)
``range``               fit window ``[lo, hi]`` in the column's units (required)
``bins``                int: number of bins across the fit window; float: bin width
``hist_range``          ``[a, b]`` of the stored spectrum (default: the window widened by its
                        width on both sides, not below 0 for a window above 0); the bin edges
                        always fall on the window's ends
``model``, ``cost``     as ``fit_peak`` (defaults ``"gauss+linear"``, ``"auto"``)
``background_role``     role of a background run subtracted after scaling by live time
                        (``analysis_core.histograms.livetime_scale``), or None
``template_role``       ``gauss_exptail+template`` only: role whose spectrum (same cuts, same
                        bins) is the template (default: ``background_role`` or "background")
``tail``                ``gauss_exptail+template`` only: ``"high"`` or ``"low"``
``apply_cuts``          apply ``inputs.cuts`` to every run used (default true)
``energy_kev``          deposited energy of the peak (default from the name or role:
                        kr 41.5573, am241 59.5409, co57 122.0607 keV)
``start``               optional start values ``{parameter: value}``
``minos``               also compute MINOS asymmetric errors (default false)
``doublet_kev``         ``gauss_doublet`` models only: ``[E1, E2]``, the fitted line and the
                        weaker line beside it (default None: the 57Co pair
                        ``[122.06065, 136.47356]``)
``doublet_ratio``       ``gauss_doublet`` models only: area of the E2 line / area of the E1
                        line, fixed (default None: the 57Co intensity ratio 10.68 / 85.60 =
                        0.1248, times a containment ratio if the detector's full-energy
                        efficiencies of the two lines differ), or ``"free"``
======================  ===================================================================

The 57Co peak should be fitted with ``gauss_doublet+linear``: its 136.47 keV line (12.5 % of
the 122.06 keV line's intensity) lies 1.7 sigma above it at the LAr resolution, and a single
Gaussian absorbs it, reading a mean ~1 % and a width ~10 % too large.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from analysis_core.errors import CalibrationError, FitError
from analysis_core.fitting.peak_models import doublet_lines
from analysis_core.fitting.peaks import fit_peak
from analysis_core.fitting.result import FitResult
from analysis_core.fitting.step_common import (
    check_range,
    check_same_gains,
    check_settings,
    column,
    selection,
)
from analysis_core.histograms import Hist1D, histogram1d, livetime_scale, subtract_background
from analysis_core.steps import StepInputs

__all__ = [
    "PEAK_ENERGIES_KEV",
    "PEAK_SETTINGS",
    "PeakFitResult",
    "PeakFitSet",
    "compute_peak",
    "compute_peak_fit",
]

#: Defaults of one peak's settings (``range`` has none and must be given).
PEAK_SETTINGS: dict[str, Any] = {
    "role": "kr",
    "column": "total_pe",
    "range": None,
    "bins": 40,
    "hist_range": None,
    "model": "gauss+linear",
    "cost": "auto",
    "background_role": None,
    "template_role": None,
    "tail": "high",
    "apply_cuts": True,
    "energy_kev": None,
    "start": None,
    "minos": False,
    "doublet_kev": None,
    "doublet_ratio": None,
}

#: Deposited energy (keV) of the calibration peaks by peak name or role (ENSDF/DDEP).
PEAK_ENERGIES_KEV = {
    "kr": 41.5573,  # 83mKr: 32.1516 + 9.4057 keV
    "kr_41": 41.5573,
    "am241": 59.5409,
    "am241_59": 59.5409,
    "co57": 122.06065,
    "co57_122": 122.06065,
}

_MAX_BINS = 100_000


@dataclass(frozen=True, eq=False)
class PeakFitResult:
    """One fitted peak with the spectra it was fitted on.

    Attributes
    ----------
    name, role, column : str
        Peak name, run role and RQ column.
    energy_kev : float or None
        Deposited energy of the peak (for linearity).
    pe_units : str
        Units of the column's PE values (``"PE"`` or ``"ADC*ns"``).
    fit : FitResult
        The peak fit (``fit["mean"]``, ``fit["sigma"]``, ``fit.extra["resolution"]``, ...).
    signal : Hist1D
        Spectrum of the role's run after cuts.
    background : Hist1D or None
        Background run spectrum (same bins, unscaled) when one was subtracted or used as
        template.
    subtracted : Hist1D or None
        ``signal - livetime_scale x background`` when a background was subtracted.
    livetime_scale : float or None
        The scale applied to the background.
    n_events, n_selected : int
        Rows of the role's run, and rows passing the cuts.
    settings : dict
        The complete settings used (defaults filled in).
    """

    name: str
    role: str
    column: str
    energy_kev: float | None
    pe_units: str
    fit: FitResult
    signal: Hist1D
    background: Hist1D | None = None
    subtracted: Hist1D | None = None
    livetime_scale: float | None = None
    n_events: int = 0
    n_selected: int = 0
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def spectrum(self) -> Hist1D:
        """The histogram the fit was made on (subtracted when a background was used)."""
        return self.subtracted if self.subtracted is not None else self.signal

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "name": self.name,
            "role": self.role,
            "column": self.column,
            "energy_kev": self.energy_kev,
            "pe_units": self.pe_units,
            "fit": self.fit.to_dict(),
            "signal": self.signal.to_dict(),
            "background": None if self.background is None else self.background.to_dict(),
            "subtracted": None if self.subtracted is None else self.subtracted.to_dict(),
            "livetime_scale": self.livetime_scale,
            "n_events": self.n_events,
            "n_selected": self.n_selected,
            "settings": dict(self.settings),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> PeakFitResult:
        """Rebuild a result written by :meth:`to_dict`."""

        def hist(x: Any) -> Hist1D | None:
            return None if x is None else Hist1D.from_dict(x)

        return cls(
            name=str(d["name"]),
            role=str(d["role"]),
            column=str(d["column"]),
            energy_kev=None if d.get("energy_kev") is None else float(d["energy_kev"]),
            pe_units=str(d.get("pe_units", "PE")),
            fit=FitResult.from_dict(d["fit"]),
            signal=Hist1D.from_dict(d["signal"]),
            background=hist(d.get("background")),
            subtracted=hist(d.get("subtracted")),
            livetime_scale=None if d.get("livetime_scale") is None else float(d["livetime_scale"]),
            n_events=int(d.get("n_events", 0)),
            n_selected=int(d.get("n_selected", 0)),
            settings=dict(d.get("settings", {})),
        )


@dataclass(frozen=True, eq=False)
class PeakFitSet:
    """Result of the ``peak_fit`` step: the fitted peaks by name."""

    peaks: dict[str, PeakFitResult]

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {"peaks": {k: v.to_dict() for k, v in self.peaks.items()}}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> PeakFitSet:
        """Rebuild a result written by :meth:`to_dict`."""
        return cls({k: PeakFitResult.from_dict(v) for k, v in d["peaks"].items()})


def _edges(fit_range: tuple[float, float], bins: Any, hist_range: Any) -> np.ndarray:
    lo, hi = fit_range
    if isinstance(bins, bool) or not isinstance(bins, (int, float)):
        raise CalibrationError(f"peak_fit settings: bins must be a number, got {bins!r}")
    if isinstance(bins, int):
        if bins < 1:
            raise CalibrationError(f"peak_fit settings: bins must be >= 1, got {bins}")
        width = (hi - lo) / bins
    else:
        width = float(bins)
        if not (math.isfinite(width) and width > 0):
            raise CalibrationError(f"peak_fit settings: bin width must be > 0, got {bins}")
    if hist_range is None:
        a, b = lo - (hi - lo), hi + (hi - lo)
        if lo >= 0:
            a = max(a, 0.0)
    else:
        a, b = check_range("peak_fit", "hist_range", hist_range)
        a, b = min(a, lo), max(b, hi)
    k_lo = math.ceil((lo - a) / width - 1e-9)
    first = lo - k_lo * width
    n = math.ceil((b - first) / width - 1e-9)
    if n > _MAX_BINS:
        raise CalibrationError(
            f"peak_fit settings: {n} bins requested (limit {_MAX_BINS}); use wider bins"
        )
    return first + width * np.arange(n + 1, dtype=float)


def _spectrum(inputs: StepInputs, role: str, col: str, edges: np.ndarray, cuts: bool) -> Any:
    table, mask = selection(inputs, role, cuts)
    values = column(table, col)[mask]
    return table, mask, histogram1d(values, edges)


def compute_peak(
    inputs: StepInputs, settings: Mapping[str, Any], name: str | None = None
) -> PeakFitResult:
    """Histogram one run, subtract its background if asked, and fit one peak.

    Raises
    ------
    CalibrationError
        Missing run or column, bad settings, background in other PE units, or a background
        without a usable live time. Data problems of the fit itself give ``fit.valid=False``.
    """
    check_settings("peak_fit", settings, PEAK_SETTINGS)
    s = {**PEAK_SETTINGS, **settings}
    role, col, model = str(s["role"]), str(s["column"]), str(s["model"])
    if s["range"] is None:
        raise CalibrationError(f"peak_fit settings of {name or role}: a fit range is required")
    fit_range = check_range("peak_fit", "range", s["range"])
    try:
        lines = doublet_lines(model, s["doublet_kev"], s["doublet_ratio"])
    except FitError as exc:
        raise CalibrationError(f"peak_fit settings of {name or role}: {exc}") from None
    edges = _edges(fit_range, s["bins"], s["hist_range"])
    cuts = bool(s["apply_cuts"])
    table, mask, signal = _spectrum(inputs, role, col, edges, cuts)
    background = subtracted = scale = template = None
    other = s["background_role"]
    if model.startswith("gauss_exptail"):
        other = s["template_role"] or s["background_role"] or "background"
    if other is not None:
        btable, _, background = _spectrum(inputs, str(other), col, edges, cuts)
        if col.endswith("_pe"):
            what = "template" if model.startswith("gauss_exptail") else "background"
            check_same_gains(table, btable, what)
        if model.startswith("gauss_exptail"):
            template = background
        else:
            scale = livetime_scale(table, btable)
            subtracted = subtract_background(signal, background, scale)
    hist = subtracted if subtracted is not None else signal
    fit = fit_peak(
        hist,
        range_=fit_range,
        model=model,
        cost=str(s["cost"]),
        start=s["start"],
        template=template,
        tail=str(s["tail"]),
        minos=bool(s["minos"]),
        doublet_kev=s["doublet_kev"],
        doublet_ratio=s["doublet_ratio"],
    )
    peak_name = name or role
    energy = s["energy_kev"]
    if energy is None:
        energy = PEAK_ENERGIES_KEV.get(peak_name, PEAK_ENERGIES_KEV.get(role))
        if energy is None and lines is not None:
            energy = lines[0]
    return PeakFitResult(
        name=peak_name,
        role=role,
        column=col,
        energy_kev=None if energy is None else float(energy),
        pe_units=table.pe_units,
        fit=fit,
        signal=signal,
        background=background,
        subtracted=subtracted,
        livetime_scale=scale,
        n_events=len(table),
        n_selected=int(np.count_nonzero(mask)),
        settings=s,
    )


def compute_peak_fit(inputs: StepInputs, settings: Mapping[str, Any]) -> PeakFitSet:
    """Run the ``peak_fit`` step: every peak of ``settings`` (see the module docstring)."""
    if "peaks" in settings:
        check_settings("peak_fit", settings, ("peaks",))
        peaks = settings["peaks"]
        if not isinstance(peaks, Mapping) or not peaks:
            raise CalibrationError("peak_fit settings: 'peaks' must map names to peak settings")
        return PeakFitSet({str(k): compute_peak(inputs, peaks[k], str(k)) for k in sorted(peaks)})
    one = compute_peak(inputs, settings)
    return PeakFitSet({one.name: one})
