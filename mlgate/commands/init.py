"""`mlgate init`: write a commented starter mlgate.yaml and the CI snippet; never overwrites."""

from __future__ import annotations

import argparse
import os
import sys
from importlib.resources import files
from pathlib import Path
from typing import Any

from mlgate.errors import ConfigError, ExitCode

PROFILE = "gx/reference-profile.json"  # where init --from-reference writes its suite


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


SUITE_GATE = "  data:\n    - suite: {path}   # profiled from {reference}: review it\n"


def _profile(root: Path, reference: str, skip: tuple[str, ...]) -> str:
    """Write the suite profiled from `reference` (paths relative to `root`); say what it is."""
    from mlgate.scaffold.profile import write

    count = write(root / reference, root / PROFILE, skip=skip, shown=PROFILE)
    return (
        f"wrote {PROFILE}: {count} expectations profiled from {reference} (types, ranges with "
        "a 10% margin, allowed sets, null rates) — review them, then commit the file"
    )


def _from_reference(root: Path, name: str) -> int:
    """--from-reference with an existing config: only the suite, from its data.reference."""
    from mlgate.config import load_config

    loaded = load_config(root / name)
    data = loaded.config.data
    if not data.reference:
        raise ConfigError(
            f"{name}: data.reference: not set; --from-reference profiles the reference data",
            hint="set data.reference to what production was trained on",
        )
    skip = tuple(c for c in (data.id,) if c)
    folder = loaded.resolve(".")
    reference = os.path.relpath(loaded.resolve(data.reference), folder)
    print(_profile(folder, reference, skip))
    print(f"to run it, add to {name} (mlgate init does not edit it):\n")
    print("gates:\n" + SUITE_GATE.format(path=PROFILE, reference=reference))
    return ExitCode.OK


def run(args: argparse.Namespace) -> int:
    root = Path.cwd()
    config = root / args.config
    if config.exists():
        if getattr(args, "from_reference", False):
            return _from_reference(root, args.config)
        raise ConfigError(
            f"{args.config}: already exists; mlgate init never overwrites a file",
            hint="edit it, pass -c OTHER.yaml, or --from-reference to profile only its data",
        )
    from mlgate.scaffold.project import inspect, render

    scaffold = files("mlgate.scaffold")
    found = inspect(config.parent)
    suite_line = None
    if getattr(args, "from_reference", False):
        if found.reference is None or found.eval is None:
            raise ConfigError(
                f"{args.config}: --from-reference found no reference data file (a name with "
                "train or reference in it, beside the eval data)",
                hint="write the config first (mlgate init), set data.reference, then run "
                "mlgate init --from-reference",
            )
        suite_line = _profile(config.parent, found.reference, tuple(c for c in (found.id,) if c))
    text = render(found, scaffold.joinpath("mlgate.yaml").read_text())
    filled = found.eval is not None and found.model is not None and found.target is not None
    if suite_line is not None and filled:  # the bundled template has other data paths
        text = text.replace(
            "\ngates:\n",
            "\ngates:\n" + SUITE_GATE.format(path=PROFILE, reference=found.reference),
            1,
        )
    config.write_text(text)
    for line in _summary(found):
        print(line)
    if suite_line is not None:
        print(suite_line)
        if not filled:
            print(f"to run it, add to {args.config}, once its data paths are yours:\n")
            print("gates:\n" + SUITE_GATE.format(path=PROFILE, reference=found.reference))
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
