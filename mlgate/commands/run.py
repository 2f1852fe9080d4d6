"""`mlgate run`: measure, compare, decide, write the reports, optionally publish."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mlgate.config import LoadedConfig, load_config
from mlgate.errors import ExitCode, MlgateError
from mlgate.pipeline import RunOptions, error_report, execute
from mlgate.records import Report


def run(args: argparse.Namespace) -> int:
    report, out_dir, loaded = gate(args)
    code = finish(report, out_dir, quiet=getattr(args, "quiet", False))
    if getattr(args, "publish", False):
        _publish(report, out_dir, args, loaded)
    return code


def gate(
    args: argparse.Namespace, *, baseline: str | None = None
) -> tuple[Report, Path, LoadedConfig]:
    """Load the config, run the pipeline; on a run-level error write an error report, re-raise."""
    out_dir = Path(args.out) if getattr(args, "out", None) else None
    loaded = None
    try:
        loaded = load_config(args.config)
        out_dir = out_dir or loaded.resolve(loaded.config.report.dir)
        accepted = _accepted(loaded) if getattr(args, "publish", False) else None
        options = RunOptions(out_dir=out_dir, baseline=baseline or args.baseline, accepted=accepted)
        return execute(loaded, options), out_dir, loaded
    except MlgateError as exc:
        write_error_report(
            exc, out_dir or Path(loaded.config.report.dir if loaded else "mlgate-report")
        )
        raise


def finish(report: Report, out_dir: Path, *, quiet: bool = False) -> int:
    """Write every report file, show the terminal summary, and return the exit code."""
    from mlgate.decide import exit_code
    from mlgate.report import write_reports

    paths = write_reports(report, out_dir)
    if not quiet:
        from mlgate.report.terminal import print_report

        print_report(report)
        print(f"reports: {paths['json'].parent}", file=sys.stderr)
    elif report.verdict != "pass":  # quiet, but a blocked run still says why in one line
        from mlgate.report.view import headline

        head = headline(report)
        print(f"mlgate: {head.word.lower()}: {head.reason}", file=sys.stderr)
    return int(exit_code(report))


def write_error_report(exc: MlgateError, out_dir: Path) -> None:
    """Best effort: a report that says what happened (never hides the original error).

    Shared by run, check and baseline save: a run that cannot evaluate still leaves report.json.
    """
    try:
        from mlgate.report import write_reports

        write_reports(error_report(exc.lines()), out_dir)
    except Exception:  # the original error is what the user needs to see
        pass


def _accepted(loaded: LoadedConfig) -> str | None:
    """Whether the PR/MR carries the accept-regression label (asked of the platform)."""
    from mlgate.publish import detect_platform, load_publisher

    platform = detect_platform()
    if platform is None:
        return None
    publisher = load_publisher(platform)
    check = getattr(publisher, "accepted", None)
    return check(loaded.config.publish.accept_label) if check else None


def _publish(report: Report, out_dir: Path, args: argparse.Namespace, loaded: LoadedConfig) -> None:
    from mlgate.publish import PublishOptions, publish
    from mlgate.publish.github_workflow import escape_line

    options = PublishOptions(
        comment=args.comment or loaded.config.publish.comment,
        require=args.require_publish,
        config=loaded.path,
    )
    for line in publish(report, out_dir, options):
        print(escape_line(f"mlgate: {line}"), file=sys.stderr)


__all__ = ["ExitCode", "finish", "gate", "run", "write_error_report"]
