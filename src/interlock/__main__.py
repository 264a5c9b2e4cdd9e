"""``python -m interlock`` is the ``interlock`` command."""

from interlock.launch import main

main()
