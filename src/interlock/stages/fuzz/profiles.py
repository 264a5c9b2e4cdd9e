"""The ``ci`` and ``full`` fuzz profiles.

``ci`` is a gate: deterministic (a fixed seed and no example database, so the same spec gets the
same requests; schemathesis' "deterministic" mode would ignore the seed that findings quote) and
bounded per provider in examples and time, so the same commit gives the same verdict quickly.
``full`` explores: more examples, a random seed (printed in every finding), and hypothesis'
example database under ``.interlock/fuzz/<provider>``, so failures found by earlier runs are
tried first.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from interlock.stages.fuzz.suite import Suite

CI_SEED = 20261121
DATABASE_DIR = Path(".interlock") / "fuzz"


@dataclass(frozen=True)
class Profile:
    name: str
    max_examples: int
    time_budget_s: float
    seed: int
    deterministic: bool
    database: str | None


def resolve_profile(
    name: str,
    suite: Suite,
    *,
    provider: str,
    base_dir: Path,
    seed: int | None = None,
    max_examples: int | None = None,
    time_budget_s: float | None = None,
) -> Profile:
    """The profile's defaults, then the suite's settings for it, then the command line's."""
    custom = getattr(suite.profiles, name, None)
    if name == "ci":
        defaults = Profile(
            "ci", max_examples=25, time_budget_s=25.0, seed=CI_SEED, deterministic=False, database=None
        )
    else:
        defaults = Profile(
            "full",
            max_examples=300,
            time_budget_s=600.0,
            seed=random.randrange(2**31),
            deterministic=False,
            database=str((base_dir / DATABASE_DIR / provider).resolve()),
        )
    return Profile(
        name=name,
        max_examples=max_examples or (custom and custom.max_examples) or defaults.max_examples,
        time_budget_s=time_budget_s or (custom and custom.time_budget) or defaults.time_budget_s,
        seed=seed
        if seed is not None
        else (custom.seed if custom and custom.seed is not None else defaults.seed),
        deterministic=defaults.deterministic,
        database=defaults.database,
    )
