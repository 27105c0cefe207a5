"""JobRunner: results, failures, cancellation, generations, progress, both execution modes."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QThread

from analysis_core.errors import RawFormatError
from analysis_core.progress import Cancelled, check_cancel
from workbench.jobs import Job, JobRunner, describe_exception


class Recorder:
    """Collects callbacks (plain bound methods, as controllers use)."""

    def __init__(self):
        self.done, self.errors, self.cancelled, self.threads = [], [], 0, []

    def on_done(self, result):
        self.threads.append(QThread.currentThread())
        self.done.append(result)

    def on_error(self, message):
        self.errors.append(message)

    def on_cancelled(self):
        self.cancelled += 1


def _add(a, b):
    return a + b


def _boom():
    raise ZeroDivisionError("division by zero in the worker")


def _bad_file():
    raise RawFormatError("/data/run.h5", "missing dataset /waveforms")


def _counting(n, *, progress, cancel):
    for i in range(n):
        check_cancel(cancel)
        progress(i + 1, n)
    return n


def test_inline_job_delivers_result_before_submit_returns(inline_runner):
    rec = Recorder()
    handle = inline_runner.submit(_add, 2, 3, on_done=rec.on_done)
    assert rec.done == [5]
    assert not handle.is_running
    assert inline_runner.active_count() == 0


def test_failure_reaches_job_failed_and_on_error(qtbot, inline_runner):
    rec = Recorder()
    with qtbot.waitSignal(inline_runner.job_failed) as blocker:
        inline_runner.submit(_boom, title="Dividing", on_error=rec.on_error)
    assert blocker.args == ["Dividing", "ZeroDivisionError: division by zero in the worker"]
    assert rec.errors == ["ZeroDivisionError: division by zero in the worker"]


def test_core_errors_are_reported_as_path_and_fault(qtbot, inline_runner):
    with qtbot.waitSignal(inline_runner.job_failed) as blocker:
        inline_runner.submit(_bad_file, title="Opening run.h5")
    assert blocker.args == ["Opening run.h5", "/data/run.h5: missing dataset /waveforms"]


def test_describe_exception():
    assert describe_exception(ValueError()) == "ValueError"
    assert describe_exception(KeyError("x")) == "KeyError: 'x'"


def test_hooks_pass_progress_and_cancel(qtbot, inline_runner):
    rec = Recorder()
    progress = []
    inline_runner.job_progress.connect(lambda i, d, t: progress.append((d, t)))
    inline_runner.submit(_counting, 5, hooks=True, title="Counting", on_done=rec.on_done)
    assert rec.done == [5]
    assert progress[-1] == (5, 5)  # the last unit is always reported
    assert len(progress) <= 5  # throttled to ~20 Hz


def test_cancelled_before_start(inline_runner):
    rec = Recorder()
    job = Job(_add, (1, 2))
    job.cancel()
    seen = []
    job.signals.cancelled.connect(lambda: seen.append(True))
    job.run()
    assert seen == [True]
    assert rec.done == []


def test_exception_in_callback_is_reported_not_raised(qtbot, inline_runner):
    def bad_callback(result):
        raise RuntimeError(f"cannot show {result}")

    with qtbot.waitSignal(inline_runner.job_failed) as blocker:
        inline_runner.submit(_add, 1, 1, title="Adding", on_done=bad_callback)
    assert blocker.args == ["Adding", "RuntimeError: cannot show 2"]


def test_titled_jobs_are_announced_and_quiet_ones_not(qtbot, inline_runner):
    started = []
    inline_runner.job_started.connect(lambda i, t: started.append(t))
    inline_runner.submit(_add, 1, 1)
    inline_runner.submit(_add, 1, 1, title="Visible")
    assert started == ["Visible"]


def test_pool_job_runs_off_the_gui_thread(qtbot, pool_runner):
    rec = Recorder()
    worker_thread = []

    def where():
        worker_thread.append(QThread.currentThread())
        return 42

    pool_runner.submit(where, on_done=rec.on_done)
    qtbot.waitUntil(lambda: rec.done == [42], timeout=5000)
    assert worker_thread[0] is not QThread.currentThread()
    assert rec.threads == [QThread.currentThread()]  # callbacks run in the GUI thread


def test_pool_cancel_stops_a_running_job(qtbot, pool_runner):
    rec = Recorder()
    started = threading.Event()

    def spin(*, progress, cancel):
        started.set()
        while True:
            check_cancel(cancel)
            QThread.msleep(1)

    handle = pool_runner.submit(spin, hooks=True, title="Spin", on_cancelled=rec.on_cancelled)
    assert started.wait(5)
    with qtbot.waitSignal(pool_runner.job_ended, timeout=5000):
        handle.cancel()
    assert rec.cancelled == 1
    assert rec.done == []


def test_newer_job_with_same_key_supersedes_older(qtbot, pool_runner):
    rec = Recorder()
    gate = threading.Event()
    first_started = threading.Event()

    def slow(value, *, progress, cancel):
        first_started.set()
        gate.wait(5)
        return value  # ignores cancellation on purpose: the result must still be dropped

    first = pool_runner.submit(slow, "old", key="view", hooks=True, on_done=rec.on_done)
    assert first_started.wait(5)
    pool_runner.submit(_add, "n", "ew", key="view", on_done=rec.on_done)
    assert first.job.token.is_cancelled()
    qtbot.waitUntil(lambda: rec.done == ["new"], timeout=5000)
    gate.set()
    qtbot.waitUntil(lambda: pool_runner.active_count() == 0, timeout=5000)
    assert rec.done == ["new"]


def test_cancel_all_and_shutdown(qtbot):
    runner = JobRunner(max_threads=1)
    gate = threading.Event()

    def wait_for_cancel(*, progress, cancel):
        while not cancel.is_cancelled():
            gate.wait(0.001)
        raise Cancelled

    for _ in range(3):
        runner.submit(wait_for_cancel, hooks=True, title="Waiting")
    assert runner.active_count() == 3
    assert runner.shutdown(5000)
    assert runner.active_count() == 0


@pytest.mark.parametrize("inline", [True, False])
def test_failure_never_crashes_in_either_mode(qtbot, inline):
    runner = JobRunner(inline=inline)
    rec = Recorder()
    with qtbot.waitSignal(runner.job_failed, timeout=5000):
        runner.submit(_boom, title="Boom", on_error=rec.on_error)
    qtbot.waitUntil(lambda: runner.active_count() == 0, timeout=5000)
    assert rec.errors
    runner.shutdown()


def test_quiet_jobs_are_not_stalled_by_long_ones(qtbot):
    runner = JobRunner(max_threads=1)
    gate = threading.Event()
    started = threading.Event()
    rec = Recorder()

    def long_job(*, progress, cancel):
        started.set()
        gate.wait(10)

    runner.submit(long_job, hooks=True, title="Long")  # occupies the only titled thread
    assert started.wait(5)
    runner.submit(_add, 20, 22, on_done=rec.on_done)  # quiet: its own pool
    qtbot.waitUntil(lambda: rec.done == [42], timeout=5000)
    gate.set()
    qtbot.waitUntil(lambda: runner.active_count() == 0, timeout=5000)
    runner.shutdown()
