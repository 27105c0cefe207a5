"""Fixtures of the workbench tests: job runners that must drain, simulated runs, bad files."""

from __future__ import annotations

import shutil
from pathlib import Path

import h5py
import pytest

from analysis_core.rawfile import RawMetadata
from analysis_core.sim import simulate_run
from workbench.jobs import JobRunner

#: Events of the simulated test runs: 600 = two full 256-event HDF5 chunks and a partial one.
KR_EVENTS = 600
BKG_EVENTS = 200
CHUNK_EVENTS = 256  # what simulate_run writes


def _assert_drained(runner: JobRunner) -> None:
    """Fail when a test leaves jobs running, then stop them so nothing leaks."""
    busy = runner.active_count()
    threads = runner.pool.activeThreadCount() + runner.quick_pool.activeThreadCount()
    runner.shutdown(5000)
    assert busy == 0, f"{busy} job(s) still running at teardown ({threads} pool threads busy)"


@pytest.fixture
def pool_runner(qtbot):
    """A ``JobRunner`` with a real thread pool; teardown fails if jobs are still running."""
    runner = JobRunner()
    yield runner
    _assert_drained(runner)


@pytest.fixture
def inline_runner():
    """A synchronous ``JobRunner`` (deterministic)."""
    runner = JobRunner(inline=True)
    yield runner
    _assert_drained(runner)


@pytest.fixture(scope="session")
def _simulated(tmp_path_factory) -> dict[str, Path]:
    """Simulate the test runs once per session (the simulator is deterministic per seed)."""
    out = tmp_path_factory.mktemp("simulated")
    return {
        "kr": simulate_run("kr83m", KR_EVENTS, 11, out / "kr_run.h5"),
        "bkg": simulate_run("background", BKG_EVENTS, 12, out / "background.h5"),
    }


def _copy(src: Path, dst_dir: Path) -> Path:
    """Copy a session file into the test's own directory (tests write RQ files beside it)."""
    dst = dst_dir / src.name
    shutil.copyfile(src, dst)
    return dst


@pytest.fixture
def kr_run(_simulated, tmp_path) -> Path:
    """A simulated 600-event 83mKr run (prompt 32.1 keV and delayed 9.4 keV pulses)."""
    return _copy(_simulated["kr"], tmp_path)


@pytest.fixture
def bkg_run(_simulated, tmp_path) -> Path:
    """A simulated 200-event background (39Ar) run."""
    return _copy(_simulated["bkg"], tmp_path)


@pytest.fixture
def bad_files(tmp_path) -> dict[str, Path]:
    """Files that are not readable runs: text, truncated HDF5, HDF5 without /waveforms."""
    text = tmp_path / "notes.h5"
    text.write_text("this is not HDF5\n")
    empty = tmp_path / "empty.h5"
    with h5py.File(empty, "w") as f:
        for k, v in RawMetadata().to_attrs().items():
            f.attrs[k] = v
    return {"text": text, "no_waveforms": empty}


def _window(qtbot, inline: bool):
    from workbench.app import create_main_window

    w = create_main_window(inline_jobs=inline, show_dialogs=False, restore_layout=False)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    return w


@pytest.fixture
def window(qtbot):
    """The main window with an inline job runner (every job finishes inside ``submit``)."""
    w = _window(qtbot, inline=True)
    yield w
    w.close()


@pytest.fixture
def pool_window(qtbot):
    """The main window with a real thread pool; teardown fails if jobs are still running."""
    w = _window(qtbot, inline=False)
    yield w
    busy = w.ctx.jobs.active_count()
    w.close()  # cancels and drains the pool
    assert busy == 0, f"{busy} job(s) still running at teardown"


@pytest.fixture(autouse=True)
def _gc_between_qt_tests(collect_between_tests):
    """Cycle collection between tests only (see ``tests/conftest.py``)."""


@pytest.fixture(scope="session")
def calibration_campaign(tmp_path_factory):
    """The small simulated campaign of the calibration-pane tests, reduced once per session."""
    from tests.core.session.campaign import make_campaign

    return make_campaign(tmp_path_factory.mktemp("calibration_campaign"))
