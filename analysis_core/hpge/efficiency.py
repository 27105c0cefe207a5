"""HPGe full-energy-peak efficiency curve ``ln eps = sum_i a_i (ln(E/E0))^i``.

What to use when
----------------
- ``fit_efficiency(points, order=3)``: fit the curve (order 2-5, the Genie2000 "empirical" /
  InterSpec form) to ``EfficiencyPoint`` s from one or several sources (57Co + 152Eu combine).
  Lines can be excluded by energy or by flag (``exclude_flags=SUMMING_FLAGS`` for close
  geometry). The result carries the coefficients, their covariance, chi2/ndf and per-point
  residuals (also for excluded points, so summing losses stay visible).
- ``EfficiencyCurve.efficiency(E)`` / ``efficiency_err(E)``: the curve and its 1-sigma band;
  ``ln_efficiency_covariance(E)``: the full covariance of ``ln eps`` between energies, which the
  activity combination uses (efficiencies of nearby lines are almost fully correlated).
- ``EfficiencyCurve.save(path)`` / ``load_efficiency_curve(path)``: JSON file for the CLI and the
  constants export.

The fit is generalised least squares in ``y = ln eps`` (exactly linear in the ``a_i``) with the
full covariance of the points: ``V_ij = delta_ij u_i^2 + [same source] c_i c_j``, where ``u_i``
is the independent relative error (peak area, emission probability) and ``c_i`` the relative
error common to one source (activity certificate). Then ``C = (X^T V^-1 X)^-1`` and the band is
``sigma^2(ln eps(E)) = J C J^T`` with ``J_i = (ln(E/E0))^i``. When chi2/ndf > 1, ``C`` is scaled by
chi2/ndf (spec/physics.md section 2). ``E0 = 300 keV`` by default: a mid-range reference keeps
the powers of ``ln(E/E0)`` of order one, so the order-5 normal equations stay well conditioned
(with ``E0 = 1 keV`` they span six orders of magnitude).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from analysis_core.errors import FitError
from analysis_core.hpge.efficiency_curve import (
    EfficiencyCurve,
    EfficiencyResidual,
    design_matrix,
    load_efficiency_curve,
)
from analysis_core.hpge.efficiency_points import EfficiencyPoint, exclude_points

__all__ = [
    "DEFAULT_E0_KEV",
    "EfficiencyCurve",
    "EfficiencyResidual",
    "design_matrix",
    "fit_efficiency",
    "load_efficiency_curve",
    "points_covariance",
]

DEFAULT_E0_KEV = 300.0


def points_covariance(points: Sequence[EfficiencyPoint]) -> NDArray[np.float64]:
    """Return the covariance of ``ln eps`` of ``points``: independent + per-source common."""
    u = np.array([p.independent_rel_err for p in points], dtype=float)
    c = np.array([p.correlated_rel_err for p in points], dtype=float)
    labels = [p.source_label for p in points]
    same = np.array([[a == b for b in labels] for a in labels], dtype=float)
    return np.diag(u**2) + same * np.outer(c, c)


def fit_efficiency(
    points: Sequence[EfficiencyPoint],
    *,
    order: int = 3,
    e0_kev: float = DEFAULT_E0_KEV,
    exclude_energies_kev: Iterable[float] = (),
    exclude_flags: Iterable[str] = (),
    tolerance_kev: float = 1.0,
    extra: dict[str, Any] | None = None,
) -> EfficiencyCurve:
    """Fit ``ln eps = sum_i a_i (ln(E/E0))^i`` by generalised least squares.

    Parameters
    ----------
    points : sequence of EfficiencyPoint
        Points from one or several sources; points marked ``excluded`` are not fitted.
    order : int
        Polynomial order, 2 to 5 (``order + 1`` coefficients).
    e0_kev : float
        Reference energy ``E0`` (default 300 keV).
    exclude_energies_kev : iterable of float
        Lines to exclude (within ``tolerance_kev``), e.g. a doublet.
    exclude_flags : iterable of str
        Exclude lines carrying any of these flags (e.g. ``SUMMING_FLAGS``).
    extra : dict, optional
        Metadata stored with the curve.

    Returns
    -------
    EfficiencyCurve
        ``valid`` is False (with a message) when there are no degrees of freedom left or the
        covariance is not positive definite.

    Raises
    ------
    FitError
        Bad order or E0, fewer distinct energies than coefficients, or non-positive efficiencies.
    """
    if order not in range(2, 6):
        raise FitError(f"efficiency curve order must be 2 to 5, got {order}")
    if not e0_kev > 0:
        raise FitError(f"E0 must be positive, got {e0_kev} keV")
    marked = exclude_points(
        points, energies_kev=exclude_energies_kev, flags=exclude_flags, tolerance_kev=tolerance_kev
    )
    used = [p for p in marked if not p.excluded]
    for p in used:
        good = p.efficiency > 0 and p.independent_rel_err >= 0 and p.correlated_rel_err >= 0
        if not (good and math.isfinite(p.efficiency_err) and p.efficiency_err > 0):
            raise FitError(
                f"efficiency point at {p.energy_kev} keV ({p.source_label}) has no positive "
                f"efficiency and error ({p.efficiency!r} +- {p.efficiency_err!r})"
            )
    n_par = order + 1
    if len({round(p.energy_kev, 3) for p in used}) < n_par:
        raise FitError(
            f"an order-{order} efficiency curve needs at least {n_par} distinct energies; "
            f"{len(used)} points are used"
        )
    e = np.array([p.energy_kev for p in used])
    y = np.log([p.efficiency for p in used])
    x = design_matrix(e, e0_kev, order)
    v = points_covariance(used)
    try:
        lv = np.linalg.cholesky(v)
        xw = np.linalg.solve(lv, x)
        yw = np.linalg.solve(lv, y)
        cov = np.linalg.inv(xw.T @ xw)
    except np.linalg.LinAlgError as exc:
        raise FitError(f"efficiency fit is singular ({exc}); check the point errors") from None
    coeffs = cov @ xw.T @ yw
    r = yw - xw @ coeffs
    chi2 = float(r @ r)
    ndf = len(used) - n_par
    messages = []
    scale = 1.0
    if ndf > 0 and chi2 / ndf > 1.0:
        scale = chi2 / ndf
        messages.append(f"covariance scaled by chi2/ndf = {scale:.3g}")
    if ndf == 0:
        messages.append("no degrees of freedom: the curve passes through the points")
    cov = 0.5 * (cov + cov.T) * scale
    valid = bool(np.all(np.linalg.eigvalsh(cov) > 0))
    if not valid:
        messages.append("coefficient covariance is not positive definite")
    curve = EfficiencyCurve(
        coefficients=tuple(float(a) for a in coeffs),
        covariance=tuple(tuple(float(c) for c in row) for row in cov),
        e0_kev=float(e0_kev),
        order=order,
        chi2=chi2,
        ndf=ndf,
        scale_factor=scale,
        points=tuple(marked),
        valid=valid,
        message="; ".join(messages),
        extra=dict(extra or {}),
    )
    residuals = []
    for p in marked:
        fitted = float(curve.ln_efficiency(p.energy_kev))
        ok = p.efficiency > 0 and p.efficiency_err > 0
        d = math.log(p.efficiency) - fitted if ok else float("nan")
        residuals.append(
            EfficiencyResidual(
                energy_kev=p.energy_kev,
                relative=math.expm1(d) if ok else float("nan"),
                pull=d / p.independent_rel_err if ok else float("nan"),
                excluded=p.excluded,
                source_label=p.source_label,
            )
        )
    return replace(curve, residuals=tuple(residuals))
