"""Entry point for ``python -m analysis_core`` (same as the ``larcal`` command)."""

from __future__ import annotations

import sys

from analysis_core.cli.main import main

sys.exit(main())
