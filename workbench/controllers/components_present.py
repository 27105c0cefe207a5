"""Draw Analysis A and B results into the Components pane (model -> view, GUI thread).

What to use when
----------------
- ``present_a(pane, result, units)`` / ``present_b(pane, result, units)``: fill every plot,
  caption and result table from a ``ComponentsAResult`` / ``ComponentsBResult``. ``units``
  (``workbench.controllers.components_units.PeUnits``) names the PE of the plots (the Kr run's
  reduction gains) and scales the table's PE to the analysis' own gains, as Linearity and the
  constants do; every PE label says which gains define it.
- ``clear_a(pane, message)`` / ``clear_b(pane, message)``: empty plots saying what is missing.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from analysis_core.components.analysis_a import ComponentLight, ComponentsAResult
from analysis_core.components.analysis_b import ComponentsBResult
from analysis_core.fitting import peak_model_density
from analysis_core.fitting.delay import delay_model_counts
from analysis_core.fitting.result import FitResult
from workbench.controllers.components_units import IDENTITY, PeUnits
from workbench.panes.components import ComponentsPane

__all__ = ["clear_a", "clear_b", "fmt", "present_a", "present_b"]

_TWO = (("peak", "Gaussian 1", "part"), ("peak_2", "Gaussian 2", "background"))


def fmt(value: float, err: float, digits: int = 1) -> str:
    """``value ± err`` with ``digits`` decimals ("-" for NaN)."""
    if not math.isfinite(value):
        return "-"
    return f"{value:.{digits}f} ± {err:.{digits}f}"


def _fit_curve(plot, hist, fit: FitResult, name: str, template=None, parts=()) -> None:
    if not fit.valid:
        plot.set_caption(f"<span style='color:#c00'>fit failed: {fit.message}</span>")
        return
    lo, hi = fit.extra.get("fit_range", [hist.edges[0], hist.edges[-1]])[:2]
    x = np.linspace(lo, hi, 400)
    bw = float(np.mean(np.diff(hist.edges)))
    kw = {"template": template, "template_edges": hist.edges} if template is not None else {}
    plot.add_curve(x, bw * peak_model_density(fit, x, **kw), name)
    for comp, label, colour in parts:
        y = bw * peak_model_density(fit, x, component=comp, **kw)
        plot.add_curve(x, y, label, colour, dashed=True)


def _chi2(fit: FitResult) -> str:
    return f"χ²/ndf = {fit.chi2:.0f}/{fit.ndf}" if fit.ndf > 0 else ""


def clear_a(pane: ComponentsPane, message: str) -> None:
    """Empty the Analysis A plots and table, saying ``message``."""
    for p in pane.plots_a():
        p.clear(message)
    pane.fill_table(pane.table_a, [])


def clear_b(pane: ComponentsPane, message: str) -> None:
    """Empty the Analysis B plots and table, saying ``message``."""
    for p in pane.plots_b():
        p.clear(message)
    pane.i35_i55.clear()
    _clear_overlays(pane)
    pane.fill_table(pane.table_b, [])


def _light_row(c: ComponentLight, label: str, k: float) -> list[str]:
    y, ye = c.yield_pe_per_kev
    return [
        label,
        fmt(c.amp_adc, c.amp_err_adc),
        f"{k * c.pe:.1f} ± {k * c.pe_stat:.1f} (stat) ± {k * c.pe_syst:.1f} (syst)",
        fmt(k * y, k * ye, 2),
    ]


def _per_kev(units: PeUnits) -> str:
    """``PE/keV, gains B`` (or ``PE/keV``)."""
    return f"PE/keV, gains {units.analysis}" if units.analysis else "PE/keV"


def _pe(units: PeUnits) -> str:
    """PE unit of a caption number read off a plot: names the gains when tables differ."""
    return f"PE ({units.plots.removeprefix('PE, ')})" if units.converted else "PE"


def present_a(pane: ComponentsPane, r: ComponentsAResult, units: PeUnits = IDENTITY) -> None:
    """Fill the Analysis A tab from ``r`` (table PE scaled by ``units.factor``)."""
    clear_a(pane, "")
    pane.sap_plot.set_labels(f"Total ({units.plots})", "Peak amplitude / total PE (ADC/PE)")
    pane.table_a.setHorizontalHeaderLabels(
        ["Step", "Amplitude (ADC)", f"Light ({units.table})", f"Y ({_per_kev(units)})"]
    )
    p = pane.prompt_plot
    p.add_steps(r.prompt_hist.edges, r.prompt_hist.counts, f"{r.n_delayed} events")
    _fit_curve(p, r.prompt_hist, r.prompt_fit, "Gaussian")
    if r.prompt_fit.valid:
        p.set_caption(
            f"A<sub>p</sub> = {fmt(r.light_32.amp_adc, r.light_32.amp_err_adc)} ADC, "
            f"σ = {r.prompt_fit['sigma']:.1f} ADC, {_chi2(r.prompt_fit)}"
        )
    s = pane.sap_plot
    sap = r.sap
    s.add_points(sap.centres_pe, sap.sap, sap.sap_err, "39Ar profile (mean)")
    lo, hi = sap.curve.range_pe
    x = np.geomspace(lo, hi, 300)
    y, band = sap.curve(x), sap.curve.band(x)
    s.add_curve(x, y, "fit ln S = quadratic in ln I")
    s.add_curve(x, y + band, "±1σ band", "#f08080", dashed=True, width=1.0)
    s.add_curve(x, y - band, "", "#f08080", dashed=True, width=1.0)
    s.add_vline(r.light_9.pe, "9.4 keV")
    s.add_vline(r.light_32.pe, "32.1 keV")
    s.set_caption(
        f"S<sub>Ap</sub> = {r.light_9.sap_adc_per_pe:.2f} ADC/PE at {r.light_9.pe:.1f} "
        f"{_pe(units)}, {r.light_32.sap_adc_per_pe:.2f} at {r.light_32.pe:.1f} {_pe(units)}; "
        f"{_chi2(sap.fit)}"
    )
    d = pane.delayed_plot
    d.add_steps(r.delayed_hist.edges, r.delayed_hist.counts, f"Kr, {r.n_window} events")
    if r.delayed_fit.valid:
        scale = r.delayed_fit["template_scale"]
        d.add_steps(
            r.template_hist.edges,
            scale * r.template_hist.counts,
            "39Ar template (scaled)",
            "background",
        )
    _fit_curve(d, r.delayed_hist, r.delayed_fit, "total", r.template_hist.counts,
               parts=[("peak", "9.4 keV peak", "part")])  # fmt: skip
    d.add_vline(r.settings["delayed_min_adc"], "threshold")
    if r.delayed_fit.valid:
        d.set_caption(
            f"mode = {fmt(r.light_9.amp_adc, r.light_9.amp_err_adc)} ADC (paper 158.5 ± 1.4), "
            f"triplet pedestal ≈ {r.light_9.pedestal_adc:.0f} ADC, {_chi2(r.delayed_fit)}"
        )
    t = pane.delay_plot
    h = r.delay_hist
    t.add_steps(h.edges, h.counts, "delayed-pulse events")
    f = r.delay_fit
    if f.valid:
        lo_ns, hi_ns = f.extra.get("fit_range_ns", [h.edges[0], h.edges[-1]])[:2]
        inside = (h.edges >= lo_ns - 1e-9) & (h.edges <= hi_ns + 1e-9)
        e = h.edges[inside]
        if e.size > 1:
            flat = f["background_per_ns"] > 0
            t.add_steps(e, delay_model_counts(f, e), "exp + flat" if flat else "exponential", "fit")
        t.add_vline(lo_ns, "fit start")
        t.set_caption(
            f"t<sub>1/2</sub> = {fmt(f['half_life_ns'], f.error('half_life_ns'))} ns "
            "(ENSDF 155.1 ns, paper 151 ± 6)"
        )
    else:
        t.set_caption(f"<span style='color:#c00'>delay fit: {f.message}</span>")
    pane.fill_table(
        pane.table_a,
        [
            _light_row(r.light_9, "9.4 keV (delayed)", units.factor),
            _light_row(r.light_32, "32.1 keV (prompt)", units.factor),
            *(
                [
                    [
                        "PE conversion",
                        f"× {units.factor:.4f}",
                        f"from {units.plots}",
                        f"to {units.table}",
                    ]
                ]
                if units.converted
                else []
            ),
        ],  # fmt: skip
    )


def _clear_overlays(pane: ComponentsPane) -> None:
    for item in pane.i35_overlays:
        pane.i35_i55.plot.removeItem(item)
    pane.i35_overlays.clear()


def _label_b(pane: ComponentsPane, units: PeUnits) -> None:
    pe = units.plots
    pane.i35_i55.set_axis_labels(f"I55 ({pe})", f"I35 ({pe})")
    pane.rotated_plot.set_labels(f"Rotated coordinate ({pe})", "Events per bin")
    pane.i90_41_plot.set_labels(f"I90 ({pe})", "Events per bin")
    pane.i90_32_plot.set_labels(f"I90 ({pe})", "Events per bin")
    pane.f90_plot.set_labels(f"Total ({pe})", "Median F90")


def present_b(pane: ComponentsPane, r: ComponentsBResult, units: PeUnits = IDENTITY) -> None:
    """Fill the Analysis B tab from ``r`` (table PE scaled by ``units.factor``)."""
    clear_b(pane, "")
    _label_b(pane, units)
    pe = _pe(units)
    h2 = r.hist_i35_i55
    pane.i35_i55.set_histogram(h2.x_edges, h2.y_edges, h2.counts)
    prof = r.profile
    x = np.array([h2.x_edges[0], h2.x_edges[-1]])
    a = math.radians(r.alpha_deg)
    items = [
        pg.ScatterPlotItem(prof.centres_pe, prof.i35_pe, size=5, brush="#ffffff", pen="#000"),
        pg.PlotDataItem(x, prof.slope * x + prof.intercept_pe, pen=pg.mkPen("#d62728", width=2)),
        pg.PlotDataItem(
            x, (r.cut_value_pe + x * math.sin(a)) / math.cos(a),
            pen=pg.mkPen("#e76f51", width=2, style=Qt.PenStyle.DashLine),
        ),
    ]  # fmt: skip
    for item in items:
        pane.i35_i55.plot.addItem(item)
    pane.i35_overlays.extend(items)
    pane.i35_i55.set_title(
        f"1. I35 vs I55: line slope {prof.slope:.3f} → "
        f"α = {fmt(r.alpha_deg, prof.alpha_err_deg, 2)}° (paper 37.5°); dashed: cut"
    )
    rp = pane.rotated_plot
    rp.add_steps(r.rotated_hist.edges, r.rotated_hist.counts, "Kr 41.5 keV window")
    _fit_curve(rp, r.rotated_hist, r.rotated_fit, "two Gaussians", parts=_TWO)
    rp.add_vline(r.cut_value_pe, f"cut {r.cut_value_pe:.2f}")
    rp.set_caption(
        f"α = {r.alpha_deg:.2f}°, cut u < {r.cut_value_pe:.2f} {pe} keeps {r.n_cut} events; "
        f"main Gaussian leak {r.main_leak:.1e}"
    )
    p41 = pane.i90_41_plot
    p41.add_steps(r.i90_41_hist.edges, r.i90_41_hist.counts, "below the cut")
    _fit_curve(p41, r.i90_41_hist, r.i90_41_fit, "Gaussian")
    if r.i90_41_fit.valid:
        p41.set_caption(
            f"I90(41.5) = {fmt(*r.i90_41)} {pe} (paper 62.6 ± 1.1), {_chi2(r.i90_41_fit)}"
        )
    p32 = pane.i90_32_plot
    if r.i90_32_fit.model == "two_gauss":
        p32.set_title("4. I90 above the cut: the lower peak is 32.1 keV only (paper's method)")
        p32.add_steps(r.i90_32_hist.edges, r.i90_32_hist.counts, "above the cut")
        _fit_curve(p32, r.i90_32_hist, r.i90_32_fit, "two Gaussians", parts=_TWO)
        how = "lower Gaussian"
    else:
        p32.set_title("4. I90 of events with a delayed pulse (32.1 keV only in 90 ns)")
        p32.add_steps(r.i90_32_hist.edges, r.i90_32_hist.counts, "delayed pulse > 152 ns")
        _fit_curve(p32, r.i90_32_hist, r.i90_32_fit, "Gaussian")
        how = "delayed-pulse sample"
    if r.i90_32_fit.valid:
        p32.set_caption(
            f"I90(32.1) = {fmt(*r.i90_32)} {pe} ({how}; paper 45.2 ± 0.6), {_chi2(r.i90_32_fit)}"
        )
    fp = pane.f90_plot
    f90 = r.f90
    fp.add_points(f90.centres_pe, f90.f90, f90.f90_err, "57Co median F90")
    xs = np.geomspace(min(f90.centres_pe), max(f90.centres_pe), 300)
    fp.add_curve(xs, f90.curve(xs), "a + b exp(-I/s)")
    s = r.system
    fp.add_vline(s.i_total_9_pe, "9.4")
    fp.add_vline(s.i_total_32_pe, "32.1")
    fp.set_caption(
        f"F90 = {f90.curve.a:.3f} + {f90.curve.b:.3f} exp(-I/{f90.curve.scale_pe:.0f} {pe}); "
        f"F90(I<sub>9.4</sub>) = {s.f90_9:.3f}, F90(I<sub>32.1</sub>) = {s.f90_32:.3f}"
    )
    e32, e9, e90 = s.errors
    y = s.yields()
    tot = r.total_fit
    k, t = units.factor, units.table

    def scaled(value: float, err: float, digits: int = 1) -> str:
        return fmt(k * value, k * err, digits)

    rows = [
        [f"I90 ({t})", scaled(*r.i90_32), scaled(s.i90_9_pe, e90), scaled(*r.i90_41)],
        ["F90 at I", f"{s.f90_32:.3f}", f"{s.f90_9:.3f}", ""],
        [f"I total ({t})", scaled(s.i_total_32_pe, e32), scaled(s.i_total_9_pe, e9),
         scaled(tot["mean"], tot.error("mean"))],
        [f"Y ({_per_kev(units)})", scaled(*y["32.1"], 2), scaled(*y["9.4"], 2), ""],
        ["system (4.4)", f"{'converged' if s.converged else 'NOT converged'}",
         f"{s.n_evaluations} evaluations", f"max |r| = {np.max(np.abs(s.residuals)):.2f}"],
    ]  # fmt: skip
    if units.converted:
        rows.append(["PE conversion", f"× {k:.4f}", f"from {units.plots}", f"to {t}"])
    pane.fill_table(pane.table_b, rows)
