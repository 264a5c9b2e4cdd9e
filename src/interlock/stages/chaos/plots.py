"""The picture of one chaos experiment: every probe call, what it caused at the provider, the faults.

Two panels share one time axis (seconds since the experiment started), drawn from the journal:

* **probe calls**: each call at its start time and its duration, coloured by outcome (answered as
  expected, answered otherwise, no answer); background calls of a blast-radius fault in grey, and
  the fault's latency gates as dotted lines across its window;
* **provider requests per call**: how many requests each call became at the proxy (what reached the
  provider, and what the proxy answered itself), so a retry storm or a consumer that fails fast
  stands out. Under background traffic requests cannot be told apart per call, so that window only
  says how many there were.

Fault windows (applied -> rolled back) are shaded across both panels and named. matplotlib with the
Agg backend, as the load stage's plot; PNG sized for a report page.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from interlock.core.thresholds import ThresholdError
from interlock.stages.chaos.experiment import parse_gate
from interlock.stages.chaos.journal import CallRecord, GateRecord, Journal, PhaseRecord
from interlock.stages.chaos.metrics import attribute

if TYPE_CHECKING:
    from matplotlib.axes import Axes

_INK = "#1f2933"
_MUTED = "#7b8794"
_GRID = "#e4e7eb"
_OK = "#27ab83"
_FAILED = "#d64545"
_NO_ANSWER = "#7a0c2e"
_BACKGROUND = "#9aa5b1"
_FAULT = "#ef8e58"
_FAULT_TEXT = "#c65d21"
_RECOVERY = "#e3f0fb"
_PROVIDER = "#7c5cbf"
_PROXY_ANSWERED = "#f0b429"
#: Above this ratio of slowest to fastest call the latency axis is logarithmic.
_LOG_RATIO = 30.0
_LATENCY_GATES = ("p(", "avg", "max", "med", "min")


def _pyplot() -> ModuleType:
    """matplotlib takes ~0.4 s to import: load it when a plot is drawn, not with every command."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_experiment(journal: Journal, path: Path) -> Path:
    """Draw ``journal`` into ``path`` (PNG) and return it."""
    origin = journal.started
    end = max((_phase_end(p) for p in journal.phases), default=origin + 1.0) - origin
    end = max(end * 1.02, 1.0)
    plt = _pyplot()
    with plt.rc_context(
        {
            "font.size": 9,
            "axes.edgecolor": _GRID,
            "axes.labelcolor": _INK,
            "text.color": _INK,
            "xtick.color": _MUTED,
            "ytick.color": _MUTED,
        }
    ):
        fig, (calls_ax, provider_ax) = plt.subplots(
            2,
            1,
            sharex=True,
            figsize=(11, 6),
            dpi=130,
            layout="constrained",
            gridspec_kw={"height_ratios": [1.6, 1]},
        )
        for ax in (calls_ax, provider_ax):
            _frame(ax, journal, origin, end)
        _draw_calls(calls_ax, journal, origin)
        _draw_provider(provider_ax, journal, origin)
        _label_faults(calls_ax, journal, origin)
        provider_ax.set_xlabel("seconds since the experiment started")
        fig.suptitle(
            f"chaos: {journal.integration} · {journal.experiment}",
            x=0.01,
            ha="left",
            fontsize=12,
            fontweight="bold",
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, facecolor="white")
        plt.close(fig)
    return path


def _phase_end(phase: PhaseRecord) -> float:
    ends = [c.finished for c in (*phase.calls, *phase.background)]
    return max([*ends, phase.finished or phase.started, phase.rolled_back_at or phase.started])


def _frame(ax: Axes, journal: Journal, origin: float, end: float) -> None:
    for phase in journal.phases:
        if phase.kind == "fault" and phase.applied_at is not None:
            stop = phase.rolled_back_at or _phase_end(phase)
            ax.axvspan(phase.applied_at - origin, stop - origin, color=_FAULT, alpha=0.18, linewidth=0)
        elif phase.kind == "recovery" and phase.calls:
            ax.axvspan(phase.started - origin, _phase_end(phase) - origin, color=_RECOVERY, linewidth=0)
    ax.grid(axis="y", color=_GRID, linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_xlim(0, end)


def _draw_calls(ax: Axes, journal: Journal, origin: float) -> None:
    measured = [c for p in journal.phases for c in p.calls]
    background = [c for p in journal.phases for c in p.background]
    if background:
        ax.scatter(
            [c.started - origin for c in background],
            [_ms(c) for c in background],
            s=9,
            color=_BACKGROUND,
            alpha=0.55,
            linewidths=0,
            label=f"background call ({len(background)})",
            zorder=2,
        )
    groups = (
        ("answered as expected", _OK, "o", [c for c in measured if c.ok]),
        ("answered otherwise", _FAILED, "o", [c for c in measured if not c.ok and c.status is not None]),
        ("no answer", _NO_ANSWER, "X", [c for c in measured if c.status is None]),
    )
    for label, colour, marker, calls in groups:
        if calls:
            ax.scatter(
                [c.started - origin for c in calls],
                [_ms(c) for c in calls],
                s=22,
                color=colour,
                marker=marker,
                linewidths=0,
                label=f"{label} ({len(calls)})",
                zorder=3,
            )
    durations = [_ms(c) for c in (*measured, *background)] or [1.0]
    gates = [v for p in journal.phases for g in p.gates if (v := _gate_ms(g)) is not None]
    top = max([*durations, *gates])
    if max(durations) / max(min(durations), 0.1) > _LOG_RATIO:
        ax.set_yscale("log")
        ax.set_ylim(min(durations) / 1.5, top * 1.8)
    else:
        ax.set_ylim(0, top * 1.2)
    labelled: set[str] = set()
    for phase in journal.phases:
        _draw_latency_gates(ax, phase, origin, labelled)
    ax.set_ylabel("probe call (ms)")
    from matplotlib.patches import Patch

    handles, labels = ax.get_legend_handles_labels()
    handles += [Patch(color=_FAULT, alpha=0.18), Patch(color=_RECOVERY)]
    labels += ["fault applied", "recovery probes"]
    ax.legend(
        handles, labels, loc="upper left", bbox_to_anchor=(0, -0.02), frameon=False, ncols=6, fontsize=8
    )


def _draw_latency_gates(ax: Axes, phase: PhaseRecord, origin: float, labelled: set[str]) -> None:
    """A fault's latency gates, across its window: which calls broke them is then plain to see.

    Each expression is written once (at its first window), so repeated gates do not crowd the plot.
    """
    if phase.kind != "fault" or phase.applied_at is None:
        return
    stop = (phase.rolled_back_at or _phase_end(phase)) - origin
    for gate in phase.gates:
        if not gate.metric.startswith(_LATENCY_GATES):
            continue
        value = _threshold_ms(gate.expression)
        if value is None:
            continue
        colour = _MUTED if gate.passed else _FAILED
        ax.hlines(value, phase.applied_at - origin, stop, colors=colour, linestyles=":", linewidth=1.2)
        if gate.expression in labelled and gate.passed:
            continue
        labelled.add(gate.expression)
        ax.annotate(
            gate.expression,
            (phase.applied_at - origin, value),
            xytext=(2, -2),
            textcoords="offset points",
            ha="left",
            va="top",
            color=colour,
            fontsize=7.5,
        )


def _gate_ms(gate: GateRecord) -> float | None:
    return _threshold_ms(gate.expression) if gate.metric.startswith(_LATENCY_GATES) else None


def _threshold_ms(expression: str) -> float | None:
    try:
        return float(parse_gate(expression).value)
    except ThresholdError:
        return None


def _draw_provider(ax: Axes, journal: Journal, origin: float) -> None:
    reached_x: list[float] = []
    reached_y: list[int] = []
    answered_y: list[int] = []
    for phase in journal.phases:
        if phase.background:
            _note_unattributed(ax, phase, origin)
            continue
        for call, caused in zip(phase.calls, attribute(phase.calls, phase.observations), strict=True):
            reached_x.append(call.started - origin)
            reached_y.append(sum(o.reached_provider for o in caused))
            answered_y.append(sum(not o.reached_provider for o in caused))
    if reached_x:
        ax.vlines(reached_x, 0, reached_y, colors=_PROVIDER, linewidth=1.4)
        ax.scatter(reached_x, reached_y, s=14, color=_PROVIDER, zorder=3, label="reached the provider")
        stacked = [r + a for r, a in zip(reached_y, answered_y, strict=True)]
        if any(answered_y):
            ax.vlines(reached_x, reached_y, stacked, colors=_PROXY_ANSWERED, linewidth=1.4)
            ax.scatter(
                [x for x, a in zip(reached_x, answered_y, strict=True) if a],
                [s for s, a in zip(stacked, answered_y, strict=True) if a],
                s=14,
                color=_PROXY_ANSWERED,
                zorder=3,
                label="stopped at the proxy (its answer, or a refused connection)",
            )
    top = max([*(r + a for r, a in zip(reached_y, answered_y, strict=True)), 1])
    ax.set_ylim(0, top * 1.25 + 0.5)
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("provider requests\nper probe call")
    handles, _ = ax.get_legend_handles_labels()
    if handles:
        ax.legend(loc="upper left", frameon=False, ncols=3, fontsize=8)


def _note_unattributed(ax: Axes, phase: PhaseRecord, origin: float) -> None:
    """Under background traffic requests cannot be told apart per call: say how many there were."""
    if phase.applied_at is None:
        return
    stop = phase.rolled_back_at or _phase_end(phase)
    ax.annotate(
        f"{len(phase.observations)} provider requests with background traffic:\nnot attributable to probe calls",
        ((phase.applied_at + stop) / 2 - origin, 0.5),
        xycoords=("data", "axes fraction"),
        ha="center",
        va="center",
        color=_MUTED,
        fontsize=8,
    )


def _label_faults(ax: Axes, journal: Journal, origin: float) -> None:
    """Fault names above the top panel, on two staggered rows so that short windows side by side
    do not write over each other."""
    faults = [p for p in journal.phases if p.kind == "fault" and p.applied_at is not None]
    for index, phase in enumerate(faults):
        assert phase.applied_at is not None
        failed = any(not g.passed and not g.waived for g in phase.gates)
        text = f"{'✗' if failed else '✓'} {phase.name}" + (f" (on {phase.on})" if phase.on else "")
        ax.annotate(
            text,
            (phase.applied_at - origin, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(1, 2 + 11 * (index % 2)),
            textcoords="offset points",
            ha="left",
            va="bottom",
            color=_FAILED if failed else _FAULT_TEXT,
            fontsize=8,
            fontweight="bold",
            rotation=0,
        )


def _ms(call: CallRecord) -> float:
    return max(call.duration_ms, 0.1)
