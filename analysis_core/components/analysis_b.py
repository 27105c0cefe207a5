"""Analysis B component separation: the 9.4 and 32.1 keV light from I35, I55, I90 and F90(I).

What to use when
----------------
- ``compute_components_b(inputs, settings)``: the step ``"components_b"`` (STEP CONTRACT of
  ``analysis_core.steps``). Needs the ``"kr"`` and ``"co57"`` RQ tables.
- ``DEFAULTS_B``: every setting with its default.

Method (paper section 4.5.2): Kr events in the 41.5 keV window; the I35:I55 profile and its
line give alpha (or ``alpha_deg`` fixes it); the rotated coordinate ``u = I35 cos(alpha) - I55
sin(alpha)`` is fitted with two Gaussians (the main one: 9.4 keV step outside 35-55 ns) and
the cut ``u < c`` keeps events whose 9.4 keV singlet lies inside the first 55 ns (``c`` given,
or where the main Gaussian is suppressed by ``cut_suppression``, paper 10^-3). I90 of the cut
population is fitted with a Gaussian (``I90,41.5``). ``I90,32.1`` comes from the events with
only the 32.1 keV singlet in the first 90 ns, chosen by ``i90_32_method``:

- ``"delayed_pulse"`` (default): the events whose 9.4 keV pulse is seen after 152 ns
  (``delayed_amp_adc > delayed_min_adc``, the Analysis A selection), a clean 32.1-only sample,
  fitted with a Gaussian. On simulated runs it matches the truth within 0.5 %.
- ``"two_gauss"`` (the paper's): the events above the cut, fitted with two Gaussians, the lower
  one. The mixture absorbs the right tail of the skewed lower peak: on simulated runs its mean
  comes out ~2.5 % low, which moves ~3 PE from the 32.1 to the 9.4 keV light.
The F90(I) curve of 57Co events and the full 41.5 keV light (Gaussian fit of the total PE)
feed system (4.4) (``analysis_core.components.system44``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.stats import norm

from analysis_core.components.common import (
    base_mask,
    hist_from_dict,
    hist_to_dict,
    kr_window,
    merged,
)
from analysis_core.components.f90curve import F90Profile, measure_f90_curve
from analysis_core.components.lightyield import E_DELAYED_KEV, E_PROMPT_KEV
from analysis_core.components.profile import LineProfile, fit_i35_i55, rotated
from analysis_core.components.system44 import System44Result, solve_system44
from analysis_core.errors import CalibrationError
from analysis_core.fitting import fit_peak
from analysis_core.fitting.result import FitResult
from analysis_core.fitting.step_common import check_same_gains
from analysis_core.histograms import Hist1D, Hist2D, histogram1d, histogram2d
from analysis_core.steps import StepInputs

__all__ = ["DEFAULTS_B", "ComponentsBResult", "compute_components_b"]

DEFAULTS_B: dict[str, Any] = {
    "apply_cuts": True,
    "kr_window_pe": None,  # [lo, hi] total PE of the 41.5 keV peak; None: mode +-30 %
    "alpha_deg": None,  # None: from the I35:I55 profile line
    "profile_bins": 20,
    "rotated_bins": 120,
    "cut_value_pe": None,  # None: main Gaussian mean - z sigma with P(z) = cut_suppression
    "cut_suppression": 1e-3,
    "i90_bins": 80,
    "i90_32_method": "delayed_pulse",  # or "two_gauss" (the paper's)
    "delayed_min_adc": 110.0,  # delayed_pulse: a delayed pulse above this is the 9.4 keV step
    "f90_range_pe": [20.0, 400.0],
    "f90_bins": 19,
    "start_yield_pe_per_kev": 4.9,
}


@dataclass(frozen=True, slots=True)
class ComponentsBResult:
    """Everything Analysis B computed.

    Attributes
    ----------
    settings : dict
        Settings used (defaults filled in).
    kr_window_pe : (float, float)
        Total-PE window of the 41.5 keV events.
    hist_i35_i55 : Hist2D
        I55 (x) vs I35 (y) of the window events.
    profile : LineProfile
        The profile, its line and alpha.
    alpha_deg : float
        Angle used (fitted or fixed).
    rotated_hist, rotated_fit : Hist1D, FitResult
        Rotated coordinate and its two-Gaussian fit.
    cut_value_pe : float
        The cut ``u < c``; ``n_cut`` events pass, ``main_leak`` is the fraction of the main
        Gaussian below ``c``.
    i90_41_hist, i90_41_fit, i90_32_hist, i90_32_fit : Hist1D, FitResult
        I90 of the cut population (Gaussian) and of the 32.1-only sample (Gaussian, or two
        Gaussians for ``i90_32_method="two_gauss"``).
    total_hist, total_fit : Hist1D, FitResult
        Total PE of the window events and the Gaussian fit (``I_total,41.5``).
    f90 : F90Profile
        F90(I) of the 57Co run.
    system : System44Result
        Solution of system (4.4).
    messages : tuple of str
        Warnings that did not stop the step (e.g. a small template, a failed delay fit).
    """

    settings: dict[str, Any]
    kr_window_pe: tuple[float, float]
    hist_i35_i55: Hist2D
    profile: LineProfile
    alpha_deg: float
    rotated_hist: Hist1D
    rotated_fit: FitResult
    cut_value_pe: float
    n_cut: int
    main_leak: float
    i90_41_hist: Hist1D
    i90_41_fit: FitResult
    i90_32_hist: Hist1D
    i90_32_fit: FitResult
    total_hist: Hist1D
    total_fit: FitResult
    f90: F90Profile
    system: System44Result
    messages: tuple[str, ...] = field(default=())

    @property
    def i90_32(self) -> tuple[float, float]:
        """``I90,32.1`` (value, error), PE (the lower Gaussian of a two-Gaussian fit)."""
        return _lower(self.i90_32_fit)

    @property
    def i90_41(self) -> tuple[float, float]:
        """``I90,41.5`` (value, error), PE."""
        return self.i90_41_fit["mean"], self.i90_41_fit.error("mean")

    def light_points(self) -> list[dict[str, Any]]:
        """Points for the linearity step (PE in the units of the Kr RQ table)."""
        e32, e9, _ = self.system.errors
        return [
            {"energy_kev": E_DELAYED_KEV, "pe": self.system.i_total_9_pe, "pe_err": e9,
             "label": "9.4 keV (B, system 4.4)"},
            {"energy_kev": E_PROMPT_KEV, "pe": self.system.i_total_32_pe, "pe_err": e32,
             "label": "32.1 keV (B, system 4.4)"},
        ]  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        out: dict[str, Any] = {"step": "components_b"}
        for k in self.__slots__:
            v = getattr(self, k)
            if isinstance(v, Hist1D):
                v = hist_to_dict(v)
            elif hasattr(v, "to_dict"):
                v = v.to_dict()
            elif isinstance(v, tuple):
                v = list(v)
            out[k] = v
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ComponentsBResult:
        """Inverse of ``to_dict``."""
        kw: dict[str, Any] = {}
        for k in cls.__slots__:
            v = d[k] if k != "messages" else d.get(k, [])
            if k.endswith("_hist") and k != "hist_i35_i55":
                v = hist_from_dict(v)
            elif k.endswith("_fit"):
                v = FitResult.from_dict(v)
            kw[k] = v
        kw["hist_i35_i55"] = Hist2D.from_dict(d["hist_i35_i55"])
        kw["profile"] = LineProfile.from_dict(d["profile"])
        kw["f90"] = F90Profile.from_dict(d["f90"])
        kw["system"] = System44Result.from_dict(d["system"])
        kw["kr_window_pe"] = tuple(float(v) for v in d["kr_window_pe"])
        kw["messages"] = tuple(kw["messages"])
        kw["settings"] = dict(d["settings"])
        return cls(**kw)


def _lower(fit: FitResult) -> tuple[float, float]:
    if "mean_2" not in fit.names or fit["mean"] <= fit["mean_2"]:
        return fit["mean"], fit.error("mean")
    return fit["mean_2"], fit.error("mean_2")


def _spread_hist(x: np.ndarray, bins: int, q: tuple[float, float] = (0.5, 99.5)) -> Hist1D:
    lo, hi = np.percentile(x, q)
    pad = 0.1 * (hi - lo)
    return histogram1d(x, bins, (float(lo - pad), float(hi + pad)))


def _need(fit: FitResult, what: str) -> FitResult:
    if not fit.valid:
        raise CalibrationError(f"components B: the {what} fit failed: {fit.message}")
    return fit


def compute_components_b(
    inputs: StepInputs, settings: Mapping[str, Any] | None
) -> ComponentsBResult:
    """Run Analysis B (see the module docstring).

    Raises
    ------
    CalibrationError
        Missing runs, too few events, or a fit that failed (the message says which).
    """
    st = merged(DEFAULTS_B, settings, "components_b")
    kr, co = inputs.table("kr"), inputs.table("co57")
    check_same_gains(kr, co, "57Co (F90 curve)")
    mk = base_mask(kr, inputs.cuts, st["apply_cuts"])
    tot = np.asarray(kr["total_pe"], dtype=float)
    lo, hi = kr_window(tot[mk], st["kr_window_pe"])
    win = mk & (tot >= lo) & (tot < hi)
    if win.sum() < 200:
        raise CalibrationError(
            f"components B: only {int(win.sum())} Kr events in {lo:.0f}-{hi:.0f} PE"
        )
    i35 = np.asarray(kr["i35_pe"], dtype=float)[win]
    i55 = np.asarray(kr["i55_pe"], dtype=float)[win]
    i90 = np.asarray(kr["i90_pe"], dtype=float)[win]
    x_lo, x_hi = (float(v) for v in np.percentile(i55, [0.5, 99.5]))
    h2 = histogram2d(i55, i35, 80, [(x_lo, x_hi), (x_lo * 0.6, x_hi)])
    profile = fit_i35_i55(i35, i55, n_bins=int(st["profile_bins"]))
    alpha = profile.alpha_deg if st["alpha_deg"] is None else float(st["alpha_deg"])
    u = rotated(i35, i55, alpha)
    rot_hist = _spread_hist(u, int(st["rotated_bins"]))
    rot_fit = _need(fit_peak(rot_hist, range_=tuple(rot_hist.edges[[0, -1]]), model="two_gauss"),
                    "rotated-axis two-Gaussian")  # fmt: skip
    main = "" if rot_fit["area"] >= rot_fit["area_2"] else "_2"
    mu, sig = rot_fit["mean" + main], rot_fit["sigma" + main]
    z = float(norm.isf(st["cut_suppression"]))
    c = mu - z * sig if st["cut_value_pe"] is None else float(st["cut_value_pe"])
    below = u < c
    if below.sum() < 30:
        raise CalibrationError(
            f"components B: only {int(below.sum())} events below the cut {c:.2f} PE"
        )
    h41 = _spread_hist(i90[below], int(st["i90_bins"]), (1, 99))
    f41 = _need(fit_peak(h41, range_=tuple(h41.edges[[0, -1]]), model="gauss"), "I90 (41.5 keV)")
    method = st["i90_32_method"]
    if method == "delayed_pulse":
        late = np.asarray(kr["delayed_amp_adc"], dtype=float)[win] > float(st["delayed_min_adc"])
        if late.sum() < 30:
            raise CalibrationError(
                f"components B: only {int(late.sum())} events with a delayed pulse above "
                f"{st['delayed_min_adc']:g} ADC for I90(32.1)"
            )
        h32 = _spread_hist(i90[late], int(st["i90_bins"]), (0.5, 99.5))
        model32 = "gauss"
    elif method == "two_gauss":
        h32 = _spread_hist(i90[~below], int(st["i90_bins"]), (0.5, 99))
        model32 = "two_gauss"
    else:
        raise CalibrationError(
            f"components B: i90_32_method must be 'delayed_pulse' or 'two_gauss', got {method!r}"
        )
    f32 = _need(fit_peak(h32, range_=tuple(h32.edges[[0, -1]]), model=model32), "I90 (32.1 keV)")
    htot = histogram1d(tot[win], 60, (lo, hi))
    ftot = _need(fit_peak(htot, range_=(lo, hi), model="gauss"), "41.5 keV total PE")
    mc = base_mask(co, inputs.cuts, st["apply_cuts"])
    f90 = measure_f90_curve(
        np.asarray(co["total_pe"])[mc], np.asarray(co["f90"])[mc],
        range_pe=tuple(st["f90_range_pe"]), n_bins=int(st["f90_bins"]),
    )  # fmt: skip
    i90_32 = _lower(f32)
    i90_41 = (f41["mean"], f41.error("mean"))
    system = solve_system44(
        i90_32, i90_41, (ftot["mean"], ftot.error("mean")), f90.curve,
        start_yield_pe_per_kev=float(st["start_yield_pe_per_kev"]),
    )  # fmt: skip
    messages = [] if system.converged else [f"system (4.4): {system.message}"]
    return ComponentsBResult(
        settings=st,
        kr_window_pe=(lo, hi),
        hist_i35_i55=h2,
        profile=profile,
        alpha_deg=alpha,
        rotated_hist=rot_hist,
        rotated_fit=rot_fit,
        cut_value_pe=c,
        n_cut=int(below.sum()),
        main_leak=float(norm.cdf((c - mu) / sig)),
        i90_41_hist=h41,
        i90_41_fit=f41,
        i90_32_hist=h32,
        i90_32_fit=f32,
        total_hist=htot,
        total_fit=ftot,
        f90=f90,
        system=system,
        messages=tuple(messages),
    )
