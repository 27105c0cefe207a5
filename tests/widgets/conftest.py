"""Fixtures of the Qt widget tests."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _gc_between_qt_tests(collect_between_tests):
    """Cycle collection between tests only (see ``tests/conftest.py``)."""
