"""report.html embeds small images, links everything else, and counts checks by status."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from pathlib import Path

import pytest

from interlock.core import html_report
from interlock.core.html_report import load_artefact, render_html
from interlock.core.verdict import CheckResult, Finding, IntegrationVerdict, RunVerdict, StageResult, Status

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def test_a_small_image_is_embedded_as_a_data_uri(tmp_path: Path) -> None:
    (tmp_path / "load").mkdir()
    (tmp_path / "load" / "latency.png").write_bytes(PNG)
    artefact = load_artefact(tmp_path, "load/latency.png")
    assert artefact.is_image
    assert artefact.name == "latency.png" and artefact.path == "load/latency.png"
    assert artefact.data_uri == "data:image/png;base64," + base64.b64encode(PNG).decode()


def test_large_missing_or_non_image_artefacts_are_links(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "big.png").write_bytes(PNG)
    (tmp_path / "locust.csv").write_text("a,b\n")
    monkeypatch.setattr(html_report, "MAX_EMBEDDED_IMAGE_BYTES", len(PNG) - 1)
    for relative in ("big.png", "locust.csv", "gone.png"):
        artefact = load_artefact(tmp_path, relative)
        assert (artefact.is_image, artefact.data_uri, artefact.path) == (False, None, relative)


def test_the_page_counts_checks_and_opens_stages_that_need_attention(tmp_path: Path) -> None:
    (tmp_path / "plot.png").write_bytes(PNG)
    failing = StageResult(
        stage="contracts",
        integration="a-b",
        checks=[
            CheckResult(name="GET /x", status=Status.PASSED),
            CheckResult(
                name="POST /y",
                status=Status.FAILED,
                findings=[Finding(stage="contracts", integration="a-b", title="500", reproduce="curl y")],
            ),
        ],
    )
    passing = StageResult(
        stage="load",
        integration="a-b",
        checks=[CheckResult(name="p95", status=Status.PASSED)],
        artefacts=["plot.png", "locust.html"],
    )
    quiet = StageResult(
        stage="chaos", integration="a-b", checks=[CheckResult(name="f", status=Status.PASSED)]
    )
    verdict = RunVerdict(
        run_id="run-1",
        tool_version="9.9",
        manifest="interlock.yaml",
        profile="ci",
        stages=["contracts", "load", "chaos"],
        started_at=datetime(2024, 5, 1, tzinfo=UTC),
        integrations=[
            IntegrationVerdict(
                integration="a-b", consumer="a", provider="b", stages=[failing, passing, quiet]
            )
        ],
    )
    html = render_html(verdict, tmp_path)
    assert '<span class="badge passed">3</span> passed' in html
    assert '<span class="badge failed">1</span> failed' in html
    assert "<title>interlock failed · run-1</title>" in html
    # failed stages and stages with plots are open; a quiet passed stage is folded
    assert html.count('<details class="stage" open>') == 2
    assert html.count('<details class="stage">') == 1
    assert "data:image/png;base64," in html
    assert '<a href="locust.html">locust.html</a>' in html
    assert "<pre>curl y</pre>" in html
