"""`mlgate run`: measure, compare, decide, write the reports, optionally publish."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from mlgate.config import LoadedConfig, load_config
from mlgate.errors import ExitCode, MlgateError
from mlgate.pipeline import RunOptions, error_report, execute
from mlgate.records import Report
from mlgate.support import interrupts


def run(args: argparse.Namespace) -> int:
    folder = Folder()
    with on_interrupt(folder):
        report, out_dir, loaded = gate(args, folder=folder)
        code = finish(report, out_dir, quiet=getattr(args, "quiet", False))
        if getattr(args, "publish", False):
            _publish(report, out_dir, args, loaded)
        if getattr(args, "log_to_mlflow", False) or loaded.config.publish.mlflow:
            _log_to_mlflow(report, out_dir, args, loaded)
    return code


@dataclass
class Folder:
    """The report folder of the running command, once known (an interrupt reports there)."""

    path: Path | None = None


@contextlib.contextmanager
def on_interrupt(folder: Folder) -> Iterator[None]:
    """After a SIGINT/SIGTERM, however the block ended, leave a report.json that says so.

    The folder then holds either its previous reports (the signal came before the folder was
    known) or a complete error report saying the run was interrupted, never half of one.
    """
    try:
        yield
    finally:
        if interrupts.received() is not None and folder.path is not None:
            write_interrupted_report(folder.path)


def write_interrupted_report(out_dir: Path) -> None:
    """Best effort, like write_error_report: the report of a run stopped by a signal."""
    from mlgate.report import write_reports

    with contextlib.suppress(Exception):  # the interrupt is what the user needs to see
        write_reports(error_report([interrupts.message()]), out_dir)


def checkpoint(_step: str) -> None:
    """Between the pipeline's steps: an interrupt some library swallowed stops the run here."""
    interrupts.check()


def gate(
    args: argparse.Namespace, *, baseline: str | None = None, folder: Folder | None = None
) -> tuple[Report, Path, LoadedConfig]:
    """Load the config, run the pipeline; on a run-level error write an error report, re-raise."""
    out_dir = Path(args.out) if getattr(args, "out", None) else None
    loaded = None
    folder = folder or Folder()
    try:
        loaded = load_config(args.config)
        out_dir = folder.path = out_dir or loaded.resolve(loaded.config.report.dir)
        accepted = _accepted(loaded) if getattr(args, "publish", False) else None
        options = RunOptions(
            out_dir=out_dir,
            baseline=baseline or args.baseline,
            accepted=accepted,
            progress=checkpoint,
        )
        report = execute(loaded, options)
        interrupts.check()
        return report, out_dir, loaded
    except MlgateError as exc:
        if interrupts.received() is not None:  # an interrupt turned into an error
            raise
        write_error_report(
            exc, out_dir or Path(loaded.config.report.dir if loaded else "mlgate-report")
        )
        raise


def finish(report: Report, out_dir: Path, *, quiet: bool = False) -> int:
    """Write every report file, show the terminal summary, and return the exit code."""
    from mlgate.decide import exit_code
    from mlgate.report import write_reports

    interrupts.check()
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
    if interrupts.received() is not None:
        return  # the interrupted report is written instead (on_interrupt)
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
    return load_publisher(platform).accepted(loaded.config.publish.accept_label)


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


def _log_to_mlflow(
    report: Report, out_dir: Path, args: argparse.Namespace, loaded: LoadedConfig
) -> None:
    from mlgate.publish.mlflow import publish

    settings = loaded.config.publish.mlflow
    models = loaded.config.models
    line = publish(
        report,
        out_dir,
        experiment=settings.experiment if settings else None,
        candidate_spec=models.candidate.source if models else None,
        require_publish=bool(getattr(args, "require_publish", False)),
    )
    print(f"mlgate: {line}", file=sys.stderr)


__all__ = [
    "ExitCode",
    "Folder",
    "checkpoint",
    "finish",
    "gate",
    "on_interrupt",
    "run",
    "write_error_report",
]
