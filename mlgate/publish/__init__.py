"""Publishers post a finished report to a CI platform; only this package talks to GitHub/GitLab.

A publisher is a plain object meeting `Publisher`, registered in `PUBLISHERS` (no entry point:
a third-party publisher would need a config surface first). CI detection is
mlgate.platforms.ci. Publishing never changes the verdict: failures are warnings, unless the
user asked for `--require-publish` (then exit 3). The report files exist before.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from mlgate.errors import ConfigError, PublishError
from mlgate.platforms.ci import detect_platform as detect_platform  # re-exported

if TYPE_CHECKING:
    from mlgate.records import Report

CommentMode = Literal["always", "on-failure", "on-change", "never", "per-model"]


@dataclass(frozen=True)
class PublishOptions:
    comment: CommentMode = "always"  # per-model: like always (it matters to `publish_many`)
    require: bool = False
    # the config file this process loaded (`run --publish`): the only file a publisher may read
    config: Path | None = None
    several: bool = False  # one of several reports of a run: only the named step outputs
    own_comment: bool = True  # False: the combined comment of `publish_many` carries this report
    # `mlgate fork-evaluate`: this process computed the report itself from a fork's artifact with
    # the base config, so it is posted as the `mlgate` check (never set from a report's content)
    evaluated: bool = False


def check_name(report: Report) -> str:
    """`mlgate`, or `mlgate / NAME` for a named config: the check run, the commit statuses."""
    return f"mlgate / {report.name}" if report.name else "mlgate"


class Publisher(Protocol):
    name: str

    def detect(self, env: Mapping[str, str]) -> bool:
        """Whether this process runs in this publisher's CI."""
        ...

    def publish(
        self, report: Report, out_dir: Path, options: PublishOptions, env: Mapping[str, str]
    ) -> list[str]:
        """Post the report; return one line per thing done. Raise PublishError on failure."""
        ...

    def accepted(self, label: str, env: Mapping[str, str] | None = None) -> str | None:
        """Why regressions are accepted (the PR/MR carries `label`), or None (fail closed)."""
        ...


PUBLISHERS: dict[str, str] = {
    "github": "mlgate.publish.github:PUBLISHER",
    "gitlab": "mlgate.publish.gitlab:PUBLISHER",
}


def load_publisher(name: str) -> Publisher:
    module, _, attr = PUBLISHERS[name].partition(":")
    publisher: Publisher = getattr(importlib.import_module(module), attr)
    return publisher


def publish(
    report: Report,
    out_dir: Path,
    options: PublishOptions,
    env: Mapping[str, str] | None = None,
) -> list[str]:
    """Post to the detected platform; return lines to show. Raises PublishError only if required."""
    env = dict(os.environ if env is None else env)
    platform = detect_platform(env)
    if platform is None:
        message = "--publish: not running in GitHub Actions or GitLab CI; nothing posted"
        if options.require:
            raise ConfigError(message)
        return [message]
    try:
        return load_publisher(platform).publish(report, out_dir, options, env)
    except PublishError as exc:
        if options.require:
            raise
        return [f"warning: publishing to {platform} failed: {exc.message}"]


def publish_many(
    reports: Sequence[tuple[Report, Path]],
    options: PublishOptions,
    env: Mapping[str, str] | None = None,
) -> list[str]:
    """Post the reports of a run of several named configs: a check (status) per model, then
    one combined comment — or, with `comment: per-model`, each model's own comment.

    Each step fails on its own; a failure is a warning unless `options.require` (then the first
    PublishError is raised once everything else was tried).
    """
    from dataclasses import replace

    env = dict(os.environ if env is None else env)
    platform = detect_platform(env)
    if platform is None:
        message = "--publish: not running in GitHub Actions or GitLab CI; nothing posted"
        if options.require:
            raise ConfigError(message)
        return [message]
    publisher = load_publisher(platform)
    per_model = options.comment == "per-model"
    each = replace(options, comment="always" if per_model else options.comment, several=True)
    each = replace(each, own_comment=per_model)
    lines: list[str] = []
    failed: list[PublishError] = []
    for report, out_dir in reports:
        try:
            done = publisher.publish(report, out_dir, each, env)
            lines += [f"{report.name}: {line}" for line in done]
        except PublishError as exc:
            failed.append(exc)
            lines.append(f"warning: publishing {report.name} to {platform} failed: {exc.message}")
    combine = getattr(publisher, "publish_combined", None)
    if combine is not None:
        try:
            lines += combine([r for r, _ in reports], each, env)
        except PublishError as exc:
            failed.append(exc)
            lines.append(f"warning: publishing the combined comment failed: {exc.message}")
    if failed and options.require:
        raise failed[0]
    return lines
