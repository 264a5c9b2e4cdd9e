"""Fuzz one provider in a child process: ``python -m interlock.stages.fuzz.worker JOB.json``.

Why a child process: schemathesis and hypothesis register checks and hooks in process-global
registries, hypothesis keeps global settings, and a long run must stop at once on Ctrl-C. In a
child, each provider gets a clean registry, the parent's signal handling and services are
untouched, a crash (or a CPython thread-safety bug, see LIBRARY-NOTES) is just a failed stage,
and the parent can always kill it by process group. It costs about one interpreter start and
the schemathesis import (~1 s) per provider, which the stage hides by starting the first
provider's worker while the services start (``python -m interlock.stages.fuzz.worker
--job-on-stdin``: it imports, then waits for its job on stdin).
"""

from __future__ import annotations

import sys
import traceback

from interlock.core import worker
from interlock.stages.fuzz.job import FuzzJob, FuzzOutcome


def fuzz(job: FuzzJob) -> FuzzOutcome:
    """Run the engine; a crash of the engine is an outcome (``fatal``), not a dead worker."""

    def progress(message: str) -> None:
        print(message, flush=True)

    try:
        from interlock.stages.fuzz import engine

        return engine.run(job, progress)
    except Exception as exc:
        traceback.print_exc()
        return FuzzOutcome(
            provider=job.provider,
            seed=job.seed,
            fatal=f"the fuzz worker crashed: {type(exc).__name__}: {exc}",
        )


def warm() -> None:
    from interlock.stages.fuzz import engine

    engine.warm_up()


if __name__ == "__main__":
    sys.exit(worker.serve(FuzzJob, fuzz, warm=warm))
