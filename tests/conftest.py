"""Shared pytest configuration: headless Qt, isolated settings, real-data location."""

from __future__ import annotations

import gc
import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("NUMBA_NUM_THREADS", str(os.cpu_count() or 1))

#: ``../shared`` beside the project checkout (CI puts it there); absent on other machines.
SHARED_DIR = Path(
    os.environ.get("LARCAL_SHARED_DIR", Path(__file__).resolve().parents[2] / "shared")
)
REAL_DATA = SHARED_DIR / "data" / "real"


@pytest.fixture
def real_data() -> Path:
    """Path of ``../shared/data/real``; skips the test cleanly when it is absent."""
    if not REAL_DATA.is_dir():
        pytest.skip(f"real data not found at {REAL_DATA}")
    return REAL_DATA


@pytest.fixture(autouse=True)
def _isolated_settings(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Point QSettings and the platform data directory at a temporary folder."""
    base = tmp_path_factory.mktemp("settings")
    monkeypatch.setenv("LARCAL_CONFIG_DIR", str(base / "config"))
    monkeypatch.setenv("LARCAL_DATA_DIR", str(base / "data"))


@pytest.fixture
def collect_between_tests():
    """Run Python's cycle collector between Qt tests, never inside a paint or event handler.

    A full CI run once died with a segfault in pyqtgraph's ``GraphicsView.paintEvent`` while
    pytest-qt processed events (not reproduced in five further runs): the signature of a
    collection, triggered at a random allocation, freeing the Python side of graphics objects a
    paint is using. The Qt test folders use this fixture automatically: collection is off
    inside each test and runs once after pytest-qt has closed the test's widgets.
    """
    gc.disable()
    yield
    gc.enable()
    gc.collect()


def pytest_sessionstart(session: pytest.Session) -> None:
    """Freeze what imports created, so the collections between tests stay cheap."""
    gc.collect()
    gc.freeze()
