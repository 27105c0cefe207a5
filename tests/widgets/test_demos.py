"""Each widget module's demo (``python -m widgets.<name>``) builds and shows without error."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import widgets


def _modules_with_demo():
    names = []
    for info in pkgutil.iter_modules(widgets.__path__):
        module = importlib.import_module(f"widgets.{info.name}")
        if callable(getattr(module, "demo", None)):
            names.append(info.name)
    return sorted(names)


_DEMOS = _modules_with_demo()


def test_plot_and_table_widgets_have_demos():
    # the discovery itself must find the demos (an import error would hide them all)
    assert {"waveform_plot", "charge_spectrum_plot", "hist2d_image", "linearity_plot"} <= set(
        _DEMOS
    )


@pytest.mark.parametrize("name", _DEMOS)
def test_demo_builds(qtbot, name):
    module = importlib.import_module(f"widgets.{name}")
    widget = module.demo()
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    assert widget.windowTitle().endswith("demo")
