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

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from os import PathLike
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from analysis_core.atomic import atomic_write_text
from analysis_core.errors import CalibrationError, FitError
from analysis_core.hpge.efficiency_points import EfficiencyPoint, exclude_points
from analysis_core.hpge.nuclides import DATA_VERSION

__all__ = [
    "DEFAULT_E0_KEV",
    "EfficiencyCurve",
    "EfficiencyResidual",
    "fit_efficiency",
    "load_efficiency_curve",
    "points_covariance",
]

DEFAULT_E0_KEV = 300.0
FORMAT = "larcal-efficiency-curve"
FORMAT_VERSION = 1


@dataclass(frozen=True, slots=True)
class EfficiencyResidual:
    """Residual of one point with respect to the fitted curve.

    Attributes
    ----------
    energy_kev : float
        Line energy.
    relative : float
        ``eps_measured / eps_curve - 1``.
    pull : float
        ``(ln eps_measured - ln eps_curve) / u``, ``u`` the point's independent relative error
        (the part common to its source moves the whole curve, so it is left out).
    excluded : bool
        True when the point was not used in the fit.
    source_label : str
        Source of the point.
    """

    energy_kev: float
    relative: float
    pull: float
    excluded: bool
    source_label: str


def points_covariance(points: Sequence[EfficiencyPoint]) -> NDArray[np.float64]:
    """Return the covariance of ``ln eps`` of ``points``: independent + per-source common."""
    u = np.array([p.independent_rel_err for p in points], dtype=float)
    c = np.array([p.correlated_rel_err for p in points], dtype=float)
    labels = [p.source_label for p in points]
    same = np.array([[a == b for b in labels] for a in labels], dtype=float)
    return np.diag(u**2) + same * np.outer(c, c)


def _design(energy_kev: ArrayLike, e0_kev: float, order: int) -> NDArray[np.float64]:
    x = np.log(np.atleast_1d(np.asarray(energy_kev, dtype=float)) / e0_kev)
    return np.vander(x, order + 1, increasing=True)


@dataclass(frozen=True, slots=True)
class EfficiencyCurve:
    """A fitted efficiency curve with its covariance.

    Attributes
    ----------
    coefficients : tuple of float
        ``a_0 .. a_order``.
    covariance : tuple of tuple of float
        Covariance of the coefficients, already scaled by ``scale_factor``.
    e0_kev : float
        Reference energy ``E0``.
    order : int
        Polynomial order.
    chi2 : float
        GLS chi-square ``r^T V^-1 r`` of the used points.
    ndf : int
        Used points minus ``order + 1``.
    scale_factor : float
        ``max(1, chi2/ndf)``: factor applied to the covariance.
    points : tuple of EfficiencyPoint
        All points given, with the final exclusion marks.
    residuals : tuple of EfficiencyResidual
        One per point (in the order of ``points``).
    valid : bool
        False when the result should not be trusted (see ``message``).
    message : str
        Warnings in plain words (no degrees of freedom, poor chi2, ...).
    model : str
        ``"ln-poly"``.
    nuclear_data_version : str
        ``DATA_VERSION`` of the nuclear data used for the points.
    extra : dict
        Free metadata (energy calibrations used, spectra, ...), JSON-serialisable.
    """

    coefficients: tuple[float, ...]
    covariance: tuple[tuple[float, ...], ...]
    e0_kev: float
    order: int
    chi2: float
    ndf: int
    scale_factor: float = 1.0
    points: tuple[EfficiencyPoint, ...] = ()
    residuals: tuple[EfficiencyResidual, ...] = ()
    valid: bool = True
    message: str = ""
    model: str = "ln-poly"
    nuclear_data_version: str = DATA_VERSION
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def cov(self) -> NDArray[np.float64]:
        """Coefficient covariance as an array."""
        return np.array(self.covariance, dtype=float)

    @property
    def chi2_ndf(self) -> float:
        """Reduced chi-square (NaN when ndf = 0)."""
        return self.chi2 / self.ndf if self.ndf > 0 else float("nan")

    @property
    def energy_range_kev(self) -> tuple[float, float]:
        """Lowest and highest energy of the points used in the fit."""
        used = [p.energy_kev for p in self.points if not p.excluded]
        return (min(used), max(used)) if used else (float("nan"), float("nan"))

    def in_range(self, energy_kev: ArrayLike) -> NDArray[np.bool_]:
        """Return True where ``energy_kev`` lies inside the fitted range (no extrapolation).

        A curve built from coefficients alone (no points) has no known range: all True.
        """
        lo, hi = self.energy_range_kev
        e = np.asarray(energy_kev, dtype=float)
        if not (math.isfinite(lo) and math.isfinite(hi)):
            return np.ones(e.shape, dtype=bool)
        return (e >= lo) & (e <= hi)

    def ln_efficiency(self, energy_kev: ArrayLike) -> NDArray[np.float64] | float:
        """Return ``ln eps(E)``."""
        y = _design(energy_kev, self.e0_kev, self.order) @ np.array(self.coefficients)
        return float(y[0]) if np.ndim(energy_kev) == 0 else y

    def efficiency(self, energy_kev: ArrayLike) -> NDArray[np.float64] | float:
        """Return ``eps(E)``."""
        return np.exp(self.ln_efficiency(energy_kev))

    def ln_efficiency_covariance(self, energy_kev: ArrayLike) -> NDArray[np.float64]:
        """Return the covariance matrix of ``ln eps`` at the given energies (``J C J^T``)."""
        j = _design(energy_kev, self.e0_kev, self.order)
        return j @ self.cov @ j.T

    def efficiency_rel_err(self, energy_kev: ArrayLike) -> NDArray[np.float64] | float:
        """Return the relative 1-sigma band ``sigma(ln eps)`` at ``energy_kev``."""
        j = _design(energy_kev, self.e0_kev, self.order)
        s = np.sqrt(np.einsum("ij,jk,ik->i", j, self.cov, j))
        return float(s[0]) if np.ndim(energy_kev) == 0 else s

    def efficiency_err(self, energy_kev: ArrayLike) -> NDArray[np.float64] | float:
        """Return the 1-sigma band of ``eps`` (absolute)."""
        return self.efficiency(energy_kev) * self.efficiency_rel_err(energy_kev)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dictionary (``from_dict`` inverts it)."""
        lo, hi = self.energy_range_kev
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "model": self.model,
            "formula": "ln(eps) = sum_i a_i * ln(E/E0)^i",
            "order": self.order,
            "e0_kev": self.e0_kev,
            "coefficients": list(self.coefficients),
            "covariance": [list(r) for r in self.covariance],
            "chi2": self.chi2,
            "ndf": self.ndf,
            "chi2_ndf": self.chi2_ndf,
            "scale_factor": self.scale_factor,
            "energy_min_kev": lo,
            "energy_max_kev": hi,
            "valid": self.valid,
            "message": self.message,
            "nuclear_data_version": self.nuclear_data_version,
            "points": [p.to_dict() for p in self.points],
            "residuals": [
                {
                    "energy_kev": r.energy_kev,
                    "relative": r.relative,
                    "pull": r.pull,
                    "excluded": r.excluded,
                    "source_label": r.source_label,
                }
                for r in self.residuals
            ],
            "extra": self.extra,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> EfficiencyCurve:
        """Rebuild a curve from ``to_dict`` output.

        Raises
        ------
        CalibrationError
            When ``d`` is not an efficiency curve of a known version.
        """
        if not isinstance(d, dict):
            raise CalibrationError(f"not a {FORMAT} (a JSON object is expected)")
        if d.get("format") != FORMAT:
            raise CalibrationError(f"not a {FORMAT} (format={d.get('format')!r})")
        if int(d.get("format_version", 0)) > FORMAT_VERSION:
            raise CalibrationError(
                f"{FORMAT} version {d['format_version']} is newer than {FORMAT_VERSION}"
            )
        order = int(d["order"])
        coeffs = tuple(float(a) for a in d["coefficients"])
        cov = tuple(tuple(float(c) for c in row) for row in d["covariance"])
        if len(coeffs) != order + 1 or len(cov) != order + 1:
            raise CalibrationError(f"{FORMAT}: order {order} needs {order + 1} coefficients")

        def num(x: Any) -> float:
            return float("nan") if x is None else float(x)

        return cls(
            coefficients=coeffs,
            covariance=cov,
            e0_kev=float(d["e0_kev"]),
            order=order,
            chi2=num(d.get("chi2")),
            ndf=int(d.get("ndf", 0)),
            scale_factor=num(d.get("scale_factor", 1.0)),
            points=tuple(EfficiencyPoint.from_dict(p) for p in d.get("points", ())),
            residuals=tuple(
                EfficiencyResidual(
                    num(r["energy_kev"]),
                    num(r["relative"]),
                    num(r["pull"]),
                    bool(r["excluded"]),
                    str(r.get("source_label", "")),
                )
                for r in d.get("residuals", ())
            ),
            valid=bool(d.get("valid", True)),
            message=str(d.get("message", "")),
            model=str(d.get("model", "ln-poly")),
            nuclear_data_version=str(d.get("nuclear_data_version", "")),
            extra=dict(d.get("extra", {})),
        )

    def save(self, path: str | PathLike[str]) -> None:
        """Write the curve as JSON (atomically)."""
        text = json.dumps(_jsonable(self.to_dict()), indent=1, allow_nan=False)
        atomic_write_text(path, text + "\n")


def load_efficiency_curve(path: str | PathLike[str]) -> EfficiencyCurve:
    """Read a curve written by ``EfficiencyCurve.save``.

    Raises
    ------
    CalibrationError
        Unreadable file or not an efficiency curve (the message names the file).
    """
    try:
        with open(path, encoding="utf-8") as fh:
            d = json.load(fh)
        return EfficiencyCurve.from_dict(d)
    except (OSError, json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        msg = exc.args[0] if isinstance(exc, KeyError) else exc
        raise CalibrationError(f"{path}: not a readable efficiency curve ({msg})") from None


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
    x = _design(e, e0_kev, order)
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


def _jsonable(obj: Any) -> Any:
    """Replace non-finite floats by None, recursively (strict JSON)."""
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj
