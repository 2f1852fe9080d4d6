"""junit.xml: parses, one testcase per gate, outcomes by status, hostile text survives as text."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from support.report_fixtures import HOSTILE, HOSTILE_VALUES, SCRIPT, check_gold

from mlgate.records import Report
from mlgate.report.junit import render_junit


def test_gold(any_report: tuple[str, Report]) -> None:
    name, report = any_report
    check_gold(f"{name}.junit.xml", render_junit(report))


def outcome(case: ET.Element) -> str:
    children = [c.tag for c in case if c.tag in ("failure", "error", "skipped")]
    return children[0] if children else "passed"


def test_one_case_per_gate_with_outcome_by_status(any_report: tuple[str, Report]) -> None:
    _, report = any_report
    root = ET.fromstring(render_junit(report))
    suite = root.find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    gate_cases = [c for c in cases if c.get("classname") != "mlgate.run"]
    assert [c.get("name") for c in gate_cases] == [g.id.replace("\x00", "") for g in report.gates]
    expected = {
        "pass": "passed",
        "warn": "passed",
        "fail": "failure",
        "error": "error",
        "waived": "skipped",
        "skipped": "skipped",
    }
    assert [outcome(c) for c in gate_cases] == [expected[g.status] for g in report.gates]
    assert [c.get("classname") for c in gate_cases] == [f"mlgate.{g.kind}" for g in report.gates]
    for key, kind in (("failures", "failure"), ("errors", "error"), ("skipped", "skipped")):
        count = sum(1 for c in cases if outcome(c) == kind)
        assert suite.get(key) == root.get(key) == str(count)
    assert suite.get("tests") == str(len(cases))


def test_failure_carries_the_message_and_the_numbers(blocked_report: Report) -> None:
    root = ET.fromstring(render_junit(blocked_report))
    case = root.find(".//testcase[@name='model.roc_auc']")
    assert case is not None
    failure = case.find("failure")
    assert failure is not None
    assert failure.get("message") == "roc_auc dropped 0.031 (95% CI −0.041…−0.022), allowed 0.005"
    assert failure.get("type") == "regression"
    assert "change: −0.031 (95% CI −0.041…−0.022)" in (failure.text or "")
    assert "allowed: ≥ 0.85 · drop ≤ 0.005" in (failure.text or "")
    warned = root.find(".//testcase[@name='data.drift.country']")
    assert warned is not None
    out = warned.find("system-out")
    assert out is not None and (out.text or "").startswith("warning (does not block): ")
    skipped = root.find(".//testcase[@name='model.accuracy[country=LU]']/skipped")
    assert skipped is not None and "min_rows" in (skipped.get("message") or "")


def test_run_level_errors_become_an_errored_case(error_report: Report) -> None:
    root = ET.fromstring(render_junit(error_report))
    cases = root.findall(".//testcase")
    assert len(cases) == 1
    error = cases[0].find("error")
    assert cases[0].get("classname") == "mlgate.run"
    assert error is not None and "file not found" in (error.get("message") or "")
    assert root.get("errors") == "1"


@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_hostile_text_round_trips_as_text(hostile_report: Report, value: str) -> None:
    text = render_junit(hostile_report)
    root = ET.fromstring(text)  # parses: control characters were dropped, markup escaped
    everything = " ".join(
        [*(e.text or "" for e in root.iter()), *(v for e in root.iter() for v in e.attrib.values())]
    )
    visible = value.replace("\x00", "").replace("\x1b", "").replace("\n", " ")
    assert visible in everything
    assert "<script>" not in text and HOSTILE not in text and SCRIPT not in text
