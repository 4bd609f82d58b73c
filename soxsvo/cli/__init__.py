"""The ``soxsvo`` command line: thin commands over the domain packages, one module per group.

Owns argument parsing and turning :class:`soxsvo.errors.SoxsvoError` into one line and exit
code 2; never holds domain logic.
"""

from soxsvo.cli.main import main

__all__ = ["main"]
