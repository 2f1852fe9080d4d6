"""`gitlab-artifact:JOB:PATH`: a file (or a `mlgate baseline save` folder) from the artifacts of
JOB in the latest successful pipeline of the default branch.

Reads `/projects/:id/jobs/artifacts/:ref/raw/:path?job=JOB`, which `CI_JOB_TOKEN` may read, so it
works in merge-request pipelines without any other token (a private token is used if no job
token is there, e.g. when run by hand with MLGATE_GITLAB_TOKEN).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import quote

from mlgate.errors import BaselineError, ConfigError
from mlgate.load.baseline.common import environ, inside
from mlgate.support import fs

if TYPE_CHECKING:
    import gitlab

    from mlgate.load.baseline.common import SourceContext

MANIFEST = "baseline.json"


def fetch(rest: str, ctx: SourceContext) -> Path:
    """Download PATH (a file, or the folder holding baseline.json) into the cache."""
    job, _, path = rest.partition(":")
    path = path.strip("/")
    if not job or not path:
        raise ConfigError(
            f"{ctx.where}: expected gitlab-artifact:JOB:PATH, got 'gitlab-artifact:{rest}'",
            hint="e.g. gitlab-artifact:mlgate:mlgate-baseline (the job name, then the path "
            "inside its artifacts)",
        )
    _check_relative(path, ctx)
    env = environ(ctx)
    client, project, ref = _client(env, ctx)
    dest = ctx.cache / "gitlab-artifact" / _safe(job)
    reader = _Reader(client, project, ref, job, env, ctx)
    if PurePosixPath(path).suffix:  # a file: models, reports
        return reader.get(path, dest / path)
    # A folder: what `mlgate baseline save` wrote — its manifest, then the files it names.
    folder = dest / path
    manifest = reader.get(f"{path}/{MANIFEST}", folder / MANIFEST)
    try:
        doc = json.loads(manifest.read_text())
    except (OSError, ValueError) as exc:
        raise BaselineError(
            f"{ctx.where}: {path}/{MANIFEST} from job {job!r} is not JSON: {exc}"
        ) from None
    for name in _listed(doc):
        # names come from a downloaded manifest: each must stay inside the folder
        local = inside(folder, name, where=ctx.where, label=f"{path}/{MANIFEST} of job {job!r}")
        reader.get(f"{path}/{name}", local)
    return folder


class _Reader:
    """Downloads artifact files of one job on one ref, with one error style."""

    def __init__(
        self,
        client: gitlab.Gitlab,
        project: str,
        ref: str,
        job: str,
        env: Mapping[str, str],
        ctx: SourceContext,
    ) -> None:
        self.client, self.project, self.ref, self.job = client, project, ref, job
        self.env, self.ctx = env, ctx

    def get(self, path: str, dest: Path) -> Path:
        """Stream one artifact file to `dest` atomically; 404 says no baseline was saved yet."""
        import gitlab

        from mlgate.platforms.gitlab import RETRIES, api_errors

        artifacts = self.client.projects.get(self.project, lazy=True).artifacts
        found = True
        try:
            with (
                fs.atomic_stream(dest) as out,
                api_errors(
                    f"{self.ctx.where}: downloading artifact {path} of job {self.job!r}",
                    self.env,
                    BaselineError,
                ),
            ):
                try:  # ref and path are URL path segments: a branch may hold "/"
                    artifacts.raw(
                        quote(self.ref, safe=""),
                        quote(path),
                        self.job,
                        streamed=True,
                        action=out.write,
                        chunk_size=1 << 20,
                        max_retries=RETRIES,
                    )
                except gitlab.exceptions.GitlabGetError as exc:
                    if exc.response_code != 404:
                        raise
                    raise _NotFound from None  # not a GitlabError: api_errors lets it through
        except _NotFound:
            found = False
        if not found:
            raise BaselineError(
                f"{self.ctx.where}: no successful pipeline on {self.ref} has an artifact "
                f"{path} from a job named {self.job!r} yet",
                hint="merge once so the default-branch job saves it (`mlgate baseline save`), "
                "or check the job name and the path inside its artifacts",
            )
        return dest


class _NotFound(Exception):
    """The artifact file answered 404 (the temporary file is dropped, `dest` untouched)."""


def _client(env: Mapping[str, str], ctx: SourceContext) -> tuple[gitlab.Gitlab, str, str]:
    from mlgate.errors import require
    from mlgate.platforms.gitlab import connect, private_token, server_url

    require("gitlab", "gitlab", "the gitlab-artifact: baseline")
    project = env.get("CI_PROJECT_ID") or env.get("CI_PROJECT_PATH")
    ref = env.get("CI_DEFAULT_BRANCH")
    if not project or not ref or not (env.get("CI_API_V4_URL") or env.get("CI_SERVER_URL")):
        raise BaselineError(
            f"{ctx.where}: gitlab-artifact: baselines are read inside GitLab CI "
            "(CI_API_V4_URL, CI_PROJECT_ID and CI_DEFAULT_BRANCH are not all set)",
            hint="locally, pass --baseline git:origin/main:PATH or a file",
        )
    server = server_url(env, BaselineError)
    job_token = env.get("CI_JOB_TOKEN") or None
    private = None if job_token else private_token(env)
    if job_token is None and private is None:
        raise BaselineError(
            f"{ctx.where}: no CI_JOB_TOKEN, MLGATE_GITLAB_TOKEN or GITLAB_TOKEN to read the "
            "artifact with"
        )
    return connect(server, private=private, job=job_token), project, ref


def _listed(doc: object) -> list[str]:
    """The files a mlgate.baseline/v1 manifest names beside it (its `files`, report and model)."""
    if not isinstance(doc, dict):
        return []
    files = doc.get("files")
    names = [*(files if isinstance(files, list) else []), doc.get("report"), doc.get("model")]
    unique = dict.fromkeys(n for n in names if isinstance(n, str) and n and n != MANIFEST)
    return list(unique)


def _check_relative(path: str, ctx: SourceContext) -> None:
    parts = PurePosixPath(path).parts
    if path.startswith("/") or ".." in parts:
        raise ConfigError(f"{ctx.where}: artifact path {path!r} must stay inside the artifacts")


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "job"
