"""Both jobs of the fork pattern, as the examples write them, run by act against a fake GitHub.

Job 1 (examples/github/mlgate-pr.yml, `pull_request`) runs in the fork's repository: the fork
loosened its own gate and regressed its model, so its own run passes and its report says pass;
it posts nothing (a fork's token is read-only) and uploads the candidate artifact. Job 2
(examples/github/mlgate-fork-evaluate.yml, `workflow_run`) runs in the base repository, on the
base branch: it downloads that artifact and evaluates it with the base config. The `mlgate`
check it posts is a failure and the comment says blocked.

act cannot reach github.com here, so the actions the examples use are served from stand-ins
(tests/integrations/actions_stand_ins/, and the action itself from a copy of this checkout).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from integrations.test_action import CACHE_SHA, ROOT, STAND_IN, act_or_skip

pytestmark = pytest.mark.slow

STAND_INS = Path(__file__).parent / "actions_stand_ins"
EXAMPLES = ROOT / "examples" / "github"


def pinned(workflow: Path, action: str) -> str:
    """`owner/name@ref` of `action` as the example pins it."""
    text = workflow.read_text()
    match = re.search(rf"uses: ({re.escape(action)}@[0-9A-Za-z.]+)", text)
    assert match, f"{workflow.name} does not use {action}"
    return match.group(1)


def action_copy(folder: Path) -> Path:
    """What `mlgate/mlgate@v0.1.0` is: action.yml with its lock, plan script and version."""
    (folder / "mlgate").mkdir(parents=True)
    shutil.copy(ROOT / "action.yml", folder / "action.yml")
    shutil.copy(ROOT / "mlgate" / "__init__.py", folder / "mlgate" / "__init__.py")
    shutil.copytree(ROOT / "constraints", folder / "constraints")
    (folder / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "action_plan.py", folder / "scripts" / "action_plan.py")
    return folder


def repository(root: Path, project: Any, doc: dict[str, Any], model: str, workflow: str) -> str:
    """A git repository: the project with `model` as models/model.skops, and the example."""
    shutil.copytree(project.root / "data", root / "data")
    (root / "models").mkdir()
    shutil.copy(project.root / "models" / "production.skops", root / "models")
    shutil.copy(project.root / "models" / f"{model}.skops", root / "models" / "model.skops")
    (root / "mlgate.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    (root / "requirements.txt").write_text("# the model needs nothing beyond mlgate\n")
    (root / ".gitignore").write_text("mlgate-report/\n")
    (root / ".github" / "workflows").mkdir(parents=True)
    shutil.copy(EXAMPLES / workflow, root / ".github" / "workflows" / workflow)
    git = ["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci"]
    for args in (
        ["init", "-q", "-b", "main"],
        ["add", "-A"],
        ["commit", "-qm", "init"],
        ["remote", "add", "origin", "https://github.com/acme/churn.git"],
    ):
        subprocess.run([*git, *args], cwd=root, check=True, capture_output=True)
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=root, check=True, capture_output=True, text=True
    ).stdout.strip()


def rules(max_drop: float) -> dict[str, Any]:
    return {
        "version": 1,
        "data": {"eval": "data/holdout.parquet", "target": "label"},
        "models": {"candidate": "models/model.skops", "baseline": "models/production.skops"},
        "gates": {"model": [{"metric": "roc_auc", "max_drop": max_drop}]},
    }


def act(
    repo: Path,
    workflow: str,
    event_name: str,
    event: dict[str, Any],
    gh: Any,
    home: Path,
    action: Path,
    artifacts: Path,
) -> subprocess.CompletedProcess[str]:
    file = EXAMPLES / workflow
    event_file = home.parent / f"event-{event_name}.json"
    event_file.write_text(json.dumps(event))
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "CI"))}
    clean.update(HOME=str(home))
    local = [f"actions/cache@{CACHE_SHA}={STAND_IN}", f"{pinned(file, 'mlgate/mlgate')}={action}"]
    for name in ("setup-python", "upload-artifact", "download-artifact"):
        if f"actions/{name}@" in file.read_text():
            local.append(f"{pinned(file, f'actions/{name}')}={STAND_INS / name}")
    command = [
        act_or_skip(),
        event_name,
        "-W",
        f".github/workflows/{workflow}",
        "-e",
        str(event_file),
        "-P",
        "ubuntu-latest=-self-hosted",
        "--no-cache-server",
        "--container-daemon-socket",
        "-",
        "-s",
        f"GITHUB_TOKEN={gh.token}",
    ]
    for item in local:
        command += ["--local-repository", item]
    for item in (
        f"GITHUB_API_URL={gh.api_url}",
        "MLGATE_GITHUB_THROTTLE=0",
        "MLGATE_GITHUB_BACKOFF=0",
        f"STUB_PYTHON={sys.executable}",
        f"STUB_ARTIFACT_DIR={artifacts}",
    ):
        command += ["--env", item]
    return subprocess.run(command, cwd=repo, env=clean, capture_output=True, text=True, timeout=900)


def test_the_trusted_job_blocks_a_fork_whose_own_run_passes(
    httpserver_ipv4: Any, project: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from support.github_fake import HEAD_SHA, PR, FakeGitHub

    tmp = tmp_path_factory.mktemp("act-fork")
    gh = FakeGitHub(httpserver_ipv4).install()
    action = action_copy(tmp / "action")
    artifacts = tmp / "artifacts"
    artifacts.mkdir()

    # job 1, in the fork: its own rules loosened (max_drop 0.5), its model regressed
    fork = tmp / "fork"
    repository(fork, project, rules(0.5), "regressed", "mlgate-pr.yml")
    untrusted = act(
        fork,
        "mlgate-pr.yml",
        "pull_request",
        gh.pr_event(fork=True),
        gh,
        tmp / "home",
        action,
        artifacts,
    )
    log = untrusted.stdout + untrusted.stderr
    assert untrusted.returncode == 0, log  # the fork's own gate passes
    assert "fork pull request: the token is read-only, nothing posted to the PR" in log, log
    assert gh.check_runs == [] and gh.comments == {}
    uploaded = artifacts / "mlgate-candidate"
    assert sorted(p.relative_to(uploaded).as_posix() for p in uploaded.rglob("*.*")) == [
        "mlgate-report/report.json",
        "models/model.skops",
    ]
    claimed = json.loads((uploaded / "mlgate-report" / "report.json").read_text())
    assert claimed["verdict"] == "pass"

    # job 2, in the base repository on main: the base rules (max_drop 0.01)
    base = tmp / "base"
    repository(base, project, rules(0.01), "production", "mlgate-fork-evaluate.yml")
    event = gh.workflow_run_event(conclusion="success")
    trusted = act(
        base,
        "mlgate-fork-evaluate.yml",
        "workflow_run",
        event,
        gh,
        tmp / "home",
        action,
        artifacts,
    )
    log = trusted.stdout + trusted.stderr
    assert trusted.returncode != 0, log  # exit 1: the regression is blocked
    assert "stand-in download: mlgate-candidate of run 777 to " in log, log
    assert [(c["name"], c["head_sha"], c["conclusion"]) for c in gh.check_runs] == [
        ("mlgate", HEAD_SHA, "failure")
    ], log
    [comment] = gh.ours(PR)
    assert str(comment["body"]).startswith("**❌ Blocked:**")
    assert gh.token not in log


def test_the_trusted_job_refuses_a_missing_artifact_with_a_failing_check(
    httpserver_ipv4: Any, project: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from support.github_fake import FakeGitHub

    tmp = tmp_path_factory.mktemp("act-fork-missing")
    gh = FakeGitHub(httpserver_ipv4).install()
    gh.pr_event(fork=True)
    artifacts = tmp / "artifacts"
    artifacts.mkdir()  # the fork's run uploaded nothing
    base = tmp / "base"
    repository(base, project, rules(0.01), "production", "mlgate-fork-evaluate.yml")
    trusted = act(
        base,
        "mlgate-fork-evaluate.yml",
        "workflow_run",
        gh.workflow_run_event(),
        gh,
        tmp / "home",
        action_copy(tmp / "action"),
        artifacts,
    )
    log = trusted.stdout + trusted.stderr
    assert trusted.returncode != 0, log
    assert re.search(r"mlgate: error: \S+/mlgate-fork: the fork's artifact is not there", log), log
    assert [(c["name"], c["conclusion"]) for c in gh.check_runs] == [("mlgate", "failure")], log
