"""Render ``report.html``: one self-contained page a person can read after a pre-release run.

Self-contained means it can be attached to a ticket or opened from a CI artefact download with
nothing next to it: the stylesheet is inline and image artefacts (the load stage's plots, for
instance) are embedded as data URIs. Other artefacts (logs, journals, Locust's own HTML) are
linked relative to the run directory, where they live next to the report.
"""

from __future__ import annotations

import base64
import mimetypes
from dataclasses import dataclass
from pathlib import Path

import jinja2
from markupsafe import Markup

from interlock.core.integration_map import render_svg
from interlock.core.report_extras import IntegrationHistory, ReportExtras, Trend, format_figure
from interlock.core.sparkline import sparkline
from interlock.core.verdict import RunVerdict, Status

HTML_FILE = "report.html"
#: Images larger than this are linked rather than embedded, to keep the page quick to open.
MAX_EMBEDDED_IMAGE_BYTES = 4_000_000
_IMAGE_TYPES = {"image/png", "image/svg+xml", "image/jpeg", "image/gif", "image/webp"}

_templates = jinja2.Environment(
    loader=jinja2.PackageLoader("interlock.core", "templates"),
    autoescape=True,
    keep_trailing_newline=True,
    undefined=jinja2.StrictUndefined,
)


@dataclass(frozen=True)
class Artefact:
    """One artefact of a stage as the page shows it: embedded image, or a relative link."""

    path: str
    name: str
    data_uri: str | None = None

    @property
    def is_image(self) -> bool:
        return self.data_uri is not None


def load_artefact(run_dir: Path, relative: str) -> Artefact:
    """Embed ``relative`` when it is a reasonably small image; otherwise link it."""
    path = run_dir / relative
    mime, _ = mimetypes.guess_type(path.name)
    if mime in _IMAGE_TYPES and path.is_file() and path.stat().st_size <= MAX_EMBEDDED_IMAGE_BYTES:
        encoded = base64.b64encode(path.read_bytes()).decode("ascii")
        return Artefact(relative, path.name, f"data:{mime};base64,{encoded}")
    return Artefact(relative, path.name)


def render_html(verdict: RunVerdict, run_dir: Path, extras: ReportExtras | None = None) -> str:
    """The page for ``verdict`` (already redacted by the caller), with ``run_dir``'s artefacts and
    the sections ``extras`` holds (the integration map, the history: built by the app layer)."""
    artefacts = {
        (integration.integration, stage.stage): [load_artefact(run_dir, a) for a in stage.artefacts]
        for integration in verdict.integrations
        for stage in integration.stages
    }
    counts = dict.fromkeys(Status, 0)
    for integration in verdict.integrations:
        for stage in integration.stages:
            for check in stage.checks:
                counts[check.status] += 1
    extras = extras or ReportExtras()
    graph = extras.integration_map
    return _templates.get_template("report.html.j2").render(
        v=verdict,
        artefacts=artefacts,
        counts=counts,
        x=extras,
        map_svg=Markup(render_svg(graph)) if graph is not None else None,  # escaped inside
        spark=_spark,
        fmt=format_figure,
    )


def _spark(trend: Trend, history: IntegrationHistory) -> Markup:
    """The trend's sparkline, each dot coloured by its stage's status in that run."""
    statuses = [run.stages.get(trend.stage, "not-run") for run in history.runs]
    return Markup(sparkline(trend.values, statuses, trend.label))  # escaped inside
