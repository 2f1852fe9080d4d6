"""`mlgate fork-evaluate ARTIFACT`: the trusted job evaluates a fork's candidate model itself.

The `pull_request` run of a fork PR runs the fork's code with a read-only token: whatever it
reports is the fork's claim. This command runs in the trusted job that follows it (GitHub: the
`workflow_run` job; GitLab: the parent project's MR pipeline) on a checkout of the **base**
branch: the config, the eval data, the baseline, mlgate and any custom check come from there.
From the fork it takes one file, the candidate model (or predictions file) in the artifact the
untrusted run uploaded, at the path the base config's `models.candidate` names, and loads it
as data only: skops with exact trusted types, ONNX, booster files, predictions files. Never a
pickle (even when the base config opts in with `trust: true`), never a `factory:`.

The fork's report.json in the artifact is only a pointer (which PR); the PR is bound to what
the platform says the triggering run was (GitHub: `workflow_run.head_repository`,
`head_branch`, `head_sha`), the accept label is read through the API, and the verdict posted as
the `mlgate` check is the one computed here. Every refusal is one line and exit 2 or 3.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from mlgate.commands.run import (
    Folder,
    checkpoint,
    finish,
    named,
    on_interrupt,
    output_dir,
    write_error_report,
)
from mlgate.config import LoadedConfig, load_config
from mlgate.errors import ConfigError, InputError, MlgateError, PublishError
from mlgate.records import Report

SAFE_FORMATS = ("skops", "onnx", "xgboost", "lightgbm", "catboost", "predictions")
PICKLE_FORMATS = ("pickle", "joblib")
# where the fork's report (the pointer) may sit in the artifact
POINTERS = ("report.json", "mlgate-report/report.json")
FIX_DOWNLOAD = {
    "github": "download the artifact of the triggering run under $RUNNER_TEMP "
    "(actions/download-artifact with run-id: github.event.workflow_run.id)",
    "gitlab": "pass the MR's checkout ($CI_PROJECT_DIR), run from a worktree of the target "
    "branch outside it (docs/gitlab.md)",
    "local": "pass the folder holding the fork's candidate (outside this checkout), or the file",
}
FIX_CHECKOUT = "check out the base branch: actions/checkout without `ref:` in the trusted job"


@dataclass(frozen=True)
class Binding:
    """What the trusted job evaluates for: the fork's commit and, when bound, its PR/MR."""

    platform: str  # github | gitlab | local
    head_sha: str | None
    number: int | None = None  # the PR (GitHub) / MR iid (GitLab), when bound and current
    context: Mapping[str, Any] | None = None  # recorded as context.fork_evaluation
    accepted: str | None = None


def run(args: argparse.Namespace) -> int:
    folder = Folder()
    with on_interrupt(folder):
        env = dict(os.environ)
        loaded = load_config(args.config)  # the base branch's config: the trusted rules
        out_dir = folder.path = output_dir(args, loaded)
        binding = bind(loaded, env)  # not for a fork's run at all: nothing to post to
        try:
            report = evaluate(args, loaded, env, binding, out_dir)
        except MlgateError as exc:
            write_error_report(exc, out_dir, name=loaded.config.name)
            _publish_error(exc, loaded, out_dir, args, binding, env)
            raise
        code = finish(report, out_dir, quiet=getattr(args, "quiet", False))
        _publish(report, out_dir, args, loaded, binding, env)
    return code


# --- what the fork gives: one model file ---------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    relative: str  # the path models.candidate names in the base config
    file: Path  # that file in the fork's artifact
    format: str
    key: str  # "path" or "predictions"
    trust: tuple[str, ...]


def safe_spec(loaded: LoadedConfig) -> tuple[str, str, str, tuple[str, ...]]:
    """(relative path, format, spec key, skops trust names) of the base config's candidate,
    or ConfigError when it is not a file of a safe format."""
    from mlgate.load.baseline.resolver import SCHEME, SOURCES
    from mlgate.load.models import FORMATS_BY_SUFFIX

    models = loaded.config.models
    if models is None:
        raise ConfigError(
            f"{loaded.where('models')}: fork-evaluate evaluates the fork's model, and the base "
            "config has no models.candidate",
            hint="add models.candidate (the file the pull_request job uploads)",
        )
    spec = models.candidate
    where = loaded.where("models.candidate")
    if spec.factory:
        raise ConfigError(
            f"{where}.factory: fork-evaluate never runs a factory: the fork's model must be a "
            "file in its artifact",
            hint="name the model file under models.candidate (.skops, .onnx, a booster file, "
            "or predictions:)",
        )
    if spec.predictions:
        return spec.predictions, "predictions", "predictions", ()
    relative = spec.path or ""
    scheme = SCHEME.match(relative)
    if scheme and scheme["scheme"] in SOURCES:
        raise ConfigError(
            f"{where}: {relative} is a source spec: fork-evaluate evaluates the model file in "
            "the fork's artifact",
            hint="give models.candidate the path of the file the pull_request job uploads",
        )
    fmt = spec.format or FORMATS_BY_SUFFIX.get(Path(relative).suffix.lower())
    if fmt in PICKLE_FORMATS:
        raise ConfigError(
            f"{where}: {relative} is a {fmt} file: fork-evaluate never unpickles a fork's "
            "model, even with trust: true",
            hint="save the candidate with skops (or export it to ONNX) in the pull_request job",
        )
    if fmt not in SAFE_FORMATS:
        raise ConfigError(
            f"{where}: cannot tell the model format of {relative!r}",
            hint="use .skops, .onnx or a booster file, or set format:",
        )
    trust = tuple(spec.trust) if isinstance(spec.trust, list) else ()  # exact names only
    return relative, fmt, "path", trust


def locate(artifact: Path, loaded: LoadedConfig, platform: str = "github") -> Candidate:
    """The candidate in the fork's artifact (a folder, or the model file itself)."""
    from mlgate.load.baseline.cache import work_tree

    relative, fmt, key, trust = safe_spec(loaded)
    fix = FIX_DOWNLOAD[platform]
    if not artifact.exists():
        raise InputError(f"{artifact}: the fork's artifact is not there", hint=fix)
    tree = work_tree(loaded.root)
    if artifact.resolve().is_relative_to(tree):
        raise ConfigError(
            f"{artifact}: the fork's artifact is inside the checkout {tree}, where its files "
            "could stand in for the base branch's",
            hint=fix,
        )
    if artifact.is_file():
        file = artifact
    else:
        folder = artifact.resolve()
        tried = [folder / relative, folder / Path(relative).name]
        found = [p for p in tried if p.is_file()]
        if not found:
            raise InputError(
                f"{artifact}: the fork's artifact holds no {relative} (models.candidate of the "
                "base config)",
                hint=f"upload {relative} in the pull_request job (upload-artifact path:)",
            )
        file = found[0]
        if not file.resolve().is_relative_to(folder):
            raise InputError(
                f"{artifact}: {relative} in the fork's artifact points outside it: refused"
            )
    with file.open("rb") as handle:
        head = handle.read(2)
    if len(head) == 2 and head[0] == 0x80 and 2 <= head[1] <= 5:
        raise InputError(
            f"{artifact}: {relative} in the fork's artifact is a pickle, not a {fmt} file: "
            "refused (a fork's model is never unpickled)",
            hint="save the candidate with skops (or export it to ONNX) in the pull_request job",
        )
    return Candidate(relative, file.resolve(), fmt, key, trust)


def with_candidate(loaded: LoadedConfig, candidate: Candidate) -> LoadedConfig:
    """The base config with its candidate replaced by the fork's file (the only fork input)."""
    from mlgate.config.schema import ModelSpec

    models = loaded.config.models
    assert models is not None
    if candidate.key == "predictions":
        spec = ModelSpec(predictions=str(candidate.file))
    else:
        spec = ModelSpec(
            path=str(candidate.file), format=candidate.format, trust=list(candidate.trust)
        )
    config = loaded.config.model_copy(
        update={"models": models.model_copy(update={"candidate": spec})}
    )
    return replace(loaded, config=config)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- whom it is for: the triggering run, bound by the platform ----------------------------------


def bind(loaded: LoadedConfig, env: Mapping[str, str]) -> Binding:
    """The run this job evaluates for (from the platform, never from the artifact), after
    checking that the config is the base branch's checkout."""
    from mlgate.platforms.ci import detect_platform

    platform = detect_platform(env)
    if platform == "github":
        return _bind_github(loaded, env)
    if platform == "gitlab":
        return _bind_gitlab(loaded, env)
    return Binding("local", None)


def _head(loaded: LoadedConfig) -> str:
    from mlgate.support import git

    head = git.output(loaded.root, "rev-parse", "HEAD") if git.available() else None
    if not head:
        raise ConfigError(
            f"{loaded.display}: not in a git checkout: fork-evaluate cannot tell that the "
            "config is the base branch's",
            hint=FIX_CHECKOUT,
        )
    return head


def _bind_github(loaded: LoadedConfig, env: Mapping[str, str]) -> Binding:
    from mlgate.platforms.github import triggering_run

    run = triggering_run(env)
    head = _head(loaded)
    if head == run.head_sha:
        raise ConfigError(
            f"{loaded.display}: the checkout is the PR's head commit {head[:12]}: fork-evaluate "
            "takes the config and code from the base branch, never from the PR",
            hint=FIX_CHECKOUT,
        )
    own = env.get("GITHUB_SHA")
    if own and head != own:
        raise ConfigError(
            f"{loaded.display}: the checkout is at {head[:12]}, but this workflow_run job runs "
            f"for {own[:12]} (the default branch)",
            hint=FIX_CHECKOUT,
        )
    context = {
        "head_repository": run.head_repository,
        "head_branch": run.head_branch,
        "head_sha": run.head_sha,
        "run_id": run.run_id,
        "run_conclusion": run.conclusion,
        "base_commit": head,
    }
    return Binding("github", run.head_sha, context=context)


def _bind_gitlab(loaded: LoadedConfig, env: Mapping[str, str]) -> Binding:
    """A merge-request pipeline of the parent project; the config must be the target branch's
    tip (`CI_MERGE_REQUEST_TARGET_BRANCH_SHA`, else the fetched `origin/TARGET`)."""
    from mlgate.support import git

    iid, target = env.get("CI_MERGE_REQUEST_IID"), env.get("CI_MERGE_REQUEST_TARGET_BRANCH_NAME")
    if not iid or not target:
        raise ConfigError(
            "fork-evaluate: this GitLab job is not part of a merge request pipeline "
            "(CI_MERGE_REQUEST_IID is not set)",
            hint='run it with `rules: - if: $CI_PIPELINE_SOURCE == "merge_request_event"`',
        )
    head, sha = _head(loaded), env.get("CI_COMMIT_SHA")
    if head == sha:
        raise ConfigError(
            f"{loaded.display}: the checkout is the MR's commit {head[:12]}: fork-evaluate "
            "takes the config from the target branch, never from the MR",
            hint=f"run it in a worktree of origin/{target} (docs/gitlab.md)",
        )
    tip = env.get("CI_MERGE_REQUEST_TARGET_BRANCH_SHA") or (
        git.output(
            loaded.root,
            "rev-parse",
            "--verify",
            "--end-of-options",
            f"refs/remotes/origin/{target}^{{commit}}",
        )
        if git.is_ref_name(f"refs/remotes/origin/{target}")
        else None
    )
    if head != tip:
        raise ConfigError(
            f"{loaded.display}: the checkout is at {head[:12]}, not at the tip of the target "
            f"branch {target} ({(tip or 'not fetched')[:12]})",
            hint=f"git fetch origin {target} and run in a worktree of origin/{target} "
            "(docs/gitlab.md)",
        )
    source = env.get("CI_MERGE_REQUEST_SOURCE_PROJECT_ID")
    context = {
        "head_repository": env.get("CI_MERGE_REQUEST_SOURCE_PROJECT_PATH") or source,
        "head_branch": env.get("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME"),
        "head_sha": sha,
        "source_project_id": source,
        "project_id": env.get("CI_PROJECT_ID"),
        "fork": bool(source and source != env.get("CI_PROJECT_ID")),
        "base_commit": head,
    }
    from mlgate.publish import load_publisher

    label = loaded.config.publish.accept_label
    accepted = load_publisher("gitlab").accepted(label, env)  # GitLab's own variable
    return Binding("gitlab", sha, number=int(iid), context=context, accepted=accepted)


def pointer(artifact: Path, binding: Binding) -> tuple[int | None, Report | None]:
    """The PR number the fork's report names (a hint, verified later), checked to be for the
    triggering run's commit; (None, None) when the artifact holds no report."""
    from mlgate.report import read_report

    if not artifact.is_dir():
        return None, None
    found = [artifact / name for name in POINTERS if (artifact / name).is_file()]
    if not found:
        return None, None
    report = read_report(found[0])  # strict: a forged document is one line, exit 3
    claimed = report.context.get("pull_request") or {}
    sha = claimed.get("head_sha") if isinstance(claimed, dict) else None
    if binding.head_sha and sha and sha != binding.head_sha:
        raise InputError(
            f"{found[0]}: the fork's report is for commit {sha[:12]}, the triggering run for "
            f"{binding.head_sha[:12]}: refusing to evaluate",
            hint=FIX_DOWNLOAD[binding.platform],
        )
    number = claimed.get("number") if isinstance(claimed, dict) else None
    return (number if isinstance(number, int) else None), report


def bind_pull(binding: Binding, hint: int | None, label: str, env: Mapping[str, str]) -> Binding:
    """GitHub: the PR of the triggering run (checked against the API) and its accept label.

    The API unreachable or no token: the check run cannot be posted either, so this is said
    and nothing is accepted (fail closed); a PR from another head is a refusal (InputError).
    """
    if binding.platform != "github":
        return binding
    from mlgate.platforms import github as api
    from mlgate.publish.github_workflow import escape_line

    settings = api.Settings.from_env(env)
    run = api.triggering_run(env)
    try:
        gh = api.connect(settings)
        pull = api.bind_pull(gh, run, hint)
    except PublishError as exc:
        _say(escape_line(f"mlgate: warning: {exc.message}: no PR bound, nothing accepted"))
        return binding
    except api.api_errors() as exc:
        why = api.describe(exc, settings)
        _say(escape_line(f"mlgate: warning: cannot look up the PR ({why}): nothing accepted"))
        return binding
    _say(escape_line(f"mlgate: fork-evaluate: {pull.note}"))
    context = {**(binding.context or {}), "pull_request": pull.number}
    if pull.number is None or not pull.current:
        return replace(binding, context=context)
    accepted = None
    try:
        accepted = api.label_acceptance(gh, run.repository, pull.number, label)
    except api.api_errors() as exc:
        why = api.describe(exc, settings)
        _say(
            escape_line(
                f"mlgate: warning: cannot read the labels of PR #{pull.number} "
                f"({why}): nothing accepted"
            )
        )
    return replace(binding, number=pull.number, context=context, accepted=accepted)


def _say(line: str) -> None:
    print(line, file=sys.stderr)


# --- the evaluation -------------------------------------------------------------------------------


def evaluate(
    args: argparse.Namespace,
    loaded: LoadedConfig,
    env: Mapping[str, str],
    binding: Binding,
    out_dir: Path,
) -> Report:
    from mlgate.pipeline import RunOptions, execute

    artifact = Path(args.artifact)
    if getattr(args, "from_run", None):
        artifact = download(args.from_run, artifact, loaded, binding, env)
    candidate = locate(artifact, loaded, binding.platform)
    hint, fork_report = pointer(artifact, binding)
    binding = bind_pull(binding, hint, loaded.config.publish.accept_label, env)
    options = RunOptions(
        out_dir=out_dir, baseline=args.baseline, accepted=binding.accepted, progress=checkpoint
    )
    report = named(execute(with_candidate(loaded, candidate), options), loaded)
    facts = {
        **(binding.context or {}),
        "candidate": candidate.relative,
        "candidate_sha256": sha256_of(candidate.file),
        "fork_report_verdict": fork_report.verdict if fork_report else None,
    }
    return replace(report, context=_context(report.context, binding, facts))


def download(
    name: str, dest: Path, loaded: LoadedConfig, binding: Binding, env: Mapping[str, str]
) -> Path:
    """`--from-run NAME`: the triggering run's artifact NAME, unpacked into `dest` (outside the
    checkout, checked before anything is written)."""
    from mlgate.load.baseline.cache import work_tree
    from mlgate.load.baseline.github_artifact import of_run

    if binding.platform != "github":
        raise ConfigError(
            f"--from-run {name}: downloads the artifact of a GitHub workflow_run's triggering "
            "run; elsewhere pass the folder that holds the fork's candidate"
        )
    tree = work_tree(loaded.root)
    if dest.resolve().is_relative_to(tree):
        raise ConfigError(
            f"{dest}: the fork's artifact would be unpacked inside the checkout {tree}",
            hint=FIX_DOWNLOAD["github"],
        )
    run_id = (binding.context or {}).get("run_id")
    of_run(name, run_id if isinstance(run_id, int) else None, dest, env)
    return dest


def _context(
    context: Mapping[str, Any], binding: Binding, facts: Mapping[str, Any]
) -> dict[str, Any]:
    out = dict(context)
    out["fork_evaluation"] = {k: v for k, v in facts.items() if v is not None}
    if binding.head_sha:
        out["commit"] = binding.head_sha
    if binding.platform == "github":  # the publisher posts for this commit and (bound) PR
        pull: dict[str, Any] = {"head_sha": binding.head_sha}
        if binding.number is not None:
            pull["number"] = binding.number
        out["pull_request"] = pull
    return out


def _options(args: argparse.Namespace, loaded: LoadedConfig) -> Any:
    from mlgate.publish import PublishOptions

    return PublishOptions(
        comment=args.comment or loaded.config.publish.comment,
        require=args.require_publish,
        config=loaded.path,
        evaluated=True,  # computed here, with the base config: the `mlgate` check
    )


def _publish(
    report: Report,
    out_dir: Path,
    args: argparse.Namespace,
    loaded: LoadedConfig,
    binding: Binding,
    env: Mapping[str, str],
) -> None:
    from mlgate.publish import publish
    from mlgate.publish.github_workflow import escape_line

    if binding.platform == "local":
        _say(
            "mlgate: fork-evaluate: not in a GitHub workflow_run job or a GitLab MR pipeline: "
            "evaluated, nothing posted"
        )
        return
    for line in publish(report, out_dir, _options(args, loaded), env):
        _say(escape_line(f"mlgate: {line}"))


def _publish_error(
    exc: MlgateError,
    loaded: LoadedConfig,
    out_dir: Path,
    args: argparse.Namespace,
    binding: Binding,
    env: Mapping[str, str],
) -> None:
    """A refusal is posted too (a failing `mlgate` check saying why), best effort: the
    error itself is what the job prints and exits with."""
    if binding.platform == "local":
        return
    from mlgate.pipeline import error_report

    name = loaded.config.name
    report = error_report(exc.lines(), context={"name": name} if name else None)
    context = _context({"ci": binding.platform, **report.context}, binding, binding.context or {})
    report = replace(report, context=context)
    from mlgate.publish import publish
    from mlgate.publish.github_workflow import escape_line

    try:
        lines = publish(report, out_dir, replace(_options(args, loaded), require=False), env)
    except MlgateError as failed:
        lines = [f"warning: the refusal was not posted: {failed.message}"]
    for line in lines:
        _say(escape_line(f"mlgate: {line}"))
