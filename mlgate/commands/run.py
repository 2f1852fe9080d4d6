"""`mlgate run`: measure, compare, decide, write the reports, optionally publish.

With several configs (`-c a.yaml -c b.yaml`, or a glob), each named one runs in turn and writes
its own report folder; publishing posts a check per model and one combined comment; the exit
code is the worst of them. `--changed` runs only the configs whose inputs changed.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from mlgate.config import LoadedConfig, load_config
from mlgate.errors import ConfigError, ExitCode, MlgateError
from mlgate.pipeline import RunOptions, error_report, execute
from mlgate.records import NAME_PATTERN, Report
from mlgate.support import interrupts

GLOB_CHARS = ("*", "?", "[")


def run(args: argparse.Namespace) -> int:
    folder = Folder()
    with on_interrupt(folder):
        configs = config_files(getattr(args, "config", None))
        name = getattr(args, "name", None)
        if len(configs) > 1 or getattr(args, "changed", False) or name is not None:
            return run_many(args, load_all(configs, name), folder)
        args = argparse.Namespace(**{**vars(args), "config": configs[0]})
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


def config_files(given: str | Sequence[str] | None) -> list[str | None]:
    """The `-c` values with their globs expanded (sorted); [None] when none was given."""
    if given is None or isinstance(given, str):
        return [given]
    found: list[str | None] = []
    for item in given:
        if any(char in item for char in GLOB_CHARS):
            matches = sorted(glob.glob(item, recursive=True))
            if not matches:
                raise ConfigError(
                    f"-c {item}: no file matches this pattern",
                    hint="quote the pattern so the shell leaves it to mlgate, and check the path",
                )
            found += [m for m in matches if m not in found]
        elif item not in found:
            found.append(item)
    return found or [None]


def load_all(configs: Sequence[str | None], name: str | None = None) -> list[LoadedConfig]:
    """Every config loaded (all problems reported at once); names present and distinct.

    `name` (`--name`) overrides the `name:` of a single config.
    """
    if name is not None and len(configs) > 1:
        raise ConfigError(
            f"--name {name}: names one config, but {len(configs)} are given",
            hint="set a `name:` in each config instead",
        )
    loaded: list[LoadedConfig] = []
    problems: list[str] = []
    for path in configs:
        try:
            loaded.append(with_name(load_config(path), name))
        except ConfigError as exc:
            problems += exc.lines()
    if problems:
        raise ConfigError(problems)
    if len(loaded) > 1:
        unnamed = [item.display for item in loaded if not item.config.name]
        if unnamed:
            raise ConfigError(
                f"{' and '.join(unnamed)}: several configs in one run need a name each, "
                f"{'this one has' if len(unnamed) == 1 else 'these have'} none",
                hint="add a top-level `name:` such as churn to each config",
            )
        seen: dict[str, str] = {}
        for item in loaded:
            name = item.config.name or ""
            if name in seen:
                raise ConfigError(
                    f"{seen[name]} and {item.display}: both are named {name!r}; the names of "
                    "the configs of one run must differ",
                    hint="give each config its own `name:`",
                )
            seen[name] = item.display
    return loaded


def with_name(loaded: LoadedConfig, name: str | None) -> LoadedConfig:
    """The config with `--name` as its `name:` (checked like the key)."""
    if name is None:
        return loaded
    if not NAME_PATTERN.fullmatch(name) or set(name) == {"."}:
        raise ConfigError(
            f"--name: expected letters, digits, -, _ or . (1 to 64), e.g. churn, got {name!r}"
        )
    config = loaded.config.model_copy(update={"name": name})
    return replace(loaded, config=config)


def run_many(
    args: argparse.Namespace, loaded: Sequence[LoadedConfig], folder: Folder | None = None
) -> int:
    """Run each config (a failing one does not stop the others), then publish them together."""
    chosen = select(args, loaded)
    if not chosen:
        return ExitCode.OK
    results: list[tuple[Report, Path]] = []
    codes: list[int] = []
    for item in chosen:
        one = argparse.Namespace(**{**vars(args), "config": None})
        if len(loaded) > 1 and one.out:  # --out DIR: each model in DIR/NAME
            one.out = str(Path(one.out) / (item.config.name or ""))
        try:
            report, out_dir, _ = gate(one, loaded=item, folder=folder)
        except MlgateError as exc:
            for line in exc.lines():
                print(f"mlgate: error: {line}", file=sys.stderr)
            codes.append(int(exc.exit_code))
            report, out_dir = _error_of(exc, item), output_dir(one, item)
            results.append((report, out_dir))
            continue
        codes.append(finish(report, out_dir, quiet=getattr(args, "quiet", False)))
        results.append((report, out_dir))
        if getattr(args, "log_to_mlflow", False) or item.config.publish.mlflow:
            _log_to_mlflow(report, out_dir, one, item)
    if getattr(args, "publish", False):
        _publish_many(results, args, chosen)
    return max(codes)


def select(args: argparse.Namespace, loaded: Sequence[LoadedConfig]) -> list[LoadedConfig]:
    """`--changed`: the configs whose inputs changed, saying which were skipped and why."""
    if not getattr(args, "changed", False):
        return list(loaded)
    from mlgate.commands.changed import select as select_changed

    selection = select_changed(loaded, os.environ)
    for line in selection.lines:
        print(f"mlgate: {line}", file=sys.stderr)
    if not selection.run:
        print("mlgate: --changed: no config's inputs changed; nothing to gate", file=sys.stderr)
    return list(selection.run)


def output_dir(args: argparse.Namespace, loaded: LoadedConfig) -> Path:
    """--out, else report.dir (for a named config without one: mlgate-report/NAME)."""
    if getattr(args, "out", None):
        return Path(args.out)
    return loaded.resolve(loaded.config.report_dir)


def named(report: Report, loaded: LoadedConfig | None) -> Report:
    """The report with the config's `name:` in its context (it namespaces what is published)."""
    name = loaded.config.name if loaded else None
    return replace(report, context={**report.context, "name": name}) if name else report


def gate(
    args: argparse.Namespace,
    *,
    baseline: str | None = None,
    loaded: LoadedConfig | None = None,
    folder: Folder | None = None,
) -> tuple[Report, Path, LoadedConfig]:
    """Load the config, run the pipeline; on a run-level error write an error report, re-raise."""
    out_dir = Path(args.out) if getattr(args, "out", None) else None
    folder = folder or Folder()
    try:
        loaded = loaded or load_config(args.config)
        out_dir = folder.path = out_dir or output_dir(args, loaded)
        accepted = _accepted(loaded) if getattr(args, "publish", False) else None
        options = RunOptions(
            out_dir=out_dir,
            baseline=baseline or args.baseline,
            accepted=accepted,
            progress=checkpoint,
        )
        report = named(execute(loaded, options), loaded)
        interrupts.check()
        return report, out_dir, loaded
    except MlgateError as exc:
        if interrupts.received() is not None:  # an interrupt turned into an error
            raise
        write_error_report(
            exc,
            out_dir or Path(loaded.config.report_dir if loaded else "mlgate-report"),
            name=loaded.config.name if loaded else None,
        )
        raise


def _error_of(exc: MlgateError, loaded: LoadedConfig) -> Report:
    name = loaded.config.name
    return error_report(exc.lines(), context={"name": name} if name else None)


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


def write_error_report(exc: MlgateError, out_dir: Path, *, name: str | None = None) -> None:
    """Best effort: a report that says what happened (never hides the original error).

    Shared by run, check and baseline save: a run that cannot evaluate still leaves report.json.
    """
    if interrupts.received() is not None:
        return  # the interrupted report is written instead (on_interrupt)
    try:
        from mlgate.report import write_reports

        write_reports(error_report(exc.lines(), context={"name": name} if name else None), out_dir)
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


def _publish_many(
    results: Sequence[tuple[Report, Path]],
    args: argparse.Namespace,
    loaded: Sequence[LoadedConfig],
) -> None:
    """A check per model, and one combined comment unless a config says `comment: per-model`."""
    from mlgate.publish import PublishOptions, publish, publish_many

    modes = [item.config.publish.comment for item in loaded]
    per_model = "per-model" in modes
    mode = args.comment or ("per-model" if per_model else modes[0])
    options = PublishOptions(comment=mode, require=args.require_publish)
    # --changed may leave one: it posts as a single run would
    lines = publish(*results[0], options) if len(results) == 1 else publish_many(results, options)
    for line in lines:
        print(f"mlgate: {line}", file=sys.stderr)


__all__ = [
    "ExitCode",
    "Folder",
    "checkpoint",
    "config_files",
    "finish",
    "gate",
    "load_all",
    "on_interrupt",
    "run",
    "write_error_report",
]
