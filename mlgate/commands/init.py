"""`mlgate init`: write a commented starter mlgate.yaml and the CI snippet; never overwrites."""

from __future__ import annotations

import argparse
import os
import sys
from importlib.resources import files
from pathlib import Path

from mlgate.errors import ConfigError, ExitCode


def detect_ci(root: Path) -> str:
    """github / gitlab / none, from the environment, then from the repo's files."""
    if os.environ.get("GITHUB_ACTIONS") == "true" or (root / ".github").is_dir():
        return "github"
    if os.environ.get("GITLAB_CI") or (root / ".gitlab-ci.yml").is_file():
        return "gitlab"
    return "none"


def run(args: argparse.Namespace) -> int:
    root = Path.cwd()
    config = root / args.config
    if config.exists():
        raise ConfigError(
            f"{args.config}: already exists; mlgate init never overwrites a file",
            hint="edit it, or pass -c OTHER.yaml",
        )
    scaffold = files("mlgate.scaffold")
    config.write_text(scaffold.joinpath("mlgate.yaml").read_text())
    print(f"wrote {args.config} — edit the paths and thresholds, then run `mlgate check`")
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
