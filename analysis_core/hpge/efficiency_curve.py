"""The fitted efficiency curve ``ln eps = sum_i a_i (ln(E/E0))^i`` as a value type.

What to use when
----------------
``EfficiencyCurve`` is what ``analysis_core.hpge.efficiency.fit_efficiency`` returns (that module
re-exports everything here). Evaluate it with ``efficiency(E)``, its band with
``efficiency_err(E)``/``efficiency_rel_err(E)``, the covariance of ``ln eps`` between energies
with ``ln_efficiency_covariance(E)``; store it with ``save`` and read it with
``load_efficiency_curve`` (JSON, format ``larcal-efficiency-curve`` version 1).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from os import PathLike
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from analysis_core.atomic import atomic_write_text
from analysis_core.errors import CalibrationError
from analysis_core.hpge.efficiency_points import EfficiencyPoint
from analysis_core.hpge.nuclides import DATA_VERSION

__all__ = ["EfficiencyCurve", "EfficiencyResidual", "design_matrix", "load_efficiency_curve"]

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


def design_matrix(energy_kev: ArrayLike, e0_kev: float, order: int) -> NDArray[np.float64]:
    """Return ``J`` with ``J[k, i] = ln(E_k / E0)^i`` (rows: energies, columns: 0..order)."""
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
        y = design_matrix(energy_kev, self.e0_kev, self.order) @ np.array(self.coefficients)
        return float(y[0]) if np.ndim(energy_kev) == 0 else y

    def efficiency(self, energy_kev: ArrayLike) -> NDArray[np.float64] | float:
        """Return ``eps(E)``."""
        return np.exp(self.ln_efficiency(energy_kev))

    def ln_efficiency_covariance(self, energy_kev: ArrayLike) -> NDArray[np.float64]:
        """Return the covariance matrix of ``ln eps`` at the given energies (``J C J^T``)."""
        j = design_matrix(energy_kev, self.e0_kev, self.order)
        return j @ self.cov @ j.T

    def efficiency_rel_err(self, energy_kev: ArrayLike) -> NDArray[np.float64] | float:
        """Return the relative 1-sigma band ``sigma(ln eps)`` at ``energy_kev``."""
        j = design_matrix(energy_kev, self.e0_kev, self.order)
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


def _jsonable(obj: Any) -> Any:
    """Replace non-finite floats by None, recursively (strict JSON)."""
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj
