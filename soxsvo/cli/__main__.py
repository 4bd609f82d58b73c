"""``python -m soxsvo.cli``: the ``soxsvo`` command."""

from soxsvo.cli.main import main

main()
