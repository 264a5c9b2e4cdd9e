"""Write a run's reports: verdict.json, junit.xml, ctrf.json, summary.md and report.html; point
``latest`` at them.

All five are rendered from the same :class:`RunVerdict`, after redaction, so they cannot
disagree. They are written even for interrupted or incomplete runs.
"""

from __future__ import annotations

import json
import os
import secrets
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import jinja2

from interlock.core.confirmation import measurements
from interlock.core.ctrf import CTRF_FILE, render_ctrf
from interlock.core.html_report import HTML_FILE, render_html
from interlock.core.redact import DEFAULT, RedactionPolicy
from interlock.core.report_extras import ReportExtras
from interlock.core.verdict import CheckResult, IntegrationVerdict, RunVerdict, StageResult, Status

VERDICT_FILE = "verdict.json"
JUNIT_FILE = "junit.xml"
SUMMARY_FILE = "summary.md"
LATEST_LINK = "latest"

_templates = jinja2.Environment(
    loader=jinja2.PackageLoader("interlock.core", "templates"),
    autoescape=False,
    keep_trailing_newline=True,
    undefined=jinja2.StrictUndefined,
)


def new_run_id() -> str:
    """Sortable and unique: ``20261121-184501-3fa2``."""
    return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(2)


def write_reports(
    verdict: RunVerdict, run_dir: Path, policy: RedactionPolicy = DEFAULT, extras: ReportExtras | None = None
) -> list[Path]:
    """Write the reports into ``run_dir`` (every string redacted by ``policy``) and return their paths.

    ``extras`` are report.html's sections besides the run (map, history), built by the caller."""
    run_dir.mkdir(parents=True, exist_ok=True)
    data = policy.data(verdict.model_dump(mode="json"))
    safe = RunVerdict.model_validate(data)
    paths = {
        VERDICT_FILE: json.dumps(data, indent=2, ensure_ascii=False) + "\n",
        JUNIT_FILE: render_junit(safe),
        CTRF_FILE: json.dumps(render_ctrf(safe), indent=2, ensure_ascii=False) + "\n",
        SUMMARY_FILE: render_summary(safe),
        HTML_FILE: render_html(safe, run_dir, extras),
    }
    written = []
    for name, text in paths.items():
        path = run_dir / name
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
        written.append(path)
    return written


def point_latest(run_dir: Path) -> None:
    """Make ``<reports>/latest`` a relative symlink to ``run_dir``, replacing it atomically."""
    link = run_dir.parent / LATEST_LINK
    tmp = run_dir.parent / f".{LATEST_LINK}.{os.getpid()}"
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(run_dir.name, target_is_directory=True)
    tmp.replace(link)


def render_summary(verdict: RunVerdict) -> str:
    template = _templates.get_template("summary.md.j2")

    def stage(integration: IntegrationVerdict, name: str) -> StageResult | None:
        return next((s for s in integration.stages if s.stage == name), None)

    def passed(result: StageResult) -> int:
        return sum(c.status == Status.PASSED for c in result.checks)

    return template.render(v=verdict, stage=stage, passed=passed)


def render_junit(verdict: RunVerdict) -> str:
    """One testsuite per integration, one testcase per check (classname = integration.stage)."""
    root = ET.Element("testsuites", name="interlock", time=f"{verdict.duration_s:.3f}")
    for integration in verdict.integrations:
        cases = [(stage, check) for stage in integration.stages for check in stage.checks]
        errored_stages = [s for s in integration.stages if s.error is not None]
        suite = ET.SubElement(
            root,
            "testsuite",
            name=integration.integration,
            tests=str(len(cases) + len(errored_stages)),
            failures=str(sum(c.status == Status.FAILED for _, c in cases)),
            errors=str(sum(c.status == Status.ERROR for _, c in cases) + len(errored_stages)),
            skipped=str(sum(c.status == Status.SKIPPED for _, c in cases)),
            time=f"{sum(s.duration_s for s in integration.stages):.3f}",
        )
        for stage, check in cases:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"{integration.integration}.{stage.stage}",
                name=check.name,
                time=f"{check.duration_s:.3f}",
            )
            _attempt_properties(case, check)
            if check.status in (Status.FAILED, Status.ERROR):
                tag = "failure" if check.status == Status.FAILED else "error"
                titles = [f.title for f in check.findings] or [check.message]
                element = ET.SubElement(case, tag, message="; ".join(titles), type=stage.stage)
                element.text = (
                    "\n\n".join(
                        "\n".join(
                            filter(
                                None, [f.title, f.detail, f"reproduce: {f.reproduce}" if f.reproduce else ""]
                            )
                        )
                        for f in check.findings
                    )
                    or check.message
                )
            elif check.status == Status.SKIPPED:
                ET.SubElement(case, "skipped", message=check.message)
            _attempt_elements(case, check, stage.stage)
        for stage in errored_stages:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"{integration.integration}.{stage.stage}",
                name=f"{stage.stage} stage",
                time=f"{stage.duration_s:.3f}",
            )
            ET.SubElement(
                case, "error", message=stage.error.splitlines()[0] if stage.error else "", type=stage.stage
            ).text = stage.error
    if verdict.error is not None or verdict.interrupted:
        suite = ET.SubElement(root, "testsuite", name="interlock", tests="1", failures="0", errors="1")
        case = ET.SubElement(suite, "testcase", classname="interlock.run", name="run completed")
        message = verdict.error or f"interrupted by signal {verdict.interrupted_by}"
        ET.SubElement(case, "error", message=message.splitlines()[0]).text = message
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _attempt_properties(case: ET.Element, check: CheckResult) -> None:
    """A confirmed check's ``flaky`` and ``attempts`` as testcase properties (first child)."""
    if not check.attempts:
        return
    properties = ET.SubElement(case, "properties")
    ET.SubElement(properties, "property", name="flaky", value=str(check.flaky).lower())
    ET.SubElement(properties, "property", name="attempts", value=str(len(check.attempts)))


def _attempt_elements(case: ET.Element, check: CheckResult, stage: str) -> None:
    """Each earlier failed attempt as Maven Surefire writes re-runs, and every measurement as output.

    A flaky check keeps its passed testcase (strict: its failure) and gets a ``flakyFailure`` per
    failed attempt; a check that failed every attempt gets a ``rerunFailure`` per re-run. JUnit
    readers that know Surefire's re-runs (Jenkins, GitLab) show them; the others ignore them and
    still see ``system-out``.
    """
    if not check.attempts:
        return
    tag = "flakyFailure" if check.flaky else "rerunFailure"
    earlier = [a for a in check.attempts if a.status == Status.FAILED]
    if not check.flaky:
        earlier = earlier[1:]  # the first failure is the testcase's <failure>
    for attempt in earlier:
        message = "; ".join(attempt.findings) or attempt.message
        element = ET.SubElement(case, tag, message=message, type=stage)
        element.text = f"attempt {attempt.attempt}: {attempt.message}"
    ET.SubElement(case, "system-out").text = ("flaky: " if check.flaky else "confirmed: ") + measurements(
        check.attempts
    )
