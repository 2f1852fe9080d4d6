"""The runner-side half of GitHub publishing: job summary, step outputs and workflow commands.

Nothing here talks to the API, so it works with a read-only token (fork PRs) and before any
network step can fail. Text from the report may come from data or an untrusted PR: workflow
commands escape it by the runner's rules so it can never start a command of its own.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path

from mlgate.records import GateResult, Report

SUMMARY_LIMIT = 1024 * 1024  # bytes per step; the runner rejects a larger job summary
COMMANDS_PER_LEVEL = 10  # the runner shows at most 10 error and 10 warning annotations per step

# workflow-command escaping (actions/toolkit `command.ts`): data, then property values
_DATA_ESCAPES = (("%", "%25"), ("\r", "%0D"), ("\n", "%0A"))
_PROPERTY_ESCAPES = (*_DATA_ESCAPES, (":", "%3A"), (",", "%2C"))


def escape_data(text: str) -> str:
    """Escape a workflow command's message (after `::`)."""
    for raw, escaped in _DATA_ESCAPES:
        text = text.replace(raw, escaped)
    return text


def escape_property(text: str) -> str:
    """Escape a workflow command's property value (`title=`, `file=`)."""
    for raw, escaped in _PROPERTY_ESCAPES:
        text = text.replace(raw, escaped)
    return text


def escape_line(text: str) -> str:
    """A log line that is not a command and can never become one, whatever the report holds.

    The runner parses `::name::` at the start of a line (after spaces) and the older `##[name]`
    anywhere in it; newlines would start a line of the text's own choosing.
    """
    text = escape_data(text).replace("##[", "##\u2060[")
    stripped = text.lstrip()
    return f"\u2060{text}" if stripped.startswith("::") else text


def command(level: str, message: str, **properties: str | int) -> str:
    """One workflow command line, e.g. `::error title=mlgate%3A model.auc,file=mlgate.yaml::…`."""
    props = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items())
    return f"::{level}{' ' + props if props else ''}::{escape_data(message)}"


# gate status -> workflow command level; blocking failures and errors are errors
_LEVEL: dict[tuple[str, bool], str] = {
    ("fail", True): "error",
    ("error", True): "error",
    ("fail", False): "warning",
    ("error", False): "warning",
    ("warn", False): "warning",
}

Locate = Callable[[GateResult], "tuple[str, int] | None"]


def annotation_commands(report: Report, locate: Locate | None = None) -> list[str]:
    """`::error` / `::warning` lines for gates needing attention, at most 10 per level."""
    by_level: dict[str, list[str]] = {"error": [], "warning": []}
    for line in report.errors:
        by_level["error"].append(command("error", line, title="mlgate"))
    for gate in report.gates:
        level = _LEVEL.get((gate.status, gate.blocking))
        if level is None:
            continue
        where = locate(gate) if locate else None
        props: dict[str, str | int] = {"title": f"mlgate: {gate.id}"}
        if where:
            props.update(file=where[0], line=where[1])
        by_level[level].append(command(level, gate.message or gate.status, **props))
    lines: list[str] = []
    for level, found in by_level.items():
        if len(found) > COMMANDS_PER_LEVEL:
            rest = len(found) - (COMMANDS_PER_LEVEL - 1)
            found = [
                *found[: COMMANDS_PER_LEVEL - 1],
                command(level, f"{rest} more gates — see the job summary", title="mlgate"),
            ]
        lines.extend(found)
    return lines


def append_summary(path: Path, render: Callable[[int], str]) -> None:
    """Append the report to the job summary, within what is left of the step's 1 MiB."""
    used = path.stat().st_size if path.exists() else 0
    budget = SUMMARY_LIMIT - used - 2
    if budget < 200:
        raise OSError(f"{path}: the job summary is already full ({used} bytes)")
    text = render(min(budget, 1_000_000))
    data = text.encode("utf-8")
    if len(data) > budget:  # characters are up to 4 bytes: render again for the worst case
        data = render(budget // 4).encode("utf-8")
    with path.open("ab") as handle:
        handle.write(data + b"\n\n")


def write_outputs(path: Path, outputs: Mapping[str, str]) -> None:
    """Append step outputs with a random heredoc delimiter: any value (multiline too) is safe."""
    with path.open("a", encoding="utf-8") as handle:
        for name, value in outputs.items():
            delimiter = f"ghadelimiter_{uuid.uuid4()}"
            handle.write(
                f"{name}<<{delimiter}{os.linesep}{value}{os.linesep}{delimiter}{os.linesep}"
            )
