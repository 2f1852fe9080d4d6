"""`mlgate check`: locally, the verdict CI will give — same config, baseline, numbers; never posts.

Where the config names no baseline, production is the candidate's own path at the merge-base
with the default branch (origin/HEAD, else main, else master): `git:<merge-base>:<path>`.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from mlgate.commands.changed import default_branch
from mlgate.commands.run import Folder, checkpoint, finish, on_interrupt, write_error_report
from mlgate.config import LoadedConfig, ModelSpec, load_config
from mlgate.errors import BaselineError, ExitCode, MlgateError
from mlgate.pipeline import RunOptions, execute
from mlgate.records import RELATIVE_KEYS
from mlgate.support.git import output as git_output

if TYPE_CHECKING:
    from rich.console import Console


class NoDefault(Exception):
    """Why the default branch's model cannot be used (said to the user, not an error yet)."""


def run(args: argparse.Namespace) -> int:
    folder = Folder()
    with on_interrupt(folder):
        return _check(args, folder)


def _check(args: argparse.Namespace, folder: Folder) -> int:
    from rich.console import Console

    from mlgate.commands.run import config_files, load_all, select

    console = Console(stderr=True, highlight=False)
    configs = config_files(args.config)
    name = getattr(args, "name", None)
    if len(configs) == 1 and not getattr(args, "changed", False) and name is None:
        return check(args, console, None, configs[0], folder=folder)
    loaded = load_all(configs, name)
    codes: list[int] = [int(ExitCode.OK)]
    for item in select(args, loaded):
        one = argparse.Namespace(**vars(args))
        if len(loaded) > 1 and one.out:  # --out DIR: each model in DIR/NAME
            one.out = str(Path(one.out) / (item.config.name or ""))
        try:
            codes.append(check(one, console, item, folder=folder))
        except MlgateError as exc:
            for line in exc.lines():
                print(f"mlgate: error: {line}", file=sys.stderr)
            codes.append(exc.exit_code)
    return int(max(codes))


def check(
    args: argparse.Namespace,
    console: Console,
    loaded: LoadedConfig | None,
    config: str | None = None,
    *,
    folder: Folder,
) -> int:
    """One config's check: its default-branch baseline, the pipeline, the reports."""
    from mlgate.commands.run import named

    out_dir = Path(args.out) if args.out else None
    try:
        loaded = loaded or load_config(config)
        out_dir = folder.path = out_dir or loaded.resolve(loaded.config.report_dir)
        if not args.baseline:
            loaded = with_default_baseline(loaded, console)
        with console.status("mlgate check: starting", spinner="dots") as status:

            def progress(step: str) -> None:
                checkpoint(step)
                status.update(f"mlgate check: {step}")

            options = RunOptions(out_dir=out_dir, baseline=args.baseline, progress=progress)
            report = named(execute(loaded, options), loaded)
    except MlgateError as exc:
        name = loaded.config.name if loaded else None
        write_error_report(exc, out_dir or Path("mlgate-report"), name=name)
        raise
    return finish(report, out_dir)


def with_default_baseline(loaded: LoadedConfig, console: Console) -> LoadedConfig:
    """The config with models.baseline set to the default branch's model, if none is configured.

    When there is none to take, the run goes on without a baseline only if no gate is relative;
    otherwise a BaselineError (exit 3) says why and which gates need one.
    """
    models = loaded.config.models
    if models is None or models.baseline is not None:
        return loaded  # configured: resolved exactly as in CI
    candidate = models.candidate
    try:
        if candidate.factory:
            raise NoDefault(
                f"models.candidate is a factory ({candidate.factory}), not a file "
                "to take from the default branch"
            )
        if (candidate.path or "").startswith("mlflow:"):
            raise NoDefault(
                f"models.candidate comes from MLflow ({candidate.path}), not a file of this "
                "repository to take from the default branch"
            )
        spec, branch = default_branch_spec(
            loaded.resolve(candidate.path or candidate.predictions or ""), loaded.root
        )
    except NoDefault as why:
        needs = relative_gates(loaded)
        if needs:
            raise BaselineError(
                f"{loaded.where('models.baseline')}: not set, and {why}; the relative gates need "
                f"a production baseline: {', '.join(needs)}",
                hint="set models.baseline, or pass --baseline SPEC",
            ) from None
        console.print(
            f"mlgate check: no baseline: {why}; only absolute gates apply",
            style="yellow",
            markup=False,
        )
        return loaded
    console.print(
        f"mlgate check: baseline {spec} ({candidate.source} at the merge-base with {branch})",
        style="dim",
        markup=False,
    )
    key = "predictions" if candidate.predictions else "path"
    baseline = ModelSpec(**{key: spec}, trust=candidate.trust, format=candidate.format)
    config = loaded.config.model_copy(
        update={"models": models.model_copy(update={"baseline": baseline})}
    )
    return replace(loaded, config=config)


def default_branch_spec(candidate: Path, root: Path) -> tuple[str, str]:
    """(`git:<merge-base>:<path from the top level>`, default branch) for the candidate file."""
    top = git_output(root, "rev-parse", "--show-toplevel")
    if top is None:
        raise NoDefault(f"{root} is not inside a git repository")
    branch = default_branch(root)
    if branch is None:
        raise NoDefault("no default branch was found (no origin/HEAD, main or master)")
    base = git_output(root, "merge-base", refs=["HEAD", branch])
    if base is None:
        raise NoDefault(
            f"HEAD and {branch} have no merge-base (a shallow clone? run `git fetch --unshallow`)"
        )
    try:
        relative = candidate.resolve().relative_to(Path(top).resolve()).as_posix()
    except ValueError:
        raise NoDefault(f"the candidate {candidate} is outside the repository {top}") from None
    if git_output(root, "cat-file", "-e", refs=[f"{base}:{relative}"]) is None:
        raise NoDefault(f"{relative} does not exist at the merge-base with {branch} ({base[:12]})")
    return f"git:{base[:12]}:{relative}", branch  # a short sha: the commit is local


def relative_gates(loaded: LoadedConfig) -> list[str]:
    """Config locations of thresholds that compare with production (max_drop, max_increase)."""
    gates = loaded.config.gates
    found = [
        f"gates.model[{i}].{key}"
        for i, gate in enumerate(gates.model)
        for key in RELATIVE_KEYS
        if getattr(gate, key) is not None
    ]
    found += [
        f"gates.performance[{i}].{measure}.{key}"
        for i, item in enumerate(gates.performance)
        for measure, budget in item.items()
        for key in RELATIVE_KEYS
        if getattr(budget, key) is not None
    ]
    return found
