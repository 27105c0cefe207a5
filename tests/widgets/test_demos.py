"""Each widget module's demo (``python -m widgets.<name>``) builds and shows without error."""

from __future__ import annotations

import importlib

import pytest


@pytest.mark.parametrize(
    "name",
    [
        "charge_spectrum_plot",
        "event_stepper",
        "job_status",
        "rq_table",
        "run_list",
        "waveform_plot",
    ],
)
def test_demo_builds(qtbot, name):
    module = importlib.import_module(f"widgets.{name}")
    widget = module.demo()
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    assert widget.windowTitle().endswith("demo")
