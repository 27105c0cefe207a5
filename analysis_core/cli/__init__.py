"""The ``larcal`` command line (also ``python -m analysis_core``).

Each sub-command lives in its own module with a ``register(subparsers)`` function that adds its
parser and sets ``func``; ``main`` dispatches. See ``spec/interfaces.md`` section 3.
"""
