"""Compare plain `st run` and `interlock fuzz` over one or more rounds on one app.

Each key (operation, code) is counted in how many rounds each tool found it. Over all rounds a
key is in *both*, *only st* or *only interlock*; a key one tool found in some rounds but not all
is generation noise for that tool (it flips between runs with the same seed), which is what
`--rounds N` is for. interlock's own checks (IL1xx) have no counterpart in st and are listed one
by one.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field

from benchmarks.realworld.reports import Failure, Key, ToolRun, check_name


@dataclass
class Round:
    """One round on one app: both tools' findings and wall times."""

    st: ToolRun
    interlock: ToolRun
    st_seconds: float
    interlock_seconds: float
    st_exit: int | None = None
    interlock_exit: int | None = None


@dataclass
class AppComparison:
    """Every round on one app, and what they add up to."""

    app: str
    rounds: list[Round] = field(default_factory=list)

    def hits(self, tool: str) -> dict[Key, int]:
        """In how many rounds ``tool`` ("st" or "interlock") found each key (own checks excluded)."""
        counts: dict[Key, int] = {}
        for round_ in self.rounds:
            run = round_.st if tool == "st" else round_.interlock
            for key in run.keys:
                if not is_own_check(key[1]):
                    counts[key] = counts.get(key, 0) + 1
        return counts

    def partition(self) -> tuple[list[Key], list[Key], list[Key]]:
        """Keys found by both (in any round), only by st, only by interlock; each sorted."""
        st, ours = set(self.hits("st")), set(self.hits("interlock"))
        return sorted(st & ours), sorted(st - ours), sorted(ours - st)

    def own_checks(self) -> dict[tuple[str, str, str], tuple[int, Failure]]:
        """interlock's own-check findings, one per (operation, code, cause): rounds seen, first report."""
        found: dict[tuple[str, str, str], tuple[int, Failure]] = {}
        for round_ in self.rounds:
            for failure in round_.interlock.failures:
                if is_own_check(failure.code):
                    count, first = found.get(failure.identity, (0, failure))
                    found[failure.identity] = (count + 1, first)
        return dict(sorted(found.items()))

    def median_seconds(self) -> tuple[float, float]:
        """(st, interlock) median wall seconds over the rounds."""
        return (
            statistics.median(r.st_seconds for r in self.rounds),
            statistics.median(r.interlock_seconds for r in self.rounds),
        )

    def failure(self, key: Key) -> Failure | None:
        """The first report of ``key`` by either tool (for its title)."""
        for round_ in self.rounds:
            for run in (round_.st, round_.interlock):
                for failure in run.failures:
                    if failure.key == key:
                        return failure
        return None


def is_own_check(code: str) -> bool:
    return code.startswith("IL")


def stability(count: int, rounds: int) -> str:
    """How often a key was found: "3/3", or "1/3 (flips)" when not in every round."""
    if rounds == 1:
        return ""
    return f"{count}/{rounds}" + ("" if count in (0, rounds) else " (flips)")


def ratio(numerator: float, denominator: float) -> str:
    return f"{numerator / denominator:.2f}" if denominator > 0 else "n/a"


def render(apps: Iterable[AppComparison]) -> str:
    """The comparison of every app, then the overall counts and time ratio."""
    lines: list[str] = []
    totals = [0, 0, 0]
    st_total = ours_total = 0.0
    for app in apps:
        lines += render_app(app)
        both, only_st, only_ours = app.partition()
        for index, group in enumerate((both, only_st, only_ours)):
            totals[index] += len(group)
        st_s, ours_s = app.median_seconds()
        st_total += st_s
        ours_total += ours_s
        lines.append("")
    lines.append(
        f"OVERALL  in both {totals[0]}, only st {totals[1]}, only interlock {totals[2]};"
        f"  wall time interlock/st {ratio(ours_total, st_total)}"
        f" ({ours_total:.1f}s / {st_total:.1f}s, sum of per-app medians)"
    )
    return "\n".join(lines)


def render_app(app: AppComparison) -> list[str]:
    rounds = len(app.rounds)
    st_hits, our_hits = app.hits("st"), app.hits("interlock")
    both, only_st, only_ours = app.partition()
    st_s, ours_s = app.median_seconds()
    lines = [f"== {app.app}: {rounds} round(s)"]
    for index, round_ in enumerate(app.rounds, 1):
        lines.append(
            f"  round {index}: st {round_.st_seconds:6.1f}s exit {round_.st_exit}"
            f" {len(round_.st.keys)} failures, {len(round_.st.errors)} errors |"
            f" interlock {round_.interlock_seconds:6.1f}s exit {round_.interlock_exit}"
            f" {len(round_.interlock.keys)} failures, {len(round_.interlock.errors)} errors"
        )
    lines.append(
        f"  in both {len(both)}, only st {len(only_st)}, only interlock {len(only_ours)};"
        f"  wall time (median) st {st_s:.1f}s, interlock {ours_s:.1f}s, ratio {ratio(ours_s, st_s)}"
    )
    header = "  rounds found: st / interlock" if rounds > 1 else ""
    for title, group in (("in both", both), ("only st", only_st), ("only interlock", only_ours)):
        lines.append(f"  -- {title} ({len(group)}){header}")
        for key in group:
            lines.append("     " + _key_line(app, key, st_hits.get(key, 0), our_hits.get(key, 0), rounds))
    own = app.own_checks()
    lines.append(f"  -- interlock own-check findings ({len(own)})")
    for (operation, code, _), (count, failure) in own.items():
        seen = f" [{stability(count, rounds)}]" if rounds > 1 else ""
        lines.append(f"     {operation}  {code} {failure.check}: {failure.title}{seen}")
        lines += [f"         {line}" for line in _own_check_detail(failure)]
    errors = _errors(app)
    if errors:
        lines.append(f"  -- run errors and spec problems ({len(errors)})")
        lines += [f"     {error}" for error in errors]
    return lines


def _key_line(app: AppComparison, key: Key, st: int, ours: int, rounds: int) -> str:
    operation, code = key
    failure = app.failure(key)
    name = (failure.check if failure and failure.check else "") or check_name(code)
    title = f" ({failure.title})" if failure and failure.title else ""
    seen = f"  [{st}/{rounds} / {ours}/{rounds}{_flip_note(st, ours, rounds)}]" if rounds > 1 else ""
    return f"{operation}  {code} {name}{title}{seen}"


def _flip_note(st: int, ours: int, rounds: int) -> str:
    flips = [tool for tool, count in (("st", st), ("interlock", ours)) if 0 < count < rounds]
    return f"; flips in {' and '.join(flips)}" if flips else ""


def _own_check_detail(failure: Failure) -> list[str]:
    """The finding's lines worth reading: its cause and what follows the fixed header."""
    keep = []
    for line in failure.detail.splitlines():
        if line.startswith(("operation:", "check:", "seed:", "phase:")):
            continue
        keep.append(line[:160])
    return keep[:6]


def _errors(app: AppComparison) -> list[str]:
    seen: dict[str, None] = {}
    for round_ in app.rounds:
        for tool, run in (("st", round_.st), ("interlock", round_.interlock)):
            for error in run.errors:
                seen.setdefault(f"{tool}: {' '.join(error.split())[:220]}", None)
    return list(seen)
