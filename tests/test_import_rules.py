"""Layering rules: analysis_core is headless; widgets never see analysis_core."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QT_MODULES = ("PySide6", "PyQt5", "PyQt6", "pyqtgraph", "shiboken6", "matplotlib")


def _imports(package: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for py in sorted((ROOT / package).rglob("*.py")):
        tree = ast.parse(py.read_text(encoding="utf-8"))
        names: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
        found[str(py.relative_to(ROOT))] = names
    return found


def test_analysis_core_source_imports_no_qt() -> None:
    bad = {
        f: n & set(QT_MODULES) for f, n in _imports("analysis_core").items() if n & set(QT_MODULES)
    }
    assert not bad, f"analysis_core must stay headless: {bad}"


def test_analysis_core_source_imports_no_gui_packages() -> None:
    bad = {
        f: n & {"widgets", "workbench"}
        for f, n in _imports("analysis_core").items()
        if n & {"widgets", "workbench"}
    }
    assert not bad


def test_widgets_do_not_import_analysis_core_or_workbench() -> None:
    bad = {
        f: n & {"analysis_core", "workbench"}
        for f, n in _imports("widgets").items()
        if n & {"analysis_core", "workbench"}
    }
    assert not bad, f"widgets must stay reusable: {bad}"


def test_importing_analysis_core_loads_no_qt() -> None:
    code = (
        "import sys, pkgutil, importlib, analysis_core\n"
        "for m in pkgutil.walk_packages(analysis_core.__path__, 'analysis_core.'):\n"
        "    if m.name != 'analysis_core.__main__':\n"
        "        importlib.import_module(m.name)\n"
        f"bad = [m for m in sys.modules if m.split('.')[0] in {QT_MODULES!r}]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
