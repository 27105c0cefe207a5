"""Windows for the calibration-pane tests that drive the steps themselves.

``isolated_panes()`` keeps only the panes that compute no step on their own (the browser, HPGe,
Linearity and Export panes), so a test's session holds exactly the settings it set;
``isolated_panes(full=True)`` is every registered pane, as a user has them. The simulated
campaign these tests share is built once per test session (``calibration_campaign`` in
``conftest.py``).
"""

from __future__ import annotations

from workbench.registry import PaneSpec, default_panes

#: Panes that compute no step on their own.
ISOLATED = ("runs", "waveforms", "event_rqs", "hpge", "linearity", "export")


def isolated_panes(full: bool = False) -> list[PaneSpec]:
    """Return the registered panes (``full``) or only those in ``ISOLATED``."""
    return [p for p in default_panes() if full or p.key in ISOLATED]
