"""Energy-resolution model ``sigma/E = sqrt(a^2/E + b^2 + c^2/E^2)``, fitted in sigma^2.

What to use when
----------------
- ``fit_resolution(energy_kev, resolution, resolution_err)``: fit measured relative
  resolutions (sigma / mean of peaks) at known energies. With ``sigma_kev = r E`` the model is
  ``sigma_kev^2 = a^2 E + b^2 E^2 + c^2``, linear in ``(a^2, b^2, c^2)`` with each >= 0
  (physics.md section 4: stochastic, constant, noise terms). It is solved by non-negative
  weighted least squares (``scipy.optimize.nnls``) with weights ``1 / var(sigma_kev^2)``;
  errors come from the inverse Fisher matrix of the free (not-at-zero) coefficients. Terms left
  out are fixed: ``c`` at ``c_fixed_kev`` (e.g. a measured noise) or 0, ``a`` and ``b`` at 0.
  A fit with ``ndf <= 0`` (as many points as terms) interpolates exactly: it is returned with
  ``valid`` False and ``extra["constrained"]`` False.
- ``default_terms(n_points)``: which terms ``n`` points can fit with ``ndf >= 1``: ``a`` and
  ``b`` for 3 points (the default source peaks 41.5, 59.5, 122 keV), all three from 4 points,
  ``a`` alone below 3.
- ``ResolutionFit.relative(energy_kev)``: evaluate the fitted model (sigma / E).
- ``resolution_model(energy_kev, a, b, c)``: the model itself.

Units: ``E`` in keV, so ``a`` is in sqrt(keV), ``b`` is dimensionless, ``c`` is in keV.
Photon statistics alone give ``a^2 = 1 / Y`` (Y in PE/keV), ``(1 + v) / Y`` with an SPE
relative variance ``v``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import nnls
from scipy.stats import chi2 as chi2_dist

from analysis_core.errors import FitError
from analysis_core.fitting.result import FitResult

__all__ = ["TERMS", "ResolutionFit", "default_terms", "fit_resolution", "resolution_model"]

#: Coefficient names of the linear fit in sigma^2 (keV, keV^2 units).
TERMS = ("a2_kev", "b2", "c2_kev2")


def default_terms(n_points: int) -> tuple[str, ...]:
    """Return the terms ``n_points`` points fit with at least one degree of freedom."""
    if n_points >= 4:
        return TERMS
    if n_points == 3:
        return ("a2_kev", "b2")
    return ("a2_kev",)


def resolution_model(energy_kev: Any, a: float, b: float, c: float) -> np.ndarray:
    """Return ``sigma/E = sqrt(a^2/E + b^2 + c^2/E^2)`` at ``energy_kev``."""
    e = np.asarray(energy_kev, dtype=float)
    return np.sqrt(a * a / e + b * b + c * c / (e * e))


@dataclass(frozen=True)
class ResolutionFit:
    """A fitted resolution model.

    Attributes
    ----------
    energy_kev, resolution, resolution_err : tuple of float
        The fitted points (relative resolution sigma/E and its error).
    fit : FitResult
        Coefficients ``a2_kev``, ``b2``, ``c2_kev2`` (the squares, >= 0) with covariance;
        ``extra`` holds ``a``, ``b``, ``c`` and their errors (an error at a zero coefficient is
        the square root of the error of its square: a one-sigma upper bound), ``fitted_terms``,
        ``fixed_terms`` (name -> value of the square) and ``constrained`` (ndf > 0).
    """

    energy_kev: tuple[float, ...]
    resolution: tuple[float, ...]
    resolution_err: tuple[float, ...]
    fit: FitResult

    @property
    def fitted_terms(self) -> tuple[str, ...]:
        """Terms that were fitted (the others were held fixed)."""
        return tuple(self.fit.extra.get("fitted_terms", TERMS))

    @property
    def constrained(self) -> bool:
        """True when the fit has degrees of freedom left (ndf > 0)."""
        return bool(self.fit.extra.get("constrained", self.fit.ndf > 0))

    def describe(self) -> str:
        """One line naming the fitted and fixed terms and the fit quality."""
        letters = {"a2_kev": "a", "b2": "b", "c2_kev2": "c"}
        fitted = ", ".join(letters[t] for t in self.fitted_terms) or "none"
        fixed = [
            f"{letters[t]} = {math.sqrt(max(v, 0.0)):.3g}"
            for t, v in self.fit.extra.get("fixed_terms", {}).items()
        ]
        text = f"fitted {fitted}" + (f", held {', '.join(fixed)}" if fixed else "")
        if not self.constrained:
            return text + f"; not constrained (ndf = {self.fit.ndf})"
        return text + f"; chi2/ndf = {self.fit.chi2:.1f}/{self.fit.ndf}"

    @property
    def abc(self) -> tuple[float, float, float]:
        """``(a, b, c)`` in sqrt(keV), 1, keV."""
        return tuple(math.sqrt(max(self.fit[t], 0.0)) for t in TERMS)  # type: ignore[return-value]

    def relative(self, energy_kev: Any) -> np.ndarray:
        """Model sigma/E at ``energy_kev``."""
        return resolution_model(energy_kev, *self.abc)

    def relative_err(self, energy_kev: Any) -> np.ndarray:
        """Uncertainty of :meth:`relative` from the coefficient covariance."""
        e = np.atleast_1d(np.asarray(energy_kev, dtype=float))
        # sigma^2/E^2 = a2/E + b2 + c2/E^2 = g . theta ; d(sqrt(q)) = dq / (2 sqrt(q))
        g = np.column_stack([1 / e, np.ones_like(e), 1 / e**2])
        cov = np.nan_to_num(self.fit.cov)
        var_q = np.einsum("ij,jk,ik->i", g, cov, g)
        return np.sqrt(np.maximum(var_q, 0.0)) / (2 * self.relative(e))

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        a, b, c = self.abc
        return {
            "model": "sigma/E = sqrt(a^2/E + b^2 + c^2/E^2), E in keV",
            "a_sqrt_kev": a,
            "b": b,
            "c_kev": c,
            "energy_kev": list(self.energy_kev),
            "resolution": list(self.resolution),
            "resolution_err": list(self.resolution_err),
            "fit": self.fit.to_dict(),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ResolutionFit:
        """Rebuild from ``to_dict`` output."""
        return cls(
            tuple(float(x) for x in d["energy_kev"]),
            tuple(float(x) for x in d["resolution"]),
            tuple(float(x) for x in d["resolution_err"]),
            FitResult.from_dict(d["fit"]),
        )


def fit_resolution(
    energy_kev: Sequence[float],
    resolution: Sequence[float],
    resolution_err: Sequence[float],
    *,
    terms: Sequence[str] = TERMS,
    c_fixed_kev: float | None = None,
) -> ResolutionFit:
    """Fit ``sigma/E = sqrt(a^2/E + b^2 + c^2/E^2)`` to measured relative resolutions.

    Parameters
    ----------
    energy_kev : sequence of float
        Peak energies (> 0).
    resolution : sequence of float
        Measured sigma / mean of each peak (> 0).
    resolution_err : sequence of float
        Their uncertainties (> 0).
    terms : sequence of str
        Coefficients to fit (subset of ``TERMS``); the others are fixed at zero. Useful when
        there are fewer points than terms (see ``default_terms``).
    c_fixed_kev : float or None
        Value to hold ``c`` at when ``"c2_kev2"`` is not fitted (e.g. a measured electronic
        noise); 0 when None.

    Returns
    -------
    ResolutionFit
        ``fit.valid`` is False with a reason when the points cannot constrain the free terms,
        or when ``ndf <= 0`` (exact interpolation, nothing tests the model).

    Raises
    ------
    FitError
        Inconsistent lengths, no point, or non-positive values/errors.
    """
    e = np.asarray(energy_kev, dtype=float)
    r = np.asarray(resolution, dtype=float)
    dr = np.asarray(resolution_err, dtype=float)
    if not (e.shape == r.shape == dr.shape) or e.ndim != 1 or e.size == 0:
        raise FitError("resolution fit: energies, resolutions and errors must be equal-length")
    ok = np.isfinite(e) & np.isfinite(r) & np.isfinite(dr) & (e > 0) & (r > 0) & (dr > 0)
    if not ok.all():
        raise FitError(
            f"resolution fit: point(s) at {e[~ok].tolist()} keV have non-positive or "
            "non-finite energy, resolution or error"
        )
    unknown = set(terms) - set(TERMS)
    if unknown or not terms:
        raise FitError(f"resolution fit: terms must be a non-empty subset of {TERMS}")
    fixed_c2 = 0.0
    if c_fixed_kev is not None and "c2_kev2" not in terms:
        if not (math.isfinite(c_fixed_kev) and c_fixed_kev >= 0):
            raise FitError(f"resolution fit: fixed noise term c = {c_fixed_kev} keV is not >= 0")
        fixed_c2 = float(c_fixed_kev) ** 2
    y = (r * e) ** 2  # sigma_kev^2
    sy = 2 * r * e * (dr * e)  # its error
    design = np.column_stack([e, e * e, np.ones_like(e)])
    free = [i for i, t in enumerate(TERMS) if t in terms]
    sw = 1.0 / sy
    theta = np.zeros(3)
    theta[2] = fixed_c2
    sol, _ = nnls(design[:, free] * sw[:, None], (y - fixed_c2) * sw)
    theta[free] = sol
    chi2 = float(np.sum(((y - design @ theta) / sy) ** 2))
    ndf = e.size - len(free)
    cov = np.full((3, 3), np.nan)
    cov[np.ix_([0, 1, 2], [0, 1, 2])] = 0.0
    message = ""
    fisher = (design[:, free] * (sw**2)[:, None]).T @ design[:, free]
    if e.size < len(free) or np.linalg.matrix_rank(fisher) < len(free):
        message = f"{e.size} point(s) cannot constrain {len(free)} resolution term(s)"
        cov[np.ix_(free, free)] = np.nan
    else:
        cov[np.ix_(free, free)] = np.linalg.inv(fisher)
        if ndf <= 0:
            message = (
                f"not constrained: {e.size} point(s) for {len(free)} term(s) (ndf = {ndf}); "
                "fit fewer terms"
            )
    errs = np.sqrt(np.abs(np.diag(cov)))
    extra: dict[str, Any] = {}
    for name, i in (("a_sqrt_kev", 0), ("b", 1), ("c_kev", 2)):
        v = math.sqrt(theta[i])
        extra[name] = v
        extra[f"{name}_err"] = float(errs[i] / (2 * v)) if v > 0 else float(math.sqrt(errs[i]))
    if ndf > 0:
        p = float(chi2_dist.sf(chi2, ndf))
        extra["chi2_pvalue"] = p
        if p < 1e-3:
            extra["warning"] = (
                f"poor fit: chi2/ndf = {chi2:.1f}/{ndf} (p = {p:.1g}); the term errors assume "
                "the model describes every point"
            )
    extra["fitted_terms"] = [TERMS[i] for i in free]
    extra["fixed_terms"] = {t: float(theta[i]) for i, t in enumerate(TERMS) if i not in free}
    extra["constrained"] = ndf > 0 and not message
    at_zero = [TERMS[i] for i in free if theta[i] == 0.0]
    if at_zero:
        extra["at_zero"] = at_zero
    fit = FitResult(
        names=TERMS,
        values=tuple(float(t) for t in theta),
        errors=tuple(float(x) for x in errs),
        covariance=tuple(tuple(float(c) for c in row) for row in cov),
        chi2=chi2,
        ndf=ndf,
        valid=not message,
        message=message,
        model="resolution sigma^2 = a2 E + b2 E^2 + c2",
        cost="chi2",
        extra=extra,
    )
    return ResolutionFit(tuple(e.tolist()), tuple(r.tolist()), tuple(dr.tolist()), fit)
