"""Which CI this process runs in, and the facts about the run it offers (commit, ref, job URL).

Read by the pipeline (the report's `context`), by the baseline sources and by the publishers:
nothing here posts anything.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

Platform = Literal["github", "gitlab"]


def detect_platform(env: Mapping[str, str] | None = None) -> Platform | None:
    """'github' / 'gitlab' when running in that CI, else None."""
    env = os.environ if env is None else env
    if env.get("GITHUB_ACTIONS") == "true":
        return "github"
    if env.get("GITLAB_CI"):
        return "gitlab"
    return None


def ci_context(env: Mapping[str, str], root: Path) -> dict[str, Any]:
    """CI facts from the environment (GitHub Actions, GitLab CI), else from git."""
    platform = detect_platform(env)
    context: dict[str, Any] = {"ci": platform or "local"}
    if platform == "github":
        server = env.get("GITHUB_SERVER_URL", "https://github.com")
        repo, run_id = env.get("GITHUB_REPOSITORY"), env.get("GITHUB_RUN_ID")
        context.update(commit=env.get("GITHUB_SHA"), ref=env.get("GITHUB_REF"))
        if repo and run_id:
            context["job_url"] = f"{server}/{repo}/actions/runs/{run_id}"
        from mlgate.platforms.github import pull_request_of

        context["pull_request"] = pull_request_of(env)  # {number, head_sha}: fork-safe publishing
    elif platform == "gitlab":
        context.update(
            commit=env.get("CI_COMMIT_SHA"),
            ref=env.get("CI_COMMIT_REF_NAME"),
            job_url=env.get("CI_JOB_URL"),
        )
        if env.get("CI_JOB_URL"):
            context["report_url"] = report_url(env["CI_JOB_URL"], env)
    else:
        from mlgate.support.git import output

        context["commit"] = output(root, "rev-parse", "HEAD", timeout=10)
        context["ref"] = output(root, "rev-parse", "--abbrev-ref", "HEAD", timeout=10)
    return {k: v for k, v in context.items() if v}


def report_url(job_url: str, env: Mapping[str, str]) -> str:
    """The HTML report among a GitLab job's artifacts (the folder is MLGATE_REPORT_DIR)."""
    from mlgate.config.settings import Settings

    folder = Settings.from_env(env).report_dir
    return f"{job_url}/artifacts/file/{folder}/report.html"
