"""The demos of the cut widgets build and show (``python -m widgets.<name>``)."""

from __future__ import annotations

import importlib

import pytest


@pytest.mark.parametrize("name", ["hist2d_image", "cut_rois", "cut_list", "hist1d_plot"])
def test_demo_builds(qtbot, name):
    widget = importlib.import_module(f"widgets.{name}").demo()
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    assert widget.windowTitle().endswith("demo")
