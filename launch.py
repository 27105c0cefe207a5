"""Launch the LArCal Workbench GUI.

Usage::

    python launch.py               # empty session
    python launch.py --demo        # build the demo campaign on first use and open it
    python launch.py RUN.h5 ...    # open raw runs
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run from a checkout without installing: the packages live beside this file.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from workbench.app import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
