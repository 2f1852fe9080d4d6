"""Publishers post a finished report to a CI platform; only this package talks to GitHub/GitLab.

A publisher is a plain object meeting `Publisher`, registered in `PUBLISHERS` (no entry point:
a third-party publisher would need a config surface first). CI detection is
mlgate.platforms.ci. Publishing never changes the verdict: failures are warnings, unless the
user asked for `--require-publish` (then exit 3). The report files exist before.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from mlgate.errors import ConfigError, PublishError
from mlgate.platforms.ci import detect_platform as detect_platform  # re-exported

if TYPE_CHECKING:
    from mlgate.records import Report

CommentMode = Literal["always", "on-failure", "on-change", "never"]


@dataclass(frozen=True)
class PublishOptions:
    comment: CommentMode = "always"
    require: bool = False
    # the config file this process loaded (`run --publish`): the only file a publisher may read
    config: Path | None = None


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
