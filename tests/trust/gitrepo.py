"""Real git repositories for the trust tests: main holds the rules, a PR branch changes them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from support.sourcekit import git


def rules(max_drop: Any = 0.01, **policy: Any) -> dict[str, Any]:
    """The production model as baseline, the PR's model as candidate, one relative gate."""
    doc: dict[str, Any] = {
        "version": 1,
        "data": {"eval": "data/holdout.parquet", "target": "label"},
        "models": {"candidate": "models/regressed.skops", "baseline": "models/production.skops"},
        "gates": {"model": [{"metric": "roc_auc", "max_drop": max_drop}]},
    }
    if policy:
        doc["policy"] = policy
    return doc


def write(root: Path, doc: dict[str, Any]) -> None:
    (root / "mlgate.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))


def main_then_branch(root: Path, base: dict[str, Any]) -> str:
    """Commit `base` on main (with the data and models), branch `pr`; returns main's sha."""
    (root / ".gitignore").write_text("mlgate-report/\nci/\n")
    write(root, base)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "production")
    git(root, "checkout", "-q", "-b", "pr")
    return git(root, "rev-parse", "HEAD")


def commit(root: Path, message: str = "pr change") -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)
