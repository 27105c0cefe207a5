"""Container attenuation ``mu(E)`` from one source counted inside and outside the container.

What to use when
----------------
- ``attenuation_point(...)``: ``mu`` at one line from the two net peak areas. The source's
  activity cancels; only the decay between the two counts, the live times and the
  decay-during-counting factors enter (``mu = R_in / R_out``, ``R = N / (t_live D)`` referred
  to one date).
- ``attenuation_points(inside, outside, nuclide)``: all lines of ``nuclide`` found in two
  ``SpectrumAnalysis`` results (from ``analysis_core.hpge.identify``).
- ``fit_attenuation(points, kind=...)``: a smooth model to evaluate at other energies (the 83Rb
  lines) with its covariance, so that the activity combination can treat ``mu`` at nearby lines
  as correlated:

  * ``"power"``: ``mu(E) = exp(-k (E/E_ref)^-p)``, i.e. ``-ln mu`` a power law in E. For a thin
    steel wall ``-ln mu = mu_m(E) rho x`` and the mass attenuation coefficient of iron falls
    roughly as ``E^-0.5`` from 300 keV to 1.5 MeV (photoelectric absorption steepens it below
    ~200 keV), so the form suits the 83Rb region; needs two energies or more.
  * ``"interp"``: linear interpolation of ``ln mu`` in ``ln E`` between measured lines (held
    constant beyond the ends); no shape assumption.
  * ``"constant"``: the weighted mean of ``ln mu`` (one energy, or a narrow range).

  ``AttenuationModel.mu(E)``, ``mu_err(E)``, ``ln_mu_covariance(E)``; ``save``/``load``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from os import PathLike
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import least_squares

from analysis_core.atomic import atomic_write_text
from analysis_core.errors import CalibrationError, FitError
from analysis_core.hpge.nuclides import get_nuclide
from analysis_core.hpge.sources import CountingInterval, decay_factor, elapsed_s

__all__ = [
    "AttenuationModel",
    "AttenuationPoint",
    "attenuation_point",
    "attenuation_points",
    "fit_attenuation",
    "load_attenuation",
]

FORMAT = "larcal-attenuation"
KINDS = ("power", "interp", "constant")


@dataclass(frozen=True, slots=True)
class AttenuationPoint:
    """Measured transmission ``mu`` of the container at one line.

    Attributes
    ----------
    energy_kev : float
        Line energy.
    mu, mu_err : float
        Transmission (count-rate ratio inside/outside) and its standard uncertainty.
    nuclide : str
        Source nuclide.
    """

    energy_kev: float
    mu: float
    mu_err: float
    nuclide: str = ""


def attenuation_point(
    energy_kev: float,
    inside: tuple[float, float, CountingInterval],
    outside: tuple[float, float, CountingInterval],
    half_life_s: float,
    nuclide: str = "",
) -> AttenuationPoint:
    """Return ``mu`` at one line from ``(counts, counts_err, counting)`` inside and outside.

    Both counts are referred to the start of the outside count:
    ``mu = [N_in / (t_in D_in f)] / [N_out / (t_out D_out)]``, ``f = exp(-lambda dt)`` the decay
    from the outside to the inside start. Only counting errors enter (the activity cancels).

    Raises
    ------
    CalibrationError
        When a count is not positive.
    """
    (n_in, e_in, c_in), (n_out, e_out, c_out) = inside, outside
    if not (n_in > 0 and n_out > 0):
        raise CalibrationError(
            f"attenuation at {energy_kev} keV needs positive counts "
            f"(inside {n_in}, outside {n_out})"
        )
    f = decay_factor(elapsed_s(c_out.start, c_in.start), half_life_s)
    r_in = n_in / (c_in.live_time_s * c_in.decay_factor(half_life_s) * f)
    r_out = n_out / (c_out.live_time_s * c_out.decay_factor(half_life_s))
    mu = r_in / r_out
    return AttenuationPoint(
        float(energy_kev), mu, mu * math.hypot(e_in / n_in, e_out / n_out), nuclide
    )


def attenuation_points(
    inside: Any,
    outside: Any,
    nuclide: str,
    *,
    inside_counting: CountingInterval | None = None,
    outside_counting: CountingInterval | None = None,
    tolerance_kev: float = 0.5,
) -> list[AttenuationPoint]:
    """Return ``mu`` at every line of ``nuclide`` with a valid peak in both analyses.

    Parameters
    ----------
    inside, outside : SpectrumAnalysis
        The same source counted inside and outside the container, same geometry.
    nuclide : str
        Source nuclide.
    inside_counting, outside_counting : CountingInterval, optional
        Override the times stored in the spectra.

    Raises
    ------
    CalibrationError
        When no line is common to both analyses.
    """
    nuc = get_nuclide(nuclide)
    c_in = inside_counting or CountingInterval.from_spectrum(inside.spectrum)
    c_out = outside_counting or CountingInterval.from_spectrum(outside.spectrum)

    def usable(analysis: Any) -> dict[float, Any]:
        return {
            p.line.energy_kev: p
            for p in analysis.peaks
            if p.line.nuclide == nuc.name
            and p.fit.valid
            and not getattr(p, "excluded_reason", "")
            and p.fit.area > 0
        }

    a_in, a_out = usable(inside), usable(outside)
    points = []
    for e, p_in in sorted(a_in.items()):
        match = [q for ee, q in a_out.items() if abs(ee - e) <= tolerance_kev]
        if match:
            p_out = match[0]
            points.append(
                attenuation_point(
                    e,
                    (p_in.fit.area, p_in.fit.area_err, c_in),
                    (p_out.fit.area, p_out.fit.area_err, c_out),
                    nuc.half_life_s,
                    nuc.name,
                )
            )
    if not points:
        raise CalibrationError(f"no {nuc.name} line has a valid peak both inside and outside")
    return points


@dataclass(frozen=True, slots=True)
class AttenuationModel:
    """Smooth container transmission ``mu(E)`` with its parameter covariance.

    Attributes
    ----------
    kind : str
        ``"power"``, ``"interp"`` or ``"constant"`` (see the module docstring).
    parameters : tuple of float
        ``(ln k, p)`` for power; ``ln mu`` at each point for interp; ``(ln mu,)`` for constant.
    covariance : tuple of tuple of float
        Covariance of the parameters (power: scaled by chi2/ndf when > 1).
    points : tuple of AttenuationPoint
        The measured points.
    e_ref_kev : float
        Reference energy of the power law.
    chi2 : float
        Chi-square of the points about the model (0 for interp).
    ndf : int
        Degrees of freedom.
    message : str
        Warnings in plain words.
    """

    kind: str
    parameters: tuple[float, ...]
    covariance: tuple[tuple[float, ...], ...]
    points: tuple[AttenuationPoint, ...]
    e_ref_kev: float = 500.0
    chi2: float = 0.0
    ndf: int = 0
    message: str = ""

    def _jacobian(self, energy_kev: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Return ``ln mu(E)`` and its Jacobian with respect to the parameters."""
        e = np.atleast_1d(np.asarray(energy_kev, dtype=float))
        par = np.array(self.parameters)
        if self.kind == "power":
            lx = np.log(e / self.e_ref_kev)
            y = -np.exp(par[0] - par[1] * lx)
            return y, np.column_stack([y, -y * lx])
        if self.kind == "constant":
            return np.full(e.size, par[0]), np.ones((e.size, 1))
        le = np.log([p.energy_kev for p in self.points])
        jac = np.zeros((e.size, le.size))
        for i, x in enumerate(np.log(e)):
            k = int(np.clip(np.searchsorted(le, x), 1, le.size - 1)) if le.size > 1 else 0
            if le.size == 1 or x <= le[0]:
                jac[i, 0] = 1.0
            elif x >= le[-1]:
                jac[i, -1] = 1.0
            else:
                t = (x - le[k - 1]) / (le[k] - le[k - 1])
                jac[i, k - 1], jac[i, k] = 1.0 - t, t
        return jac @ par, jac

    def mu(self, energy_kev: ArrayLike) -> NDArray[np.float64] | float:
        """Return the transmission at ``energy_kev``."""
        y, _ = self._jacobian(energy_kev)
        return float(np.exp(y[0])) if np.ndim(energy_kev) == 0 else np.exp(y)

    def ln_mu_covariance(self, energy_kev: ArrayLike) -> NDArray[np.float64]:
        """Return the covariance of ``ln mu`` between the given energies (relative covariance)."""
        _, j = self._jacobian(energy_kev)
        return j @ np.array(self.covariance) @ j.T

    def mu_err(self, energy_kev: ArrayLike) -> NDArray[np.float64] | float:
        """Return the 1-sigma uncertainty of ``mu`` at ``energy_kev``."""
        rel = np.sqrt(np.diag(self.ln_mu_covariance(energy_kev)))
        out = np.atleast_1d(self.mu(energy_kev)) * rel
        return float(out[0]) if np.ndim(energy_kev) == 0 else out

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dictionary."""
        return {
            "format": FORMAT,
            "format_version": 1,
            "kind": self.kind,
            "parameters": list(self.parameters),
            "covariance": [list(r) for r in self.covariance],
            "e_ref_kev": self.e_ref_kev,
            "chi2": self.chi2,
            "ndf": self.ndf,
            "message": self.message,
            "points": [
                {"energy_kev": p.energy_kev, "mu": p.mu, "mu_err": p.mu_err, "nuclide": p.nuclide}
                for p in self.points
            ],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> AttenuationModel:
        """Rebuild a model from ``to_dict`` output."""
        if not isinstance(d, dict):
            raise CalibrationError(f"not a {FORMAT} (a JSON object is expected)")
        if d.get("format") != FORMAT or d.get("kind") not in KINDS:
            raise CalibrationError(f"not a {FORMAT} model (format={d.get('format')!r})")
        return cls(
            kind=d["kind"],
            parameters=tuple(float(v) for v in d["parameters"]),
            covariance=tuple(tuple(float(c) for c in r) for r in d["covariance"]),
            points=tuple(
                AttenuationPoint(
                    float(p["energy_kev"]), float(p["mu"]), float(p["mu_err"]), p.get("nuclide", "")
                )
                for p in d["points"]
            ),
            e_ref_kev=float(d.get("e_ref_kev", 500.0)),
            chi2=float(d.get("chi2", 0.0)),
            ndf=int(d.get("ndf", 0)),
            message=str(d.get("message", "")),
        )

    def save(self, path: str | PathLike[str]) -> None:
        """Write the model as JSON (atomically)."""
        atomic_write_text(path, json.dumps(self.to_dict(), indent=1, allow_nan=False) + "\n")


def load_attenuation(path: str | PathLike[str]) -> AttenuationModel:
    """Read a model written by ``AttenuationModel.save`` (errors name the file)."""
    try:
        with open(path, encoding="utf-8") as fh:
            return AttenuationModel.from_dict(json.load(fh))
    except (OSError, json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise CalibrationError(f"{path}: not a readable attenuation model ({exc})") from None


def fit_attenuation(
    points: Sequence[AttenuationPoint], *, kind: str = "power", e_ref_kev: float = 500.0
) -> AttenuationModel:
    """Fit a smooth transmission model to measured points (see the module docstring).

    Raises
    ------
    FitError
        Unknown kind, non-positive transmissions or errors, or too few energies for the kind.
    """
    if kind not in KINDS:
        raise FitError(f"attenuation model must be one of {', '.join(KINDS)}, got {kind!r}")
    pts = tuple(sorted(points, key=lambda p: p.energy_kev))
    if not pts:
        raise FitError("no attenuation points to fit")
    for p in pts:
        if not (p.mu > 0 and p.mu_err > 0 and math.isfinite(p.mu_err)):
            raise FitError(f"attenuation at {p.energy_kev} keV: need mu > 0 and an error > 0")
    y = np.log([p.mu for p in pts])
    s = np.array([p.mu_err / p.mu for p in pts])
    energies = np.array([p.energy_kev for p in pts])
    if kind == "interp":
        if len(set(energies.round(3))) != len(pts):
            raise FitError("interp attenuation model needs one point per energy")
        return AttenuationModel(kind, tuple(y), tuple(map(tuple, np.diag(s**2))), pts, e_ref_kev)
    if kind == "constant":
        w = 1.0 / s**2
        mean = float(np.sum(w * y) / np.sum(w))
        chi2 = float(np.sum(w * (y - mean) ** 2))
        ndf = len(pts) - 1
        scale = max(1.0, chi2 / ndf) if ndf > 0 else 1.0
        return AttenuationModel(
            kind, (mean,), ((scale / float(np.sum(w)),),), pts, e_ref_kev, chi2, ndf
        )
    if len(set(energies.round(3))) < 2 or np.any(y >= 0):
        raise FitError(
            "power attenuation model needs mu < 1 at two energies or more; use 'interp' or "
            "'constant'"
        )
    lx = np.log(energies / e_ref_kev)
    slope, intercept = np.polyfit(lx, np.log(-y), 1)

    def resid(par: NDArray[np.float64]) -> NDArray[np.float64]:
        return (y + np.exp(par[0] - par[1] * lx)) / s

    sol = least_squares(resid, x0=[intercept, -slope], method="lm")
    model = AttenuationModel(kind, tuple(sol.x), ((0.0, 0.0), (0.0, 0.0)), pts, e_ref_kev)
    _, jac = model._jacobian(energies)
    jw = jac / s[:, None]
    chi2 = float(np.sum(resid(sol.x) ** 2))
    ndf = len(pts) - 2
    scale = max(1.0, chi2 / ndf) if ndf > 0 else 1.0
    try:
        cov = np.linalg.inv(jw.T @ jw) * scale
    except np.linalg.LinAlgError:
        raise FitError("power attenuation fit is singular") from None
    msg = f"covariance scaled by chi2/ndf = {scale:.3g}" if scale > 1 else ""
    if not sol.success:
        msg = "; ".join(filter(None, [msg, f"fit did not converge: {sol.message}"]))
    return AttenuationModel(
        kind, tuple(float(v) for v in sol.x), tuple(map(tuple, cov)), pts, e_ref_kev, chi2, ndf, msg
    )
