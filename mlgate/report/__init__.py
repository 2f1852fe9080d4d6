"""Render the report: `report.json` is the truth; md, html, junit and metrics are views of it.

`write_reports` renders every format, then writes the files as one set (mlgate.support.fs:
every temporary file, then the renames, under a lock of the folder): a reader never sees half a
file, a full disk or a read-only folder leaves the previous set whole, two runs writing one
folder never mix their files, and a SIGINT/SIGTERM waits until the renames are done. A
rendering that raises (a bug) never costs the report: the other formats are still written, and
afterwards one `RenderError` names what failed, chained to the first exception (so the
traceback shows it).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from mlgate.errors import ConfigError, InputError
from mlgate.records import Report
from mlgate.support.fs import write_atomic_set

FILENAMES = {
    "json": "report.json",
    "md": "report.md",
    "html": "report.html",
    "junit": "junit.xml",
    "metrics": "metrics.txt",
}
FORMATS = tuple(FILENAMES)


class RenderError(RuntimeError):
    """One or more renderings raised (a bug in mlgate); report.json was still written."""


def _json(report: Report) -> str:
    return json.dumps(report.to_dict(), indent=2, allow_nan=False) + "\n"


def _markdown(report: Report) -> str:
    from mlgate.report.markdown import render_markdown

    return render_markdown(report)


def _html(report: Report) -> str:
    from mlgate.report.html import render_html

    return render_html(report)


def _junit(report: Report) -> str:
    from mlgate.report.junit import render_junit

    return render_junit(report)


def _metrics(report: Report) -> str:
    from mlgate.report.openmetrics import render_metrics

    return render_metrics(report)


RENDERERS: dict[str, Callable[[Report], str]] = {
    "json": _json,
    "md": _markdown,
    "html": _html,
    "junit": _junit,
    "metrics": _metrics,
}


def render(report: Report, fmt: str) -> str:
    """The report in one format ("json", "md", "html", "junit" or "metrics")."""
    if fmt not in RENDERERS:
        raise _unknown(fmt)
    return RENDERERS[fmt](report)


def _unknown(fmt: str) -> ConfigError:
    return ConfigError(f"unknown report format {fmt!r}; expected one of {', '.join(FORMATS)}")


def write_reports(
    report: Report,
    out_dir: Path,
    formats: Iterable[str] = FORMATS,
    *,
    renderers: Mapping[str, Callable[[Report], str]] = RENDERERS,
) -> dict[str, Path]:
    """Write the report files into `out_dir` (created); returns {format: path} of those written.

    Every rendering first, then the files as one set (report.json renamed first). If
    renderings raise, the others are still written and a RenderError is raised at the end,
    chained to the first. A file that cannot be written is an InputError naming it, and then
    none of the set is replaced.
    `renderers` maps a format to its function (a seam for third-party views and for tests).
    """
    wanted = list(dict.fromkeys(formats))
    unknown = [fmt for fmt in wanted if fmt not in renderers or fmt not in FILENAMES]
    if unknown:
        raise _unknown(unknown[0])
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{out}: cannot create the report folder: {exc.strerror or exc}") from None
    order = sorted(wanted, key=lambda fmt: fmt != "json")  # the truth before any view of it
    texts: dict[str, str] = {}
    failures: list[tuple[str, BaseException]] = []
    for fmt in order:
        try:
            texts[fmt] = renderers[fmt](report)
        except Exception as exc:  # a renderer bug must not cost the other files
            failures.append((fmt, exc))
    paths = {fmt: out / FILENAMES[fmt] for fmt in texts}
    try:
        write_atomic_set({paths[fmt]: text for fmt, text in texts.items()})
    except OSError as exc:  # a full disk or a read-only folder: the user's to fix
        failed = Path(str(exc.filename)) if exc.filename else out
        # a temporary sibling (.report.json.tmp-…) is named by the file it was to become
        named = [p for p in paths.values() if failed.name.startswith(f".{p.name}.")]
        raise InputError(
            f"{named[0] if named else failed}: cannot write the report: {exc.strerror or exc}"
        ) from None
    if failures:
        names = ", ".join(
            f"{FILENAMES[fmt]} ({type(exc).__name__}: {exc})" for fmt, exc in failures
        )
        raise RenderError(
            f"could not render {names}; the other files were written to {out}"
        ) from failures[0][1]
    return paths


def read_report(path: Path) -> Report:
    """Read a report.json (or the report.json inside a folder); problems are InputError (exit 3)."""
    path = Path(path)
    if path.is_dir():
        path = path / FILENAMES["json"]
    hint = "pass the report.json that `mlgate run` wrote, e.g. mlgate-report/report.json"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: report not found", hint=hint) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the report: {exc}") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{path}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}", hint=hint
        ) from None
    except RecursionError:  # a forged document nested thousands of levels deep
        raise InputError(
            f"{path}: not a valid mlgate report: nested too deeply", hint=hint
        ) from None
    if not isinstance(doc, dict):
        raise InputError(f"{path}: not an mlgate report (expected a JSON object)", hint=hint)
    try:
        return Report.from_dict(doc)
    except ValueError as exc:
        raise InputError(f"{path}: {exc}", hint=hint) from None
    except (TypeError, KeyError, AttributeError) as exc:
        # the exception's text may quote the document: name its type only
        raise InputError(
            f"{path}: not a valid mlgate report ({type(exc).__name__})", hint=hint
        ) from None
