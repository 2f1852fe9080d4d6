"""`mlgate init`: write a commented starter mlgate.yaml and the CI snippet; never overwrites."""

from __future__ import annotations

import argparse
import os
import sys
from importlib.resources import files
from pathlib import Path
from typing import Any

from mlgate.errors import ConfigError, ExitCode


def detect_ci(root: Path) -> str:
    """github / gitlab / none, from the environment, then from the repo's files."""
    if os.environ.get("GITHUB_ACTIONS") == "true" or (root / ".github").is_dir():
        return "github"
    if os.environ.get("GITLAB_CI") or (root / ".gitlab-ci.yml").is_file():
        return "gitlab"
    return "none"


def _summary(found: Any) -> list[str]:
    """What init found, one line each (so the user knows what to check in the file)."""
    lines = []
    if found.eval is None:
        lines.append("found no data file (.parquet, .csv, .jsonl): the config is the template")
    else:
        more = f" (of {len(found.data)} data files)" if len(found.data) > 1 else ""
        lines.append(f"eval data: {found.eval}{more}; target: {found.target}; task: {found.task}")
    if found.model is None:
        lines.append("found no .skops or .onnx model: set models.candidate")
    else:
        lines.append(f"candidate model: {found.model}")
    if found.remote_branch is None:
        lines.append("no git remote: no git:origin/... baseline written (relative gates need one)")
    else:
        lines.append(f"baseline: the model on origin/{found.remote_branch}")
    return lines


def run(args: argparse.Namespace) -> int:
    root = Path.cwd()
    config = root / args.config
    if config.exists():
        raise ConfigError(
            f"{args.config}: already exists; mlgate init never overwrites a file",
            hint="edit it, or pass -c OTHER.yaml",
        )
    from mlgate.scaffold.project import inspect, render

    scaffold = files("mlgate.scaffold")
    found = inspect(config.parent)
    config.write_text(render(found, scaffold.joinpath("mlgate.yaml").read_text()))
    for line in _summary(found):
        print(line)
    print(f"wrote {args.config} — review the paths and thresholds, then run `mlgate check`")
    ci = detect_ci(root) if args.ci == "auto" else args.ci
    if ci == "github":
        workflow = root / ".github" / "workflows" / "mlgate.yml"
        if workflow.exists():
            print(f"{workflow.relative_to(root)} exists; left as it is", file=sys.stderr)
        else:
            workflow.parent.mkdir(parents=True, exist_ok=True)
            workflow.write_text(scaffold.joinpath("github-workflow.yml").read_text())
            print(f"wrote {workflow.relative_to(root)}")
    elif ci == "gitlab":
        print("add this to your .gitlab-ci.yml (mlgate init does not edit it):\n")
        print(scaffold.joinpath("gitlab-ci.yml").read_text())
    return ExitCode.OK
