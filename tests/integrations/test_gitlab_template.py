"""The GitLab CI/CD component (templates/mlgate.yml, and its root copy .gitlab-ci-template.yml):
GitLab's CI schema, the lock it carries, and real runs under gitlab-ci-local.

The schema check validates the `spec:` header and the job body as separate documents (GitLab's
schema has no notion of the two-document file), the body after interpolating the inputs the way
GitLab does. The runs drive the npm tool gitlab-ci-local (shell executor) on a small real
project: a default-branch pipeline saves the baseline, then merge-request pipelines gate
against it and publish to a fake GitLab API on 127.0.0.1. They skip, saying why, only when
the tool is not installed (`npm install --prefix .tools gitlab-ci-local@4.75`, plus rsync).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from support.gitlab_fake import BOT, FakeGitLab
from support.projects import Project, base_config

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / ".gitlab-ci-template.yml"
COMPONENT = ROOT / "templates" / "mlgate.yml"
SELF_TEST = ROOT / ".gitlab-ci.yml"
TOOL = ROOT / ".tools" / "node_modules" / "gitlab-ci-local" / "dist" / "index.js"
INPUT = re.compile(r"\$\[\[\s*inputs\.([\w-]+)\s*\]\]")
REQUIRED_INPUTS = {
    "config",
    "stage",
    "image",
    "pip-spec",
    "lock",
    "job-name",
    "publish",
    "allow-failure",
}
# Node 20 lacks the ES2025 Set methods gitlab-ci-local 4.75 calls; Node 22+ has them.
SET_POLYFILL = """\
const methods = {
  union(o) { const r = new Set(this); for (const v of o.keys()) r.add(v); return r; },
  intersection(o) { const r = new Set(); for (const v of this) if (o.has(v)) r.add(v); return r; },
  difference(o) { const r = new Set(); for (const v of this) if (!o.has(v)) r.add(v); return r; },
  symmetricDifference(o) {
    const r = new Set(this); for (const v of o.keys()) r.has(v) ? r.delete(v) : r.add(v); return r;
  },
  isSubsetOf(o) { for (const v of this) if (!o.has(v)) return false; return true; },
  isSupersetOf(o) { for (const v of o.keys()) if (!this.has(v)) return false; return true; },
  isDisjointFrom(o) { for (const v of this) if (o.has(v)) return false; return true; },
};
for (const [name, value] of Object.entries(methods))
  if (!Set.prototype[name])
    Object.defineProperty(Set.prototype, name, { value, writable: true, configurable: true });
"""


def documents() -> tuple[str, str]:
    header, sep, body = TEMPLATE.read_text().partition("\n---\n")
    assert sep, "the template needs a `spec:` header, then `---`, then the jobs"
    return header + "\n", body


def inputs() -> dict[str, dict[str, Any]]:
    spec: dict[str, Any] = yaml.safe_load(documents()[0])["spec"]["inputs"]
    return spec


def interpolate(body: str, values: dict[str, Any]) -> str:
    """What GitLab does with `$[[ inputs.NAME ]]`: defaults, overridden by `values`."""
    merged = {name: spec.get("default") for name, spec in inputs().items()} | values

    def value(match: re.Match[str]) -> str:
        item = merged[match.group(1)]
        return ("true" if item else "false") if isinstance(item, bool) else str(item)

    return INPUT.sub(value, body)


def check_jsonschema(*files: Path) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent))
    assert exe, "check-jsonschema is part of the test extra"
    return subprocess.run(
        [
            exe,
            "--builtin-schema",
            "vendor.gitlab-ci",
            "--data-transform",
            "gitlab-ci",
            *map(str, files),
        ],
        capture_output=True,
        text=True,
    )


# --- the file itself ------------------------------------------------------------------------


def test_header_declares_the_inputs_users_need_each_documented() -> None:
    spec = inputs()
    assert set(spec) >= REQUIRED_INPUTS
    assert all(item.get("description") for item in spec.values())
    assert spec["publish"]["type"] == spec["allow-failure"]["type"] == "boolean"
    assert spec["comment"]["options"] == ["", "always", "on-failure", "on-change", "never"]


def test_body_uses_exactly_the_declared_inputs() -> None:
    # gitlab-ci-local accepts an unknown input name silently; GitLab rejects the pipeline.
    used = set(INPUT.findall(documents()[1]))
    assert used == set(inputs())


@pytest.mark.parametrize(
    "values",
    [
        {},
        {
            "allow-failure": True,
            "publish": False,
            "comment": "never",
            "job-name": "ml-gate",
            "baseline": "gitlab-artifact:ml-gate:mlgate-baseline",
            "pip-spec": "",
        },
    ],
)
def test_passes_gitlab_ci_schema(tmp_path: Path, values: dict[str, Any]) -> None:
    header, body = documents()
    (tmp_path / "header.yml").write_text(header)
    (tmp_path / "body.yml").write_text(interpolate(body, values))
    done = check_jsonschema(tmp_path / "header.yml", tmp_path / "body.yml")
    assert done.returncode == 0, done.stdout


def test_examples_pass_gitlab_ci_schema_and_use_declared_inputs() -> None:
    examples = sorted((ROOT / "examples" / "gitlab").glob("*.yml"))
    assert len(examples) >= 3
    done = check_jsonschema(*examples)
    assert done.returncode == 0, done.stdout + done.stderr
    for path in examples:
        for include in yaml.safe_load(path.read_text()).get("include", []):
            assert set(include.get("inputs", {})) <= set(inputs()), path.name


def test_schema_check_catches_a_broken_body(tmp_path: Path) -> None:
    body = interpolate(documents()[1], {}).replace("when: always", "when: sometimes")
    (tmp_path / "body.yml").write_text(body)
    assert check_jsonschema(tmp_path / "body.yml").returncode == 1


def test_job_rules_artifacts_and_reports() -> None:
    doc = yaml.safe_load(interpolate(documents()[1], {}))
    job = doc["mlgate"]
    assert [r["if"] for r in job["rules"]] == [
        '$CI_PIPELINE_SOURCE == "merge_request_event"',
        "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH",
    ]
    artifacts = job["artifacts"]
    assert artifacts["when"] == "always" and artifacts["expose_as"]
    assert artifacts["paths"] == ["mlgate-report/", "mlgate-baseline/"]  # dirs end in / (expose_as)
    assert artifacts["reports"] == {
        "junit": "mlgate-report/junit.xml",
        "metrics": "mlgate-report/metrics.txt",
    }
    assert job["allow_failure"] is False


def test_the_root_template_is_the_component() -> None:
    """`include: remote`/`project` users of .gitlab-ci-template.yml get the component itself."""
    assert TEMPLATE.read_bytes() == COMPONENT.read_bytes()


def test_it_installs_this_release_with_its_lock_and_a_pip_cache() -> None:
    import mlgate

    version = mlgate.__version__
    spec = inputs()
    assert spec["pip-spec"]["default"] == f"mlgate[all]=={version}"
    assert spec["lock"] == {**spec["lock"], "type": "boolean", "default": True}
    job = yaml.safe_load(interpolate(documents()[1], {}))["mlgate"]
    lock = (ROOT / "constraints" / f"mlgate-{version}.txt").read_text()
    pins = [line for line in lock.splitlines() if line and not line.startswith("#")]
    assert job["variables"]["MLGATE_LOCK"].splitlines() == pins  # scripts/lock.sh embeds it
    install = "\n".join(job["before_script"])
    assert 'set -- "$@" --constraint "$lock"' in install
    assert job["cache"]["key"] == f"mlgate-{version}-pip"
    assert job["variables"]["PIP_CACHE_DIR"] == "$CI_PROJECT_DIR/.cache/mlgate-pip"
    assert job["cache"]["paths"] == [".cache/mlgate-pip/"]


def test_every_python_it_runs_is_isolated() -> None:
    job = yaml.safe_load(interpolate(documents()[1], {}))["mlgate"]
    script = "\n".join(job["before_script"] + job["script"])
    calls = re.findall(r"\bpython(?:3)? (\S+)", script)
    assert len(calls) >= 4 and set(calls) == {"-I"}, calls
    assert "mlgate run" not in script and "\n  mlgate " not in script  # never the bare script
    assert '[sys.executable, "-I", "-m"' in job["variables"]["MLGATE_EXEC"]


def test_git_is_installed_when_a_git_baseline_needs_it() -> None:
    job = yaml.safe_load(interpolate(documents()[1], {}))["mlgate"]
    git = job["before_script"][0]
    assert "apt-get install -y -qq --no-install-recommends git" in git
    assert "apk add --no-cache --quiet git" in git
    assert "grep -qs 'git:' \"$MLGATE_CONFIG_FILE\"" in git


def test_args_split_like_a_shell_would(tmp_path: Path) -> None:
    """The job's MLGATE_EXEC, run as the job runs it: quotes group, nothing is expanded."""
    job = yaml.safe_load(interpolate(documents()[1], {}))["mlgate"]
    env = {**os.environ, "MLGATE_SPLIT": "--out 'two words' $HOME `id`"}
    done = subprocess.run(
        [sys.executable, "-I", "-c", job["variables"]["MLGATE_EXEC"], "json.tool", "--help"],
        capture_output=True,
        text=True,
        env=env,
    )
    # json.tool got argv [--help, --out, two words, $HOME, `id`]: --help wins, exit 0
    assert done.returncode == 0 and "usage:" in done.stdout, done.stderr
    env["MLGATE_SPLIT"] = "'unclosed"
    done = subprocess.run(
        [sys.executable, "-I", "-c", job["variables"]["MLGATE_EXEC"], "json.tool"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 1 and "No closing quotation" in done.stderr


def test_self_test_pipeline_includes_the_component_by_commit_and_releases_tags() -> None:
    done = check_jsonschema(SELF_TEST)
    assert done.returncode == 0, done.stdout + done.stderr
    doc = yaml.safe_load(SELF_TEST.read_text())
    [include] = doc["include"]
    assert include["component"] == "$CI_SERVER_FQDN/$CI_PROJECT_PATH/mlgate@$CI_COMMIT_SHA"
    assert set(include["inputs"]) <= set(inputs())
    assert doc["self-test"]["needs"] == ["wheel"]
    release = doc["release"]
    assert release["release"]["tag_name"] == "$CI_COMMIT_TAG"
    assert release["rules"] == [{"if": "$CI_COMMIT_TAG =~ /^\\d+\\.\\d+\\.\\d+$/"}]
    assert "cmp templates/mlgate.yml .gitlab-ci-template.yml" in release["script"]


# --- running it under gitlab-ci-local ---------------------------------------------------------


class Runner:
    """gitlab-ci-local in a throwaway git project, every job on the shell executor."""

    def __init__(self, project: Path, home: Path, node: list[str]) -> None:
        self.project, self.home, self.node = project, home, node

    def __call__(
        self, *variables: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        args = [
            *self.node,
            str(TOOL),
            "--home",
            str(self.home),
            "--force-shell-executor",
            "--no-color",
            "--json-schema-validation",
        ]
        for item in variables:
            args += ["--variable", item]
        bin_dir = str(Path(sys.executable).parent)  # the job's `mlgate` is this checkout's
        clean = {
            k: v for k, v in os.environ.items() if not k.startswith(("CI", "GITLAB", "MLGATE"))
        }
        clean["PATH"] = bin_dir + os.pathsep + clean.get("PATH", "")
        # The shell executor runs `bash -c` with a socket as stdin: bash then reads ~/.bashrc
        # when SHLVL is unset (a shell not started from a shell), and a pyenv or conda init there
        # puts another `python` ahead of this checkout's. The job gets a home with no dotfiles.
        clean["HOME"] = str(self.home)
        clean.update(env or {})
        return subprocess.run(
            args,
            cwd=self.project,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=600,
            env=clean,
        )

    def artifact(self, job: str, path: str) -> Path:
        return self.project / ".gitlab-ci-local" / "artifacts" / job / path


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    exe = shutil.which("node")
    if not exe or not TOOL.is_file():
        pytest.skip(
            "gitlab-ci-local is not installed: run "
            "`npm install --prefix .tools gitlab-ci-local@4.75` (needs Node.js and npm)"
        )
    if not shutil.which("rsync"):
        pytest.skip("gitlab-ci-local needs rsync: run `apt-get install -y rsync`")
    version = subprocess.run([exe, "--version"], capture_output=True, text=True).stdout
    if int(version.lstrip("v").split(".")[0]) >= 22:
        return [exe]
    polyfill = tmp_path_factory.mktemp("node") / "set-methods.mjs"
    polyfill.write_text(SET_POLYFILL)
    return [exe, "--import", polyfill.as_uri()]


@pytest.fixture
def gitlab_api(httpserver_ipv4: Any) -> FakeGitLab:
    """The fake API; the same server hosts the template, as a GitLab raw-file URL would."""
    httpserver_ipv4.expect_request(f"/group/mlgate/-/raw/v0.1.0/{TEMPLATE.name}").respond_with_data(
        TEMPLATE.read_text(), content_type="text/plain"
    )
    return FakeGitLab(httpserver_ipv4).install()


@pytest.fixture
def pipeline(tmp_path: Path, project: Project, node: list[str], gitlab_api: FakeGitLab) -> Runner:
    """The user's repository: data, models, mlgate.yaml, a .gitlab-ci.yml that includes us."""
    url = gitlab_api.server.url_for(f"/group/mlgate/-/raw/v0.1.0/{TEMPLATE.name}")
    (project.root / ".gitlab-ci.yml").write_text(
        "include:\n"
        f"  - remote: {url}\n"
        "    inputs:\n"
        '      pip-spec: ""   # this checkout\'s mlgate is on PATH\n'
        "      job-name: model-gate\n"
        "      baseline: gitlab-artifact:model-gate:mlgate-baseline\n"
    )
    shutil.copy(TEMPLATE, project.root / ".gitlab-ci-template.yml")  # for `include: local`
    git = ["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci"]
    for cmd in (
        ["init", "-q", "-b", "main"],
        ["remote", "add", "origin", "git@gitlab.example.com:group/project.git"],
        ["add", "-A"],
        ["commit", "-qm", "project"],
        ["update-ref", "refs/remotes/origin/main", "HEAD"],
        ["symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main"],
    ):
        subprocess.run([*git, *cmd], cwd=project.root, check=True, capture_output=True)
    home = tmp_path / "glcl-home"
    home.mkdir()
    return Runner(project.root, home, node)


def mr_variables(api: FakeGitLab) -> list[str]:
    env = api.env()
    names = (
        "CI_PIPELINE_SOURCE",
        "CI_MERGE_REQUEST_IID",
        "CI_API_V4_URL",
        "CI_PROJECT_ID",
        "CI_JOB_TOKEN",
        "MLGATE_GITLAB_TOKEN",
        "CI_COMMIT_SHA",
        "CI_PIPELINE_ID",
    )
    return [f"{name}={env[name]}" for name in names]


@pytest.mark.slow
def test_default_branch_saves_the_baseline_then_mr_pipelines_gate_on_it(
    pipeline: Runner, project: Project, gitlab_api: FakeGitLab
) -> None:
    # 1. The default branch (template from `include: remote`): `mlgate baseline save`, the
    # folder kept as the job's artifact.
    project.config(base_config("models/production.skops"))
    done = pipeline()
    assert done.returncode == 0, done.stdout
    assert "mlgate: baseline saved to mlgate-baseline" in done.stdout
    saved = pipeline.artifact("model-gate", "mlgate-baseline")
    assert (saved / "baseline.json").is_file() and (saved / "production.skops").is_file()
    assert not list(pipeline.artifact("model-gate", "mlgate-report").glob(".cache"))  # excluded
    assert gitlab_api.seen == []
    for path in saved.iterdir():  # what GitLab then serves from the latest successful pipeline
        key = ("main", "model-gate", f"mlgate-baseline/{path.name}")
        gitlab_api.artifacts[key] = path.read_bytes()

    # 2. A merge request that regresses the model, its pipeline run twice.
    project.config(base_config("models/regressed.skops"))
    for _ in range(2):
        done = pipeline(*mr_variables(gitlab_api))
        assert done.returncode != 0, done.stdout
        assert " FAIL  model-gate" in done.stdout
        assert re.search(r"model-gate finished in .* FAIL 1\b", done.stdout)  # exit 1: a regression
        assert "mlgate: MR !12 note" in done.stdout

    [note] = gitlab_api.notes["12"]
    assert note["author"]["id"] == BOT["id"] and "Blocked" in note["body"]
    assert [s["state"] for s in gitlab_api.statuses] == ["failed", "failed"]
    assert {s["name"] for s in gitlab_api.statuses} == {"mlgate"}
    reports = pipeline.artifact("model-gate", "mlgate-report")
    assert "<testsuite" in (reports / "junit.xml").read_text()
    assert (reports / "metrics.txt").read_text().strip()
    report = yaml.safe_load((reports / "report.json").read_text())
    assert report["verdict"] == "fail"
    assert report["context"]["baseline"]["spec"] == "gitlab-artifact:model-gate:mlgate-baseline"
    assert report["context"]["baseline"]["paired"] is True
    artifact_reads = gitlab_api.requests("GET", "/jobs/artifacts/main/raw/mlgate-baseline/")
    assert artifact_reads and all(
        s.headers.get("Job-Token") == gitlab_api.job_token for s in artifact_reads
    )
    assert gitlab_api.token not in done.stdout


@pytest.mark.slow
def test_mr_pipeline_allowed_to_fail_passes_the_pipeline(
    pipeline: Runner, project: Project, gitlab_api: FakeGitLab
) -> None:
    (project.root / ".gitlab-ci.yml").write_text(
        "include:\n  - local: .gitlab-ci-template.yml\n"
        '    inputs: {pip-spec: "", allow-failure: true, comment: on-failure, args: --quiet}\n'
    )
    project.config(base_config("models/regressed.skops"))
    done = pipeline(*mr_variables(gitlab_api))
    assert done.returncode == 0, done.stdout
    assert "WARN  mlgate" in done.stdout  # the include: local copy, default job name
    assert "model.roc_auc" not in done.stdout  # args: --quiet reached `mlgate run`
    assert gitlab_api.statuses == []  # a failed status would fail the pipeline after all
    assert len(gitlab_api.notes["12"]) == 1


@pytest.mark.slow
def test_gitlab_ci_local_runs_the_component_included_by_commit_sha(
    tmp_path: Path, project: Project, node: list[str], gitlab_api: FakeGitLab
) -> None:
    """`include: component:` at $CI_COMMIT_SHA, as the self-test pipeline writes it: the
    catalog project is this repository, so gitlab-ci-local reads templates/mlgate.yml from it."""
    (project.root / "templates").mkdir()
    shutil.copy(COMPONENT, project.root / "templates" / "mlgate.yml")
    (project.root / ".gitlab-ci.yml").write_text(
        "include:\n"
        "  - component: $CI_SERVER_FQDN/$CI_PROJECT_PATH/mlgate@$CI_COMMIT_SHA\n"
        "    inputs:\n"
        '      pip-spec: ""   # this checkout\'s mlgate is on PATH\n'
        "      job-name: component-gate\n"
        "      args: --quiet\n"
    )
    project.config(base_config("models/regressed.skops"))
    git = ["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci"]
    for cmd in (
        ["init", "-q", "-b", "main"],
        ["remote", "add", "origin", "git@gitlab.example.com:group/mlgate.git"],
        ["add", "-A"],
        ["commit", "-qm", "catalog project"],
        ["update-ref", "refs/remotes/origin/main", "HEAD"],
        ["symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main"],
    ):
        subprocess.run([*git, *cmd], cwd=project.root, check=True, capture_output=True)
    home = tmp_path / "glcl-home"
    home.mkdir()
    # CI_COMMIT_SHA stays gitlab-ci-local's own (HEAD): the component's ref is this commit
    variables = [v for v in mr_variables(gitlab_api) if not v.startswith("CI_COMMIT_SHA=")]
    done = Runner(project.root, home, node)(*variables)
    assert done.returncode != 0, done.stdout
    assert " FAIL  component-gate" in done.stdout, done.stdout
    assert re.search(r"component-gate finished in .* FAIL 1\b", done.stdout)
    assert "model.roc_auc" not in done.stdout  # args: --quiet, split and passed on
    [note] = gitlab_api.notes["12"]
    assert "Blocked" in note["body"]
