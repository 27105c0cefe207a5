"""Shared pytest configuration: headless Qt, isolated settings, real-data location."""

from __future__ import annotations

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
