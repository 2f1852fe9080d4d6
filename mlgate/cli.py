"""Command-line wiring only: argparse, then `commands/<name>.py:run(args)`, one error boundary.

Nothing heavy is imported here: `mlgate --help` and `--version` must answer at once.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from mlgate import __version__
from mlgate.commands.init import PROFILE  # light: the suite path named in the help
from mlgate.errors import ExitCode

COMMENT_MODES = ("always", "on-failure", "on-change", "never", "per-model")


class Parser(argparse.ArgumentParser):
    """argparse whose usage errors exit 2 with one line (the contract's "bad command line")."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(ExitCode.USAGE, f"mlgate: error: {message} (see `{self.prog} --help`)\n")


def _config_args(parser: argparse.ArgumentParser, *, several: bool = False) -> None:
    if several:
        parser.add_argument(
            "-c",
            "--config",
            metavar="FILE",
            action="append",
            help="config file (default: mlgate.yaml, else [tool.mlgate] in pyproject.toml); "
            "repeat it, or give a quoted glob, to run several named configs",
        )
        parser.add_argument(
            "--name",
            metavar="NAME",
            help="name this gate (overrides the config's `name:`; one config only)",
        )
        parser.add_argument(
            "--changed",
            action="store_true",
            help="run only the configs whose inputs changed relative to the base branch",
        )
    else:
        parser.add_argument(
            "-c",
            "--config",
            metavar="FILE",
            help="config file (default: mlgate.yaml, else [tool.mlgate] in pyproject.toml)",
        )
    parser.add_argument("--out", metavar="DIR", help="report folder (default: report.dir)")
    parser.add_argument("--baseline", metavar="SPEC", help="override models.baseline for this run")


def _publish_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--comment",
        choices=COMMENT_MODES,
        default=None,
        help="when to post the PR/MR comment (default: always); per-model: several configs "
        "post one comment each instead of one together",
    )
    parser.add_argument(
        "--require-publish",
        action="store_true",
        help="a publish failure fails the run (exit 3) instead of a warning",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="mlgate",
        description="Gate ML changes in CI: data checks, model metrics and performance budgets, "
        "compared against the production baseline.",
        epilog="exit codes: 0 pass · 1 a blocking gate failed · 2 bad command line or config · "
        "3 could not evaluate · 4 bug in mlgate · 130 interrupted (143 on SIGTERM)",
    )
    parser.add_argument("--version", action="version", version=f"mlgate {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    run = sub.add_parser("run", help="run the gate: measure, compare, write reports")
    _config_args(run, several=True)
    run.add_argument(
        "--publish", action="store_true", help="post the report to the PR/MR of the CI this runs in"
    )
    _publish_args(run)
    run.add_argument(
        "--log-to-mlflow",
        action="store_true",
        help="log the gate run to MLflow (MLFLOW_TRACKING_URI; see publish.mlflow)",
    )
    run.add_argument("-q", "--quiet", action="store_true", help="no terminal summary")

    check = sub.add_parser(
        "check", help="local pre-merge check against the default branch; never posts"
    )
    _config_args(check, several=True)

    publish = sub.add_parser("publish", help="post an existing report (fork-safe: loads no model)")
    publish.add_argument(
        "report",
        nargs="?",
        default="mlgate-report/report.json",
        help="report.json or its folder (default: mlgate-report/report.json)",
    )
    _publish_args(publish)

    fork = sub.add_parser(
        "fork-evaluate",
        help="trusted job of a fork PR: evaluate the fork's model artifact with this checkout's "
        "config and post the verdict",
        description="Run in the trusted job that follows a fork's pull_request run (GitHub: "
        "workflow_run; GitLab: the parent project's MR pipeline), on a checkout of the base "
        "branch. Takes only the candidate model file from the fork's artifact (at the path "
        "models.candidate names; skops, ONNX, booster or predictions files, never a pickle or "
        "a factory), evaluates it with the base config, and posts the `mlgate` check. The "
        "fork's report.json is only a pointer; the PR is bound to the triggering run.",
    )
    fork.add_argument(
        "artifact",
        metavar="ARTIFACT",
        help="the folder the fork's artifact was downloaded to (outside the checkout), or the "
        "candidate file itself",
    )
    fork.add_argument(
        "--from-run",
        metavar="NAME",
        help="GitHub: first download the artifact NAME of the triggering run "
        "(workflow_run.id, from the event) and unpack it into ARTIFACT",
    )
    _config_args(fork)
    _publish_args(fork)
    fork.add_argument("-q", "--quiet", action="store_true", help="no terminal summary")

    baseline = sub.add_parser("baseline", help="manage the production baseline")
    baseline_sub = baseline.add_subparsers(
        dest="baseline_command", metavar="ACTION", parser_class=Parser, required=True
    )
    save = baseline_sub.add_parser(
        "save", help="record the current model and metrics as the baseline"
    )
    _config_args(save)
    save.add_argument(
        "--to", metavar="DIR", help="where to write the baseline (default: mlgate-baseline)"
    )

    hist = sub.add_parser(
        "history", help="print the metric history the baseline carries (history.jsonl)"
    )
    hist.add_argument(
        "-c",
        "--config",
        metavar="FILE",
        help="config file (default: mlgate.yaml, else [tool.mlgate] in pyproject.toml)",
    )
    hist.add_argument("--gate", metavar="ID", help="only this gate (default: every gate)")
    hist.add_argument("--json", action="store_true", help="machine-readable output")
    hist.add_argument("--baseline", metavar="SPEC", help="read this baseline, not models.baseline")

    demo = sub.add_parser("demo", help="build the bundled example project and run the gate on it")
    demo.add_argument("dir", nargs="?", default="mlgate-demo", help="folder to build it in")

    init = sub.add_parser("init", help="write a commented starter mlgate.yaml and a CI snippet")
    init.add_argument(
        "--ci",
        choices=("github", "gitlab", "none", "auto"),
        default="auto",
        help="which CI snippet to write (default: detect)",
    )
    init.add_argument("-c", "--config", metavar="FILE", default="mlgate.yaml")
    init.add_argument(
        "--from-reference",
        action="store_true",
        help="also profile data.reference into a Great Expectations suite to review and commit "
        f"({PROFILE}; with an existing config, only the suite is written)",
    )

    schema = sub.add_parser("schema", help="print the JSON Schema of mlgate.yaml or report.json")
    schema.add_argument(
        "--report",
        action="store_true",
        help="print the JSON Schema of report.json (mlgate.report/v1) instead",
    )

    render = sub.add_parser("render", help="re-render a report.json without recomputing")
    render.add_argument("report", help="report.json")
    render.add_argument(
        "--format", default="all", choices=("all", "md", "html", "junit", "metrics")
    )
    render.add_argument("--out", metavar="DIR", help="folder (default: the report's own folder)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: parse, dispatch, and map every exception to its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return ExitCode.USAGE
    name = args.command if args.command != "baseline" else f"baseline_{args.baseline_command}"
    name = name.replace("-", "_")
    return run_command(name, args)


def run_command(name: str, args: argparse.Namespace) -> int:
    """The one error boundary: MlgateError -> its lines and exit code; anything else -> exit 4.

    A SIGINT or SIGTERM wins over whatever the command made of it (a library that turned the
    interrupt into an error, or swallowed it): "mlgate: interrupted", exit 130 or 143.
    """
    from mlgate.support import interrupts

    interrupts.install()
    try:
        code = _dispatch(name, args)
    except KeyboardInterrupt:
        code = None
    if code is None or interrupts.received() is not None:
        interrupts.settle()
        print("mlgate: interrupted", file=sys.stderr)
        code = interrupts.exit_code()
        interrupts.end_now_if_threads_linger(code)
        import gc

        gc.freeze()  # no last collection of a heap full of pandas and scikit-learn at exit
    return code


def _dispatch(name: str, args: argparse.Namespace) -> int | None:
    """The command's exit code; None when it was interrupted (printed by the caller)."""
    from mlgate.errors import MlgateError
    from mlgate.support.interrupts import received

    try:
        module = importlib.import_module(f"mlgate.commands.{name}")
        return int(module.run(args))
    except MlgateError as exc:
        if received() is not None:
            return None
        for line in exc.lines():
            print(f"mlgate: error: {line}", file=sys.stderr)
        return int(exc.exit_code)
    except BrokenPipeError:
        return ExitCode.OK
    except Exception:
        if received() is not None:
            return None
        import traceback

        traceback.print_exc()
        print(
            f"mlgate: internal error (mlgate {__version__}). This is a bug in mlgate, not in your "
            "project: please report it with the traceback above.",
            file=sys.stderr,
        )
        return ExitCode.BUG


if __name__ == "__main__":
    raise SystemExit(main())
