"""What the GitHub Action installs: version, lock, extras, install spec and cache key (stdlib only).

Run by action.yml with the interpreter mlgate will use, isolated (`python -I`): nothing from the
workspace is importable here. Reads its inputs from the environment, writes `name=value` lines
to $GITHUB_OUTPUT, and on a bad input prints one `::error` line and exits 2. It reads the config
only as text, to guess the extras it needs (before mlgate, or YAML, is installed).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import os
import platform
import re
import sys
from pathlib import Path

COMMANDS = ("run", "check", "publish", "baseline-save", "fork-evaluate")
# extra -> the module it brings (the probe of an interpreter that already has mlgate)
EXTRAS = {
    "data": "great_expectations",
    "github": "github",
    "gitlab": "gitlab",
    "onnx": "onnxruntime",
    "custom": "pytest",
}
VERSION = re.compile(r"[0-9]+(\.[0-9]+)*([a-z0-9.+-]*)?")
# what in a config needs which extra (a guess from the text: the `extras` input overrides it)
NEEDS = {
    "data": re.compile(r"^\s*-?\s*[{]?\s*(expect|suite)\s*[:=]", re.M),
    "onnx": re.compile(r"\.onnx\b"),
    "gitlab": re.compile(r"gitlab-artifact:"),
    "custom": re.compile(r"^\s*(custom\s*[:=]|\[{1,2}tool\.mlgate\.gates\.custom\]{1,2})", re.M),
}


class Refused(Exception):
    """A bad input: one line naming it and the fix."""


def main() -> int:
    env = os.environ
    try:
        plan = make_plan(env)
    except Refused as exc:
        print(f"::error title=mlgate::{escape(str(exc))}", flush=True)
        return 2
    lines = "".join(f"{key}={value}\n" for key, value in plan.items())
    if env.get("GITHUB_OUTPUT"):
        with open(env["GITHUB_OUTPUT"], "a", encoding="utf-8") as out:
            out.write(lines)
    sys.stdout.write(lines)
    return 0


def make_plan(env: os._Environ[str] | dict[str, str]) -> dict[str, str]:
    action = Path(env["ACTION_PATH"])
    command = env.get("MLGATE_COMMAND") or ("publish" if env.get("MLGATE_REPORT") else "run")
    if command not in COMMANDS:
        raise Refused(f"command: expected one of {', '.join(COMMANDS)}, got {command!r}")
    version = env.get("MLGATE_VERSION") or own_version(action)
    if not VERSION.fullmatch(version):
        raise Refused(f"version: expected a release number such as 0.1.0, got {version!r}")
    lock = action / "constraints" / f"mlgate-{version}.txt"
    if not lock.is_file():
        shipped = sorted(p.stem.removeprefix("mlgate-") for p in lock.parent.glob("mlgate-*.txt"))
        raise Refused(
            f"version: this action has no lock for mlgate {version} "
            f"(it has: {', '.join(shipped) or 'none'}); use the action's release v{version}"
        )
    extras = chosen_extras(env, command)
    source = env.get("MLGATE_SOURCE", "").strip() or "index"
    if source == "index":
        spec = f"mlgate[{','.join(extras)}]=={version}"
        origin = spec
    else:
        wheel = Path(source).expanduser().resolve()
        if not (wheel.is_file() and wheel.name.startswith(f"mlgate-{version}-")):
            raise Refused(
                f"source: expected 'index' or the path of a wheel mlgate-{version}-*.whl, "
                f"got {source!r}"
            )
        spec = f"mlgate[{','.join(extras)}] @ {wheel.as_uri()}"
        origin = hashlib.sha256(wheel.read_bytes()).hexdigest()
    ready = has_mlgate(version, extras)
    digest = hashlib.sha256(
        "\0".join([lock.read_text(encoding="utf-8"), origin, sys.executable, sys.version]).encode()
    ).hexdigest()[:16]
    tag = f"py{sys.version_info.major}.{sys.version_info.minor}"
    arch = platform.machine().lower() or "any"
    runner = env.get("RUNNER_OS", sys.platform)
    key = f"mlgate-{version}-{runner}-{arch}-{tag}-{'+'.join(extras)}-{digest}"
    temp = Path(env.get("RUNNER_TEMP") or "/tmp")
    return {
        "command": command,
        "version": version,
        "lock": str(lock),
        "extras": ",".join(extras),
        "spec": spec,
        "key": key,
        "venv": str(temp / f"mlgate-env-{digest}"),
        "ready": "true" if ready else "false",
        "python": sys.executable,
    }


def own_version(action: Path) -> str:
    text = (action / "mlgate" / "__init__.py").read_text(encoding="utf-8")
    found = re.search(r'^__version__ = "([^"]+)"$', text, re.M)
    if not found:
        raise Refused(f"version: cannot read the action's own version from {action}/mlgate")
    return found.group(1)


def chosen_extras(env: os._Environ[str] | dict[str, str], command: str) -> list[str]:
    given = env.get("MLGATE_EXTRAS", "").replace(",", " ").split()
    if given:
        if given == ["all"]:
            return ["all"]
        unknown = [name for name in given if name not in EXTRAS]
        if unknown:
            raise Refused(
                f"extras: unknown extra {unknown[0]!r} (expected all, or some of "
                f"{', '.join(EXTRAS)})"
            )
        return sorted(set(given))
    found = {"github"}  # on GitHub the action publishes (and reads github-artifact: baselines)
    if command != "publish":  # publishing reads the report only, never the config
        text = config_text(env)
        found |= {extra for extra, pattern in NEEDS.items() if pattern.search(text)}
    return sorted(found)


def config_text(env: os._Environ[str] | dict[str, str]) -> str:
    """The config's text without comments, or '' when there is none (mlgate then says so)."""
    folder = Path(env.get("MLGATE_WORKDIR") or ".")
    names = [env["MLGATE_CONFIG_FILE"]] if env.get("MLGATE_CONFIG_FILE") else []
    for name in [*names, "mlgate.yaml", "mlgate.yml", "pyproject.toml"]:
        path = folder / name
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            lines = [line.split(" #")[0] for line in text.splitlines()]
            return "\n".join(line for line in lines if not line.lstrip().startswith("#"))
    return ""


def has_mlgate(version: str, extras: list[str]) -> bool:
    """Whether this interpreter already has this mlgate and the extras' modules (no import)."""
    try:
        if importlib.metadata.version("mlgate") != version:
            return False
    except importlib.metadata.PackageNotFoundError:
        return False
    modules = EXTRAS.values() if extras == ["all"] else [EXTRAS[name] for name in extras]
    return all(importlib.util.find_spec(module) is not None for module in modules)


def escape(text: str) -> str:
    """A workflow-command message: %, CR and LF encoded, so no text starts a command."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


if __name__ == "__main__":
    sys.exit(main())
