"""Where the linearity step finds its points: earlier step results, expressed in each analysis' PE.

What to use when
----------------
- ``LinearityPoint``: one measured peak (energy, light with error, label, analysis, resolution).
- ``collect_points(inputs, settings, analyses)``: used by ``compute_linearity``. It reads

  * ``inputs.results["peak_fit"]``: one Gaussian peak fit per source (41.5 keV 83mKr,
    59.5 keV 241Am, 122 keV 57Co). Accepted shapes: an object with ``peaks`` (name -> peak
    result) or a single peak result; a peak result is a ``FitResult`` or has ``fit`` (a
    ``FitResult`` with parameters ``mean``, ``sigma`` and ``extra["resolution"]``) and
    optionally ``role``. The energy comes from ``settings["peak_energies_kev"]`` by peak name
    or role, else from ``DEFAULT_PEAK_ENERGIES_KEV``, unless the peak result states its own
    ``energy_kev``.
  * ``inputs.results["components_a"]`` / ``["components_b"]``: the 9.4 and 32.1 keV light of
    Analysis A / B component separation, through the result's ``light_points()`` (a list of
    dicts with ``energy_kev``, ``pe``, ``pe_err``, ``label``).

- PE conversion: a result is in the PE of the gains its RQ table was reduced with (metadata
  ``spe_gain_adc_ns``). A point goes to analysis X scaled by
  ``k = f_top g_used_top / g_X_top + (1 - f_top) g_used_bottom / g_X_bottom`` with ``f_top`` the
  median ``ftop`` of that run (exact when both PMTs' gain ratios are equal; ``k = 1`` when the
  run was reduced with X's gains). Peak fits give points in both analyses; component results
  only in their own analysis (A or B), as in the paper's Figure 13.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from analysis_core.fitting.result import FitResult

__all__ = ["DEFAULT_PEAK_ENERGIES_KEV", "LinearityPoint", "collect_points", "gain_factor"]

#: Energy of the peak fitted for each role or peak name (keV).
DEFAULT_PEAK_ENERGIES_KEV = {
    "kr": 41.5,
    "kr_41": 41.5,
    "am241": 59.5,
    "am241_59": 59.5,
    "co57": 122.0,
    "co57_122": 122.0,
}

_SOURCE = {41.5: "83mKr", 59.5: "241Am", 122.0: "57Co", 9.4: "83mKr", 32.1: "83mKr"}


@dataclass(frozen=True, slots=True)
class LinearityPoint:
    """One measured peak: its energy and the light it gave.

    Attributes
    ----------
    energy_kev : float
        Deposited energy.
    pe : float
        Mean light of the peak in photoelectrons (of ``analysis``' SPE definition).
    pe_err : float
        Its uncertainty (> 0).
    label : str
        Where it comes from, e.g. ``"41.5 keV (83mKr)"``.
    analysis : str
        ``"A"`` or ``"B"``.
    resolution : float or None
        sigma / mean of the peak when known.
    resolution_err : float or None
        Its uncertainty.
    """

    energy_kev: float
    pe: float
    pe_err: float
    label: str = ""
    analysis: str = "A"
    resolution: float | None = None
    resolution_err: float | None = None

    @property
    def yield_pe_per_kev(self) -> float:
        """The point's own light yield ``pe / energy_kev``."""
        return self.pe / self.energy_kev

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "energy_kev": self.energy_kev,
            "pe": self.pe,
            "pe_err": self.pe_err,
            "label": self.label,
            "analysis": self.analysis,
            "resolution": self.resolution,
            "resolution_err": self.resolution_err,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> LinearityPoint:
        """Rebuild a point from ``to_dict`` output."""

        def opt(x: Any) -> float | None:
            return None if x is None else float(x)

        return cls(
            float(d["energy_kev"]),
            float(d["pe"]),
            float(d["pe_err"]),
            str(d.get("label", "")),
            str(d.get("analysis", "A")),
            opt(d.get("resolution")),
            opt(d.get("resolution_err")),
        )


def gain_factor(table: Any, gains: Mapping[str, Sequence[float]], analysis: str) -> float:
    """Factor taking the PE of ``table`` (reduced with its own gains) to ``analysis``' PE.

    Returns 1 when ``table`` has no gain metadata or ``analysis`` has no gains, which is
    correct when the run was reduced with that analysis' gains.
    """
    if table is None or analysis not in gains:
        return 1.0
    used = table.metadata.get("spe_gain_adc_ns")
    if not isinstance(used, Mapping) or "top" not in used or "bottom" not in used:
        return 1.0
    g_top, g_bot = (float(g) for g in gains[analysis])
    ftop = np.asarray(table["ftop"], dtype=float) if "ftop" in table else np.array([])
    ftop = ftop[np.isfinite(ftop)]
    f = float(np.median(ftop)) if ftop.size else 0.5
    return f * float(used["top"]) / g_top + (1 - f) * float(used["bottom"]) / g_bot


def _peak_items(result: Any) -> list[tuple[str, Any]]:
    peaks = getattr(result, "peaks", None)
    if isinstance(peaks, Mapping):
        return list(peaks.items())
    if isinstance(result, Mapping):
        return list(result.items())
    return [(str(getattr(result, "name", "") or getattr(result, "role", "") or "kr"), result)]


def _fit_of(obj: Any) -> FitResult | None:
    if isinstance(obj, FitResult):
        return obj
    fit = getattr(obj, "fit", None)
    return fit if isinstance(fit, FitResult) else None


def _label(energy_kev: float, what: str = "") -> str:
    src = next((v for e, v in _SOURCE.items() if abs(e - energy_kev) < 0.1), "")
    text = f"{energy_kev:g} keV"
    if src:
        text += f" ({src}{', ' + what if what else ''})"
    elif what:
        text += f" ({what})"
    return text


def _peak_points(
    inputs: Any, settings: Mapping[str, Any], analyses: Sequence[str], skipped: list[str]
) -> list[Any]:
    energies = {**DEFAULT_PEAK_ENERGIES_KEV, **settings.get("peak_energies_kev", {})}
    out: list[LinearityPoint] = []
    for name, peak in _peak_items(inputs.results["peak_fit"]):
        role = str(getattr(peak, "role", "") or name)
        energy = getattr(peak, "energy_kev", None) or energies.get(name, energies.get(role))
        fit = _fit_of(peak)
        if energy is None:
            skipped.append(f"peak {name!r}: unknown energy (set peak_energies_kev)")
            continue
        if fit is None or "mean" not in fit.names:
            skipped.append(f"peak {name!r}: no Gaussian mean in its result")
            continue
        mean, err = fit["mean"], fit.error("mean")
        if not (fit.valid and math.isfinite(mean) and math.isfinite(err) and err > 0):
            skipped.append(f"peak {name!r}: fit not valid ({fit.message or 'no error'})")
            continue
        res = fit.extra.get("resolution")
        res_err = fit.extra.get("resolution_err")
        if (res is None or res_err is None) and "sigma" in fit.names:
            sig, sig_err = abs(fit["sigma"]), fit.error("sigma")
            res = sig / mean
            res_err = res * math.hypot(sig_err / sig, err / mean) if sig > 0 else None
        table = inputs.rq.get(role) if hasattr(inputs.rq, "get") else None
        for analysis in analyses:
            k = gain_factor(table, inputs.gains, analysis)
            out.append(
                LinearityPoint(
                    float(energy),
                    mean * k,
                    err * k,
                    _label(float(energy)),
                    analysis,
                    None if res is None else float(res),
                    None if res_err is None else float(res_err),
                )
            )
    return out


def _component_points(inputs: Any, step: str, analysis: str, skipped: list[str]) -> list[Any]:
    result = inputs.results[step]
    getter = getattr(result, "light_points", None)
    if getter is None:
        skipped.append(f"{step}: its result has no light_points()")
        return []
    table = inputs.rq.get("kr") if hasattr(inputs.rq, "get") else None
    k = gain_factor(table, inputs.gains, analysis)
    out = []
    for p in getter():
        pe, err = float(p["pe"]), float(p["pe_err"])
        if not (math.isfinite(pe) and math.isfinite(err) and err > 0):
            skipped.append(f"{step}: {p.get('label', p['energy_kev'])}: no valid light")
            continue
        energy = float(p["energy_kev"])
        what = "component " + analysis
        out.append(
            LinearityPoint(
                energy, pe * k, err * k, p.get("label") or _label(energy, what), analysis
            )
        )
    return out


def collect_points(
    inputs: Any, settings: Mapping[str, Any], analyses: Sequence[str]
) -> tuple[list[Any], list[str]]:
    """Return the linearity points of ``analyses`` and the reasons of skipped ones."""
    skipped: list[str] = []
    points: list[Any] = []
    if "peak_fit" in inputs.results:
        points += _peak_points(inputs, settings, analyses, skipped)
    for step, analysis in (("components_a", "A"), ("components_b", "B")):
        if analysis in analyses and step in inputs.results:
            points += _component_points(inputs, step, analysis, skipped)
    return points, skipped
