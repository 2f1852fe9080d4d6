"""`mlgate publish [REPORT]`: post an existing report; loads no model and runs no project code."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mlgate.errors import ExitCode


def run(args: argparse.Namespace) -> int:
    from mlgate.publish import PublishOptions, publish
    from mlgate.publish.github_workflow import escape_line
    from mlgate.report import read_report

    path = Path(args.report)
    path = path / "report.json" if path.is_dir() else path
    report = read_report(path)
    options = PublishOptions(comment=args.comment or "always", require=args.require_publish)
    for line in publish(report, path.parent, options):
        print(escape_line(f"mlgate: {line}"), file=sys.stderr)  # lines quote the report
    return ExitCode.OK
