"""Analysis A component separation: the 9.4 and 32.1 keV light from peak amplitudes.

What to use when
----------------
- ``compute_components_a(inputs, settings)``: the step ``"components_a"`` (STEP CONTRACT of
  ``analysis_core.steps``). Needs the ``"kr"`` and ``"background"`` (39Ar) RQ tables.
- ``DEFAULTS_A``: every setting with its default (the GUI shows and edits these).

Method (paper section 4.5.1): Kr events in the 41.5 keV window whose delayed pulse (the largest
summed amplitude later than t0 + 152 ns, ``delayed_amp_adc``) stands above ``delayed_min_adc``
have the 9.4 keV step well after the first. Their prompt amplitude ``peak_amp_adc`` (peak within
152 ns) is the 32.1 keV singlet peak: a Gaussian fit gives ``A_p``. The delayed amplitudes of all
window events are fitted with a Gaussian with an exponential tail (mode = the 9.4 keV peak
height) plus the 39Ar template: the same peak finder's ``delayed_amp_adc`` of background events
in the same total-PE window. Both amplitudes become light by solving ``E Y = A_p / S_Ap(E Y)``
with S_Ap(PE) from 39Ar events (``analysis_core.components.sap``). The delay half-life is fitted
on ``delayed_time_ns`` of the events with a delayed pulse (``analysis_core.fitting.fit_delay``).

Errors: statistical (amplitude fit and S_Ap curve) and systematic: the S_Ap definition (the
difference between the light solved with the per-bin mean and the per-bin median ratio), for
the 32.1 keV step the amplitude estimator (Gaussian mean vs the mean of the whole sample:
S_Ap is a mean ratio, the paper's A_p a Gaussian fit; they differ by ~1 % on a skewed peak) and,
for the 9.4 keV step, the triplet light of the 32.1 keV step under the delayed pulse, which
raises its amplitude (the paper limits the peak to one sample for this reason). Its mean level
``(I240 - I90) / 150 ns x (ADC x ns per PE)`` at the mean delay is measured on events whose
delayed pulse comes after 240 ns, and the light shift it causes is a one-sided error (the
result is not corrected, as in the paper; ``pedestal_adc`` reports the level).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from analysis_core.components.common import (
    base_mask,
    clean,
    hist_from_dict,
    hist_to_dict,
    kr_window,
    merged,
    num,
)
from analysis_core.components.lightyield import E_DELAYED_KEV, E_PROMPT_KEV, light_yield
from analysis_core.components.sap import SapProfile, measure_sap
from analysis_core.errors import CalibrationError
from analysis_core.fitting import fit_peak
from analysis_core.fitting.delay import fit_delay
from analysis_core.fitting.result import FitResult
from analysis_core.fitting.step_common import check_same_gains
from analysis_core.histograms import Hist1D, histogram1d
from analysis_core.steps import StepInputs

__all__ = ["DEFAULTS_A", "ComponentLight", "ComponentsAResult", "compute_components_a"]

DEFAULTS_A: dict[str, Any] = {
    "apply_cuts": True,
    "kr_window_pe": None,  # [lo, hi] total PE of the 41.5 keV peak; None: mode +-30 %
    "delayed_min_adc": 110.0,  # a delayed pulse above this is the 9.4 keV step
    "prompt_range_adc": [0.0, 900.0],
    "prompt_bins": 90,
    "prompt_fit_adc": None,  # None: mean -+ 2 rms of the selected amplitudes
    "delayed_range_adc": [0.0, 400.0],
    "delayed_bins": 100,
    "delayed_fit_adc": [40.0, 360.0],
    "delayed_tail": "high",
    "sap_range_pe": [20.0, 400.0],
    "sap_bins": 20,
    "delay_fit_ns": [165.0, 1200.0],  # from 165 ns: 152-160 ns holds pulses cut by the search
}

#: Nominal triplet lifetime (physics.md 3), for the pedestal under the delayed pulse.
TRIPLET_TAU_NS = 1500.0


@dataclass(frozen=True, slots=True)
class ComponentLight:
    """Light of one 83mKr step from its amplitude.

    Attributes
    ----------
    energy_kev : float
        Energy of the step.
    amp_adc, amp_err_adc : float
        Fitted amplitude (ADC) and its error.
    pe, pe_stat, pe_syst : float
        Solved light (PE), statistical and systematic (S_Ap definition) errors.
    sap_adc_per_pe : float
        S_Ap at the solution.
    pedestal_adc : float
        Mean level of earlier light under the pulse (0 for the prompt step).
    """

    energy_kev: float
    amp_adc: float
    amp_err_adc: float
    pe: float
    pe_stat: float
    pe_syst: float
    sap_adc_per_pe: float
    pedestal_adc: float = 0.0

    @property
    def pe_err(self) -> float:
        """Total error (statistical and systematic in quadrature)."""
        return math.hypot(self.pe_stat, self.pe_syst)

    @property
    def yield_pe_per_kev(self) -> tuple[float, float]:
        """``(Y, sigma_Y)`` in PE/keV."""
        return light_yield(self.pe, self.pe_err, self.energy_kev)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {k: clean(getattr(self, k)) for k in self.__slots__}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ComponentLight:
        """Inverse of ``to_dict``."""
        return cls(**{k: num(d[k]) for k in cls.__slots__})


@dataclass(frozen=True, slots=True)
class ComponentsAResult:
    """Everything Analysis A computed, for the pane's plots and the linearity step.

    Attributes
    ----------
    settings : dict
        The settings used (defaults filled in).
    kr_window_pe : (float, float)
        Total-PE window of the 41.5 keV events.
    n_window, n_delayed : int
        Kr events in the window; those with a delayed pulse (the prompt-fit sample).
    prompt_hist, prompt_fit : Hist1D, FitResult
        Prompt (32.1 keV) amplitudes of the delayed-pulse events and the Gaussian fit.
    sap : SapProfile
        S_Ap profile of the background run and its curve.
    delayed_hist, template_hist, delayed_fit : Hist1D, Hist1D, FitResult
        Delayed amplitudes of the Kr window events, the 39Ar template, the fit.
    delay_hist, delay_fit : Hist1D, FitResult
        Delays of the delayed-pulse events (16 ns bins) and the half-life fit (4 ns bins).
    light_32, light_9 : ComponentLight
        The 32.1 and 9.4 keV light.
    messages : tuple of str
        Warnings that did not stop the step (e.g. a small template, a failed delay fit).
    """

    settings: dict[str, Any]
    kr_window_pe: tuple[float, float]
    n_window: int
    n_delayed: int
    prompt_hist: Hist1D
    prompt_fit: FitResult
    sap: SapProfile
    delayed_hist: Hist1D
    template_hist: Hist1D
    delayed_fit: FitResult
    delay_hist: Hist1D
    delay_fit: FitResult
    light_32: ComponentLight
    light_9: ComponentLight
    messages: tuple[str, ...] = field(default=())

    def light_points(self) -> list[dict[str, Any]]:
        """Points for the linearity step (PE in the units of the Kr RQ table)."""
        return [
            {
                "energy_kev": c.energy_kev,
                "pe": c.pe,
                "pe_err": c.pe_err,
                "label": f"{name} keV (A, amplitude)",
            }
            for name, c in (("9.4", self.light_9), ("32.1", self.light_32))
        ]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "step": "components_a",
            "settings": dict(self.settings),
            "kr_window_pe": list(self.kr_window_pe),
            "n_window": self.n_window,
            "n_delayed": self.n_delayed,
            "prompt_hist": hist_to_dict(self.prompt_hist),
            "prompt_fit": self.prompt_fit.to_dict(),
            "sap": self.sap.to_dict(),
            "delayed_hist": hist_to_dict(self.delayed_hist),
            "template_hist": hist_to_dict(self.template_hist),
            "delayed_fit": self.delayed_fit.to_dict(),
            "delay_hist": hist_to_dict(self.delay_hist),
            "delay_fit": self.delay_fit.to_dict(),
            "light_32": self.light_32.to_dict(),
            "light_9": self.light_9.to_dict(),
            "messages": list(self.messages),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ComponentsAResult:
        """Inverse of ``to_dict``."""
        return cls(
            settings=dict(d["settings"]),
            kr_window_pe=(float(d["kr_window_pe"][0]), float(d["kr_window_pe"][1])),
            n_window=int(d["n_window"]),
            n_delayed=int(d["n_delayed"]),
            prompt_hist=hist_from_dict(d["prompt_hist"]),
            prompt_fit=FitResult.from_dict(d["prompt_fit"]),
            sap=SapProfile.from_dict(d["sap"]),
            delayed_hist=hist_from_dict(d["delayed_hist"]),
            template_hist=hist_from_dict(d["template_hist"]),
            delayed_fit=FitResult.from_dict(d["delayed_fit"]),
            delay_hist=hist_from_dict(d["delay_hist"]),
            delay_fit=FitResult.from_dict(d["delay_fit"]),
            light_32=ComponentLight.from_dict(d["light_32"]),
            light_9=ComponentLight.from_dict(d["light_9"]),
            messages=tuple(d.get("messages", ())),
        )


def _light(
    sap: SapProfile,
    sap_median: SapProfile,
    fit: FitResult,
    energy_kev: float,
    what: str,
    pedestal_adc: float = 0.0,
    amp_mean_adc: float | None = None,
) -> ComponentLight:
    if not fit.valid:
        raise CalibrationError(f"components A: the {what} amplitude fit failed: {fit.message}")
    amp, amp_err = fit["mean"], fit.error("mean")
    pe, stat, s = sap.curve.solve(amp, amp_err)
    pe_med, _, _ = sap_median.curve.solve(amp, 0.0)
    syst = abs(pe - pe_med)
    if amp_mean_adc is not None:  # Gaussian peak vs sample mean (S_Ap is a mean ratio)
        syst = math.hypot(syst, pe - sap.curve.solve(amp_mean_adc, 0.0)[0])
    if pedestal_adc > 0:
        syst = math.hypot(syst, pe - sap.curve.solve(amp - pedestal_adc, 0.0)[0])
    return ComponentLight(energy_kev, amp, amp_err, pe, stat, syst, s, pedestal_adc)


def _pedestal_adc(kr: Any, sel: np.ndarray) -> float:
    """Mean triplet level (ADC) of the first step at the mean delay of the selected events."""
    t_d = np.asarray(kr["delayed_time_ns"], dtype=float)
    late = sel & (t_d > 240.0)
    if late.sum() < 20:
        return 0.0
    rate = np.median(np.asarray(kr["i240_pe"])[late] - np.asarray(kr["i90_pe"])[late]) / 150.0
    gains = kr.metadata.get("spe_gain_adc_ns") if kr.pe_units == "PE" else None
    g = float(np.mean(list(gains.values()))) if isinstance(gains, dict) and gains else 1.0
    if kr.pe_units == "PE" and g == 1.0:
        return 0.0  # PE without the gains that made them: the level cannot be told in ADC
    return float(rate * g * math.exp(-(np.mean(t_d[sel]) - 165.0) / TRIPLET_TAU_NS))


def compute_components_a(
    inputs: StepInputs, settings: Mapping[str, Any] | None
) -> ComponentsAResult:
    """Run Analysis A (see the module docstring).

    Raises
    ------
    CalibrationError
        Missing runs, too few events, or a fit that failed (the message says which).
    """
    st = merged(DEFAULTS_A, settings, "components_a")
    kr, bg = inputs.table("kr"), inputs.table("background")
    check_same_gains(kr, bg, "39Ar (S_Ap and template)")
    cuts = inputs.cuts
    mk = base_mask(kr, cuts, st["apply_cuts"])
    mb = base_mask(bg, cuts, st["apply_cuts"])
    tot = np.asarray(kr["total_pe"], dtype=float)
    lo, hi = kr_window(tot[mk], st["kr_window_pe"])
    win = mk & (tot >= lo) & (tot < hi)
    d_amp = np.asarray(kr["delayed_amp_adc"], dtype=float)
    delayed = win & (d_amp > st["delayed_min_adc"]) & (np.asarray(kr["peak_time_ns"]) < 152.0)
    if delayed.sum() < 50:
        raise CalibrationError(
            f"components A: only {int(delayed.sum())} Kr events in {lo:.0f}-{hi:.0f} PE with a "
            f"delayed pulse above {st['delayed_min_adc']:g} ADC (need >= 50)"
        )
    # 32.1 keV: prompt amplitude of events whose 9.4 keV step came later than 152 ns
    amp = np.asarray(kr["peak_amp_adc"], dtype=float)[delayed]
    prompt_hist = histogram1d(amp, int(st["prompt_bins"]), tuple(st["prompt_range_adc"]))
    pfr = st["prompt_fit_adc"]
    if pfr is None:
        m, r = float(np.median(amp)), float(np.subtract(*np.percentile(amp, [84, 16])) / 2)
        pfr = (m - 2 * r, m + 2 * r)
    prompt_fit = fit_peak(prompt_hist, range_=tuple(pfr), model="gauss")
    # S_Ap from the background run (mean ratio; the median one gives the systematic)
    b_amp = np.asarray(bg["peak_amp_adc"], dtype=float)[mb]
    b_tot = np.asarray(bg["total_pe"], dtype=float)[mb]
    kw = {"range_pe": tuple(st["sap_range_pe"]), "n_bins": int(st["sap_bins"])}
    sap = measure_sap(b_amp, b_tot, **kw)
    sap_med = measure_sap(b_amp, b_tot, statistic="median", **kw)
    # 9.4 keV: delayed amplitudes with the 39Ar template (same window, same peak finder)
    edges_args = (int(st["delayed_bins"]), tuple(st["delayed_range_adc"]))
    delayed_hist = histogram1d(d_amp[win], *edges_args)
    b_win = mb & (np.asarray(bg["total_pe"]) >= lo) & (np.asarray(bg["total_pe"]) < hi)
    template_hist = histogram1d(np.asarray(bg["delayed_amp_adc"], dtype=float)[b_win], *edges_args)
    messages = []
    if b_win.sum() < 100:
        messages.append(f"39Ar template has only {int(b_win.sum())} events in the Kr window")
    delayed_fit = fit_peak(
        delayed_hist,
        range_=tuple(st["delayed_fit_adc"]),
        model="gauss_exptail+template",
        template=template_hist.counts,
        tail=st["delayed_tail"],
    )
    light_32 = _light(
        sap, sap_med, prompt_fit, E_PROMPT_KEV, "prompt (32.1 keV)", amp_mean_adc=float(amp.mean())
    )
    ped = _pedestal_adc(kr, win & (d_amp > st["delayed_min_adc"]))
    light_9 = _light(sap, sap_med, delayed_fit, E_DELAYED_KEV, "delayed (9.4 keV)", ped)
    # delay half-life of the delayed-pulse events
    dmin, dmax = (float(v) for v in st["delay_fit_ns"])
    delays = np.asarray(kr["delayed_time_ns"], dtype=float)[win & (d_amp > st["delayed_min_adc"])]
    delay_fit = fit_delay(delays, dmin, dmax)
    bkg = delay_fit["background_per_ns"], delay_fit.error("background_per_ns")
    if not delay_fit.valid and "limit" in delay_fit.message and bkg[0] < bkg[1]:
        # the flat part of accidental picks sits at its zero boundary: fit without it
        delay_fit = fit_delay(delays, dmin, dmax, flat_background=False)
    delay_hist = histogram1d(delays, max(1, int(round((dmax - 152.0) / 16.0))), (152.0, dmax))
    if not delay_fit.valid:
        messages.append(f"delay fit: {delay_fit.message}")
    return ComponentsAResult(
        settings=st,
        kr_window_pe=(lo, hi),
        n_window=int(win.sum()),
        n_delayed=int(delayed.sum()),
        prompt_hist=prompt_hist,
        prompt_fit=prompt_fit,
        sap=sap,
        delayed_hist=delayed_hist,
        template_hist=template_hist,
        delayed_fit=delayed_fit,
        delay_hist=delay_hist,
        delay_fit=delay_fit,
        light_32=light_32,
        light_9=light_9,
        messages=tuple(messages),
    )
