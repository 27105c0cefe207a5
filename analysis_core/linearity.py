"""Light-yield linearity: PE vs deposited energy, fitted through the origin and with an offset.

What to use when
----------------
- ``fit_linearity(points)``: the weighted fits of one analysis' points (physics.md section 4):
  through the origin ``Y = sum w E mu / sum w E^2`` with ``sigma_Y^2 = 1 / sum w E^2``
  (``w = 1 / sigma_mu^2``), and ``mu = Y E + offset`` with the full covariance. Both are
  ``FitResult`` objects; the ``LinearityFit`` adds the points and their residuals.
- Light-yield uncertainty (``LinearityFit``): the fit error of ``Y`` is scaled by
  ``sqrt(chi2/ndf)`` when that is above 1 (PDG practice for a poor fit: the points scatter more
  than their errors say), giving ``y_stat_err_pe_per_kev``; the SPE gain errors give
  ``y_gain_err_pe_per_kev`` (``analysis_core.linearity_points.gain_systematic``); the total
  ``y_err_pe_per_kev`` is their quadrature sum. ``through_origin`` keeps the unscaled fit error
  and has ``extra["chi2_pvalue"]`` and, when ``p < 1e-3``, ``extra["warning"]``.
- ``compute_linearity(inputs, settings)``: the calibration step ``"linearity"``; it gathers the
  points of both analyses from the earlier step results and fits each (see
  ``analysis_core.linearity_points`` for where the points come from) and the resolution model.
- ``LinearityResult``: what the step returns, with ``to_dict``/``from_dict``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.stats import chi2 as chi2_dist

from analysis_core.errors import CalibrationError
from analysis_core.fitting.result import FitResult
from analysis_core.linearity_points import LinearityPoint, collect_points, gain_systematic
from analysis_core.resolution import TERMS, ResolutionFit, default_terms, fit_resolution
from analysis_core.steps import StepInputs

__all__ = [
    "LinearityFit",
    "LinearityPoint",
    "LinearityResult",
    "compute_linearity",
    "fit_linearity",
]


@dataclass(frozen=True)
class LinearityFit:
    """The linearity fits of one analysis.

    Attributes
    ----------
    analysis : str
        ``"A"`` or ``"B"``.
    points : tuple of LinearityPoint
        The fitted points, by increasing energy.
    through_origin : FitResult
        Parameter ``y_pe_per_kev``.
    with_offset : FitResult
        Parameters ``slope_pe_per_kev`` and ``offset_pe`` (covariance included); invalid with a
        reason when fewer than two points.
    gain_systematic : dict or None
        Output of ``gain_systematic`` (relative error of Y from the SPE gains, the ftop it was
        evaluated at, the source of the gain errors); None when the gain errors are unknown.
    """

    analysis: str
    points: tuple[LinearityPoint, ...]
    through_origin: FitResult
    with_offset: FitResult
    gain_systematic: dict[str, Any] | None = None

    @property
    def y_pe_per_kev(self) -> float:
        """Light yield of the through-origin fit."""
        return self.through_origin["y_pe_per_kev"]

    @property
    def chi2_scale(self) -> float:
        """``sqrt(chi2/ndf)`` of the through-origin fit when above 1, else 1."""
        o = self.through_origin
        if o.ndf <= 0 or not math.isfinite(o.chi2):
            return 1.0
        return max(1.0, math.sqrt(o.chi2 / o.ndf))

    @property
    def y_stat_err_pe_per_kev(self) -> float:
        """Statistical error of Y: the fit error scaled by :attr:`chi2_scale`."""
        return self.through_origin.error("y_pe_per_kev") * self.chi2_scale

    @property
    def y_gain_err_pe_per_kev(self) -> float | None:
        """Error of Y from the SPE gain errors (None when they are unknown)."""
        g = self.gain_systematic
        return None if g is None else abs(self.y_pe_per_kev) * float(g["rel_err"])

    @property
    def y_err_pe_per_kev(self) -> float:
        """Total error of Y: statistical (scaled) and gain errors in quadrature."""
        return math.hypot(self.y_stat_err_pe_per_kev, self.y_gain_err_pe_per_kev or 0.0)

    @property
    def warnings(self) -> tuple[str, ...]:
        """Plain-text warnings about the light yield (poor fit, unknown gain errors)."""
        out = []
        if w := self.through_origin.extra.get("warning"):
            out.append(str(w))
        if self.gain_systematic is None:
            out.append("SPE gain errors unknown: the total error leaves out the gain systematic")
        return tuple(out)

    def residuals_pe(self, *, offset: bool = False) -> np.ndarray:
        """Return data minus fit at each point, in PE (through the origin unless ``offset``)."""
        e, mu, _ = _arrays(self.points)
        if offset:
            f = self.with_offset
            return mu - (f["slope_pe_per_kev"] * e + f["offset_pe"])
        return mu - self.y_pe_per_kev * e

    def pulls(self, *, offset: bool = False) -> np.ndarray:
        """Residuals divided by the point errors."""
        return self.residuals_pe(offset=offset) / _arrays(self.points)[2]

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "analysis": self.analysis,
            "points": [p.to_dict() for p in self.points],
            "through_origin": self.through_origin.to_dict(),
            "with_offset": self.with_offset.to_dict(),
            "gain_systematic": self.gain_systematic,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> LinearityFit:
        """Rebuild from ``to_dict`` output."""
        return cls(
            str(d["analysis"]),
            tuple(LinearityPoint.from_dict(p) for p in d["points"]),
            FitResult.from_dict(d["through_origin"]),
            FitResult.from_dict(d["with_offset"]),
            d.get("gain_systematic"),
        )


def _arrays(points: Sequence[LinearityPoint]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    e = np.array([p.energy_kev for p in points], dtype=float)
    mu = np.array([p.pe for p in points], dtype=float)
    err = np.array([p.pe_err for p in points], dtype=float)
    return e, mu, err


def _check_points(points: Sequence[LinearityPoint]) -> None:
    for p in points:
        if not (math.isfinite(p.energy_kev) and p.energy_kev > 0):
            raise CalibrationError(f"linearity point {p.label!r}: energy must be > 0 keV")
        if not (math.isfinite(p.pe) and math.isfinite(p.pe_err) and p.pe_err > 0):
            raise CalibrationError(
                f"linearity point {p.label!r}: light {p.pe} +- {p.pe_err} PE is not usable "
                "(finite value and positive error needed)"
            )


def fit_linearity(
    points: Sequence[LinearityPoint],
    analysis: str = "A",
    gain_systematic: Mapping[str, Any] | None = None,
) -> LinearityFit:
    """Fit the light of ``points`` vs energy through the origin and with an offset.

    Parameters
    ----------
    points : sequence of LinearityPoint
        At least one point; each with a positive error.
    analysis : str
        Label of the SPE definition the points are in.
    gain_systematic : dict or None
        Relative error of Y from the SPE gains (``linearity_points.gain_systematic``); None
        when unknown (the total error is then statistical only and a warning says so).

    Returns
    -------
    LinearityFit
        Weighted least squares, solved exactly (the model is linear); chi2 uses the point
        errors. The offset fit needs two points (three for a chi2 with ndf > 0).

    Raises
    ------
    CalibrationError
        No point, or a point with non-positive energy or error.
    """
    pts = tuple(sorted(points, key=lambda p: p.energy_kev))
    if not pts:
        raise CalibrationError(f"analysis {analysis}: no linearity point to fit")
    _check_points(pts)
    e, mu, err = _arrays(pts)
    w = 1.0 / err**2
    s_ee = float(np.sum(w * e * e))
    y = float(np.sum(w * e * mu)) / s_ee
    y_err = math.sqrt(1.0 / s_ee)
    chi2 = float(np.sum(w * (mu - y * e) ** 2))
    ndf = len(pts) - 1
    extra: dict[str, Any] = {}
    if ndf > 0:
        p = float(chi2_dist.sf(chi2, ndf))
        extra["chi2_pvalue"] = p
        scale = max(1.0, math.sqrt(chi2 / ndf))
        extra["chi2_scale"] = scale
        if p < 1e-3:
            extra["warning"] = (
                f"poor fit: chi2/ndf = {chi2:.1f}/{ndf} (p = {p:.1g}); the statistical error "
                f"of Y is scaled by sqrt(chi2/ndf) = {scale:.2f} (PDG)"
            )
    origin = FitResult(
        names=("y_pe_per_kev",),
        values=(y,),
        errors=(y_err,),
        covariance=((y_err**2,),),
        chi2=chi2,
        ndf=ndf,
        valid=True,
        model="linear through origin",
        cost="chi2",
        extra=extra,
    )
    syst = None if gain_systematic is None else dict(gain_systematic)
    return LinearityFit(analysis, pts, origin, _fit_offset(e, mu, w), syst)


def _fit_offset(e: np.ndarray, mu: np.ndarray, w: np.ndarray) -> FitResult:
    names = ("slope_pe_per_kev", "offset_pe")
    if len(e) < 2 or np.ptp(e) == 0:
        return FitResult.failed(
            names, "an offset fit needs points at two different energies", model="linear"
        )
    a = np.column_stack([e, np.ones_like(e)])
    fisher = a.T @ (w[:, None] * a)
    cov = np.linalg.inv(fisher)
    theta = cov @ (a.T @ (w * mu))
    chi2 = float(np.sum(w * (mu - a @ theta) ** 2))
    return FitResult(
        names=names,
        values=(float(theta[0]), float(theta[1])),
        errors=(math.sqrt(cov[0, 0]), math.sqrt(cov[1, 1])),
        covariance=tuple(tuple(float(c) for c in row) for row in cov),
        chi2=chi2,
        ndf=len(e) - 2,
        valid=True,
        model="linear",
        cost="chi2",
    )


@dataclass(frozen=True)
class LinearityResult:
    """Result of the ``"linearity"`` step.

    Attributes
    ----------
    fits : dict of str to LinearityFit
        By analysis (``"A"``, ``"B"``), only analyses with at least one point.
    resolution : dict of str to ResolutionFit
        Resolution model per analysis (only where at least one point has a resolution).
    skipped : tuple of str
        Points that could not be used, each with the reason.
    """

    fits: dict[str, LinearityFit] = field(default_factory=dict)
    resolution: dict[str, ResolutionFit] = field(default_factory=dict)
    skipped: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "fits": {k: f.to_dict() for k, f in self.fits.items()},
            "resolution": {k: r.to_dict() for k, r in self.resolution.items()},
            "skipped": list(self.skipped),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> LinearityResult:
        """Rebuild from ``to_dict`` output."""
        return cls(
            {k: LinearityFit.from_dict(f) for k, f in d.get("fits", {}).items()},
            {k: ResolutionFit.from_dict(r) for k, r in d.get("resolution", {}).items()},
            tuple(d.get("skipped", ())),
        )


def _resolution_terms(settings: Mapping[str, Any], n_points: int) -> tuple[str, ...]:
    terms = settings.get("resolution_terms", "auto")
    if terms in (None, "auto"):
        return default_terms(n_points)
    if isinstance(terms, str) or not set(terms) <= set(TERMS) or not terms:
        raise CalibrationError(
            f"linearity settings: resolution_terms {terms!r} must be 'auto' or a non-empty "
            f"list of {list(TERMS)}"
        )
    return tuple(terms)


def compute_linearity(inputs: StepInputs, settings: Mapping[str, Any]) -> LinearityResult:
    """Run the ``"linearity"`` calibration step (STEP CONTRACT of ``analysis_core.steps``).

    Parameters
    ----------
    inputs : StepInputs
        Uses ``inputs.results`` (``"peak_fit"``, ``"components_a"``, ``"components_b"``),
        ``inputs.gains`` (to express every point in each analysis' PE) and ``inputs.rq``
        (gains used by each reduction and the median ftop of the run).
    settings : dict
        ``analyses`` (default ``["A", "B"]``), ``exclude`` (point labels to leave out),
        ``extra_points`` (list of ``LinearityPoint.to_dict()``, e.g. typed in by hand),
        ``peak_energies_kev`` (peak name or role -> keV; defaults in
        ``analysis_core.linearity_points.DEFAULT_PEAK_ENERGIES_KEV``), ``resolution_terms``
        (``"auto"``, the default: ``resolution.default_terms`` of the number of points, so that
        ndf >= 1; or a list of ``resolution.TERMS``), ``resolution_noise_kev`` (value of ``c``
        when it is not fitted; default 0).

    Returns
    -------
    LinearityResult

    Raises
    ------
    CalibrationError
        No analysis has any point (the message lists what was skipped).
    """
    analyses = list(settings.get("analyses", ["A", "B"]))
    exclude = set(settings.get("exclude", []))
    points, skipped = collect_points(inputs, settings, analyses)
    points += [LinearityPoint.from_dict(p) for p in settings.get("extra_points", [])]
    fits: dict[str, LinearityFit] = {}
    res: dict[str, ResolutionFit] = {}
    for analysis in analyses:
        mine = [p for p in points if p.analysis == analysis and p.label not in exclude]
        if not mine:
            continue
        fits[analysis] = fit_linearity(mine, analysis, gain_systematic(inputs, analysis))
        with_res = [p for p in mine if p.resolution is not None and p.resolution_err]
        if with_res:
            res[analysis] = fit_resolution(
                [p.energy_kev for p in with_res],
                [p.resolution for p in with_res],
                [p.resolution_err for p in with_res],
                terms=_resolution_terms(settings, len(with_res)),
                c_fixed_kev=settings.get("resolution_noise_kev"),
            )
    if not fits:
        why = "; ".join(skipped) or "no peak fit or component result yet"
        raise CalibrationError(f"linearity: no point to fit ({why})")
    return LinearityResult(fits, res, tuple(skipped))
