"""Fits of gamma peaks: Gaussian + step on a linear background, one or several peaks per region.

What to use when
----------------
- ``fit_region(spectrum, centroids_ch, ...)``: fit one region of channels holding one peak or a
  multiplet (e.g. 152Eu 1085.8 + 1089.7 keV). Returns a ``RegionFit`` with one ``PeakFit`` per
  peak and the shared ``FitResult`` (all parameters and their covariance).
- ``fit_peaks_kev(spectrum, energies_kev, ...)``: the same with positions in keV (through the
  spectrum's energy calibration), for GUI clicks.
- ``region_curves(fit, channels)``: the fitted model and its components on any grid, to draw
  (defined with the result types in ``analysis_core.hpge.peakmodel``, re-exported here).
- ``analysis_core.hpge.peakroi.roi_net_area``: the Genie-style ROI sum, for comparison.

Model (counts per channel, ``x`` in channels)
---------------------------------------------
``sum_i [A_i G(x; mu_i, s_i) + S_i erfc((x - mu_i) / (sqrt2 s_i)) / 2] + b0 + b1 (x - x_ref)``
with ``x_ref`` the region centre (the same family as the per-peak ``b1 (x - mu)`` form of
spec/physics.md, reparametrised so that the background is shared). All peaks share one width
parameter ``sigma``: ``s_i = sigma r_i`` with fixed ratios ``r_i`` (1 unless per-peak expected
widths are given, e.g. from an FWHM(E) model: then the widths are tied through that model). The
model is integrated exactly over each channel (bin edges ``ch +- 0.5``).

Cost functions
--------------
- ``"poisson"``: binned Poisson likelihood as the deviance
  ``2 sum(mu - n + n ln(n / mu))`` (Baker-Cousins; its minimum is the goodness-of-fit statistic
  reported as ``chi2``).
- ``"chi2"``: ``iminuit.cost.LeastSquares``, first with variances ``max(n, 1)`` (Neyman), then
  refitted once with the first fit's prediction as variance (Pearson), which removes Neyman's
  downward bias of about one count per channel.
- ``"auto"``: ``"poisson"`` when any channel in the region has fewer than
  ``AUTO_POISSON_MIN_COUNTS`` (20) counts, else ``"chi2"``: above 20 counts per channel both
  give the same answer within a small fraction of the error, below it only the likelihood is
  unbiased.

Bad input (region outside the spectrum, too few channels, no counts) raises ``FitError``; a fit
that runs but does not converge returns ``valid=False`` with the reason in ``message``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from iminuit.cost import LeastSquares
from numpy.typing import NDArray

from analysis_core.errors import FitError
from analysis_core.fitting.result import FitResult, minimize
from analysis_core.hpge.peakcost import PoissonDeviance, poisson_deviance
from analysis_core.hpge.peakmodel import (
    PeakFit,
    RegionCurves,
    RegionFit,
    RegionLayout,
    region_curves,
)
from analysis_core.hpge.peaks import FWHM_PER_SIGMA, estimate_fwhm_ch
from analysis_core.hpge.spectrum import EnergyCalibration, Spectrum

__all__ = [
    "AUTO_POISSON_MIN_COUNTS",
    "PeakFit",
    "RegionCurves",
    "RegionFit",
    "fit_peaks_kev",
    "fit_region",
    "region_curves",
    "poisson_deviance",
]

#: ``cost="auto"`` uses the Poisson likelihood when any channel has fewer counts than this.
AUTO_POISSON_MIN_COUNTS = 20


def _start_values(
    n: NDArray[np.float64],
    ch: NDArray[np.float64],
    centroids: NDArray[np.float64],
    sigma0: float,
    ratios: NDArray[np.float64],
    layout: RegionLayout,
) -> dict[str, float]:
    m = max(2, min(5, n.size // 8))
    left, right = float(n[:m].mean()), float(n[-m:].mean())
    xl, xr = float(ch[:m].mean()), float(ch[-m:].mean())
    b1 = (right - left) / (xr - xl) if xr > xl else 0.0
    bkg = left + b1 * (ch - xl)
    start: dict[str, float] = {}
    for i, c in enumerate(centroids):
        s = sigma0 * ratios[i]
        near = np.abs(ch - c) <= max(1.0, s)
        height = float((n[near] - bkg[near]).max()) if near.any() else 0.0
        start[f"area_{i}"] = max(height, 1.0) * s * math.sqrt(2.0 * math.pi)
        start[f"mu_{i}"] = float(c)
        if layout.step_mode == "per_peak":
            start[f"step_{i}"] = 0.0
    if layout.step_mode == "ratio":
        start["step_ratio"] = 0.0
    start["sigma"] = sigma0
    start["b0"] = left + b1 * (layout.x_ref - xl)
    start["b1"] = b1
    return start


def fit_region(
    spectrum: Spectrum,
    centroids_ch: Sequence[float],
    *,
    region_ch: tuple[int, int] | None = None,
    fwhm_ch: float | Sequence[float] | None = None,
    cost: str = "auto",
    step: str = "auto",
    background: str = "linear",
    width: str = "free",
) -> RegionFit:
    """Fit one region of ``spectrum`` with one Gaussian + step per centroid on a line.

    Parameters
    ----------
    spectrum : Spectrum
        Counts per channel; its energy calibration (if any) gives the keV numbers.
    centroids_ch : sequence of float
        Starting centroids (fractional channels), one per peak; each may move by one FWHM.
    region_ch : (int, int), optional
        First and last channel (inclusive). Default: from 3.5 FWHM below the first peak to
        3.5 FWHM above the last.
    fwhm_ch : float or sequence of float, optional
        Expected FWHM in channels, one value or one per peak (their ratios tie the widths).
        Default: estimated from the spectrum at the last centroid (``peaks.estimate_fwhm_ch``).
    cost : {"auto", "poisson", "chi2"}
        See the module docstring.
    step : {"auto", "per_peak", "ratio", "none"}
        Step term: a free height per peak; one shared ratio of step to peak height (the gf3
        convention; steps of close peaks are otherwise nearly degenerate); or none. ``"auto"``:
        per peak for a single peak, ratio for a multiplet.
    background : {"linear", "constant"}
        Background shape.
    width : {"free", "fixed"}
        Fit the shared width, or hold it at ``fwhm_ch``.

    Returns
    -------
    RegionFit

    Raises
    ------
    FitError
        No centroids, bad options, a region outside the spectrum, too few channels for the
        number of parameters, no counts in the region, or (without ``fwhm_ch``) no peak to
        estimate the width from.
    """
    where = spectrum.path or "spectrum"
    cents = np.asarray(centroids_ch, dtype=float).ravel()
    if cents.size == 0 or not np.all(np.isfinite(cents)):
        raise FitError(f"{where}: no (finite) peak centroids to fit")
    if cost not in ("auto", "poisson", "chi2"):
        raise FitError(f"cost must be 'auto', 'poisson' or 'chi2', got {cost!r}")
    if (
        background not in ("linear", "constant")
        or width not in ("free", "fixed")
        or step not in ("auto", "per_peak", "ratio", "none")
    ):
        raise FitError(f"bad option: background={background!r}, width={width!r}, step={step!r}")
    step_mode = step if step != "auto" else ("per_peak" if cents.size == 1 else "ratio")
    order = np.argsort(cents)
    if region_ch is not None and (np.any(cents < region_ch[0]) or np.any(cents > region_ch[1])):
        raise FitError(
            f"{where}: a centroid lies outside the region {region_ch[0]}..{region_ch[1]}"
        )
    if fwhm_ch is None:
        fwhm_ch = estimate_fwhm_ch(spectrum.counts, float(cents[order[-1]]))
    fw = np.broadcast_to(np.asarray(fwhm_ch, dtype=float), cents.shape)
    if not np.all(np.isfinite(fw)) or np.any(fw <= 0):
        raise FitError(f"{where}: expected FWHM must be finite and positive, got {fw}")
    if region_ch is None:
        lo = math.floor(cents[order[0]] - 3.5 * fw[order[0]])
        hi = math.ceil(cents[order[-1]] + 3.5 * fw[order[-1]])
    else:
        lo, hi = int(region_ch[0]), int(region_ch[1])
    lo, hi = max(lo, 0), min(hi, spectrum.n_channels - 1)
    n_step = {"per_peak": cents.size, "ratio": 1, "none": 0}[step_mode]
    n_par = 2 * cents.size + n_step + 3 - (background == "constant") - (width == "fixed")
    if hi - lo + 1 < n_par + 2:
        raise FitError(
            f"{where}: region {lo}..{hi} has {max(hi - lo + 1, 0)} channels, "
            f"too few for {n_par} parameters"
        )
    if np.any(cents < lo) or np.any(cents > hi):
        raise FitError(f"{where}: a centroid lies outside the region {lo}..{hi}")
    ch = np.arange(lo, hi + 1, dtype=float)
    n = np.asarray(spectrum.counts[lo : hi + 1], dtype=float)
    if n.sum() <= 0:
        raise FitError(f"{where}: no counts in region {lo}..{hi}")
    cost_name = cost
    if cost == "auto":
        cost_name = "poisson" if n.min() < AUTO_POISSON_MIN_COUNTS else "chi2"

    sigma0 = float(fw[0]) / FWHM_PER_SIGMA
    ratios = fw / fw[0]
    layout = RegionLayout(cents.size, ratios, 0.5 * (lo + hi), step_mode)
    start = _start_values(n, ch, cents, sigma0, ratios, layout)
    limits: dict[str, tuple[float | None, float | None]] = {
        "sigma": (0.25 * sigma0, min(4.0 * sigma0, (hi - lo) / 2.0))
    }
    for i, c in enumerate(cents):
        f = float(fw[i])
        limits[f"mu_{i}"] = (max(lo, c - f), min(hi, c + f))
    fixed = (["b1"] if background == "constant" else []) + (["sigma"] if width == "fixed" else [])
    if background == "constant":
        start["b1"] = 0.0
    model_name = f"gauss+{'' if step_mode == 'none' else 'step+'}{background} x{cents.size}"

    if cost_name == "poisson":
        res = _minimize_restarting(
            PoissonDeviance(n, ch, layout), start, limits, fixed, model_name, "poisson"
        )
    else:
        res = _chi2_fit(n, ch, layout, start, limits, fixed, model_name)
    cal = spectrum.energy_cal
    peaks = tuple(
        _peak_from(res, i, layout, cal, (lo, hi), width, cost_name) for i in range(cents.size)
    )
    return RegionFit(peaks, res, (lo, hi), layout.x_ref, tuple(float(r) for r in ratios), cal)


def _chi2_fit(
    n: NDArray[np.float64],
    ch: NDArray[np.float64],
    layout: RegionLayout,
    start: dict[str, float],
    limits: dict[str, tuple[float | None, float | None]],
    fixed: list[str],
    model_name: str,
) -> FitResult:
    def model(x: NDArray[np.float64], *p: float) -> NDArray[np.float64]:
        return layout.per_channel(x, p)

    neyman = LeastSquares(ch, n, np.sqrt(np.maximum(n, 1.0)), model, name=layout.names)
    first = _minimize_restarting(neyman, start, limits, fixed, model_name, "chi2")
    if not first.valid:
        return first
    var = np.maximum(layout.per_channel(ch, first.values), 1.0)
    pearson = LeastSquares(ch, n, np.sqrt(var), model, name=layout.names)
    return _minimize_restarting(pearson, first.params(), limits, fixed, model_name, "chi2")


def _minimize_restarting(
    cost: Any,
    start: dict[str, float],
    limits: dict[str, tuple[float | None, float | None]],
    fixed: list[str],
    model_name: str,
    cost_name: str,
) -> FitResult:
    """``minimize``, restarted (up to twice) from where MIGRAD stopped when it did not converge.

    MIGRAD occasionally stops with a too-large estimated distance to the minimum on
    low-count data (about one region in a few hundred); a restart from that point converges.
    """
    res = minimize(cost, start, limits=limits, fixed=fixed, model=model_name, cost_name=cost_name)
    for _ in range(2):
        if res.valid or not res.message.startswith("no convergence"):
            break
        if not all(math.isfinite(v) for v in res.values):
            break
        res = minimize(
            cost, res.params(), limits=limits, fixed=fixed, model=model_name, cost_name=cost_name
        )
    return res


def _peak_from(
    res: FitResult,
    i: int,
    layout: RegionLayout,
    cal: EnergyCalibration | None,
    region: tuple[int, int],
    width: str,
    cost: str,
) -> PeakFit:
    nan = float("nan")
    region_kev = (
        (float(cal.energy(region[0] - 0.5)), float(cal.energy(region[1] + 0.5)))
        if cal is not None
        else (nan, nan)
    )
    if not res.valid:
        return PeakFit.failed(res.message, region_ch=region, region_kev=region_kev, cost=cost)
    mu, mu_err = res[f"mu_{i}"], res.error(f"mu_{i}")
    r = layout.ratios[i]
    fwhm_ch = float(FWHM_PER_SIGMA * res["sigma"] * r)
    fwhm_err_ch = 0.0 if width == "fixed" else float(FWHM_PER_SIGMA * res.error("sigma") * r)
    if cal is not None:
        gain = float(cal.gain_kev_per_channel(mu))
        e, e_err = float(cal.energy(mu)), abs(gain) * mu_err
        f_kev, f_err = abs(gain) * fwhm_ch, abs(gain) * fwhm_err_ch
    else:
        e = e_err = f_kev = f_err = nan
    step, step_err = layout.step_with_error(res, i)
    return PeakFit(
        energy_kev=e,
        energy_err_kev=e_err,
        centroid_ch=mu,
        centroid_err_ch=mu_err,
        fwhm_kev=f_kev,
        fwhm_err_kev=f_err,
        fwhm_ch=fwhm_ch,
        fwhm_err_ch=fwhm_err_ch,
        area=res[f"area_{i}"],
        area_err=res.error(f"area_{i}"),
        step=step,
        step_err=step_err,
        valid=True,
        message="",
        chi2=res.chi2,
        ndf=res.ndf,
        cost=cost,
        region_kev=region_kev,
        region_ch=region,
        width=width,
    )


def fit_peaks_kev(
    spectrum: Spectrum,
    energies_kev: Sequence[float],
    *,
    region_kev: tuple[float, float] | None = None,
    fwhm_kev: float | Sequence[float] | None = None,
    **options: Any,
) -> RegionFit:
    """Fit peaks given in keV (through the spectrum's calibration); see ``fit_region``.

    Parameters
    ----------
    spectrum : Spectrum
        Must carry an energy calibration.
    energies_kev : sequence of float
        Starting centroids in keV.
    region_kev : (float, float), optional
        Region edges in keV (the channels whose centres lie inside are used).
    fwhm_kev : float or sequence of float, optional
        Expected FWHM(s) in keV.
    **options
        ``cost``, ``step``, ``background``, ``width`` as in ``fit_region``.

    Raises
    ------
    FitError
        The spectrum has no energy calibration, or as ``fit_region``.
    """
    cal = spectrum.energy_cal
    if cal is None:
        raise FitError(f"{spectrum.path or 'spectrum'}: no energy calibration to convert keV")
    cents = np.asarray(cal.channel(np.asarray(energies_kev, dtype=float)), dtype=float)
    fw = None
    if fwhm_kev is not None:
        fw = np.asarray(fwhm_kev, dtype=float) / np.abs(cal.gain_kev_per_channel(cents))
    region = None
    if region_kev is not None:
        a, b = cal.channel(np.asarray(region_kev, dtype=float))
        region = (math.ceil(min(a, b)), math.floor(max(a, b)))
    return fit_region(spectrum, cents, region_ch=region, fwhm_ch=fw, **options)
