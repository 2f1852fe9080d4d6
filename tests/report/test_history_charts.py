"""The history charts (issue 17): report.md's Mermaid blocks, parsed and drawn by the real
mermaid-cli on Debian's Chromium, hostile names included; the terminal sparkline; the HTML
trend chart in real Chromium.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from support import mermaid_cli

from mlgate.compare import Policy, compare
from mlgate.records import Estimate, GateResult, HistoryPoint, Measurement, Report
from mlgate.report import mermaid
from mlgate.report.markdown import render_markdown
from mlgate.report.wording import worded

COMMITS = ["4f1c2a9e07b3", "9b0d11aa5e62", "c3e5f7a9b1d2", "d00dfeed1234", "0a1b2c3d4e5f"]

# names that try to leave the Mermaid string, the block, or the comment, or to inject markup
HOSTILE = [
    'model.roc_auc"]\n```\n</details><script>alert(1)</script>',
    "model.x %%{init: {'theme':'dark', 'securityLevel':'loose'}}%%",
    "model.a --> b\nline [9, 9, 9]\nclick x call alert(1)",
    "model.`rm -rf`[c=#quot;;&lt;b&gt;]",
    'model.y\r\n    title "owned"\u2028\u0000',
    '""``%%<>;#',  # nothing left once sanitised: the chart still has a title
]


def gate(
    candidate: float,
    production: float,
    history: list[float],
    *,
    gate_id: str = "model.roc_auc",
    commits: list[str] | None = None,
    **thresholds: Any,
) -> GateResult:
    """A compared, worded model gate with `history` as its same-eval production values."""
    commits = commits or COMMITS
    points = tuple(
        HistoryPoint(
            value=v, commit=commits[i % len(commits)], date="2026-12-01", ref="main", same_eval=True
        )
        for i, v in enumerate(history)
    )
    m = Measurement(
        id=gate_id,
        kind="model",
        name="roc_auc",
        thresholds=thresholds or {"max_drop": 0.005},
        candidate=candidate,
        baseline=production,
        estimate=Estimate(delta=candidate - production, method="delong", n=1000, se=0.001),
        history=points,
    )
    return worded(compare(m, Policy()))


def test_the_chart_of_a_gate_is_exactly_this() -> None:
    g = gate(0.876, 0.880, [0.90, 0.884, 0.880], max_drop_from_best=0.02)
    (chart,) = mermaid.charts(Report(verdict="fail", gates=(g,)))
    assert chart.source == (
        "xychart-beta\n"
        '    title "model.roc_auc"\n'
        '    x-axis ["1. 4f1c2a9", "2. 9b0d11a", "3. c3e5f7a", "candidate"]\n'
        '    y-axis "roc_auc" 0.8736 --> 0.9024\n'
        "    line [0.9, 0.884, 0.88, 0.876]\n"
        "    line [0.88, 0.88, 0.88, 0.88]"
    )
    assert chart.fallback == (
        "model.roc\\_auc over 3 merges: 0.900 → 0.884 → 0.880, candidate 0.876 · "
        "from-best limit 0.880"
    )
    md = render_markdown(Report(verdict="fail", gates=(g,)))
    assert f"```mermaid\n{chart.source}\n```\n\n{chart.fallback}\n" in md
    assert "<details open>\n<summary>📈 History of 1 gate over the merges</summary>" in md


def test_a_passing_gate_without_from_best_draws_one_line_folded() -> None:
    g = gate(0.93, 0.92, [0.91, 0.92])
    assert g.status == "pass"
    (chart,) = mermaid.charts(Report(verdict="pass", gates=(g,)))
    assert chart.source.splitlines()[-1] == "    line [0.91, 0.92, 0.93]"
    assert chart.source.count("line [") == 1
    assert chart.fallback == "model.roc\\_auc over 2 merges: 0.910 → 0.920, candidate 0.930"
    md = render_markdown(Report(verdict="pass", gates=(g,)))
    assert "<details>\n<summary>📈 History of 1 gate over the merges</summary>" in md


def test_charts_are_bounded_failing_first_then_most_changed() -> None:
    gates = [
        gate(0.900, 0.901, [0.90, 0.901], gate_id="model.still"),
        gate(0.850, 0.900, [0.90] * 30, gate_id="model.moved"),  # passes nothing: fails
        gate(0.905, 0.900, [0.89, 0.90], gate_id="model.up"),
        gate(0.870, 0.880, [0.90, 0.88], gate_id="model.cut", max_drop_from_best=0.01),
        gate(0.910, 0.900, [0.90], gate_id="model.tiny"),
    ]
    report = Report(verdict="fail", gates=tuple(gates))
    chosen = [c.gate.id for c in mermaid.charts(report)]
    assert [g.status for g in gates] == ["pass", "fail", "pass", "fail", "pass"]
    # failing first (most changed first among them), then the most changed of the rest
    assert chosen == ["model.moved", "model.cut", "model.tiny"]
    moved = mermaid.charts(report)[0].source.splitlines()
    x_axis = re.findall(r'"([^"]*)"', moved[2])
    assert len(x_axis) == mermaid.MAX_POINTS == 12 and x_axis[-1] == "candidate"
    assert x_axis[0] == "20. 0a1b2c3"  # the last 11 of 30 merges, numbered as in the history
    md = render_markdown(report)
    assert md.count("```mermaid\n") == 3


def test_a_gate_without_same_eval_history_draws_no_chart() -> None:
    g = gate(0.9, 0.9, [0.9])
    other = replace(g, history=tuple(replace(p, same_eval=False) for p in g.history))
    assert mermaid.charts(Report(verdict="pass", gates=(other,))) == []
    assert "```mermaid" not in render_markdown(Report(verdict="pass", gates=(other,)))


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_text_stays_inside_the_chart_strings(hostile: str) -> None:
    g = gate(
        0.876,
        0.880,
        [0.90, 0.884],
        gate_id=hostile,
        commits=[hostile, '"`%%-->'],
        max_drop_from_best=0.02,
    )
    g = replace(g, name=hostile)
    md = render_markdown(Report(verdict="fail", gates=(g,)))
    (source,) = mermaid_cli.blocks(md)
    assert md.count("```") == 2  # one fence opened, one closed: nothing broke out
    lines = source.rstrip("\n").splitlines()
    string = r'"[\w .:/+=()\[\],@…]*"'
    number = r"-?\d+(\.\d+)?"
    grammar = [
        r"xychart-beta",
        rf"    title {string}",
        rf"    x-axis \[{string}(, {string})*\]",
        rf"    y-axis {string} {number} --> {number}",
        rf"    line \[{number}(, {number})*\]",
        rf"    line \[{number}(, {number})*\]",
    ]
    assert len(lines) == len(grammar)
    for line, rule in zip(lines, grammar, strict=True):
        assert re.fullmatch(rule, line), (line, rule)
    for bad in ("%%", "`", "<", ">", "#", ";", "&", "\r", "\u2028", "\x00", "--"):
        assert bad not in source.replace(" --> ", " "), bad
    # and the text fallback under the chart is escaped Markdown
    assert "<script>" not in md and "</details><script>" not in md


def test_the_real_mermaid_cli_parses_and_draws_every_chart(tmp_path: Path) -> None:
    """mmdc (mermaid 11, Chromium) renders every block of comments with ordinary and hostile
    names; a block that did not parse makes mmdc exit non-zero (proved by the last case)."""
    mermaid_cli.require()
    reports = [
        Report(
            verdict="fail",
            gates=(
                gate(0.876, 0.880, [0.90, 0.884, 0.880], max_drop_from_best=0.02),
                gate(0.93, 0.92, [0.91, 0.92], gate_id="model.f1"),
                gate(1234.5, 1200.0, [1100.25, 1200.0], gate_id="model.rmse"),
            ),
        ),
        *(
            Report(
                verdict="fail",
                gates=(
                    replace(
                        gate(0.876, 0.880, [0.90, 0.884], gate_id=h, commits=[h, h[::-1]]), name=h
                    ),
                ),
            )
            for h in HOSTILE
        ),
        Report(verdict="pass", gates=(gate(-0.25, -0.25, [-0.25, -0.25], gate_id="model.r2"),)),
    ]
    md = "\n\n".join(render_markdown(r) for r in reports)
    sources = mermaid_cli.blocks(md)
    assert len(sources) == 3 + len(HOSTILE) + 1
    svgs = mermaid_cli.render(md, tmp_path / "ok")
    assert len(svgs) == len(sources)
    for source, svg in zip(sources, svgs, strict=True):
        assert 'aria-roledescription="xychart"' in svg
        title = re.search(r'title "([^"]*)"', source)
        assert title and f">{title[1]}<" in svg  # the title drawn as text
        assert "<script" not in svg and "<b>" not in svg and "click" not in svg.split(">")[0]
        assert svg.count("<path") >= source.count("line [")  # every series drawn
    # the check can fail: one quote too many and mmdc refuses the block
    broken = md.replace('title "model.f1"', 'title "model."f1"')
    with pytest.raises(AssertionError, match="mmdc failed to render"):
        mermaid_cli.render(broken, tmp_path / "broken")


def test_the_terminal_shows_a_sparkline_per_model_gate_with_history() -> None:
    from rich.console import Console

    from mlgate.report.terminal import print_report

    report = Report(
        verdict="fail",
        gates=(
            gate(0.876, 0.880, [0.90, 0.884, 0.880], max_drop_from_best=0.02),
            gate(0.93, 0.92, [0.91, 0.92], gate_id="model.f1"),
            gate(0.93, 0.92, [], gate_id="model.fresh"),
        ),
    )
    console = Console(width=160, record=True, color_system=None)
    print_report(report, console)
    lines = console.export_text().splitlines()
    assert lines[1].startswith("  FAIL    model.roc_auc")
    assert lines[2] == "          0.880 → 0.876  −0.004  allowed: drop from best ≤ 0.02  trend █▃▂▁"
    (f1,) = [line for line in lines if "model.f1" in line]
    assert f1.endswith("allowed: drop ≤ 0.005  trend ▁▅█")
    (fresh,) = [line for line in lines if "model.fresh" in line]
    assert "trend" not in fresh  # no history: no sparkline


def test_the_html_trend_chart_draws_in_chromium(tmp_path: Path) -> None:
    """report.html's history chart in headless Chromium: drawn, the candidate last (rightmost),
    no request beyond the file itself, no script run by a hostile gate id."""
    if not (Path(mermaid_cli.CHROMIUM).exists()):
        pytest.skip(f"headless Chromium not found at {mermaid_cli.CHROMIUM}")
    from playwright.sync_api import sync_playwright

    from mlgate.report import write_reports

    g = gate(
        0.876,
        0.880,
        [0.90, 0.884, 0.880],
        gate_id=HOSTILE[0],
        max_drop_from_best=0.02,
    )
    write_reports(Report(verdict="fail", gates=(g,)), tmp_path, ("html",))
    url = (tmp_path / "report.html").as_uri()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=mermaid_cli.CHROMIUM, args=mermaid_cli.ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        events: list[str] = []
        page.on("request", lambda r: events.append(f"request {r.url}"))
        page.on("dialog", lambda d: (events.append(f"dialog {d.message}"), d.dismiss()))
        page.on("pageerror", lambda e: events.append(f"pageerror {e}"))
        page.goto(url, wait_until="load")
        chart = page.locator("#trends svg.trend")
        assert chart.count() == 1
        box = chart.bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 80
        production = page.locator("#trends circle.dot.production")
        candidate = page.locator("#trends circle.dot.candidate")
        assert production.count() == 3 and candidate.count() == 1
        xs = [production.nth(i).bounding_box()["x"] for i in range(3)]  # type: ignore[index]
        last = candidate.bounding_box()
        assert last is not None and xs == sorted(xs) and last["x"] > xs[-1]
        # the candidate is drawn below the best production value (it dropped)
        best_y = production.nth(0).bounding_box()["y"]  # type: ignore[index]
        assert last["y"] > best_y
        assert page.locator("#trends line.limit").count() == 1
        assert page.locator("script").count() == 0
        browser.close()
    assert events == [f"request {url}"]
