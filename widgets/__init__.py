"""Reusable Qt and plot widgets (PySide6 + pyqtgraph). They never import analysis_core."""
