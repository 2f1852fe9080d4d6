"""report.html without a browser: gold files, standalone (no network, no script), escaping."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from support.report_fixtures import HOSTILE, SCRIPT, check_gold

from mlgate.records import Report
from mlgate.report.html import render_html


class Tags(HTMLParser):
    """Every start tag with its attributes, and the visible text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(text: str) -> Tags:
    tags = Tags()
    tags.feed(text)
    return tags


def test_gold(any_report: tuple[str, Report]) -> None:
    name, report = any_report
    check_gold(f"{name}.html", render_html(report))


def test_standalone_no_script_no_network(any_report: tuple[str, Report]) -> None:
    _, report = any_report
    text = render_html(report)
    tags = parse(text)
    names = {tag for tag, _ in tags.tags}
    assert not names & {"script", "iframe", "object", "embed", "link", "img", "base", "form"}
    for tag, attrs in tags.tags:
        assert not any(key.startswith("on") for key in attrs), (tag, attrs)
        for key in ("src", "srcset", "action", "formaction", "xlink:href"):
            assert key not in attrs, (tag, attrs)
        if tag == "a":
            assert (attrs.get("href") or "").startswith("https://"), attrs
    assert "@import" not in text and "url(" not in text
    csp = [
        a for t, a in tags.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"
    ]
    assert csp and "default-src 'none'" in (csp[0]["content"] or "")


def test_blocked_report_has_every_chart(blocked_report: Report) -> None:
    text = render_html(blocked_report)
    sections = dict(re.findall(r'<section id="(\w+)">(.*?)</section>', text, re.S))
    assert set(sections) == {"changes", "gates", "diagnostics", "slices", "drift", "latency"}
    assert sections["changes"].count("<svg") == 8  # one interval per gate with a change
    assert sections["diagnostics"].count('<svg class="xy"') == 3  # ROC, PR, calibration
    assert sections["diagnostics"].count('<table class="confusion">') == 2
    assert "candidate (AUC 0.9" in sections["diagnostics"]
    assert sections["slices"].count("<svg") == 4 + 1  # four slices and the axis
    assert sections["drift"].count("<svg") == 3
    assert sections["latency"].count('class="sample production"') == 60
    assert 'class="sample candidate"' in sections["latency"]


def test_headline_and_every_gate_are_shown(blocked_report: Report) -> None:
    tags = parse(render_html(blocked_report))
    shown = " ".join(" ".join(tags.text).split())
    assert "Blocked: roc_auc dropped 0.031 (95% CI −0.041…−0.022), allowed 0.005" in shown
    for gate in blocked_report.gates:
        assert gate.id in shown


def test_regression_report_draws_residuals(any_report: tuple[str, Report]) -> None:
    name, report = any_report
    text = render_html(report)
    assert ('aria-label="residuals"' in text) == (name == "regression")


def test_error_report_says_what_went_wrong(error_report: Report) -> None:
    shown = " ".join(parse(render_html(error_report)).text)
    assert "file not found" in shown
    assert "No gate was evaluated" in shown


def test_hostile_strings_are_text(hostile_report: Report) -> None:
    text = render_html(hostile_report)
    tags = parse(text)
    assert not [t for t, _ in tags.tags if t in ("img", "script")]
    shown = "".join(tags.text)
    assert HOSTILE in shown and SCRIPT in shown
    assert "javascript:" not in "".join(str(a.get("href")) for _, a in tags.tags)
    assert "\x1b" not in text and "\x00" not in text
