"""Plots of a load run for people to read: users, RPS, p50/p95 and errors over time.

Four panels share one time axis; the shape's phases are labelled along the top and fault windows
are shaded across every panel, so a latency jump lines up with the fault or the spike that caused
it. matplotlib with the Agg backend (no display needed); PNG, sized for a report page.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from html import escape as html_escape
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from interlock.core.thresholds import Threshold
from interlock.stages.load.metrics import Timeline, histogram_percentile
from interlock.stages.load.schedule import Phase

if TYPE_CHECKING:
    from matplotlib.axes import Axes

_INK = "#1f2933"
_MUTED = "#7b8794"
_GRID = "#e4e7eb"
_USERS = "#3e4c59"
_RPS = "#2680c2"
_P50 = "#27ab83"
_P95 = "#f0b429"
_P99 = "#d64545"
_ERR = "#d64545"
_FAULT = "#ef8e58"
_PROVIDER = "#7c5cbf"
_PHASE_SHADES = ("#f5f7fa", "#ffffff")


def _pyplot() -> ModuleType:
    """matplotlib takes ~0.4 s to import: load it when a plot is drawn, not with every command."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_run(
    timeline: Timeline,
    phases: Sequence[Phase],
    path: Path,
    *,
    title: str,
    faults: Sequence[tuple[str, float, float]] = (),
    slo: Sequence[Threshold] = (),
    provider_rps: Sequence[tuple[float, int]] = (),
) -> Path:
    """Draw the run into ``path`` (PNG) and return it.

    ``provider_rps`` (run-relative second, requests that reached the provider) is drawn next to the
    load's own requests/s when the fault proxy observed the provider, so a retry storm shows.
    """
    seconds = timeline.per_second()
    xs = [t + 0.5 for t, _ in seconds]
    rps = [b.count for _, b in seconds]
    failures = [b.failures for _, b in seconds]
    p50 = [histogram_percentile(b.histogram, 50) for _, b in seconds]
    p95 = [histogram_percentile(b.histogram, 95) for _, b in seconds]
    p99 = [histogram_percentile(b.histogram, 99) for _, b in seconds]
    errors = [100.0 * b.failures / b.count if b.count else 0.0 for _, b in seconds]
    origin = timeline.started or 0.0
    user_x = [0.0, *(t - origin for t, _, _ in timeline.users)]
    user_y = [0, *(u for _, u, _ in timeline.users)]
    end = max(timeline.duration, 1.0)

    plt = _pyplot()
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    with plt.rc_context(
        {
            "font.size": 9,
            "axes.edgecolor": _GRID,
            "axes.labelcolor": _INK,
            "text.color": _INK,
            "xtick.color": _MUTED,
            "ytick.color": _MUTED,
            "axes.titleweight": "bold",
        }
    ):
        fig, axes = plt.subplots(
            4,
            1,
            sharex=True,
            figsize=(11, 8.5),
            dpi=130,
            layout="constrained",
            gridspec_kw={"height_ratios": [1, 1.2, 1.5, 1]},
        )
        users_ax, rps_ax, latency_ax, errors_ax = axes
        for ax in axes:
            _frame(ax, phases, faults, end)

        # Sampled once a second: drawn as a line between samples rather than steps at the sample times.
        users_ax.plot(user_x, user_y, color=_USERS, linewidth=1.8)
        users_ax.fill_between(user_x, user_y, color=_USERS, alpha=0.08)
        users_ax.set_ylabel("users")

        rps_ax.plot(xs, rps, color=_RPS, linewidth=1.6, label="requests/s")
        if provider_rps:
            rps_ax.plot(
                [t + 0.5 for t, _ in provider_rps],
                [n for _, n in provider_rps],
                color=_PROVIDER,
                linewidth=1.4,
                linestyle="--",
                label="reached the provider/s",
            )
        if any(failures):
            rps_ax.plot(xs, failures, color=_ERR, linewidth=1.2, label="failures/s")
        rps_ax.set_ylabel("requests/s")
        rps_ax.legend(loc="upper left", frameon=False, ncols=3)

        latency_ax.plot(xs, p99, color=_P99, linewidth=1.0, alpha=0.7, linestyle="--", label="p99")
        latency_ax.plot(xs, p95, color=_P95, linewidth=1.8, label="p95")
        latency_ax.plot(xs, p50, color=_P50, linewidth=1.8, label="p50")
        top = max([v for v in p99 if v is not None] or [1.0]) * 1.25
        for threshold in slo:
            if threshold.metric in ("p(50)", "p(95)", "p(99)") and threshold.op in ("<", "<="):
                label = f"SLO {threshold.metric} {threshold.op} {threshold.value:g} ms"
                if threshold.value <= top * 1.6:  # near the data: draw it; far above: just say so
                    latency_ax.axhline(threshold.value, color=_MUTED, linewidth=1, linestyle=":")
                    top = max(top, threshold.value * 1.1)
                    latency_ax.annotate(
                        label,
                        (0.995, threshold.value),
                        xycoords=("axes fraction", "data"),
                        ha="right",
                        va="bottom",
                        color=_MUTED,
                        fontsize=8,
                    )
                else:
                    latency_ax.annotate(
                        f"{label} (above the scale)",
                        (0.995, 0.97),
                        xycoords="axes fraction",
                        ha="right",
                        va="top",
                        color=_MUTED,
                        fontsize=8,
                    )
        latency_ax.set_ylim(0, top)
        latency_ax.set_ylabel("response time (ms)")
        latency_ax.legend(loc="upper left", frameon=False, ncols=3)

        errors_ax.fill_between(xs, errors, color=_ERR, alpha=0.25, step="mid")
        errors_ax.plot(xs, errors, color=_ERR, linewidth=1.2, drawstyle="steps-mid")
        errors_ax.set_ylabel("errors (%)")
        errors_ax.set_ylim(0, max(5.0, max(errors, default=0) * 1.15))
        errors_ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}%"))
        errors_ax.set_xlabel("seconds since start")
        errors_ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=12))

        for ax in (users_ax, rps_ax):
            ax.set_ylim(bottom=0, top=max(ax.get_ylim()[1], 1))
        _label_phases(users_ax, phases, faults, end)
        fig.suptitle(title, x=0.01, ha="left", fontsize=12, fontweight="bold")
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, facecolor="white")
        plt.close(fig)
    return path


def _frame(ax: Axes, phases: Sequence[Phase], faults: Sequence[tuple[str, float, float]], end: float) -> None:
    for index, phase in enumerate(phases):
        if phase.start < end:
            ax.axvspan(phase.start, min(phase.end, end), color=_PHASE_SHADES[index % 2], zorder=0)
    for _, start, stop in faults:
        ax.axvspan(start, stop, color=_FAULT, alpha=0.18, zorder=0.5, linewidth=0)
    ax.grid(axis="y", color=_GRID, linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_xlim(0, end)


def _label_phases(
    ax: Axes, phases: Sequence[Phase], faults: Sequence[tuple[str, float, float]], end: float
) -> None:
    """Phase names along the top of the first panel, fault names in the shaded window."""
    for phase in phases:
        if phase.start < end:
            ax.annotate(
                phase.name,
                ((phase.start + min(phase.end, end)) / 2, 1.02),
                xycoords=("data", "axes fraction"),
                ha="center",
                va="bottom",
                color=_MUTED,
                fontsize=8,
            )
    for name, start, _stop in faults:
        ax.annotate(
            f"fault: {name}",
            (start, 0.92),
            xycoords=("data", "axes fraction"),
            ha="left",
            va="top",
            color="#c65d21",
            fontsize=8,
            fontweight="bold",
            xytext=(3, 0),
            textcoords="offset points",
        )


def embed_in_html(html: Path, image: Path, caption: str) -> bool:
    """Append ``image`` (inline, base64) to Locust's HTML report, so that one file tells the story.

    Locust's report is a single-page app; the figure goes after it, before the last ``</body>``.
    Returns False when there is no report to add it to.
    """
    try:
        text = html.read_text(encoding="utf-8")
    except FileNotFoundError:
        return False
    end = text.rfind("</body>")
    if end < 0:
        return False
    data = base64.b64encode(image.read_bytes()).decode("ascii")
    figure = (
        f'<section style="font-family:sans-serif;max-width:1200px;margin:24px auto;padding:0 16px">'
        f"<h2>{html_escape(caption)}</h2>"
        f'<img alt="{html_escape(caption)}" style="width:100%" src="data:image/png;base64,{data}"></section>\n'
    )
    html.write_text(text[:end] + figure + text[end:], encoding="utf-8")
    return True
