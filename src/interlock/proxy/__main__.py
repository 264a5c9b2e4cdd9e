"""``python -m interlock.proxy serve ...``: the fault proxy without loading the rest of interlock.

The chaos and load stages start the proxy this way; ``interlock proxy serve`` is the same command.
"""

from interlock.core.entry import run_command
from interlock.proxy.cli import proxy

if __name__ == "__main__":
    run_command(proxy, None, "interlock proxy")
