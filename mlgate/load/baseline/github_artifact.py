"""`github-artifact:NAME[:PATH]`: the artifact NAME of the latest successful default-branch run.

Listed through the REST API (`GET /repos/{repo}/actions/artifacts?name=NAME`, newest first) and
taken from a run that pushed to the default branch of this repository itself: a fork PR's run on
its own branch called `main` is not production. Only `push`, `schedule` and `workflow_dispatch`
runs qualify (TRUSTED_EVENTS), and only the workflow MLGATE_BASELINE_WORKFLOW names, if set.
The zip is downloaded with `GITHUB_TOKEN` (`actions: read`), checked against the artifact's
sha256 digest when GitHub gives one, unpacked safely into the cache, and the baseline is the
folder (a `mlgate baseline save` folder or a report), PATH inside it, or its single file.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from mlgate.config.settings import Settings
from mlgate.errors import BaselineError, ConfigError, PublishError
from mlgate.load.baseline.common import environ, unpack
from mlgate.platforms import github as api
from mlgate.support import fs, http
from mlgate.support.secrets import redact_url

if TYPE_CHECKING:
    from github.Artifact import Artifact
    from github.Repository import Repository

    from mlgate.load.baseline.common import SourceContext

PR_EVENTS = frozenset(
    {
        "pull_request",
        "pull_request_target",
        "pull_request_review",
        "pull_request_review_comment",
        "merge_group",
    }
)
# the only events whose default-branch runs may produce a baseline: `workflow_run` and
# `issue_comment` jobs run on the default branch too, and often handle untrusted input (issue 13)
TRUSTED_EVENTS = frozenset({"push", "schedule", "workflow_dispatch"})
MAX_ARTIFACTS = 200  # how far back to look for a run that qualifies
CHUNK = 1 << 20


def fetch(rest: str, ctx: SourceContext) -> Path:
    """Download and unpack the artifact; return the model file or the folder of the baseline."""
    name, _, inner = rest.partition(":")
    if not name or not re.fullmatch(r"[^\\/\":<>|*?\r\n]+", name):
        raise ConfigError(
            f"{ctx.where}: expected github-artifact:NAME[:PATH], got 'github-artifact:{rest}'",
            hint="NAME is the artifact's name, as given to actions/upload-artifact",
        )
    env = environ(ctx)
    settings = api.Settings.from_env(env)
    try:
        repo = api.connect(settings).get_repo(api.repository_of(settings))
    except PublishError as exc:
        raise BaselineError(
            f"{ctx.where}: github-artifact:{name}: {exc.message}",
            hint="the workflow needs `permissions: actions: read` and "
            "GITHUB_TOKEN in the environment",
        ) from None
    try:
        artifact = _latest(repo, name, env)
        dest = ctx.cache / "github-artifact" / f"{_safe(name)}-{artifact.id}"
        folder = dest if _complete(dest) else _download(artifact, dest, settings, ctx)
    except PublishError as exc:  # an unreadable event payload
        raise BaselineError(f"{ctx.where}: github-artifact:{name}: {exc.message}") from None
    except api.api_errors() as exc:
        raise BaselineError(
            f"{ctx.where}: github-artifact:{name}: {api.describe(exc, settings)}",
            hint="the workflow needs `permissions: actions: read`",
        ) from None
    return _choose(folder, inner, name, ctx)


def _latest(repo: Repository, name: str, env: Mapping[str, str]) -> Artifact:
    """The newest unexpired artifact NAME of a successful non-PR run on the default branch."""
    event = api.read_event(env)
    branch = (
        Settings.from_env(env, only=("default_branch",)).default_branch
        or (event.get("repository") or {}).get("default_branch")
        or repo.default_branch
    )
    workflow = Settings.from_env(env, only=("baseline_workflow",)).baseline_workflow
    refused: list[str] = []
    seen = 0
    for artifact in repo.get_artifacts(name=name):
        seen += 1
        if seen > MAX_ARTIFACTS:
            break
        origin = artifact.workflow_run
        if artifact.expired or origin is None or origin.head_branch != branch:
            continue
        if origin.head_repository_id != origin.repository_id:  # a fork's branch of that name
            continue
        run = repo.get_workflow_run(origin.id)
        if run.conclusion != "success" or run.event in PR_EVENTS:
            continue
        if run.event not in TRUSTED_EVENTS:
            refused.append(f"run {run.id} ({run.event})")
            continue
        if workflow and workflow not in (run.name, run.path, PurePosixPath(run.path or "").name):
            continue
        return artifact
    why = f"; refused runs of untrusted events: {', '.join(refused[:5])}" if refused else ""
    producer = f" of the workflow {workflow!r}" if workflow else ""
    raise BaselineError(
        f"no successful run{producer} on {branch!r} has an artifact named {name!r} "
        f"(looked at {seen}){why}",
        hint="upload it from the default branch, e.g. after `mlgate baseline save`, with "
        "actions/upload-artifact in a push/schedule/workflow_dispatch workflow; artifacts "
        "expire after the retention period",
    )


def _download(artifact: Artifact, dest: Path, settings: api.Settings, ctx: SourceContext) -> Path:
    """Stream the zip (following GitHub's redirect to storage, without our token) and unpack it."""
    session = http.session(api.retry_policy(settings))
    timeout = Settings.from_env(environ(ctx), only=("http_timeout",)).http_timeout
    headers = {
        "Authorization": f"Bearer {settings.token}",
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28",
    }
    try:
        with fs.scratch_file(dest.parent, ".zip") as tmp:
            # requests drops Authorization when the redirect leaves the API host (presigned)
            with (
                tmp.open("wb") as out,
                session.get(
                    artifact.archive_download_url,
                    headers=headers,
                    stream=True,
                    timeout=http.timeouts(timeout),
                ) as response,
            ):
                if response.status_code != 200:
                    raise BaselineError(
                        f"{ctx.where}: github-artifact:{artifact.name}: download failed: HTTP "
                        f"{response.status_code} from {redact_url(response.url)}"
                    )
                digest = hashlib.sha256()
                for chunk in response.iter_content(CHUNK):
                    out.write(chunk)
                    digest.update(chunk)
            expected = _digest(artifact)
            if expected and digest.hexdigest() != expected:
                raise BaselineError(
                    f"{ctx.where}: github-artifact:{artifact.name}: the download's sha256 "
                    f"{digest.hexdigest()[:16]}… is not the artifact's digest "
                    f"{expected[:16]}…; refused"
                )
            folder = unpack(
                tmp, dest, where=ctx.where, label=f"artifact {artifact.name!r}", ctx=ctx
            )
    finally:
        session.close()
    return folder


def _digest(artifact: Artifact) -> str | None:
    """The sha256 GitHub recorded for the artifact's zip ("sha256:HEX"), when it has one."""
    try:
        value = artifact.digest
    except AttributeError:  # an older PyGithub
        return None
    if isinstance(value, str) and value.startswith("sha256:"):
        return value.removeprefix("sha256:").lower()
    return None


def _complete(dest: Path) -> bool:
    """An earlier run of this job already unpacked this very artifact (ids never repeat)."""
    return dest.is_dir() and any(dest.iterdir())


def _choose(folder: Path, inner: str, name: str, ctx: SourceContext) -> Path:
    """PATH inside the artifact, the folder itself (a saved baseline), or its only file."""
    entries = [p for p in folder.iterdir() if not p.name.startswith(".")]
    if len(entries) == 1 and entries[0].is_dir() and not inner:
        folder = entries[0]  # a zip of one folder reads like the folder
        entries = [p for p in folder.iterdir() if not p.name.startswith(".")]
    if inner:
        parts = PurePosixPath(inner).parts
        if inner.startswith("/") or ".." in parts:
            raise ConfigError(
                f"{ctx.where}: github-artifact:{name}:{inner}: the path must stay "
                "inside the artifact"
            )
        path = folder.joinpath(*parts)
        if not path.exists():
            raise BaselineError(
                f"{ctx.where}: artifact {name!r} has no {inner!r}",
                hint=f"it holds: {_listing(folder)}",
            )
        return path
    if (folder / "baseline.json").is_file() or (folder / "report.json").is_file():
        return folder
    files = [p for p in entries if p.is_file()]
    if len(files) == 1 and len(entries) == 1:
        return files[0]
    raise BaselineError(
        f"{ctx.where}: artifact {name!r} holds several files and no baseline.json",
        hint=f"name one: github-artifact:{name}:PATH (it holds: {_listing(folder)})",
    )


def _listing(folder: Path, limit: int = 10) -> str:
    names = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    return ", ".join(names[:limit]) + (" …" if len(names) > limit else "") or "nothing"


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)[:80]


def of_run(name: str, run_id: int | None, dest: Path, env: Mapping[str, str]) -> Path:
    """The artifact NAME of workflow run `run_id` (the run a `workflow_run` job was triggered
    by), downloaded and unpacked into `dest`: `mlgate fork-evaluate --from-run NAME`.

    The run id comes from the event GitHub wrote, so the artifact is that run's and no other's;
    it is checked against its digest and unpacked with the same limits as a baseline.
    """
    from mlgate.errors import InputError
    from mlgate.load.baseline.common import SourceContext

    where = f"--from-run {name}"
    settings = api.Settings.from_env(env)
    if run_id is None:
        raise InputError(f"{where}: the event names no triggering run (workflow_run.id)")
    try:
        repo = api.connect(settings).get_repo(api.repository_of(settings))
        found = None
        for seen, artifact in enumerate(repo.get_artifacts(name=name)):
            if seen >= MAX_ARTIFACTS:
                break
            origin = artifact.workflow_run
            if origin is not None and origin.id == run_id and not artifact.expired:
                found = artifact
                break
        if found is None:
            raise InputError(
                f"{where}: the triggering run {run_id} has no artifact named {name!r}",
                hint=f"upload it in the pull_request job (actions/upload-artifact, name: {name})",
            )
        if dest.exists() and any(dest.iterdir()):
            raise InputError(
                f"{where}: {dest} is not empty",
                hint="download into a fresh folder under $RUNNER_TEMP",
            )
        dest.parent.mkdir(parents=True, exist_ok=True)
        ctx = SourceContext(root=dest.parent, cache=dest.parent, where=where)
        return _download(found, dest, settings, ctx)
    except PublishError as exc:
        raise InputError(f"{where}: {exc.message}", hint=exc.hint) from None
    except api.api_errors() as exc:
        raise InputError(
            f"{where}: {api.describe(exc, settings)}",
            hint="the workflow needs `permissions: actions: read`",
        ) from None
