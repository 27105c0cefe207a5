"""Plain-text reports of efficiency curves, attenuation and activities (Genie2000 style).

What to use when
----------------
- ``format_efficiency_report(curve)``: the points with residuals and flags, then the curve
  parameters, chi2/ndf and the band at a few energies.
- ``format_attenuation_report(model)``: measured transmissions and the model.
- ``format_activity_report(result, daughters)``: per-line activities with their budgets, the
  combined value with the budget term by term, how correlations were treated, and the expected
  daughter activities.

The text is for terminals and log files; machine-readable output is the ``to_dict`` of each
result.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from analysis_core.hpge.activity import ActivityResult, DaughterActivity
from analysis_core.hpge.attenuation import AttenuationModel
from analysis_core.hpge.efficiency import EfficiencyCurve

__all__ = ["format_activity_report", "format_attenuation_report", "format_efficiency_report"]


def _pct(x: float) -> str:
    return "    -" if not math.isfinite(x) else f"{100 * x:5.2f}"


def format_efficiency_report(curve: EfficiencyCurve) -> str:
    """Return the efficiency points and fitted curve as a text table."""
    out = [
        "Full-energy-peak efficiency",
        f"{'E (keV)':>9} {'eff':>11} {'+-%':>6} {'FWHM keV':>8} {'dE keV':>7} "
        f"{'resid%':>7} {'pull':>6}  {'source':<24} flags / note",
    ]
    for p, r in zip(curve.points, curve.residuals, strict=True):
        de = p.measured_energy_kev - p.energy_kev
        note = ", ".join(sorted(p.flags))
        if p.excluded:
            note = (
                f"{note}; EXCLUDED: {p.excluded_reason}"
                if note
                else f"EXCLUDED: {p.excluded_reason}"
            )
        fwhm = f"{p.fwhm_kev:8.3f}" if math.isfinite(p.fwhm_kev) else f"{'-':>8}"
        de_s = f"{de:+7.3f}" if math.isfinite(de) else f"{'-':>7}"
        pull = f"{r.pull:6.2f}" if math.isfinite(r.pull) else f"{'-':>6}"
        eff = f"{p.efficiency:11.4e}" if math.isfinite(p.efficiency) else f"{'-':>11}"
        out.append(
            f"{p.energy_kev:9.3f} {eff} {_pct(p.rel_err):>6} {fwhm} {de_s} "
            f"{_pct(r.relative):>7} {pull}  {p.source_label[:24]:<24} {note}"
        )
    lo, hi = curve.energy_range_kev
    out += [
        "",
        f"Curve: ln(eps) = sum_i a_i ln(E/{curve.e0_kev:g} keV)^i, order {curve.order}, "
        f"fitted {lo:.1f}-{hi:.1f} keV",
        f"chi2/ndf = {curve.chi2:.2f}/{curve.ndf}"
        + (f" (covariance scaled by {curve.scale_factor:.3g})" if curve.scale_factor > 1 else ""),
    ]
    err = np.sqrt(np.diag(curve.cov))
    for i, (a, e) in enumerate(zip(curve.coefficients, err, strict=True)):
        out.append(f"  a{i} = {a:+.6e} +- {e:.2e}")
    grid = [e for e in (100, 200, 300, 500, 700, 1000, 1500) if lo * 0.9 <= e <= hi * 1.1]
    if grid:
        out.append("  E (keV):  " + " ".join(f"{e:>9g}" for e in grid))
        out.append("  eff:      " + " ".join(f"{curve.efficiency(float(e)):9.3e}" for e in grid))
        out.append(
            "  band (%): "
            + " ".join(f"{100 * curve.efficiency_rel_err(float(e)):9.2f}" for e in grid)
        )
    if curve.message:
        out.append(f"Note: {curve.message}")
    return "\n".join(out)


def format_attenuation_report(model: AttenuationModel) -> str:
    """Return the measured transmissions and the model as a text table."""
    out = ["Container transmission mu", f"{'E (keV)':>9} {'mu':>8} {'+-':>8} {'model':>8}"]
    for p in model.points:
        out.append(f"{p.energy_kev:9.3f} {p.mu:8.4f} {p.mu_err:8.4f} {model.mu(p.energy_kev):8.4f}")
    out.append(f"Model: {model.kind}, chi2/ndf = {model.chi2:.2f}/{model.ndf}")
    if model.message:
        out.append(f"Note: {model.message}")
    return "\n".join(out)


def format_activity_report(
    result: ActivityResult, daughters: Sequence[DaughterActivity] = ()
) -> str:
    """Return a Genie-style activity report: lines, budgets, combined value, daughters."""
    when = result.reference_time.isoformat(sep=" ") if result.reference_time else "not given"
    head = f"Activity of {result.nuclide or 'the source'}"
    if result.library:
        head += f" (nuclear data: {result.library})"
    out = [head, f"Reference time: {when}   method: {result.method}", ""]
    names = [t.name for t in result.budget]
    out.append(
        f"{'E (keV)':>9} {'A (Bq)':>12} {'+- (Bq)':>10} {'+-%':>6} {'weight':>7}  "
        + " ".join(f"{n[:9]:>9}" for n in names)
    )
    for i, ln in enumerate(result.lines, start=1):
        rel = {t.name: t.rel_err for t in ln.budget}
        energy = f"{ln.energy_kev:9.2f}" if math.isfinite(ln.energy_kev) else f"{f'line {i}':>9}"
        out.append(
            f"{energy} {ln.activity_bq:12.5g} {ln.activity_err_bq:10.3g} "
            f"{_pct(ln.activity_err_bq / ln.activity_bq):>6} {ln.weight:7.3f}  "
            + " ".join(f"{_pct(rel.get(n, 0.0)):>9}" for n in names)
        )
    out += [
        "",
        f"Combined (GLS): {result.activity_bq:.5g} +- {result.activity_err_bq:.3g} Bq "
        f"({_pct(result.rel_err).strip()} %), chi2/ndf = {result.chi2:.2f}/{result.ndf}",
        "Uncertainty budget of the combined value (relative %, Bq, correlation between lines):",
    ]
    for t in result.budget:
        out.append(f"  {t.name:<14} {_pct(t.rel_err)} %  {t.abs_err_bq:10.3g} Bq   {t.correlation}")
    out.append(f"  {'total':<14} {_pct(result.rel_err)} %  {result.activity_err_bq:10.3g} Bq")
    out.append(
        f"Independent weighted mean (ignores correlations): {result.naive_mean_bq:.5g} +- "
        f"{result.naive_mean_err_bq:.3g} Bq"
    )
    for d in daughters:
        out.append(
            f"Expected {d.name}: {d.activity_bq:.5g} +- {d.activity_err_bq:.3g} Bq "
            f"(branching {d.branching:g} x equilibrium {d.equilibrium_factor:.5f})"
        )
    return "\n".join(out)
