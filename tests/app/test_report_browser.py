"""report.html in a real headless browser after three runs: no console error, map, history, themes.

Needs Chromium (Debian's ``chromium-headless-shell`` or ``chromium``; ``.ci/run`` installs it when
it can) and Python playwright; skips, saying why, without them. Screenshots of both themes are
written to ``$INTERLOCK_SCREENSHOTS`` (else the test's tmp directory) to be looked at.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.app.scripted_runs import P99, three_runs

pytestmark = pytest.mark.slow

CANDIDATES = ("chromium-headless-shell", "chromium", "chromium-browser")


def chromium() -> str | None:
    named = os.environ.get("CHROMIUM")
    if named:
        return named
    return next((found for name in CANDIDATES if (found := shutil.which(name))), None)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed (pip install -e '.[dev]')"
    )
    executable = chromium()
    if executable is None:
        pytest.skip("no Chromium found (apt-get install chromium-headless-shell, or set $CHROMIUM)")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    runs = three_runs(tmp_path_factory.mktemp("runs"))
    return runs[-1].run_dir / "report.html"


def luminance(rgb: str) -> float:
    channels = [int(c) / 255 for c in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


#: A CSS colour as the browser computes it (``rgb(...)``), to compare with a computed stroke.
RESOLVE = """colour => {
  const probe = document.createElement("div");
  probe.style.color = colour;
  document.body.append(probe);
  const computed = getComputedStyle(probe).color;
  probe.remove();
  return computed;
}"""
STYLE = "([selector, prop]) => getComputedStyle(document.querySelector(selector))[prop]"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_report_renders_the_map_and_history_in_both_themes(
    browser: Any, report: Path, scheme: str, tmp_path: Path
) -> None:
    context = browser.new_context(color_scheme=scheme, viewport={"width": 1200, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "request",
        lambda request: (
            errors.append(f"fetched {request.url}")
            if not request.url.startswith(("file:", "data:"))
            else None
        ),
    )
    page.goto(report.as_uri())
    assert errors == []

    # the map: one arrow per manifest integration, coloured by its verdict, with four stage chips
    edges = page.locator("svg.imap g.edge")
    assert edges.count() == 4
    failed = page.locator('svg.imap g.edge[data-integration="checkout-payments"]')
    assert failed.get_attribute("data-status") == "failed"
    stroke = failed.locator("path").evaluate("p => getComputedStyle(p).stroke")
    red = page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--failed').trim()")
    assert stroke == page.evaluate(RESOLVE, red)
    chips = page.locator('svg.imap g.edge-label[data-integration="checkout-payments"] g.chip')
    assert [chips.nth(i).get_attribute("data-status") for i in range(4)] == [
        "passed",
        "passed",
        "passed",
        "failed",
    ]
    assert page.locator("svg.imap g.node").count() == 5  # four services and interlock for ledger-alone

    # the history: three runs per integration, a sparkline per figure, the changes since green
    history = page.locator('.hist[data-integration="checkout-payments"]')
    assert history.locator("table.strip tr").first.locator(".cell").count() == len(P99)
    assert history.locator("svg.spark").count() >= 4
    changes = history.locator("ul.changes").inner_text()
    assert "failed since this run" in changes and "load run p(99) up from 130ms to 480ms" in changes
    assert page.locator(".hist").count() == 4

    # the theme: colours follow prefers-color-scheme, and text stays readable on its background
    background = page.evaluate(STYLE, ["body", "backgroundColor"])
    assert luminance(background) > 0.8 if scheme == "light" else luminance(background) < 0.05
    for selector in ("body", "a", ".hist ul.changes li", "table.strip th"):
        assert contrast(page.evaluate(STYLE, [selector, "color"]), background) >= 4.5, selector
    node_text = page.locator("svg.imap g.node text").first.evaluate("t => getComputedStyle(t).fill")
    node_fill = page.locator("svg.imap g.node rect").first.evaluate("r => getComputedStyle(r).fill")
    assert contrast(node_text, node_fill) >= 7
    chip_text = chips.nth(3).locator("text").evaluate("t => getComputedStyle(t).fill")
    chip_fill = chips.nth(3).locator("rect").evaluate("r => getComputedStyle(r).fill")
    assert contrast(chip_text, chip_fill) >= 3

    shots = Path(os.environ.get("INTERLOCK_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / f"report-{scheme}.png"), full_page=True)
    context.close()
