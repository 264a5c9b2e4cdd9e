"""Fuzz one provider in a child process: ``python -m interlock.stages.fuzz.worker JOB.json``.

Why a child process: schemathesis and hypothesis register checks and hooks in process-global
registries, hypothesis keeps global settings, and a long run must stop at once on Ctrl-C. In a
child, each provider gets a clean registry, the parent's signal handling and services are
untouched, a crash (or a CPython thread-safety bug, see LIBRARY-NOTES) is just a failed stage,
and the parent can always kill it by process group. It costs about one interpreter start and
the schemathesis import (~1 s) per provider.
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path

from interlock.stages.fuzz.job import FuzzJob, FuzzOutcome


def main(argv: list[str]) -> int:
    job = FuzzJob.model_validate_json(Path(argv[1]).read_text(encoding="utf-8"))

    def progress(message: str) -> None:
        print(message, flush=True)

    try:
        from interlock.stages.fuzz import engine

        outcome = engine.run(job, progress)
    except Exception as exc:
        traceback.print_exc()
        outcome = FuzzOutcome(
            provider=job.provider,
            seed=job.seed,
            fatal=f"the fuzz worker crashed: {type(exc).__name__}: {exc}",
        )
    Path(job.result).write_text(outcome.model_dump_json(indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
