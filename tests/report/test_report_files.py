"""write_reports / read_report / `mlgate render`: real files, the CLI as a subprocess."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from mlgate.errors import ConfigError, InputError
from mlgate.records import Report
from mlgate.report import FILENAMES, RENDERERS, RenderError, read_report, render, write_reports


def test_a_blocked_run_writes_all_five_outputs(blocked_report: Report, tmp_path: Path) -> None:
    out = tmp_path / "deep" / "mlgate-report"
    written = write_reports(blocked_report, out)
    assert {fmt: p.name for fmt, p in written.items()} == FILENAMES
    assert sorted(p.name for p in out.iterdir()) == sorted(FILENAMES.values())  # no temp files
    doc = json.loads((out / "report.json").read_text())
    assert doc == json.loads(json.dumps(blocked_report.to_dict()))
    assert (out / "report.md").read_text().startswith("**❌ Blocked:** roc\\_auc dropped 0.031")
    cases = ET.parse(out / "junit.xml").getroot().findall(".//testcase")
    assert len(cases) == len(blocked_report.gates)
    assert (out / "metrics.txt").read_text().endswith("# EOF\n")
    assert "<svg" in (out / "report.html").read_text()
    umask = os.umask(0)
    os.umask(umask)
    modes = {p.name: p.stat().st_mode & 0o777 for p in out.iterdir()}
    assert set(modes.values()) == {0o666 & ~umask}  # readable like any file the user writes


def test_a_renderer_that_raises_never_costs_report_json(
    blocked_report: Report, tmp_path: Path
) -> None:
    def broken(report: Report) -> str:
        raise ZeroDivisionError("a bug in a renderer")

    renderers = {**RENDERERS, "html": broken}
    with pytest.raises(
        RenderError, match=r"could not render report\.html \(ZeroDivisionError"
    ) as err:
        write_reports(blocked_report, tmp_path, renderers=renderers)
    assert isinstance(err.value.__cause__, ZeroDivisionError)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "junit.xml",
        "metrics.txt",
        "report.json",
        "report.md",
    ]
    assert read_report(tmp_path / "report.json").verdict == "fail"


def test_json_is_written_first(blocked_report: Report, tmp_path: Path) -> None:
    """The files are one set (issue 21): while the views render nothing new is visible yet;
    then report.json is renamed in first, the views after it."""
    seen: list[list[str]] = []

    def spy(fmt: str):  # records which files exist when each rendering runs
        def renderer(report: Report) -> str:
            seen.append(sorted(p.name for p in tmp_path.iterdir()))
            return RENDERERS[fmt](report)

        return renderer

    renderers = {fmt: spy(fmt) if fmt != "json" else RENDERERS["json"] for fmt in RENDERERS}
    written = write_reports(blocked_report, tmp_path, ("md", "junit", "json"), renderers=renderers)
    assert seen == [[], []]
    assert list(written) == ["json", "md", "junit"]  # the order of the renames


def test_unknown_format_is_a_config_error(blocked_report: Report, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"unknown report format 'pdf'; expected one of json, md"):
        write_reports(blocked_report, tmp_path, ("md", "pdf"))
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ConfigError):
        render(blocked_report, "pdf")


def test_rewriting_replaces_files_atomically(blocked_report: Report, tmp_path: Path) -> None:
    write_reports(blocked_report, tmp_path)
    before = (tmp_path / "report.md").stat().st_ino
    write_reports(blocked_report, tmp_path)
    assert (tmp_path / "report.md").stat().st_ino != before  # a new file moved into place
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(FILENAMES.values())


def test_round_trip(any_report: tuple[str, Report], tmp_path: Path) -> None:
    _, report = any_report
    write_reports(report, tmp_path, ("json",))
    again = read_report(tmp_path)  # a folder means its report.json
    # reading drops control characters (issue 12: a forged report is sanitised); nothing else
    expected = re.sub(
        r"(\\u00(0[0-8]|0[bcBC]|0[e-fE-F]|1[0-9a-fA-F]))", "", json.dumps(report.to_dict())
    )
    assert again.to_dict() == json.loads(expected)
    assert render(again, "md") == render(report, "md")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "report.json: report not found (pass the report.json that `mlgate run` wrote"),
        ("{nope", "report.json:1:2: not valid JSON: Expecting property name enclosed in double"),
        ("[1, 2]", "report.json: not an mlgate report (expected a JSON object)"),
        (
            '{"schema": "other/v9"}',
            "report.json: not an mlgate.report/v1 document (schema: 'other/v9')",
        ),
        (
            '{"schema": "mlgate.report/v1"}',
            "report.json: not a valid mlgate report: verdict: expected one of pass, fail, error, "
            "got None",
        ),
        (
            '{"schema": "mlgate.report/v1", "verdict": "pass", "gates": [{"id": "x", "bogus": 1}]}',
            "report.json: not a valid mlgate report: ",
        ),
        (b"\xff\xfe\x00", "report.json: cannot read the report: 'utf-8' codec can't decode"),
    ],
)
def test_read_report_problems_name_the_file(
    tmp_path: Path, content: str | bytes | None, message: str
) -> None:
    path = tmp_path / "report.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    with pytest.raises(InputError) as err:
        read_report(path)
    assert err.value.exit_code == 3
    assert err.value.lines()[0].startswith(f"{path.parent}/{message}")


# --- `mlgate render`, as a user runs it --------------------------------------------------------


def mlgate(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}  # the output must not depend on the console
    return subprocess.run(
        [sys.executable, "-m", "mlgate", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
    )


@pytest.mark.slow
def test_render_cli(blocked_report: Report, tmp_path: Path) -> None:
    folder = tmp_path / "mlgate-report"
    write_reports(blocked_report, folder, ("json",))
    source = (folder / "report.json").read_bytes()

    one = mlgate("render", "mlgate-report/report.json", "--format", "md", cwd=tmp_path)
    assert one.returncode == 0, one.stderr
    assert one.stdout == render(blocked_report, "md")
    assert sorted(p.name for p in folder.iterdir()) == ["report.json"]  # stdout only

    every = mlgate("render", "mlgate-report/report.json", cwd=tmp_path)
    assert every.returncode == 0, every.stderr
    assert sorted(p.name for p in folder.iterdir()) == sorted(FILENAMES.values())
    assert (folder / "report.json").read_bytes() == source  # the truth is left untouched
    assert (folder / "junit.xml").read_text() == render(blocked_report, "junit")

    other = mlgate("render", "mlgate-report", "--out", "copy", cwd=tmp_path)
    assert other.returncode == 0, other.stderr
    assert sorted(p.name for p in (tmp_path / "copy").iterdir()) == sorted(FILENAMES.values())

    single = mlgate(
        "render", "mlgate-report", "--format", "html", "--out", "html-only", cwd=tmp_path
    )
    assert single.returncode == 0, single.stderr
    assert [p.name for p in (tmp_path / "html-only").iterdir()] == ["report.html"]

    missing = mlgate("render", "nowhere/report.json", cwd=tmp_path)
    assert missing.returncode == 3
    assert missing.stderr.splitlines() == [
        "mlgate: error: nowhere/report.json: report not found (pass the report.json that "
        "`mlgate run` wrote, e.g. mlgate-report/report.json)"
    ]
