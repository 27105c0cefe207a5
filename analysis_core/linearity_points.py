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
- ``gain_systematic(inputs, analysis)``: the relative light-yield uncertainty from the SPE gain
  errors of ``analysis`` (``inputs.gain_errors``, else the ``"spe"`` step result). The light of
  a PMT scales as 1 / gain, so ``dY/Y = sqrt((f_top dg_top/g_top)^2 + ((1 - f_top)
  dg_bot/g_bot)^2)`` (the two gains come from independent fits); it is evaluated at the median
  ``ftop`` of each source run present and the largest value is kept (conservative).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from analysis_core.fitting.result import FitResult

__all__ = [
    "DEFAULT_PEAK_ENERGIES_KEV",
    "LinearityPoint",
    "collect_points",
    "gain_factor",
    "gain_systematic",
]

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
    f = _median_ftop(table)
    f = 0.5 if f is None else f
    return f * float(used["top"]) / g_top + (1 - f) * float(used["bottom"]) / g_bot


def _median_ftop(table: Any) -> float | None:
    """Median finite ``ftop`` of ``table`` or None when it has none."""
    if table is None or "ftop" not in table:
        return None
    ftop = np.asarray(table["ftop"], dtype=float)
    ftop = ftop[np.isfinite(ftop)]
    return float(np.median(ftop)) if ftop.size else None


#: Runs whose light makes linearity points (their ftop weighs the two gains' errors).
SOURCE_ROLES = ("kr", "am241", "co57")


def _gain_rel_errors(inputs: Any, analysis: str) -> tuple[tuple[float, float], str] | None:
    gains = getattr(inputs, "gains", {}) or {}
    errors = getattr(inputs, "gain_errors", {}) or {}
    pairs: list[tuple[Sequence[float], Sequence[float], str]] = []
    if analysis in gains and errors.get(analysis) is not None:
        pairs.append((gains[analysis], errors[analysis], "SPE gain errors of the session"))
    spe = (getattr(inputs, "results", {}) or {}).get("spe")
    part = getattr(spe, "analyses", {}).get(analysis) if spe is not None else None
    if part is not None and getattr(part, "valid", False):
        pairs.append((part.gains_adc_ns, part.errors_adc_ns, "SPE step result"))
    for g, e, source in pairs:
        try:
            rel = tuple(float(e[i]) / float(g[i]) for i in (0, 1))
        except (TypeError, ValueError, IndexError, ZeroDivisionError):
            continue
        if all(math.isfinite(r) and r >= 0 for r in rel):
            return (rel[0], rel[1]), source
    return None


def gain_systematic(inputs: Any, analysis: str) -> dict[str, Any] | None:
    """Relative light-yield error of ``analysis`` from its SPE gain errors, or None if unknown.

    Returns
    -------
    dict or None
        ``rel_err`` (dY/Y), ``ftop`` (the median ftop it was evaluated at), ``top_rel_err``,
        ``bottom_rel_err`` (dg/g of each PMT) and ``source`` (where the errors came from).
    """
    found = _gain_rel_errors(inputs, analysis)
    if found is None:
        return None
    (r_top, r_bot), source = found
    rq = getattr(inputs, "rq", {}) or {}
    ftops = [f for role in SOURCE_ROLES if (f := _median_ftop(rq.get(role))) is not None]
    best: tuple[float, float] | None = None
    for f in ftops or [0.5]:
        rel = math.hypot(f * r_top, (1.0 - f) * r_bot)
        if best is None or rel > best[0]:
            best = (rel, f)
    assert best is not None
    return {
        "rel_err": best[0],
        "ftop": best[1],
        "top_rel_err": r_top,
        "bottom_rel_err": r_bot,
        "source": source,
    }


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
