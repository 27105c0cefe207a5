"""Peak models by name: parameters, bin-integrated expectation, densities for drawing.

What to use when
----------------
- ``MODELS`` / ``model_parameters(model)``: the models ``fit_peak`` knows and their parameters.
- ``PeakModel(model, x_ref, x_lo, side, template_edges, template_counts)``: evaluates one model
  (``cdf`` for fits, ``density`` by component for plots); ``fit_peak`` builds one per fit.
- ``peak_model_density(fit, x, component=...)`` and ``peak_model_counts(fit, edges)``: a fitted
  model (a ``FitResult`` of ``fit_peak``) as counts per unit x or counts per bin.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from analysis_core.errors import FitError
from analysis_core.fitting import shapes
from analysis_core.fitting.result import FitResult

__all__ = [
    "MODELS",
    "PeakModel",
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
}
#: Fit models by name.
MODELS = tuple(_PARAMS)


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
    ) -> None:
        self.model, self.x_ref, self.x_lo, self.side = model, x_ref, x_lo, side
        self.t_edges, self.t_counts = t_edges, t_counts

    def cdf(self, x: Any, p: Sequence[float]) -> NDArray[np.float64]:
        """Return the cumulative expected counts at ``x`` for parameter values ``p``."""
        m = self.model
        if m.startswith("gauss_exptail"):
            out = shapes.gaussexp_cdf(x, p[0], p[1], p[2], p[3], self.side)
            return out + shapes.template_cdf(x, p[4], self.t_edges, self.t_counts)
        out = shapes.gauss_cdf(x, p[0], p[1], p[2])
        if m.startswith("two_gauss"):
            out = out + shapes.gauss_cdf(x, p[3], p[4], p[5])
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
        Which part of the model.
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
