"""The integration map at the top of report.html: services as boxes, integrations as arrows.

Drawn from the manifest, so it shows every integration, also those this run did not select
(grey, dashed). Each arrow is coloured by its integration's verdict and carries its stage
results. The layout is deterministic and simple: a service that consumes nothing stands in the
leftmost column, every provider one column right of the furthest-right consumer that calls it
(capped, so a cycle cannot push it out for ever), and within a column services keep the order in
which the manifest first names them. It is inline SVG made here, so the page stays one file
with no script, and colours come from the page's stylesheet (light and dark themes).
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from interlock.core.manifest import Manifest
from interlock.core.verdict import RunVerdict

#: What the pseudo-service a provider-only integration is drawn from says: interlock calls it.
DIRECT_LABEL = "interlock"
NOT_RUN = "not-run"

_NODE_W, _NODE_H = 130, 40
_COLUMN_GAP = 320  #: room between two columns for an arrow's label
_ROW_H = 110
_MARGIN = 16
_CHIP_W, _CHIP_H = 56, 16
_LABEL_PAD = 6


@dataclass(frozen=True)
class MapNode:
    name: str
    column: int
    row: int
    direct: bool = False  #: the pseudo-service of provider-only integrations


@dataclass(frozen=True)
class MapEdge:
    integration: str
    consumer: str
    provider: str
    #: The integration's status in this run, or :data:`NOT_RUN`.
    status: str
    #: (stage, status or :data:`NOT_RUN`) for every stage interlock has, in run order.
    stages: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class IntegrationMap:
    nodes: tuple[MapNode, ...]
    edges: tuple[MapEdge, ...]


def build_map(manifest: Manifest, verdict: RunVerdict, stages: tuple[str, ...]) -> IntegrationMap:
    """The map of ``manifest``'s integrations with their results in ``verdict``."""
    order: list[str] = []
    pairs: list[tuple[str, str]] = []
    for integration in manifest.integrations:
        if integration.consumer is not None:
            pairs.append((integration.consumer, integration.provider))
        order += [n for n in (integration.consumer, integration.provider) if n is not None and n not in order]
    column = dict.fromkeys(order, 0)
    for _ in range(len(order)):  # longest path from a pure consumer, at most one pass per service
        changed = False
        for consumer, provider in pairs:
            if column[provider] < column[consumer] + 1:
                column[provider] = min(column[consumer] + 1, len(order))
                changed = True
        if not changed:
            break
    for integration in manifest.integrations:  # interlock calls a provider-only integration itself
        if integration.consumer is None:
            direct = _direct(integration.provider)
            if direct not in column:
                column[direct] = max(column[integration.provider] - 1, 0)
                order.append(direct)
                if column[integration.provider] == 0:  # a provider nothing else calls
                    column[integration.provider] = 1
    rows: dict[int, int] = {}
    nodes = []
    for name in order:
        nodes.append(
            MapNode(name, column[name], rows.setdefault(column[name], 0), direct=name.startswith("("))
        )
        rows[column[name]] += 1
    judged = {i.integration: i for i in verdict.integrations}
    edges = []
    for integration in manifest.integrations:
        result = judged.get(integration.name)
        by_stage = {s.stage: s.status.value for s in result.stages} if result else {}
        edges.append(
            MapEdge(
                integration.name,
                integration.consumer or _direct(integration.provider),
                integration.provider,
                result.status.value if result else NOT_RUN,
                tuple((stage, by_stage.get(stage, NOT_RUN)) for stage in stages),
            )
        )
    return IntegrationMap(tuple(nodes), tuple(edges))


def _direct(provider: str) -> str:
    """The pseudo-service that stands for interlock calling ``provider`` with no consumer."""
    return f"({DIRECT_LABEL} {provider})"


def render_svg(graph: IntegrationMap) -> str:
    """``graph`` as one ``<svg>`` element (classes ``node``, ``edge s-STATUS``, ``chip s-STATUS``)."""
    columns = max((n.column for n in graph.nodes), default=0) + 1
    per_column = [sum(n.column == c for n in graph.nodes) for c in range(columns)]
    tallest = max(per_column, default=1)
    width = 2 * _MARGIN + columns * _NODE_W + (columns - 1) * _COLUMN_GAP
    where: dict[str, tuple[float, float]] = {}
    for node in graph.nodes:
        offset = (tallest - per_column[node.column]) * _ROW_H / 2  # centre short columns
        where[node.name] = (
            _MARGIN + node.column * (_NODE_W + _COLUMN_GAP),
            _MARGIN + offset + node.row * _ROW_H,
        )
    labels = _place_labels(graph.edges, where)
    bottom = max(
        [y + _NODE_H for _, y in where.values()] + [y + h for _, y, _, h in labels.values()], default=0.0
    )
    height = bottom + _MARGIN
    parts = [
        f'<svg class="imap" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}"'
        f' width="{width:.0f}" height="{height:.0f}" role="img"'
        ' aria-label="integration map: services and the integrations between them">'
    ]
    for edge in graph.edges:
        parts.append(_edge(edge, where[edge.consumer], where[edge.provider], labels[edge.integration]))
    for node in graph.nodes:
        x, y = where[node.name]
        kind = "node direct" if node.direct else "node"
        shown = DIRECT_LABEL if node.direct else node.name
        parts.append(
            f'<g class="{kind}" data-service="{escape(node.name)}"><title>{escape(node.name)}</title>'
            f'<rect x="{x:.0f}" y="{y:.0f}" width="{_NODE_W}" height="{_NODE_H}" rx="8"/>'
            f'<text x="{x + _NODE_W / 2:.0f}" y="{y + _NODE_H / 2 + 5:.0f}" text-anchor="middle">'
            f"{escape(_fit(shown, 18))}</text></g>"
        )
    for edge in graph.edges:
        parts.append(_label(edge, labels[edge.integration]))
    parts.append("</svg>")
    return "".join(parts)


Box = tuple[float, float, float, float]  #: x, y, width, height


def _place_labels(edges: tuple[MapEdge, ...], where: dict[str, tuple[float, float]]) -> dict[str, Box]:
    """Each label in the gap just left of its provider, at the arrow's height there; labels that
    would overlap in one gap are pushed down, in order, so every one stays readable."""
    chips = max((len(e.stages) for e in edges), default=0)
    w = max(chips * (_CHIP_W + 4) - 4, 120) + 2 * _LABEL_PAD
    h = 20 + _CHIP_H + 2 * _LABEL_PAD
    wanted: dict[float, list[tuple[float, str]]] = {}
    for edge in edges:
        (_, y1), (x2, y2) = where[edge.consumer], where[edge.provider]
        cx = x2 - _COLUMN_GAP / 2
        wanted.setdefault(cx, []).append(((y1 + y2) / 2 + _NODE_H / 2, edge.integration))
    boxes: dict[str, Box] = {}
    for cx, entries in wanted.items():
        free = float("-inf")
        for cy, name in sorted(entries):
            top = max(cy - h / 2, free)
            boxes[name] = (cx - w / 2, top, w, h)
            free = top + h + 6
    return boxes


def _edge(edge: MapEdge, start: tuple[float, float], end: tuple[float, float], label: Box) -> str:
    """An arrow: straight on from the consumer, then an S-curve through its label into the provider."""
    x1, y1 = start[0] + _NODE_W, start[1] + _NODE_H / 2
    x2, y2 = end[0] - 2, end[1] + _NODE_H / 2
    lx, ly, lw, lh = label
    mid_y = ly + lh / 2
    if x2 <= x1:  # a provider left of (or level with) its consumer: a cycle; loop round the label
        path = (
            f"M{x1:.0f},{y1:.0f} C{x1 + 60:.0f},{y1:.0f} {lx + lw + 40:.0f},{mid_y:.0f} {lx + lw:.0f},{mid_y:.0f}"
            f" L{lx:.0f},{mid_y:.0f} C{lx - 40:.0f},{mid_y:.0f} {x2 - 60:.0f},{y2:.0f} {x2:.0f},{y2:.0f}"
        )
    else:
        start_curve = min(x1, lx - 30)
        path = (
            f"M{x1:.0f},{y1:.0f} L{start_curve:.0f},{y1:.0f}"
            f" C{lx:.0f},{y1:.0f} {lx - 30:.0f},{mid_y:.0f} {lx:.0f},{mid_y:.0f}"
            f" L{lx + lw:.0f},{mid_y:.0f} C{lx + lw + 30:.0f},{mid_y:.0f} {lx + lw:.0f},{y2:.0f} {x2:.0f},{y2:.0f}"
        )
    head = f"{x2 - 10:.0f},{y2 - 5:.0f} {x2 - 10:.0f},{y2 + 5:.0f} {x2:.0f},{y2:.0f}"
    status = escape(edge.status)
    return (
        f'<g class="edge s-{status}" data-integration="{escape(edge.integration)}" data-status="{status}">'
        f"<title>{escape(edge.integration)}: {status}</title>"
        f'<path d="{path}"/><polygon points="{head}"/></g>'
    )


def _label(edge: MapEdge, box: Box) -> str:
    """The integration's name and verdict, and one chip per stage."""
    x, y, w, h = box
    cx = x + w / 2
    status = escape(edge.status)
    out = [
        f'<g class="edge-label s-{status}" data-integration="{escape(edge.integration)}">'
        f'<rect class="frame" x="{x:.0f}" y="{y:.0f}" width="{w:.0f}" height="{h:.0f}" rx="6"/>'
        f'<text class="name" x="{cx:.0f}" y="{y + _LABEL_PAD + 12:.0f}" text-anchor="middle">'
        f"{escape(_fit(edge.integration, 30))} · {status.replace('-', ' ')}</text>"
    ]
    chips = len(edge.stages)
    chip_y = y + _LABEL_PAD + 18
    first = cx - (chips * (_CHIP_W + 4) - 4) / 2
    for index, (stage, result) in enumerate(edge.stages):
        chip_x = first + index * (_CHIP_W + 4)
        out.append(
            f'<g class="chip s-{escape(result)}" data-stage="{escape(stage)}" data-status="{escape(result)}">'
            f"<title>{escape(stage)}: {escape(result.replace('-', ' '))}</title>"
            f'<rect x="{chip_x:.0f}" y="{chip_y:.0f}" width="{_CHIP_W}" height="{_CHIP_H}" rx="3"/>'
            f'<text x="{chip_x + _CHIP_W / 2:.0f}" y="{chip_y + 12:.0f}" text-anchor="middle">'
            f"{escape(_fit(stage, 10))}</text></g>"
        )
    out.append("</g>")
    return "".join(out)


def _fit(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[: chars - 1] + "…"
