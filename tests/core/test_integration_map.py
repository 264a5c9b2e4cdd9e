"""The integration map's layout (deterministic: consumers left, providers right) and its SVG."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

from interlock.core.integration_map import NOT_RUN, build_map, render_svg
from interlock.core.manifest import Manifest
from interlock.core.sparkline import sparkline
from interlock.core.verdict import IntegrationVerdict, RunVerdict, StageResult

STAGES = ("contracts", "fuzz", "chaos", "load")


def manifest(integrations: list[dict[str, str]]) -> Manifest:
    services = {n for i in integrations for n in (i.get("consumer"), i["provider"]) if n}
    return Manifest.model_validate(
        {
            "version": 1,
            "services": {s: {"base_url": "http://127.0.0.1:9"} for s in sorted(services)},
            "integrations": integrations,
            "path": Path("interlock.yaml"),
        }
    )


def run(*judged: IntegrationVerdict) -> RunVerdict:
    return RunVerdict(
        run_id="r",
        tool_version="0",
        manifest="m",
        profile="ci",
        stages=["contracts"],
        started_at=datetime.now(UTC),
        integrations=list(judged),
    )


def test_consumers_left_providers_right_and_provider_only_drawn_from_interlock() -> None:
    m = manifest(
        [
            {"name": "web-api", "consumer": "web", "provider": "api"},
            {"name": "api-db", "consumer": "api", "provider": "db"},
            {"name": "db-alone", "provider": "db"},
        ]
    )
    failed = IntegrationVerdict(
        integration="web-api",
        consumer="web",
        provider="api",
        stages=[StageResult(stage="contracts", integration="web-api", error="boom")],
    )
    graph = build_map(m, run(failed), STAGES)
    columns = {n.name: n.column for n in graph.nodes}
    assert columns == {"web": 0, "api": 1, "db": 2, "(interlock db)": 1}
    edges = {e.integration: e for e in graph.edges}
    assert edges["web-api"].status == "error" and edges["web-api"].stages[0] == ("contracts", "error")
    assert edges["api-db"].status == NOT_RUN and {s for _, s in edges["api-db"].stages} == {NOT_RUN}
    assert build_map(m, run(failed), STAGES) == graph  # deterministic
    svg = ET.fromstring(render_svg(graph))
    ns = "{http://www.w3.org/2000/svg}"
    drawn = [g.get("data-integration") for g in svg.iter(f"{ns}g") if "edge" in g.get("class", "").split()]
    assert drawn == ["web-api", "api-db", "db-alone"]


def test_a_cycle_ends_and_names_are_escaped() -> None:
    m = manifest(
        [
            {"name": "a-b", "consumer": "a", "provider": "b"},
            {"name": "b-a", "consumer": "b", "provider": "a"},
        ]
    )
    graph = build_map(m, run(), STAGES)
    assert max(n.column for n in graph.nodes) <= 2
    ET.fromstring(render_svg(graph))  # well-formed
    assert "<script>" not in render_svg(build_map(m, run(), ("<script>",)))


def test_a_sparkline_leaves_a_gap_where_a_run_measured_nothing() -> None:
    svg = ET.fromstring(sparkline([1.0, 2.0, None, 3.0, 4.0], ["passed"] * 4 + ["failed"], "p & q"))
    ns = "{http://www.w3.org/2000/svg}"
    assert len(svg.findall(f"{ns}polyline")) == 2 and len(svg.findall(f"{ns}circle")) == 4
    assert svg.findall(f"{ns}circle")[-1].get("class") == "s-failed"
    flat = ET.fromstring(sparkline([5.0, 5.0], ["passed", "passed"], "flat"))
    assert {c.get("cy") for c in flat.findall(f"{ns}circle")} == {"15.0"}
