"""Components pane: missing runs, results equal to the headless steps, settings edits, failures.

Simulated runs (made once per session, reduced with the true mean SPE gains): kr83m 6000
events (~3000 with a delayed pulse), ar39 6000, co57 3000 - enough for every fit, small enough
to keep this file at a few seconds.
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QSettings

from analysis_core.components.analysis_a import ComponentsAResult, compute_components_a
from analysis_core.components.analysis_b import ComponentsBResult, compute_components_b
from analysis_core.linearity_points import collect_points
from analysis_core.rawfile import RawFile
from analysis_core.reduction import ReductionConfig, reduce_raw
from analysis_core.sim import simulate_run
from workbench.app import create_main_window
from workbench.controllers import components
from workbench.controllers.session import step_inputs_from_context
from workbench.registry import PaneSpec
from workbench.settings import Settings
from workbench.state import RunInfo


@pytest.fixture(scope="session")
def component_runs(tmp_path_factory):
    """(RunInfo, RQTable) of simulated kr83m, ar39 and co57 runs."""
    tmp = tmp_path_factory.mktemp("components_pane")
    out = {}
    for kind, n, seed in (("kr83m", 6000, 31), ("ar39", 6000, 32), ("co57", 3000, 33)):
        path = simulate_run(kind, n, seed, tmp / f"{kind}.h5")
        with RawFile(path) as rf:
            attrs = rf.truth_attrs()
            info = RunInfo.from_raw(rf)
        gains = (attrs["spe_mean_adc_ns_top"], attrs["spe_mean_adc_ns_bottom"])
        rq = reduce_raw(path, ReductionConfig(spe_gain_adc_ns=gains), hash_input=False)
        out[kind] = (info, rq)
    return out


@pytest.fixture
def gui(qtbot, tmp_path):
    settings = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    spec = PaneSpec("components", "Components", "centre", components.build)
    w = create_main_window(
        settings=settings, inline_jobs=True, panes=[spec], show_dialogs=False,
        restore_layout=False,
    )  # fmt: skip
    qtbot.addWidget(w)
    yield w, w.binding("components").controller, w.binding("components").widget
    w.close()


def _load(window, runs, kinds):
    for kind in kinds:
        info, rq = runs[kind]
        window.ctx.state.add_run(info, rq)


def test_missing_runs_say_what_to_load(gui, component_runs):
    window, ctrl, pane = gui
    _load(window, component_runs, ["kr83m"])
    ctrl.recompute()
    assert "missing: background" in ctrl.status("components_a")
    assert "missing: co57" in ctrl.status("components_b")
    assert "background (39Ar)" in pane.prompt_plot.message()
    assert window.ctx.calib.result("components_a") is None


def test_results_equal_the_headless_steps(gui, component_runs, qtbot):
    window, ctrl, pane = gui
    _load(window, component_runs, ["kr83m", "ar39", "co57"])
    # loading runs schedules one debounced recompute (300 ms)
    qtbot.waitUntil(lambda: window.ctx.calib.result("components_b") is not None, timeout=5000)
    ra = window.ctx.calib.result("components_a")
    rb = window.ctx.calib.result("components_b")
    assert isinstance(ra, ComponentsAResult)
    assert isinstance(rb, ComponentsBResult)
    inputs = step_inputs_from_context(window.ctx)
    # the GUI and a headless replay call the same function with the same settings: identical
    assert ra.to_dict() == compute_components_a(inputs, {}).to_dict()
    assert rb.to_dict() == compute_components_b(inputs, {}).to_dict()
    # the steps are recorded for the session replay, with the settings they used
    assert window.ctx.calib.all_settings()["components_a"] == {}
    assert window.ctx.calib.all_settings()["components_b"] == {}
    rows = pane.table_rows(pane.table_a)
    assert [r[0] for r in rows] == ["9.4 keV (delayed)", "32.1 keV (prompt)"]
    assert f"{ra.light_9.pe:.1f}" in rows[0][2]
    rows_b = pane.table_rows(pane.table_b)
    # no SPE gains in the session: the Kr run's PE, no conversion row
    assert rows_b[2][0] == "I total (PE)"
    assert [r[0] for r in rows_b][-1] == "system (4.4)"
    assert f"{rb.system.i_total_9_pe:.1f}" in rows_b[2][2]
    assert pane.prompt_plot.item_names()[:2] == [f"{ra.n_delayed} events", "Gaussian"]
    assert "cut" in pane.rotated_plot.item_names()[-1]
    assert len(pane.i35_overlays) == 3  # profile points, line, cut
    assert pane.i35_i55.counts().sum() > 0.9 * rb.hist_i35_i55.counts.sum()


def test_settings_edits_are_stored_and_used(gui, component_runs):
    window, ctrl, pane = gui
    _load(window, component_runs, ["kr83m", "ar39", "co57"])
    ctrl.recompute()
    pane.threshold_a.setValue(120)
    assert window.ctx.calib.settings("components_a")["delayed_min_adc"] == 120.0
    ctrl.recompute(["components_a"])
    assert window.ctx.calib.result("components_a").settings["delayed_min_adc"] == 120.0
    pane.alpha_auto.setChecked(False)
    pane.alpha.setValue(37.5)
    assert window.ctx.calib.settings("components_b")["alpha_deg"] == 37.5
    ctrl.recompute(["components_b"])
    assert window.ctx.calib.result("components_b").alpha_deg == 37.5
    pane.alpha_auto.setChecked(True)
    assert window.ctx.calib.settings("components_b")["alpha_deg"] is None
    pane.cut_auto.setChecked(False)
    pane.cut.setValue(-3.0)
    pane.i90_method.setCurrentIndex(pane.i90_method.findData("two_gauss"))
    assert window.ctx.calib.settings("components_b")["cut_value_pe"] == -3.0
    ctrl.recompute(["components_b"])
    rb = window.ctx.calib.result("components_b")
    assert rb.cut_value_pe == -3.0
    assert rb.i90_32_fit.model == "two_gauss"
    assert "paper" in pane.i90_32_plot.title()
    # settings set elsewhere (a restored session) show in the editors
    window.ctx.calib.set_settings("components_a", {"delayed_min_adc": 95.0})
    assert pane.threshold_a.value() == 95.0


def test_a_failing_step_is_reported_not_raised(gui, component_runs):
    window, ctrl, pane = gui
    _load(window, component_runs, ["kr83m", "ar39", "co57"])
    ctrl.recompute()
    assert window.ctx.calib.result("components_a") is not None
    ctrl.edit("components_a", delayed_min_adc=5000.0)  # no delayed pulse is that high
    ctrl.recompute(["components_a"])
    assert ctrl.status("components_a").startswith("failed: components A: only 0 Kr events")
    assert window.ctx.calib.result("components_a") is None
    assert "only 0 Kr events" in pane.delayed_plot.message()
    assert window.ctx.calib.result("components_b") is not None  # B is unaffected


def test_every_plot_exports(gui, component_runs, tmp_path):
    window, ctrl, pane = gui
    _load(window, component_runs, ["kr83m", "ar39", "co57"])
    ctrl.recompute()
    for plot in [*pane.plots_a(), *pane.plots_b()]:
        [csv] = plot.exporter.save_csv(tmp_path / f"{plot.exporter.name}.csv")
        assert len(csv.read_text().splitlines()) > 5, plot.exporter.name
    assert pane.i35_i55.exporter.save_png(tmp_path / "i35.png").stat().st_size > 1000


def _value(cell: str) -> float:
    return float(cell.split(" ± ")[0])


@pytest.mark.parametrize("reduced_with", ["A", "B"])
def test_tables_show_each_analysis_in_its_own_pe_as_linearity(
    gui, component_runs, qtbot, reduced_with
):
    """The Kr run is reduced with one analysis' gains; the other's table is converted."""
    window, ctrl, pane = gui
    calib = window.ctx.calib
    info, kr = component_runs["kr83m"]
    used = kr.metadata["spe_gain_adc_ns"]
    g_used = (used["top"], used["bottom"])
    # the other analysis: different ratios per PMT (as Analysis B's late-SPE gains read ~0.9 A)
    g_other = (0.88 * g_used[0], 0.93 * g_used[1])
    other = "B" if reduced_with == "A" else "A"
    calib.set_gains(reduced_with, g_used, (1.0, 1.0))
    calib.set_gains(other, g_other, (1.0, 1.0))
    _load(window, component_runs, ["kr83m", "ar39", "co57"])
    ctrl.recompute()
    ra, rb = calib.result("components_a"), calib.result("components_b")
    assert ra is not None
    assert rb is not None
    # the factor to the other analysis' PE, from its definition (light ~ 1/gain per PMT)
    f = float(np.median(kr["ftop"][np.isfinite(kr["ftop"])]))
    k = f * g_used[0] / g_other[0] + (1 - f) * g_used[1] / g_other[1]
    assert 1.07 < k < 1.14  # between 1/0.93 and 1/0.88
    k_a, k_b = (1.0, k) if reduced_with == "A" else (k, 1.0)

    # what Linearity (and so the constants) take as the components' points
    points, _ = collect_points(step_inputs_from_context(window.ctx), {}, ["A", "B"])

    def lin(analysis, energy_kev):  # the component point of that line (9.4057, 32.1517 keV)
        [pe] = [
            p.pe for p in points if p.analysis == analysis and abs(p.energy_kev - energy_kev) < 0.2
        ]
        return pe

    rows_b = {r[0]: r for r in pane.table_rows(pane.table_b)}
    total = rows_b["I total (PE, gains B)"]
    # table cells have 1 decimal: equal to the point within the rounding (0.05 PE)
    assert _value(total[2]) == pytest.approx(k_b * rb.system.i_total_9_pe, abs=0.05)
    assert _value(total[1]) == pytest.approx(k_b * rb.system.i_total_32_pe, abs=0.05)
    assert _value(total[2]) == pytest.approx(lin("B", 9.4), abs=0.05)
    assert _value(total[1]) == pytest.approx(lin("B", 32.1), abs=0.05)
    assert "Y (PE/keV, gains B)" in rows_b
    rows_a = pane.table_rows(pane.table_a)
    assert pane.table_a.horizontalHeaderItem(2).text() == "Light (PE, gains A)"
    assert _value(rows_a[0][2]) == pytest.approx(lin("A", 9.4), abs=0.05)
    assert _value(rows_a[1][2]) == pytest.approx(k_a * ra.light_32.pe, abs=0.05)
    # the plots stay in the Kr run's PE and say so; the converted table says by how much
    axis = pane.i90_41_plot.plot.getAxis("bottom")
    assert axis.labelText == f"I90 (PE, gains {reduced_with})"
    conv_rows = rows_b if other == "B" else {r[0]: r for r in rows_a}
    assert conv_rows["PE conversion"][1] == f"× {k:.4f}"
    assert "PE conversion" not in (rows_b if other == "A" else {r[0] for r in rows_a})
    status = ctrl.status(f"components_{other.lower()}")
    assert f"PE, gains {other}" in status
    assert f"× {k:.4f}" in status

    # new gains of the other analysis re-label the tables without a recompute
    calib.set_gains(other, g_used, (1.0, 1.0))
    assert calib.result("components_b") is rb
    rows_b = {r[0]: r for r in pane.table_rows(pane.table_b)}
    assert _value(rows_b["I total (PE, gains B)"][2]) == pytest.approx(
        rb.system.i_total_9_pe, abs=0.05
    )
    assert "PE conversion" not in rows_b
