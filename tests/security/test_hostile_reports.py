"""Forged report.json artifacts (issue 12.7-12.9): strict reading, exit 3 with one line (never 4),
no workflow command printed from report text, no local file read in publish mode, references
neutralised in Markdown."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from support.github_fake import FakeGitHub
from support.report_fixtures import build_blocked

from mlgate.errors import InputError
from mlgate.publish import PublishOptions
from mlgate.publish.github import PUBLISHER
from mlgate.records import Report
from mlgate.report import read_report, render
from mlgate.report.filters import md, threshold

WJ = "\u2060"


def good() -> dict[str, Any]:
    return json.loads(json.dumps(build_blocked().to_dict()))


def forged(tmp_path: Path, doc: dict[str, Any] | str) -> Path:
    path = tmp_path / "art" / "report.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    return path


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GITLAB_", "CI"))}
    return subprocess.run(
        [sys.executable, "-m", "mlgate", *args],
        capture_output=True,
        text=True,
        env={**base, **(env or {})},
        timeout=120,
    )


def _with(change: Any) -> dict[str, Any]:
    doc = good()
    change(doc)
    return doc


BAD = {
    "unknown status": (
        lambda d: d["gates"][0].update(status="pwned"),
        "gates[0].status: expected one of pass, warn, fail, error, waived, skipped, got 'pwned'",
    ),
    "unknown verdict": (
        lambda d: d.update(verdict="approved"),
        "verdict: expected one of pass, fail, error, got 'approved'",
    ),
    "pull_request not an object": (
        lambda d: d["context"].update(pull_request="42"),
        "context.pull_request: expected an object, got '42'",
    ),
    "pull_request number not a number": (
        lambda d: d["context"].update(pull_request={"number": "1; rm"}),
        "context.pull_request.number: expected a whole number, got '1; rm'",
    ),
    "gates not a list": (lambda d: d.update(gates=7), "gates: expected a list, got 7"),
    "candidate a string": (
        lambda d: d["gates"][0].update(candidate="0.9"),
        "gates[0].candidate: expected a number or null, got '0.9'",
    ),
    "blocking a string": (
        lambda d: d["gates"][0].update(blocking="no"),
        "gates[0].blocking: expected true or false, got 'no'",
    ),
    "a key with newlines and a workflow command": (
        lambda d: d["gates"][0].update({"x\n::error::pwned": 1}),
        "gates[0]: unknown key 'x\\n:\\u2060:error:\\u2060:pwned'",
    ),
    "threshold an object": (
        lambda d: d["gates"][0].update(threshold={"min": {"a": 1}}),
        "gates[0].threshold.min: expected a number or a string, got {'a': 1}",
    ),
    "ci of three": (
        lambda d: d["gates"][0].update(ci=[1, 2, 3]),
        "gates[0].ci: expected a pair of numbers, got [1, 2, 3]",
    ),
    "error not a string": (
        lambda d: d.update(errors=[{"x": 1}]),
        "errors[0]: expected a string, got {'x': 1}",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_forged_report_is_one_line_naming_the_key(tmp_path: Path, case: str) -> None:
    change, problem = BAD[case]
    path = forged(tmp_path, _with(change))
    with pytest.raises(InputError) as info:
        read_report(path)
    assert info.value.exit_code == 3
    assert info.value.lines() == [
        f"{path}: not a valid mlgate report: {problem} (pass the report.json that `mlgate run` "
        "wrote, e.g. mlgate-report/report.json)"
    ]


@pytest.mark.parametrize("command", ["render", "publish"])
@pytest.mark.parametrize(
    "case",
    ["unknown status", "pull_request not an object", "a key with newlines and a workflow command"],
)
def test_render_and_publish_exit_3_in_one_line_on_a_forged_report(
    tmp_path: Path, command: str, case: str
) -> None:
    path = forged(tmp_path, _with(BAD[case][0]))
    out = cli(command, str(path))
    assert out.returncode == 3, out.stderr
    lines = out.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"mlgate: error: {path}: not a valid"), lines
    assert "Traceback" not in out.stderr


def test_a_report_nested_thousands_deep_is_exit_3(tmp_path: Path) -> None:
    doc = json.dumps(good())[:-1] + ', "diagnostics": ' + "[" * 100_000 + "]" * 100_000 + "}"
    out = cli("render", str(forged(tmp_path, doc)), "--format", "md")
    assert out.returncode == 3, out.stderr[-500:]
    assert len(out.stderr.splitlines()) == 1


def test_lone_surrogates_and_controls_are_cleaned_and_render(tmp_path: Path) -> None:
    doc = good()
    doc["gates"][0]["message"] = "bad \ud800 value \x1b[31m\x00 \u202e"
    doc["context"]["commit"] = "\udfff" * 3
    path = forged(tmp_path, json.dumps(doc))  # json escapes the surrogates: valid UTF-8 on disk
    report = read_report(path)
    assert report.gates[0].message == "bad \ufffd value [31m "
    out = cli("render", str(path), "--format", "md")
    assert out.returncode == 0, out.stderr
    for fmt in ("md", "html", "junit", "metrics"):
        render(report, fmt).encode("utf-8")  # never a UnicodeEncodeError


def test_braces_in_a_threshold_key_render_as_text(tmp_path: Path) -> None:
    assert threshold({"{0.__class__}": 1, "{": "2"}) == "{0.  class  } 1 · { 2"
    doc = good()
    doc["gates"][0]["threshold"] = {"{0}{1}{": 0.5, "max_{drop}": 1}
    path = forged(tmp_path, doc)
    for fmt in ("md", "html", "junit", "metrics"):
        out = cli("render", str(path), "--format", fmt)
        assert out.returncode == 0, (fmt, out.stderr)


def test_no_string_of_a_report_can_form_a_workflow_command() -> None:
    doc = good()
    doc["gates"][0]["message"] = "x\n::error file=a::pwned ##[error]pwned"
    doc["errors"] = ["::add-mask::x", "  ::warning::y"]
    report = Report.from_dict(doc)
    texts = [report.gates[0].message, *report.errors]
    assert texts == [
        f"x\n:{WJ}:error file=a:{WJ}:pwned ##{WJ}[error]pwned",
        f":{WJ}:add-mask:{WJ}:x",
        f"  :{WJ}:warning:{WJ}:y",
    ]


def _hostile_artifact(tmp_path: Path, secret: Path) -> Path:
    doc = good()
    doc["context"].pop("job_url", None)
    doc["context"]["config"] = str(secret)
    doc["context"]["commit"] = None
    doc["gates"][0].update(name="roc_auc", message="dropped\n::error::pwned ##[warning]x")
    doc["errors"] = ["a\r\n::set-output name=verdict::pass"]
    return forged(tmp_path, doc)


@pytest.fixture
def gh(httpserver_ipv4: Any) -> FakeGitHub:
    return FakeGitHub(httpserver_ipv4).install()


def test_publish_prints_no_command_of_the_report_and_reads_no_file_it_names(
    gh: FakeGitHub, tmp_path: Path
) -> None:
    """`mlgate publish` of a forged artifact: every printed line is inert, and the file named
    by `context.config` (a secret on the runner) is never opened: annotations say line 1."""
    secret = tmp_path / "secret.txt"
    secret.write_text("one\ntwo\nthree\nroc_auc = hunter2\n")
    path = str(_hostile_artifact(tmp_path, secret))
    ci = tmp_path / "ci"
    ci.mkdir()
    out = cli("publish", path, env=gh.env(ci))
    assert out.returncode == 0, out.stderr
    for line in (out.stdout + out.stderr).splitlines():
        stripped = line.lstrip()
        if stripped.startswith("::"):  # ours: escaped annotation commands only
            assert stripped.startswith(("::error title=mlgate", "::warning title=mlgate")), line
            assert "::pwned" not in line and "::set-output" not in line, line
        assert "##[" not in line, line
    [check] = gh.check_runs
    lines = {a["start_line"] for a in check["output"]["annotations"]}
    assert lines == set() or lines == {1}, lines  # a secret path is never a location


def test_publish_mode_never_opens_context_config(gh: FakeGitHub, tmp_path: Path) -> None:
    """In-process: the locator gets no file from the report; `run --publish` passes its own."""
    config = tmp_path / "mlgate.yaml"
    config.write_text("version: 1\n\n\n\ngates:\n  model:\n    - metric: roc_auc\n")
    report = Report.from_dict(_with(lambda d: d["context"].update(config="mlgate.yaml")))
    env = gh.env(tmp_path)
    env["GITHUB_WORKSPACE"] = str(tmp_path)
    cwd = Path.cwd()
    os.chdir(tmp_path)
    try:
        PUBLISHER.publish(report, tmp_path / "out", PublishOptions(comment="never"), env)
        published = {
            (a["path"], a["start_line"]) for a in gh.check_runs[-1]["output"]["annotations"]
        }
        PUBLISHER.publish(
            report, tmp_path / "out", PublishOptions(comment="never", config=config), env
        )
        run_mode = {
            (a["path"], a["start_line"]) for a in gh.check_runs[-1]["output"]["annotations"]
        }
    finally:
        os.chdir(cwd)
    assert published == {("mlgate.yaml", 1)}
    assert ("mlgate.yaml", 7) in run_mode


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("fixes #12", f"fixes #{WJ}12"),
        ("acme/churn#3", f"acme/churn#{WJ}3"),
        ("GH-45 and gh-6", f"GH-{WJ}45 and gh-{WJ}6"),
        ("MR !7, milestone %8", f"MR !{WJ}7, milestone %{WJ}8"),
        ("epic &9", f"epic &amp;{WJ}9"),
        ("100% of #a, 5! stays", "100% of #a, 5! stays"),
    ],
)
def test_references_are_neutralised_in_markdown(text: str, expected: str) -> None:
    assert md(text) == expected


def test_the_comment_of_a_report_holds_no_live_reference() -> None:
    doc = good()
    doc["gates"][0]["message"] = "see #1, acme/x#2, GH-3, !4 and %5"
    body = render(Report.from_dict(doc), "md")
    assert "see #\u20601, acme/x#\u20602, GH-\u20603, !\u20604 and %\u20605" in body


def test_a_forged_saved_report_as_baseline_is_exit_3_in_one_line(tmp_path: Path) -> None:
    from mlgate.errors import BaselineError
    from mlgate.load.baseline.resolver import SourceContext, resolve

    path = forged(tmp_path, _with(lambda d: d.update(gates=7)))
    ctx = SourceContext(
        root=tmp_path, cache=tmp_path / "cache", where="mlgate.yaml: models.baseline"
    )
    with pytest.raises(BaselineError) as info:
        resolve(f"report:{path}", ctx)
    assert info.value.lines() == [
        f"mlgate.yaml: models.baseline: saved report {path}: 'gates' is int, expected a list"
        " (point at a report.json written by mlgate (e.g. by `mlgate baseline save`))"
    ]
