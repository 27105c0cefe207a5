"""Panes: passive views docked in the main window. They show data and emit user intents."""
