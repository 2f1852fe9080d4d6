"""Number formatting and escaping filters: tables of inputs and exact outputs."""

from __future__ import annotations

import pytest

from mlgate.report import filters as f


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (0.8712, "", "0.871"),
        (-0.031, "", "−0.031"),
        (1000, "", "1,000"),
        (1234567.8, "", "1,234,568"),
        (123.456, "", "123.5"),
        (12.345, "ms", "12.35 ms"),
        (3.9, "ms", "3.90 ms"),
        (0.00042, "", "0.00042"),
        (0.0, "", "0"),
        (None, "", "—"),
        (float("nan"), "", "—"),
        (float("inf"), "", "—"),
        (True, "", "—"),  # a flag is not a number
        ("n/a", "", "n/a"),
    ],
)
def test_num(value: object, unit: str, expected: str) -> None:
    assert f.num(value, unit) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(-0.031, "−0.031"), (0.0123, "+0.012"), (0, "±0"), (None, "—")],
)
def test_signed(value: object, expected: str) -> None:
    assert f.signed(value) == expected


@pytest.mark.parametrize(
    ("ci", "unit", "expected"),
    [
        ((-0.041, -0.022), "", "−0.041…−0.022"),
        ([-0.01, 0.02], "ms", "−0.010…+0.020 ms"),
        (None, "", ""),
        ((1.0,), "", ""),
        (("a", "b"), "", ""),
    ],
)
def test_interval(ci: object, unit: str, expected: str) -> None:
    assert f.interval(ci, unit) == expected


@pytest.mark.parametrize(
    ("thresholds", "unit", "baseline", "expected"),
    [
        ({"min": 0.85, "max_drop": 0.005}, "", None, "≥ 0.85 · drop ≤ 0.005"),
        ({"max_drop": "1%"}, "", 0.902, "drop ≤ 1% (0.009)"),
        ({"max_drop": "1%"}, "", None, "drop ≤ 1%"),
        ({"max_increase": "10%", "max": 25}, "ms", 20.0, "≤ 25 ms · increase ≤ 10% (2 ms)"),
        ({"min": 5000}, "rows/s", None, "≥ 5,000 rows/s"),
        ({"tolerance_weird": 3}, "", None, "tolerance weird 3"),
        ({}, "", None, ""),
        (None, "", None, ""),
    ],
)
def test_threshold(thresholds: object, unit: str, baseline: object, expected: str) -> None:
    assert f.threshold(thresholds, unit, baseline) == expected


@pytest.mark.parametrize(
    ("alpha", "expected"), [(0.05, "95% CI"), (0.1, "90% CI"), (0.01, "99% CI"), (None, "95% CI")]
)
def test_confidence(alpha: object, expected: str) -> None:
    assert f.confidence(alpha) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "<img src=x onerror=alert(1)>|**x**",
            r"&lt;img src=x onerror=alert(1)&gt;\|\*\*x\*\*",
        ),
        ("roc_auc", r"roc\_auc"),
        ("[click](javascript:alert(1))", r"\[click\](javascript:alert(1))"),
        ("a\nb\r\nc\td", "a b c d"),
        ("`code` ~strike~", r"\`code\` \~strike\~"),
        ("@octocat hi", "@\u2060octocat hi"),
        ("see https://evil.example", r"see https\://evil.example"),
        ("www.evil.example", r"www\.evil.example"),
        ("x\x1b[31my\u202ez\x00", r"x\[31myz"),
        ("&lt;", "&amp;lt;"),
        ("<!-- mlgate:report -->", "&lt;!-- mlgate:report --&gt;"),
    ],
)
def test_md_escapes_text_from_data(text: str, expected: str) -> None:
    assert f.md(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("- item", r"\- item"), ("12. x", r"12\. x"), ("# title", r"\# title"), ("+1", r"\+1")],
)
def test_md_escapes_line_start_structure(text: str, expected: str) -> None:
    assert f.md(text, line_start=True) == expected
    assert f.md(text) == text  # mid-line these mean nothing


def test_md_clips_long_text() -> None:
    assert f.md("a" * 500, 10) == "a" * 9 + "…"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://ci.example/jobs/1", "https://ci.example/jobs/1"),
        ("javascript:alert(1)", None),
        ("data:text/html,<script>", None),
        ("https://x.example/a b", None),
        ("https://x.example/a)(<b>", "https://x.example/a%29%28%3Cb%3E"),
        (None, None),
    ],
)
def test_md_url_only_http(url: object, expected: str | None) -> None:
    assert f.md_url(url) == expected


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (("mlgate", "model.roc_auc"), "mlgate_model_roc_auc"),
        (("mlgate", "model.accuracy[country=FR]"), "mlgate_model_accuracy_country_fr"),
        (("mlgate", "data.drift.<img src=x>|**x**"), "mlgate_data_drift_img_src_x_x"),
        (("9lives",), "_9lives"),
    ],
)
def test_metric_name(parts: tuple[str, ...], expected: str) -> None:
    assert f.metric_name(*parts) == expected


def test_xml_text_drops_characters_xml_cannot_carry() -> None:
    assert f.xml_text("a\x00b\x1bc\ud800d\ufffee") == "abcde"


def test_join_shows_nulls_and_counts_the_rest() -> None:
    assert f.join([None, "a", 3, "b"], limit=2) == "null, a and 2 more"
