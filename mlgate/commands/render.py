"""`mlgate render REPORT_JSON`: re-render a report.json into every format, without recomputing."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mlgate.errors import ExitCode

VIEWS = ("md", "html", "junit", "metrics")


def run(args: argparse.Namespace) -> int:
    """Render `args.report` (a report.json or its folder) as `args.format` ("all" or one format).

    "all" writes every view into `args.out` (default: the report's own folder, whose report.json
    is left untouched; another folder also gets a copy of report.json). A single format without
    --out is printed to stdout; with --out it is written there.
    """
    from mlgate.report import read_report, render, write_reports

    source = Path(args.report)
    report = read_report(source)
    fmt = getattr(args, "format", None) or "all"
    out = getattr(args, "out", None)
    home = source if source.is_dir() else source.parent
    if fmt == "all":
        folder = Path(out) if out else home
        formats = [*VIEWS] if _same(folder, home) else ["json", *VIEWS]
    elif out:
        folder, formats = Path(out), [fmt]
    else:
        text = render(report, fmt)
        stream = getattr(sys.stdout, "buffer", None)
        if stream is not None:  # UTF-8 whatever the console code page (minus signs, ellipses)
            stream.write(text.encode("utf-8"))
            stream.flush()
        else:
            sys.stdout.write(text)
        return ExitCode.OK
    for path in write_reports(report, folder, formats).values():
        print(path)
    return ExitCode.OK


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False
