"""End to end with the real thread pool: reduction with progress, cancel, quit, demo, errors."""

from __future__ import annotations

import json
import threading

import pytest

from analysis_core.reduction import reduce_file
from analysis_core.rqfile import read_rq
from analysis_core.sim import simulate_run
from workbench.event_view import SOURCE_RQ_FILE

TIMEOUT_MS = 30_000  # generous: first numba compilation on a loaded 2-core machine


def _open(qtbot, window, *paths):
    for p in paths:
        with qtbot.waitSignal(window.ctx.loader.run_loaded, timeout=TIMEOUT_MS):
            window.ctx.loader.open_files([p])


def _view_ready(window, event):
    view = window.ctx.state.event_view
    return view is not None and view.event == event


@pytest.fixture
def gated_reduction(monkeypatch):
    """Hold reductions at their start until the test releases them."""
    entered, gate = threading.Event(), threading.Event()

    def gated(*args, **kwargs):
        entered.set()
        gate.wait(10)
        return reduce_file(*args, **kwargs)

    monkeypatch.setattr("workbench.reductions.reduce_file", gated)
    yield entered, gate
    gate.set()


def test_reduction_runs_off_thread_with_progress(qtbot, pool_window, kr_run):
    window = pool_window
    _open(qtbot, window, kr_run)
    runs = window.binding("runs").widget
    progress = []
    window.ctx.jobs.job_progress.connect(lambda job, done, total: progress.append((done, total)))
    titles = []
    window.ctx.jobs.job_started.connect(lambda job, title: titles.append(title))
    with qtbot.waitSignal(window.ctx.state.rq_changed, timeout=TIMEOUT_MS):
        runs.reduce_action.trigger()
    rq_file = kr_run.with_name("kr_run_rq.h5")
    assert len(read_rq(rq_file)) == 600
    assert titles == ["Reducing kr_run.h5"]
    assert progress[-1] == (600, 600)
    assert runs.run_list.rows()[0].status == "reduced"
    qtbot.waitUntil(lambda: not window.job_status.is_active(), timeout=TIMEOUT_MS)
    qtbot.waitUntil(
        lambda: _view_ready(window, 0) and window.ctx.state.event_view.source == SOURCE_RQ_FILE,
        timeout=TIMEOUT_MS,
    )


def test_cancel_from_status_bar_leaves_no_file(qtbot, pool_window, kr_run, gated_reduction):
    window = pool_window
    entered, gate = gated_reduction
    _open(qtbot, window, kr_run)
    runs = window.binding("runs").widget
    runs.reduce_action.trigger()
    assert entered.wait(10)
    assert window.job_status.title() == "Reducing kr_run.h5"
    assert runs.run_list.rows()[0].status.startswith("reducing")
    with qtbot.waitSignal(window.ctx.jobs.job_ended, timeout=TIMEOUT_MS):
        window.job_status._cancel.click()
        gate.set()
    assert sorted(p.name for p in kr_run.parent.iterdir()) == ["kr_run.h5"]  # no RQ, no .part
    assert runs.run_list.rows()[0].status == "raw only"
    assert window.ctx.notifier.history[-1].text.endswith("cancelled; no RQ file written")
    assert not window.job_status.is_active()


def test_closing_the_window_cancels_running_work(qtbot, pool_window, kr_run, gated_reduction):
    window = pool_window
    entered, gate = gated_reduction
    _open(qtbot, window, kr_run)
    window.binding("runs").widget.reduce_action.trigger()
    assert entered.wait(10)
    gate.set()
    window.close()  # cancel_all + waitForDone: the reduction stops between chunks
    assert window.ctx.jobs.active_count() == 0
    assert sorted(p.name for p in kr_run.parent.iterdir()) == ["kr_run.h5"]


def test_fast_stepping_shows_the_last_event(qtbot, pool_window, kr_run):
    window = pool_window
    _open(qtbot, window, kr_run)
    state = window.ctx.state
    for i in range(1, 40):  # superseded views are dropped, the last one wins
        state.set_current_event(i)
    qtbot.waitUntil(lambda: _view_ready(window, 39), timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: window.ctx.jobs.active_count() == 0, timeout=TIMEOUT_MS)
    assert window.binding("event_rqs").widget.values()["event"] == 39


def test_bad_file_error_with_pool(qtbot, pool_window, bad_files):
    window = pool_window
    with qtbot.waitSignal(window.ctx.notifier.posted, timeout=TIMEOUT_MS) as blocker:
        window.ctx.loader.open_files([bad_files["text"]])
    level, title, text = blocker.args
    assert (level, title) == ("error", "Opening notes.h5")
    assert text.startswith(f"{bad_files['text']}: not a readable HDF5 file")
    qtbot.waitUntil(lambda: window.ctx.jobs.active_count() == 0, timeout=TIMEOUT_MS)


def test_demo_campaign_opens_with_kr_run_selected(qtbot, pool_window, tmp_path, monkeypatch):
    built = []

    def small_campaign(out_dir=None, *, progress=None, cancel=None):
        # The real campaign takes ~10 s; the GUI flow is the same with two small runs.
        out = tmp_path / "demo_campaign"
        out.mkdir()
        paths = [
            simulate_run("led", 50, 1, out / "led.h5"),
            simulate_run("kr83m", 100, 2, out / "kr_run.h5", progress=progress, cancel=cancel),
        ]
        (out / "manifest.json").write_text(json.dumps({"runs": []}))
        built.append(out)
        return [*paths, out / "manifest.json"]

    monkeypatch.setattr("analysis_core.sim.demo.ensure_demo_campaign", small_campaign)
    window = pool_window
    state = window.ctx.state
    titles = []
    window.ctx.jobs.job_started.connect(lambda job, title: titles.append(title))
    window.ctx.loader.open_demo()
    qtbot.waitUntil(lambda: len(state.runs) == 2, timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: state.current_info.name == "kr_run.h5", timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: _view_ready(window, 0), timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: window.ctx.jobs.active_count() == 0, timeout=TIMEOUT_MS)
    assert titles[0].startswith("Preparing the demo campaign")
    assert sorted(state.runs) == sorted(
        str(p) for p in (built[0] / "led.h5", built[0] / "kr_run.h5")
    )


def test_runs_enter_in_asked_order_and_failures_are_skipped(
    qtbot, pool_window, kr_run, bkg_run, bad_files
):
    window = pool_window
    state = window.ctx.state
    window.ctx.loader.open_files([bkg_run, bad_files["no_waveforms"], kr_run])
    qtbot.waitUntil(lambda: len(state.runs) == 2, timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: window.ctx.jobs.active_count() == 0, timeout=TIMEOUT_MS)
    assert list(state.runs) == [str(bkg_run.resolve()), str(kr_run.resolve())]
    assert window.ctx.notifier.last_error.title == "Opening empty.h5"
