"""report.md, the PR/MR comment: gold files, the first line, folding, size limit, escaping."""

from __future__ import annotations

import html
import re

import pytest
from markdown_it import MarkdownIt
from support.report_fixtures import HOSTILE, SCRIPT, check_gold

from mlgate.records import Report
from mlgate.report.markdown import MARKER, render_markdown


def to_html(text: str) -> str:
    """Render like GitHub/GitLab do: CommonMark + GFM tables and strikethrough, raw HTML on."""
    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).render(text)


def visible_text(rendered: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", rendered))


def test_gold(any_report: tuple[str, Report]) -> None:
    name, report = any_report
    check_gold(f"{name}.md", render_markdown(report))


def test_first_line_says_blocked_and_why(blocked_report: Report) -> None:
    first = render_markdown(blocked_report).splitlines()[0]
    assert first == (
        r"**❌ Blocked:** roc\_auc dropped 0.031 (95% CI −0.041…−0.022), allowed 0.005"
    )


def test_first_line_of_a_pass_counts_the_blocking_gates(passing_report: Report) -> None:
    assert render_markdown(passing_report).splitlines()[0] == (
        r"**✅ Passed:** all 6 blocking gates passed; 1 warning: data.expect.age.not\_null: "
        r"age: 12 null values (1.2%)"
    )


def test_error_without_gates_says_plainly_what_went_wrong(error_report: Report) -> None:
    text = render_markdown(error_report)
    first = text.splitlines()[0]
    assert first.startswith("**❗ Error:** the gate could not be evaluated: data/holdout.parquet")
    assert "file not found" in first
    assert "No gate was evaluated" in text
    assert "| Gate |" not in text  # no empty table


def test_errored_gate_outranks_failures() -> None:
    from support.report_fixtures import build_gate_error

    first = render_markdown(build_gate_error()).splitlines()[0]
    assert first.startswith(r"**❗ Error:** model.f1 could not be evaluated: f1 could not be")
    assert first.endswith("; 1 blocking gate also failed")


def test_failing_and_warning_gates_in_the_table_passing_gates_folded(
    blocked_report: Report,
) -> None:
    text = render_markdown(blocked_report)
    table, folded = text.split("<details>", 1)
    assert r"| ❌ | model.roc\_auc |" in table
    assert r"| ⚠️ | model.accuracy\[country=FR\] (non-blocking) |" in table
    assert r"model.log\_loss" not in table  # passed: folded
    assert "✅ 10 passing gates" in folded
    assert (
        r"| model.log\_loss | 0.337 | 0.341 | +0.004 (−0.006…+0.013) | increase ≤ 0.02 |" in folded
    )
    assert "⏭️ model.accuracy\\[country=LU\\]: skipped" in folded


def test_notes_inconclusive_detectable_baseline_and_links(blocked_report: Report) -> None:
    text = render_markdown(blocked_report)
    assert "- model.accuracy\\[country=FR\\]: inconclusive: 812 rows can only detect" in text
    assert "Smallest change this eval set can detect: roc\\_auc 0.012" in text
    assert (
        "**Baseline:** production model git:origin/main:models/model.skops, re-evaluated on "
        "the same 1,000 eval rows (paired comparison)"
    ) in text
    assert "[CI job](https://github.com/acme/churn/actions/runs/123456)" in text
    assert "[Full report](https://github.com/acme/churn/actions/runs/123456/artifacts/987)" in text


def test_inconclusive_note_is_written_when_the_gate_has_none(blocked_report: Report) -> None:
    from dataclasses import replace

    gates = tuple(replace(g, notes=()) for g in blocked_report.gates)
    text = render_markdown(replace(blocked_report, gates=gates))
    assert (
        "model.accuracy\\[country=FR\\]: inconclusive: this eval set (812 rows) can only detect "
        "changes of 0.041 or more; the tolerance is 0.02"
    ) in text


def test_marker_is_the_last_line_once(any_report: tuple[str, Report]) -> None:
    _, report = any_report
    text = render_markdown(report)
    assert text.rstrip("\n").splitlines()[-1] == MARKER
    assert text.count(MARKER) == 1  # a hostile value cannot forge a second one


def test_renders_as_markdown_tables_with_aligned_rows(blocked_report: Report) -> None:
    rendered = to_html(render_markdown(blocked_report))
    assert rendered.count("<table>") == 2
    for table in re.findall(r"<table>.*?</table>", rendered, re.S):
        head = len(re.findall(r"<th[ >]", table.split("</thead>")[0]))
        for row in re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>")[1], re.S):
            assert len(re.findall(r"<td", row)) == head


def test_hostile_strings_show_as_text(hostile_report: Report) -> None:
    text = render_markdown(hostile_report)
    rendered = to_html(text)
    assert "<img" not in rendered
    assert "<script" not in rendered
    assert re.findall(r"<a href=", rendered) == []  # the only link was javascript: (dropped)
    assert "<strong>x</strong>" not in rendered  # **x** did not become bold
    assert "<code>" not in rendered
    assert rendered.count("<details>") == 1  # a value's </details> closed nothing
    shown = visible_text(rendered)
    assert HOSTILE in shown
    assert SCRIPT in shown
    assert "@octocat" not in shown  # a word joiner keeps GitHub from pinging anyone
    assert "\x1b" not in text and "\x00" not in text
    for table in re.findall(r"<table>.*?</table>", rendered, re.S):
        head = len(re.findall(r"<th[ >]", table.split("</thead>")[0]))
        rows = re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>")[1], re.S)
        assert all(len(re.findall(r"<td", row)) == head for row in rows)  # "|" split no cell


@pytest.mark.parametrize("limit", [65_000, 20_000, 3_000])
def test_long_comments_are_shortened_with_a_note(huge_report: Report, limit: int) -> None:
    text = render_markdown(huge_report, max_chars=limit)
    assert len(text) <= limit
    lines = text.rstrip("\n").splitlines()
    assert lines[0].startswith(
        r"**❌ Blocked:** data.expect.segment\_s0000.in\_set: segment\_s0000"
    )
    assert lines[-1] == MARKER
    assert "This comment was shortened to stay under" in text
    listed = len(re.findall(r"^\| ❌ \|", text, re.M))
    hidden = int(re.search(r"…and (\d+) more failing or warning gates", text).group(1))
    assert listed + hidden == 600
    assert "300 passing gates (list left out" in text


def test_a_comment_that_fits_is_not_shortened(blocked_report: Report) -> None:
    text = render_markdown(blocked_report)
    assert len(text) < 65_000
    assert "shortened" not in text
