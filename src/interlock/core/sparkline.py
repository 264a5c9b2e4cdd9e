"""A sparkline: one figure over the last runs as a tiny inline SVG, no axes, no script.

The line spans the figure's own range (a flat line when every value is the same); a run that did
not measure it leaves a gap. Each point is a dot coloured by the status of its stage in that run,
so a jump and the failure it caused are seen together.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

WIDTH, HEIGHT, PAD = 140, 30, 4


def sparkline(values: Sequence[float | None], statuses: Sequence[str], label: str) -> str:
    """``values`` (oldest first) as an ``<svg class="spark">``; ``statuses`` colour the dots."""
    known = [v for v in values if v is not None]
    low, high = (min(known), max(known)) if known else (0.0, 0.0)
    span = high - low
    step = (WIDTH - 2 * PAD) / max(len(values) - 1, 1)

    def y(value: float) -> float:
        if span == 0:
            return HEIGHT / 2
        return HEIGHT - PAD - (value - low) / span * (HEIGHT - 2 * PAD)

    lines: list[list[str]] = [[]]
    dots = []
    for index, value in enumerate(values):
        if value is None:
            lines.append([])
            continue
        x = PAD + index * step if len(values) > 1 else WIDTH / 2
        lines[-1].append(f"{x:.1f},{y(value):.1f}")
        status = statuses[index] if index < len(statuses) else "passed"
        dots.append(f'<circle class="s-{escape(status)}" cx="{x:.1f}" cy="{y(value):.1f}" r="2.5"/>')
    paths = "".join(f'<polyline points="{" ".join(points)}"/>' for points in lines if len(points) > 1)
    return (
        f'<svg class="spark" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}"'
        f' width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{escape(label)}">'
        f"<title>{escape(label)}</title>{paths}{''.join(dots)}</svg>"
    )
