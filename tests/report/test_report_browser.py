"""report.html in a real browser (headless Chromium): charts drawn, nothing loaded, no script.

Needs Debian's `chromium` (apt-get install chromium) and the `playwright` Python package; the
browser is driven through `executable_path`, so no Playwright browser download is needed.
Set MLGATE_SCREENSHOTS=DIR to keep the screenshots for a look.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.report_fixtures import HOSTILE, SCRIPT

from mlgate.records import Report
from mlgate.report import write_reports

CHROMIUM = os.environ.get("MLGATE_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = pytest.mark.skipif(
    not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)),
    reason=f"headless Chromium not found at {CHROMIUM} (apt-get install chromium)",
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield instance
        instance.close()


def open_report(browser: Any, report: Report, folder: Path) -> tuple[Any, list[str]]:
    """Load report.html from disk; every request, dialog and console error is recorded."""
    write_reports(report, folder, ("html",))
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    events: list[str] = []
    page.on("request", lambda r: events.append(f"request {r.url}"))
    page.on("dialog", lambda d: (events.append(f"dialog {d.message}"), d.dismiss()))
    page.on("console", lambda m: events.append(f"console {m.type} {m.text}"))
    page.on("pageerror", lambda e: events.append(f"pageerror {e}"))
    url = (folder / "report.html").as_uri()
    page.goto(url, wait_until="load")
    events.remove(f"request {url}")  # the file itself; anything else would be a network load
    return page, events


def screenshot(page: Any, name: str, tmp_path: Path) -> Path:
    keep = os.environ.get("MLGATE_SCREENSHOTS")
    path = Path(keep) / name if keep else tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000  # an actual picture, not an empty page
    return path


def test_blocked_report_renders_with_its_charts(
    browser: Any, blocked_report: Report, tmp_path: Path
) -> None:
    page, events = open_report(browser, blocked_report, tmp_path)
    assert events == []
    assert page.locator("h1").inner_text().startswith("Blocked: roc_auc dropped 0.031")
    counts = {
        section: page.locator(f"#{section} svg").count()
        for section in ("changes", "diagnostics", "slices", "drift", "latency")
    }
    # latency: the timing distribution and the model-size bars
    assert counts == {"changes": 8, "diagnostics": 3, "slices": 5, "drift": 3, "latency": 2}
    # Charts are drawn, not just present: the ROC chart has real size and two curves on it.
    roc = page.locator("#diagnostics svg.xy").first
    box = roc.bounding_box()
    assert box is not None and box["width"] > 250 and box["height"] > 200
    assert roc.locator("polyline.line").count() == 2
    lengths = roc.locator("polyline.line").evaluate_all("ls => ls.map(l => l.getTotalLength())")
    assert all(length > 300 for length in lengths)
    forest = page.locator("#changes tr.s-fail circle.pt").bounding_box()
    limit = page.locator("#changes tr.s-fail line.limit").bounding_box()
    assert forest is not None and limit is not None
    assert forest["x"] < limit["x"]  # the failing change sits beyond the allowed drop
    assert page.locator("table.gates tbody tr").count() == len(blocked_report.gates)
    screenshot(page, "blocked.png", tmp_path)
    page.close()


def test_print_layout_shows_gate_details(
    browser: Any, blocked_report: Report, tmp_path: Path
) -> None:
    page, _ = open_report(browser, blocked_report, tmp_path)
    facts = page.locator("table.gates dl.facts").first
    assert not facts.is_visible()  # folded on screen
    page.emulate_media(media="print")
    assert facts.is_visible()  # unfolded on paper
    assert len(page.pdf(format="A4")) > 20_000
    page.close()


def test_hostile_strings_never_run(browser: Any, hostile_report: Report, tmp_path: Path) -> None:
    page, events = open_report(browser, hostile_report, tmp_path)
    assert events == []  # no dialog, no request for "x", no console error
    assert page.locator("img").count() == 0
    assert page.locator("script").count() == 0
    assert page.evaluate("() => document.querySelectorAll('[onerror]').length") == 0
    text = page.locator("body").inner_text()
    assert HOSTILE in text and SCRIPT in text
    screenshot(page, "hostile.png", tmp_path)
    page.close()


def test_regression_drift_and_size_charts_are_drawn(browser: Any, tmp_path: Path) -> None:
    """A real run on a regression project: the charts have size and lines in Chromium."""
    import subprocess
    import sys

    from support import clinic

    clinic.build(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "mlgate", "run"], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 1, done.stderr
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    events: list[str] = []
    page.on("console", lambda m: events.append(f"console {m.type} {m.text}"))
    page.on("pageerror", lambda e: events.append(f"pageerror {e}"))
    page.goto((tmp_path / "mlgate-report" / "report.html").as_uri(), wait_until="load")
    assert events == []
    predicted = page.locator('#diagnostics svg[aria-label="Predicted vs actual"]')
    box = predicted.bounding_box()
    assert box is not None and box["width"] > 250 and box["height"] > 200
    assert predicted.locator("polyline.line").count() == 2
    assert predicted.locator("polygon.area").count() == 1
    assert page.locator('#diagnostics svg[aria-label="residuals"] polyline.line').count() == 2
    boxes = page.locator("#diagnostics table.residuals rect.box")
    assert boxes.count() == 6  # 3 clinics × 2 models
    assert all(w > 2 for w in boxes.evaluate_all("rs => rs.map(r => r.getBBox().width)"))
    overlay = page.locator('#drift svg[aria-label="distribution of age: reference and eval"]')
    lengths = overlay.locator("polyline.line").evaluate_all("ls => ls.map(l => l.getTotalLength())")
    assert len(lengths) == 2 and all(length > 500 for length in lengths)
    size = page.locator('#latency svg[aria-label="perf.model_size_mb of each model"]')
    bars = size.locator("rect.bar").evaluate_all("rs => rs.map(r => r.getBBox().width)")
    assert len(bars) == 2 and all(w > 1 for w in bars)
    screenshot(page, "regression.png", tmp_path)
    page.close()
