"""What `mlgate init` finds in a project: data files, model files, the target, the task, a remote.

Only cheap reads: file names, the data header and the target column (load.tables). The config
written from it runs as it is (`mlgate run` exits 0 or 1): absolute floors only, and a
`git:origin/BRANCH:` baseline only when the repository has an origin remote.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DATA_SUFFIXES = (".parquet", ".csv", ".jsonl")
MODEL_SUFFIXES = (".skops", ".onnx")  # pickle/joblib load only by opt-in: never proposed
SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "__pycache__", "mlgate-report", ".tox"}
TARGET_NAMES = ("label", "target", "y", "class", "outcome", "labels")
EVAL_WORDS = ("holdout", "eval", "test", "valid", "val")
TRAIN_WORDS = ("train", "reference", "ref")


@dataclass
class Found:
    data: list[str] = field(default_factory=list)
    models: list[str] = field(default_factory=list)
    eval: str | None = None
    reference: str | None = None
    model: str | None = None
    target: str | None = None
    id: str | None = None  # a row id column (kept out of the features)
    task: str | None = None
    remote_branch: str | None = None  # origin's default branch, when there is an origin


def _files(root: Path, suffixes: tuple[str, ...]) -> list[str]:
    out = []
    for folder, dirs, names in os.walk(root):
        depth = len(Path(folder).relative_to(root).parts)
        dirs[:] = sorted(
            d for d in dirs if d not in SKIP_DIRS and not d.startswith(".") and depth < 3
        )
        for name in sorted(names):
            if name.lower().endswith(suffixes):
                out.append((Path(folder) / name).relative_to(root).as_posix())
    return out


def _pick(paths: list[str], words: tuple[str, ...]) -> str | None:
    for word in words:
        for path in paths:
            if word in Path(path).stem.lower():
                return path
    return None


def inspect(root: Path) -> Found:
    """Look at the project in `root` (and its git repository) without loading anything heavy."""
    from mlgate.load.tables import read_columns, read_header
    from mlgate.measure.model.checks import numeric, task_from_target

    found = Found(data=_files(root, DATA_SUFFIXES), models=_files(root, MODEL_SUFFIXES))
    found.eval = _pick(found.data, EVAL_WORDS) or (found.data[0] if found.data else None)
    others = [d for d in found.data if d != found.eval]
    found.reference = _pick(others, TRAIN_WORDS)
    found.model = _pick(found.models, ("candidate", "model", "new")) or (
        found.models[0] if found.models else None
    )
    if found.eval is not None:
        header = read_header(root / found.eval) or []
        lowered = {c.lower(): c for c in header}
        found.target = next((lowered[n] for n in TARGET_NAMES if n in lowered), None)
        if found.target is None and header:
            found.target = header[-1]
        found.id = next((c for c in header if c.lower() == "id" or c.lower().endswith("_id")), None)
        if found.target is not None:
            values = (read_columns(root / found.eval, [found.target]) or {}).get(found.target, [])
            tasks, _ = task_from_target(values, found.target)
            if tasks == ("regression",) or tasks == ("multiclass",):
                found.task = tasks[0]
            elif tasks is not None:
                found.task = "binary"
            else:  # whole numbers: class codes when few, else a count regression
                distinct = len(set(numeric(values) or []))
                found.task = (
                    "binary" if distinct <= 2 else "multiclass" if distinct <= 20 else "regression"
                )
    found.remote_branch = _origin_branch(root)
    return found


def _origin_branch(root: Path) -> str | None:
    """origin's default branch (origin/HEAD, else the current branch), or None without origin."""
    from mlgate.support.git import output as git_output

    if not git_output(root, "remote", "get-url", "origin"):
        return None
    head = git_output(root, "symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD")
    if head:
        return head.removeprefix("origin/")
    for name in ("main", "master"):
        if git_output(root, "rev-parse", "--verify", "--quiet", refs=[f"origin/{name}"]):
            return name
    return git_output(root, "rev-parse", "--abbrev-ref", "HEAD") or "main"


GATES = {
    "binary": ("roc_auc", "min: 0.5", "max_drop: 0.01"),
    "multiclass": ("accuracy", "min: 0.3", "max_drop: 0.01"),
    "regression": ("r2", "min: 0.0", "max_drop: 0.02"),
}


def render(found: Found, template: str) -> str:
    """The config text: what was found filled in, the rest commented; the bundled template when
    the project holds no data or model file to start from."""
    if found.eval is None or found.model is None or found.target is None:
        if found.remote_branch is None:  # no remote: a git:origin/... baseline cannot resolve
            template = template.replace(
                "  baseline: git:origin/main:models/model.skops",
                "  # baseline: git:origin/main:models/model.skops   (add a remote first)",
            )
        return template
    task = found.task or "binary"
    metric, floor, relative = GATES[task]
    lines = [
        "# mlgate.yaml — written by `mlgate init` from what it found here; review every line",
        "# (reference: mlgate schema / README). Paths are relative to this file.",
        "version: 1",
        "",
        "data:",
        f"  eval: {found.eval}",
        f"  {'' if found.reference else '# '}reference: {found.reference or 'data/train.parquet'}"
        "   # what production was trained on (drift gates)",
        f"  target: {found.target}",
        *([f"  id: {found.id}                  # row ids: not a feature"] if found.id else []),
        "",
        "models:",
        f"  candidate: {found.model}",
        f"  task: {task}",
    ]
    if found.remote_branch:
        lines.append(
            f"  baseline: git:origin/{found.remote_branch}:{found.model}"
            "   # production: the model on the default branch"
        )
    else:
        lines.append(
            f"  # baseline: git:origin/main:{found.model}   (no git remote here: add one, or "
            "point at a file / report:DIR)"
        )
    lines += [
        "",
        "gates:",
        "  model:",
        f"    - metric: {metric}",
        f"      {floor}                      # raise to the floor you need",
        f"      {'' if found.remote_branch else '# '}{relative}"
        "                # allowed worsening vs production (needs models.baseline)",
        "",
        "report:",
        "  dir: mlgate-report",
        "",
    ]
    return "\n".join(lines)
