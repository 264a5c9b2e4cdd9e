"""``python -m interlock`` is the ``interlock`` command."""

from interlock.app.cli import main

main()
