"""The common fit result type and a safe iminuit driver."""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from iminuit import Minuit

__all__ = ["FitResult", "minimize"]


@dataclass(frozen=True, slots=True)
class FitResult:
    """Outcome of a fit.

    Attributes
    ----------
    names : tuple of str
        Parameter names, in order.
    values : tuple of float
        Best-fit values.
    errors : tuple of float
        Symmetric (HESSE) errors.
    covariance : tuple of tuple of float
        Covariance matrix (NaN-filled when it could not be computed).
    chi2 : float
        Chi-square, or for likelihood fits the equivalent goodness-of-fit statistic
        (the Poisson deviance), NaN when undefined.
    ndf : int
        Degrees of freedom (bins minus free parameters).
    valid : bool
        True when the minimum is valid and the covariance accurate.
    message : str
        Empty on success; otherwise why the fit is not trustworthy, in plain words.
    model : str
        Name of the fit model (e.g. ``"gauss+linear"``).
    cost : str
        ``"chi2"`` or ``"poisson"`` (binned Poisson likelihood).
    minos : dict
        Optional asymmetric errors ``name -> (lower, upper)``.
    extra : dict
        Model-specific derived numbers (e.g. resolution), JSON-serialisable.
    """

    names: tuple[str, ...]
    values: tuple[float, ...]
    errors: tuple[float, ...]
    covariance: tuple[tuple[float, ...], ...]
    chi2: float
    ndf: int
    valid: bool
    message: str = ""
    model: str = ""
    cost: str = "chi2"
    minos: dict[str, tuple[float, float]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, name: str) -> float:
        return self.values[self.names.index(name)]

    def error(self, name: str) -> float:
        """Return the symmetric error of parameter ``name``."""
        return self.errors[self.names.index(name)]

    @property
    def chi2_ndf(self) -> float:
        """Reduced chi-square (NaN when ``ndf <= 0``)."""
        return self.chi2 / self.ndf if self.ndf > 0 else float("nan")

    @property
    def cov(self) -> np.ndarray:
        """Covariance as a numpy array."""
        return np.array(self.covariance, dtype=float)

    def params(self) -> dict[str, float]:
        """Return ``{name: value}``."""
        return dict(zip(self.names, self.values, strict=True))

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dictionary (NaN becomes None)."""

        def clean(x: float) -> float | None:
            return None if x is None or not math.isfinite(x) else float(x)

        return {
            "model": self.model,
            "cost": self.cost,
            "parameters": {n: clean(v) for n, v in zip(self.names, self.values, strict=True)},
            "errors": {n: clean(e) for n, e in zip(self.names, self.errors, strict=True)},
            "covariance": [[clean(c) for c in row] for row in self.covariance],
            "chi2": clean(self.chi2),
            "ndf": self.ndf,
            "valid": self.valid,
            "message": self.message,
            "minos": {k: [clean(a), clean(b)] for k, (a, b) in self.minos.items()},
            "extra": self.extra,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> FitResult:
        """Rebuild a result from ``to_dict`` output."""

        def num(x: Any) -> float:
            return float("nan") if x is None else float(x)

        names = tuple(d["parameters"])
        return cls(
            names=names,
            values=tuple(num(d["parameters"][n]) for n in names),
            errors=tuple(num(d["errors"][n]) for n in names),
            covariance=tuple(tuple(num(c) for c in row) for row in d["covariance"]),
            chi2=num(d["chi2"]),
            ndf=int(d["ndf"]),
            valid=bool(d["valid"]),
            message=str(d.get("message", "")),
            model=str(d.get("model", "")),
            cost=str(d.get("cost", "chi2")),
            minos={k: (num(a), num(b)) for k, (a, b) in d.get("minos", {}).items()},
            extra=dict(d.get("extra", {})),
        )

    @classmethod
    def failed(
        cls, names: Sequence[str], message: str, *, model: str = "", cost: str = "chi2"
    ) -> FitResult:
        """Return an invalid result with NaN values and the reason ``message``."""
        n = len(names)
        nan = float("nan")
        return cls(
            names=tuple(names),
            values=(nan,) * n,
            errors=(nan,) * n,
            covariance=tuple((nan,) * n for _ in range(n)),
            chi2=nan,
            ndf=0,
            valid=False,
            message=message,
            model=model,
            cost=cost,
        )


def minimize(
    cost: Callable[..., float],
    start: Mapping[str, float],
    *,
    limits: Mapping[str, tuple[float | None, float | None]] | None = None,
    fixed: Sequence[str] = (),
    n_data: int | None = None,
    model: str = "",
    cost_name: str = "chi2",
    run_minos: bool = False,
    extra: Callable[[Minuit], dict[str, Any]] | None = None,
) -> FitResult:
    """Minimise ``cost`` with MIGRAD, then HESSE (and MINOS if asked); never raise.

    Parameters
    ----------
    cost : callable
        An ``iminuit.cost`` object or a function of the named parameters. Its ``errordef``
        attribute is used if present (1 for chi2 and Poisson deviance costs).
    start : mapping
        Starting values by parameter name (order defines the parameter order).
    limits : mapping, optional
        ``name -> (lo, hi)``; None means unbounded on that side.
    fixed : sequence of str
        Parameters held constant.
    n_data : int, optional
        Number of data points (bins); defaults to ``cost.ndata`` when available.
    model, cost_name : str
        Stored in the result for provenance.
    run_minos : bool
        Also compute MINOS asymmetric errors.
    extra : callable, optional
        Called with the Minuit object on success to fill ``FitResult.extra``.

    Returns
    -------
    FitResult
        ``valid=False`` with a plain reason when the fit failed.
    """
    names = list(start)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = Minuit(cost, *[float(start[n]) for n in names], name=names)
            if not hasattr(cost, "errordef"):
                m.errordef = Minuit.LEAST_SQUARES
            for n, (lo, hi) in (limits or {}).items():
                m.limits[n] = (-math.inf if lo is None else lo, math.inf if hi is None else hi)
            for n in fixed:
                m.fixed[n] = True
            m.migrad()
            if m.valid:
                m.hesse()
            if run_minos and m.valid:
                with contextlib.suppress(RuntimeError):
                    m.minos()
    except (RuntimeError, ValueError, FloatingPointError, ZeroDivisionError) as exc:
        return FitResult.failed(names, f"fit could not run: {exc}", model=model, cost=cost_name)

    n_free = sum(not m.fixed[n] for n in names)
    if n_data is None:
        n_data = int(getattr(cost, "ndata", 0) or 0)
    ndf = n_data - n_free if n_data else 0
    fval = float(m.fval) if m.fval is not None else float("nan")
    message = _diagnose(m)
    cov_ok = m.covariance is not None
    cov = (
        tuple(
            tuple(float(m.covariance[i, j]) for j in range(len(names))) for i in range(len(names))
        )
        if cov_ok
        else tuple((float("nan"),) * len(names) for _ in names)
    )
    minos: dict[str, tuple[float, float]] = {}
    if run_minos and m.merrors:
        for n in names:
            if n in m.merrors:
                me = m.merrors[n]
                minos[n] = (float(me.lower), float(me.upper))
    ext: dict[str, Any] = {}
    if extra is not None and not message:
        try:
            ext = extra(m)
        except (ValueError, ZeroDivisionError, FloatingPointError) as exc:
            message = f"derived quantities failed: {exc}"
    return FitResult(
        names=tuple(names),
        values=tuple(float(v) for v in m.values),
        # a fixed parameter has no error: iminuit reports its step size there
        errors=tuple(0.0 if m.fixed[n] else float(e) for n, e in zip(names, m.errors, strict=True)),
        covariance=cov,
        chi2=fval,
        ndf=ndf,
        valid=not message,
        message=message,
        model=model,
        cost=cost_name,
        minos=minos,
        extra=ext,
    )


def _diagnose(m: Minuit) -> str:
    fmin = m.fmin
    if fmin is None:
        return "minimiser did not run"
    if not math.isfinite(fmin.fval):
        return "cost is not finite at the minimum (model outside the data or zero expectation)"
    if fmin.has_reached_call_limit:
        return "no convergence: call limit reached"
    if fmin.is_above_max_edm:
        return "no convergence: estimated distance to minimum too large"
    if not fmin.is_valid:
        return "minimum not valid"
    if fmin.has_parameters_at_limit:
        at = [_limit_text(p) for p in m.params if p.has_limits and not p.is_fixed and _at_limit(p)]
        return f"parameter at its limit: {', '.join(at)}" if at else "a parameter is at its limit"
    if not fmin.has_accurate_covar or fmin.hesse_failed:
        return "covariance matrix not accurate (singular or not positive definite)"
    return ""


def _at_limit(p: Any) -> bool:
    """Whether a bounded parameter is within half its error of a limit (iminuit's criterion)."""
    return _nearest_limit(p) is not None


def _nearest_limit(p: Any) -> float | None:
    """Return the limit a parameter sits at (closer than half its error, as iminuit), or None."""
    err = float(p.error) if math.isfinite(p.error) else 0.0
    tol = max(0.5 * err, 1e-6 * max(1.0, abs(p.value)))
    lo, hi = p.lower_limit, p.upper_limit
    if lo is not None and math.isfinite(lo) and p.value - lo < tol:
        return float(lo)
    if hi is not None and math.isfinite(hi) and hi - p.value < tol:
        return float(hi)
    return None


def _limit_text(p: Any) -> str:
    """``name = value (limit L)`` for the message naming the parameter at its limit."""
    return f"{p.name} = {p.value:.4g} (limit {_nearest_limit(p):g})"
