"""SPE gains pane on small simulated LED and Kr runs: fit equal to the headless step, gains in
``ctx.calib``, settings, the analysis choice, "Reduce all runs with these gains", failures,
cancel.

Runs: 6000 LED flashes and 1500 Kr events (blosc-lz4), simulated once per module (~1 s).
"""

from __future__ import annotations

import shutil

import pytest

from analysis_core.sim import SimConfig, simulate_run
from analysis_core.spe import compute_spe
from workbench.app import create_main_window
from workbench.controllers.session import step_inputs_from_context
from workbench.registry import default_panes


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    d = tmp_path_factory.mktemp("spe_pane_runs")
    dark = SimConfig().replace(led_mean_pe_top=0.0, led_mean_pe_bottom=0.0)
    return {
        "led": simulate_run("led", 6000, 301, d / "led.h5", compression="blosc-lz4"),
        "kr": simulate_run("kr83m", 1500, 302, d / "kr.h5", compression="blosc-lz4"),
        "dark": simulate_run("led", 500, 303, d / "dark.h5", config=dark),
    }


def _window(qtbot, inline=True):
    specs = default_panes()  # the SPE pane is registered there
    w = create_main_window(
        inline_jobs=inline, panes=specs, show_dialogs=False, restore_layout=False
    )
    qtbot.addWidget(w)
    return w


@pytest.fixture
def gui(qtbot):
    w = _window(qtbot)
    yield w, w.binding("spe").controller, w.binding("spe").widget
    w.close()


def _open(window, *paths):
    window.ctx.loader.open_files([str(p) for p in paths])


def test_empty_state_says_what_to_open(gui):
    _, _, pane = gui
    assert "No LED run" in pane.plots[("A", "top")].message()
    assert "No Kr or background run" in pane.plots[("B", "bottom")].message()
    assert pane.gain_text(0, 0) == "—"
    assert not pane.radio_a.isEnabled()
    assert not pane.reduce_button.isEnabled()


def test_fit_equals_the_headless_step_and_sets_the_gains(gui, runs):
    window, ctrl, pane = gui
    _open(window, runs["led"], runs["kr"])
    assert pane.led_box.currentData() == str(runs["led"].resolve())
    assert pane.source_box.currentData() == str(runs["kr"].resolve())
    assert "Not fitted yet" in pane.plots[("A", "top")].message()
    pane.fit_button.click()
    calib = window.ctx.calib
    result = calib.result("spe")
    assert result is not None
    # the GUI runs exactly the step a session replay runs: identical numbers
    replay = compute_spe(step_inputs_from_context(window.ctx), calib.settings("spe"))
    assert replay.to_dict() == result.to_dict()
    det = SimConfig().detector
    for analysis in ("A", "B"):
        assert result.analyses[analysis].valid, result.analyses[analysis].message
        assert calib.gains(analysis) == result.gains(analysis)
    # A's mu with 6000 flashes: ~2 % errors; 4 sigma
    for ch in (0, 1):
        err = calib.gain_errors("A")[ch]
        assert abs(calib.gains("A")[ch] - det.spe_mu_adc_ns(ch)) < 4 * err
    a_top = f"{result.gains('A')[0]:.1f} ± {result.analyses['A'].errors_adc_ns[0]:.1f}"
    assert pane.gain_text(0, 0) == a_top
    assert pane.gain_text(1, 3).startswith(f"{result.gains('B')[1]:.1f} ±")
    assert float(pane.gain_text(0, 4).split()[0]) == pytest.approx(
        result.gains("B")[0] / result.gains("A")[0], abs=1e-3
    )
    plot_a = pane.plots[("A", "top")]
    assert set(plot_a.model()) == {"pedestal", "1 PE", "2 PE", ">=3 PE", "total"}
    assert plot_a.marker_labels()[0].startswith("μ = ")
    assert "total" in pane.plots[("B", "bottom")].model()
    assert pane.status.text() == "Gains fitted."
    assert pane.radio_a.isChecked()
    assert pane.radio_b.isEnabled()


def test_settings_edits_and_analysis_choice_go_to_calib(gui, runs):
    window, ctrl, pane = gui
    _open(window, runs["led"], runs["kr"])
    pane.fields["led_window_ns"].setValue(60.0)
    assert window.ctx.calib.settings("spe")["led_window_ns"] == 60.0
    window.ctx.calib.set_settings("spe", {**ctrl.settings(), "b_threshold_rms": 5.0})
    assert pane.fields["b_threshold_rms"].value() == 5.0  # a session load shows in the form
    pane.fit_button.click()
    assert window.ctx.calib.result("spe").settings["led_window_ns"] == 60.0
    pane.radio_b.click()
    assert window.ctx.calib.active_gain_analysis == "B"


def test_reduce_all_runs_with_the_active_gains(gui, runs, tmp_path):
    window, ctrl, pane = gui
    copies = [shutil.copy(runs[k], tmp_path / f"{k}.h5") for k in ("led", "kr")]
    _open(window, *copies)
    ctrl.fit()
    pane.radio_b.click()
    pane.reduce_button.click()
    gains = window.ctx.calib.gains("B")
    state = window.ctx.state
    assert state.reduction_config.spe_gain_adc_ns == gains
    for path in state.runs:
        table = state.rq(path)
        assert table is not None, path
        assert table.metadata["spe_gain_adc_ns"] == {"top": gains[0], "bottom": gains[1]}
        assert table.pe_units == "PE"
    assert "Analysis B" in pane.status.text()


def test_dark_led_and_no_source_fail_plainly(gui, runs):
    window, ctrl, pane = gui
    _open(window, runs["dark"])
    ctrl.fit()
    result = window.ctx.calib.result("spe")
    assert not result.analyses["A"].valid
    assert "no LED pulse" in pane.plots[("A", "top")].message()
    assert "no source run" in pane.plots[("B", "top")].message()
    assert pane.status.text().startswith("Fit failed for A:")
    assert window.ctx.calib.gains("A") is None
    assert not pane.reduce_button.isEnabled()


def test_cancel_keeps_no_result(qtbot, runs):
    w = _window(qtbot, inline=False)
    try:
        _open(w, runs["led"], runs["kr"])
        qtbot.waitUntil(lambda: len(w.ctx.state.runs) == 2, timeout=10_000)
        ctrl, pane = w.binding("spe").controller, w.binding("spe").widget
        ctrl.fit()
        assert pane.cancel_button.isEnabled()
        ctrl.cancel()
        qtbot.waitUntil(lambda: pane.fit_button.isEnabled(), timeout=10_000)
        assert "cancelled" in pane.status.text()
        assert w.ctx.calib.result("spe") is None
        assert w.ctx.jobs.active_count() == 0
    finally:
        w.close()
