"""Peak models by name: parameters, bin-integrated expectation, densities for drawing.

What to use when
----------------
- ``MODELS`` / ``model_parameters(model)``: the models ``fit_peak`` knows and their parameters.
- ``doublet_lines(model, kev, ratio)``: the checked line pair and area ratio of a doublet fit.
- ``PeakModel(model, x_ref, x_lo, side, template_edges, template_counts)``: evaluates one model
  (``cdf`` for fits, ``density`` by component for plots); ``fit_peak`` builds one per fit.
- ``peak_model_density(fit, x, component=...)`` and ``peak_model_counts(fit, edges)``: a fitted
  model (a ``FitResult`` of ``fit_peak``) as counts per unit x or counts per bin.
- ``DOUBLET_KEV`` / ``DOUBLET_RATIO``: the default line pair of the ``gauss_doublet`` models
  (the 57Co 122.06 and 136.47 keV gammas) and their area ratio (the intensity ratio).

The doublet models
------------------
``gauss_doublet`` (and ``+linear``) fit a peak with a known weaker line next to it: the main
line is the Gaussian ``area, mean, sigma``; the second line, at energy ``E2 = r_e E1``
(``r_e`` fixed by the two known energies), is a Gaussian of area ``area_ratio x area``, mean
``r_e x mean`` (a response proportional to energy, no offset) and width ``sqrt(r_e) x sigma``
(photon statistics: the stochastic term dominates at these energies; a constant term would
scale it by ``r_e``, 6 % more at 136/122 keV, a second-order change of the main line's width).
``area_ratio`` is held at its start value by ``fit_peak`` unless the ratio is asked to be free:
the default is the emission-intensity ratio, 10.68 % / 85.60 % = 0.1248 for 57Co, times the
ratio of the full-energy efficiencies of the two lines when the detector's differ (1 for the
simulator, whose photopeak fraction is the same for both lines). ``area``, ``mean``, ``sigma``
and the derived ``resolution`` are the main line's, as for every other model.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from analysis_core.errors import FitError
from analysis_core.fitting import shapes
from analysis_core.fitting.result import FitResult

__all__ = [
    "DOUBLET_KEV",
    "DOUBLET_MODELS",
    "DOUBLET_RATIO",
    "MODELS",
    "PeakModel",
    "doublet_lines",
    "model_parameters",
    "peak_model_counts",
    "peak_model_density",
]

_PEAK = ("area", "mean", "sigma")
_PEAK2 = ("area_2", "mean_2", "sigma_2")
_PARAMS: dict[str, tuple[str, ...]] = {
    "gauss": _PEAK,
    "gauss+linear": (*_PEAK, "bkg_c0", "bkg_c1"),
    "gauss+exp": (*_PEAK, "bkg_c0", "bkg_slope"),
    "two_gauss": (*_PEAK, *_PEAK2),
    "two_gauss+linear": (*_PEAK, *_PEAK2, "bkg_c0", "bkg_c1"),
    "gauss_exptail+template": (*_PEAK, "tail", "template_scale"),
    "gauss_doublet": (*_PEAK, "area_ratio"),
    "gauss_doublet+linear": (*_PEAK, "area_ratio", "bkg_c0", "bkg_c1"),
}
#: Fit models by name.
MODELS = tuple(_PARAMS)
#: The models with a second line of known energy ratio.
DOUBLET_MODELS = ("gauss_doublet", "gauss_doublet+linear")
#: Default line pair of the doublet models: the 57Co gammas reaching the argon (ENSDF, keV).
DOUBLET_KEV = (122.06065, 136.47356)
#: Default area ratio second / main line: the 57Co emission intensities 10.68 % / 85.60 %.
DOUBLET_RATIO = 0.1068 / 0.8560


def doublet_lines(
    model: str, kev: Sequence[float] | None, ratio: float | str | None
) -> tuple[float, float, float | None] | None:
    """Return the checked ``(E1, E2, ratio)`` of a doublet model (ratio None: free), else None.

    ``kev`` None means ``DOUBLET_KEV``; ``ratio`` None means ``DOUBLET_RATIO``, ``"free"`` a
    fitted ratio. ``FitError`` for energies that are not two different positive numbers or a
    ratio that is not a number >= 0.
    """
    if model not in DOUBLET_MODELS:
        return None
    pair = DOUBLET_KEV if kev is None else kev
    try:
        e1, e2 = (float(e) for e in pair)
    except (TypeError, ValueError):
        raise FitError(f"doublet_kev must be two energies (E1, E2), got {kev!r}") from None
    if not (math.isfinite(e1) and math.isfinite(e2) and e1 > 0 and e2 > 0 and e1 != e2):
        raise FitError(f"doublet_kev must be two different positive energies, got {kev!r}")
    if ratio == "free":
        return e1, e2, None
    r = DOUBLET_RATIO if ratio is None else ratio
    if isinstance(r, bool) or not isinstance(r, (int, float)) or not (math.isfinite(r) and r >= 0):
        raise FitError(f"doublet_ratio must be a number >= 0 or 'free', got {ratio!r}")
    return e1, e2, float(r)


def model_parameters(model: str) -> tuple[str, ...]:
    """Return the parameter names of ``model``; ``FitError`` for an unknown model."""
    try:
        return _PARAMS[model]
    except KeyError:
        raise FitError(f"unknown peak model {model!r}; choose one of {', '.join(MODELS)}") from None


class PeakModel:
    """Cumulative and density functions of one model on one fit range."""

    def __init__(
        self,
        model: str,
        x_ref: float,
        x_lo: float,
        side: str,
        t_edges: NDArray[np.float64] | None = None,
        t_counts: NDArray[np.float64] | None = None,
        energy_ratio: float = DOUBLET_KEV[1] / DOUBLET_KEV[0],
    ) -> None:
        self.model, self.x_ref, self.x_lo, self.side = model, x_ref, x_lo, side
        self.t_edges, self.t_counts = t_edges, t_counts
        #: ``E2 / E1`` of the doublet models (second line's mean and width scale with it)
        self.energy_ratio = float(energy_ratio)

    def second_line(self, p: Sequence[float]) -> tuple[float, float, float]:
        """Return ``(area, mean, sigma)`` of a doublet model's second line."""
        r = self.energy_ratio
        return p[0] * p[3], p[1] * r, p[2] * math.sqrt(r)

    def doublet_extra(
        self, p: Sequence[float], lines: tuple[float, float, float | None]
    ) -> dict[str, Any]:
        """Return the ``extra`` entries of a doublet fit (see ``fit_peak``)."""
        a2, m2, s2 = self.second_line(p)

        def clean(x: float) -> float | None:
            return float(x) if math.isfinite(x) else None

        return {
            "doublet_kev": [lines[0], lines[1]],
            "doublet_energy_ratio": self.energy_ratio,
            "doublet_ratio_free": lines[2] is None,
            "second_line": {
                "energy_kev": lines[1],
                "area": clean(a2),
                "mean": clean(m2),
                "sigma": clean(s2),
            },
        }

    def cdf(self, x: Any, p: Sequence[float]) -> NDArray[np.float64]:
        """Return the cumulative expected counts at ``x`` for parameter values ``p``."""
        m = self.model
        if m.startswith("gauss_exptail"):
            out = shapes.gaussexp_cdf(x, p[0], p[1], p[2], p[3], self.side)
            return out + shapes.template_cdf(x, p[4], self.t_edges, self.t_counts)
        out = shapes.gauss_cdf(x, p[0], p[1], p[2])
        if m.startswith("two_gauss"):
            out = out + shapes.gauss_cdf(x, p[3], p[4], p[5])
        elif m.startswith("gauss_doublet"):
            out = out + shapes.gauss_cdf(x, *self.second_line(p))
        if m.endswith("+linear"):
            out = out + shapes.linear_cdf(x, p[-2], p[-1], self.x_ref, self.x_lo)
        elif m.endswith("+exp"):
            out = out + shapes.exp_cdf(x, p[-2], p[-1], self.x_ref, self.x_lo)
        return out

    def density(self, x: Any, p: Sequence[float], component: str) -> NDArray[np.float64]:
        """Return the density (counts per unit x) of ``component`` or of the total."""
        m = self.model
        zero = np.zeros_like(np.asarray(x, dtype=float))
        parts: dict[str, NDArray[np.float64]] = {"peak": zero, "peak_2": zero, "background": zero}
        if m.startswith("gauss_exptail"):
            parts["peak"] = shapes.gaussexp_pdf(x, p[0], p[1], p[2], p[3], self.side)
            if self.t_edges is not None and self.t_counts is not None:
                parts["background"] = shapes.template_pdf(x, p[4], self.t_edges, self.t_counts)
        else:
            parts["peak"] = shapes.gauss_pdf(x, p[0], p[1], p[2])
            if m.startswith("two_gauss"):
                parts["peak_2"] = shapes.gauss_pdf(x, p[3], p[4], p[5])
            elif m.startswith("gauss_doublet"):
                parts["peak_2"] = shapes.gauss_pdf(x, *self.second_line(p))
            if m.endswith("+linear"):
                parts["background"] = shapes.linear_pdf(x, p[-2], p[-1], self.x_ref)
            elif m.endswith("+exp"):
                parts["background"] = shapes.exp_pdf(x, p[-2], p[-1], self.x_ref)
        if component == "total":
            return parts["peak"] + parts["peak_2"] + parts["background"]
        if component not in parts:
            raise FitError(f"unknown model component {component!r}")
        return parts[component]


def _evaluator(fit: FitResult, template: Any, edges: Any) -> PeakModel:
    ex = fit.extra
    x_lo, x_hi = (ex.get("fit_range") or [0.0, 0.0])[:2]
    t_edges = t_counts = None
    if fit.model.startswith("gauss_exptail") and template is not None:
        if hasattr(template, "counts"):
            t_edges = np.asarray(template.edges, dtype=float)
            t_counts = np.asarray(template.counts, dtype=float)
        else:
            t_edges = np.asarray(edges, dtype=float)
            t_counts = np.asarray(template, dtype=float)
    return PeakModel(
        fit.model,
        float(ex.get("x_ref", 0.5 * (x_lo + x_hi))),
        float(x_lo),
        str(ex.get("tail_side", "high")),
        t_edges,
        t_counts,
        float(ex.get("doublet_energy_ratio") or DOUBLET_KEV[1] / DOUBLET_KEV[0]),
    )


def peak_model_density(
    fit: FitResult,
    x: ArrayLike,
    *,
    component: str = "total",
    template: Any = None,
    template_edges: ArrayLike | None = None,
) -> NDArray[np.float64]:
    """Evaluate a fitted model as a density (counts per unit x) for drawing.

    Parameters
    ----------
    fit : FitResult
        A result of ``fit_peak``.
    x : array_like
        Points; multiply by the bin width to overlay on a histogram of counts per bin.
    component : {"total", "peak", "peak_2", "background"}
        Which part of the model (``peak_2``: the second Gaussian of ``two_gauss`` or the second
        line of a doublet model; zero for the other models).
    template, template_edges : optional
        The template histogram (or its counts and edges) of a ``gauss_exptail+template`` fit.
    """
    ev = _evaluator(fit, template, template_edges)
    return ev.density(x, fit.values, component)


def peak_model_counts(
    fit: FitResult, edges: ArrayLike, *, template: Any = None
) -> NDArray[np.float64]:
    """Return the expected counts of a fitted model in each bin of ``edges``.

    For ``gauss_exptail+template`` pass the template on the same ``edges``.
    """
    e = np.asarray(edges, dtype=float)
    ev = _evaluator(fit, template, e)
    if fit.model.startswith("gauss_exptail") and ev.t_edges is None:
        raise FitError("peak_model_counts of a template fit needs the template")
    return np.diff(ev.cdf(e, fit.values))
