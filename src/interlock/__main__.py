"""``python -m interlock`` is the ``interlock`` command."""

from interlock.cli import main

main()
