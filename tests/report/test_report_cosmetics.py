"""report.md cosmetics: no empty Finding column, no `&quot;`, readable duplicate ids, no numpy
reprs, an interval caption that says when levels differ. Data stays escaped."""

from __future__ import annotations

from dataclasses import replace

from mlgate.records import GateResult, Report
from mlgate.report import filters as f
from mlgate.report.html import render_html
from mlgate.report.markdown import render_markdown


def _relative(gate_id: str, alpha: float | None = None, **extra: object) -> GateResult:
    details: dict[str, object] = {"n": 309, "higher_is_better": False, **extra}
    if alpha is not None:
        details["alpha"] = alpha
    return GateResult(
        id=gate_id,
        kind="model",
        status="fail",
        blocking=True,
        name="mae",
        message="mae rose 1.34",
        candidate=7.28,
        baseline=5.93,
        delta=1.34,
        ci=(0.641, 2.03),
        threshold={"max_increase": 0.5},
        details=details,
    )


def _table(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("|")]


def test_no_finding_column_when_no_row_has_a_finding() -> None:
    report = Report(verdict="fail", gates=(_relative("model.mae"),))
    header, rule, row = _table(render_markdown(report))[:3]
    assert header == "| | Gate | Production | Candidate | Change (95% CI) | Allowed |"
    assert rule == "|:-:|---|--:|--:|--:|---|"
    assert row == r"| ❌ | model.mae | 5.93 | 7.28 | +1.34 (+0.641…+2.03) | increase ≤ 0.5 |"


def test_a_duplicate_slice_gate_shows_a_readable_name_and_keeps_its_id() -> None:
    gate = _relative(
        "model.mae#2[clinic=east]", slice={"column": "clinic", "value": "east", "rows": 309}
    )
    report = Report(verdict="fail", gates=(gate,))
    row = _table(render_markdown(report))[2]
    assert row.startswith(
        "| ❌ | mae (2nd gate) · clinic = east<br><sub>model.mae#\u20602\\[clinic=east\\]</sub> |"
    )


def test_mixed_interval_levels_are_captioned_honestly() -> None:
    gates = (_relative("model.mae"), _relative("model.mae[clinic=east]", alpha=0.025))
    text = render_markdown(Report(verdict="fail", gates=gates, context={"alpha": 0.05}))
    assert _table(text)[0].startswith(
        "| | Gate | Production | Candidate | Change (95% CI, or as stated) |"
    )
    assert "+1.34 (97.5% CI +0.641…+2.03)" in text


def test_quotes_are_not_entities_and_markup_stays_escaped() -> None:
    gate = GateResult(
        id="data.expect_column_values_to_be_in_set.region",
        kind="data",
        status="fail",
        blocking=True,
        name="expect_column_values_to_be_in_set(region)",
        message='region: 3 of 10 values are not in the allowed set ["north", "<b>x</b>"]',
    )
    text = render_markdown(Report(verdict="fail", gates=(gate,)))
    assert "&quot;" not in text
    assert r'allowed set \["north", "&lt;b&gt;x&lt;/b&gt;"\]' in text


def test_numpy_reprs_show_as_their_value_in_every_view() -> None:
    gate = GateResult(
        id="custom.test_rows",
        kind="custom",
        status="fail",
        blocking=True,
        name="test_rows",
        message="assert np.int64(386) == 400 (numpy.float64(0.5))",
    )
    report = Report(verdict="fail", gates=(gate,))
    for text in (render_markdown(report), render_html(report)):
        assert "np.int64" not in text and "numpy.float64" not in text
        assert "assert 386 == 400 (0.5)" in text
    assert f.clean("np.str_('a') np.bool_(True)") == "'a' True"


def test_a_finding_column_stays_when_a_row_has_one(blocked_report: Report) -> None:
    first = _table(render_markdown(replace(blocked_report)))[0]
    assert first.endswith("| Allowed | Finding |")
