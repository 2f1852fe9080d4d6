"""`report:PATH_OR_URL` — a saved mlgate report: metrics only, no paired statistics.

PATH may be a report.json, a `mlgate baseline save` folder (its report.json is read, its model
is not), a URL, or any other baseline spec (`report:git:main:mlgate-baseline/report.json`).
`read` is the one reader of a saved report (a malformed one is a one-line exit-3 error, never a
crash); `saved_metric` and `fingerprint_of` are what the gates take from it.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlgate.errors import BaselineError, ConfigError

if TYPE_CHECKING:
    from mlgate.load.baseline.resolver import SourceContext


def fetch(rest: str, ctx: SourceContext) -> Path:
    """The saved report as a local `.json` file (so `interpret` reads it as a report)."""
    from mlgate.load.baseline.resolver import fetch_spec, split_spec

    if not rest.strip():
        raise ConfigError(
            f"{ctx.where}: report: needs a path or URL",
            hint="e.g. report:mlgate-baseline/report.json",
        )
    scheme, _ = split_spec(rest)
    if scheme == "report":
        raise ConfigError(f"{ctx.where}: report:{rest} names report: twice")
    if scheme is None:
        path = Path(rest).expanduser()
        path = path if path.is_absolute() else ctx.root / path
        if not path.exists():
            raise BaselineError(
                f"{ctx.where}: saved report not found: {path}",
                hint="paths are relative to the config file; `mlgate baseline save` writes "
                "DIR/report.json",
            )
    else:
        path = fetch_spec(rest, ctx)
    if path.is_dir():
        inner = path / "report.json"
        if not inner.is_file():
            raise BaselineError(
                f"{ctx.where}: report:{rest} is a folder without report.json",
                hint="point at what `mlgate baseline save` wrote",
            )
        return inner
    if path.suffix.lower() != ".json":  # e.g. a URL without an extension
        named = path.with_name(path.name + ".report.json")
        shutil.copyfile(path, named)
        return named
    return path


def read(path: Path, where: str) -> dict[str, Any]:
    """A saved mlgate.report/v1 document whose shape the gates can rely on, else BaselineError.

    `context` must be an object and `gates` a list of objects (each may be absent): a report
    edited by hand or written by something else is refused in one line, not read half-way.
    """
    from mlgate.records import SCHEMA

    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise BaselineError(f"{where}: cannot read saved report {path}: {exc}") from None
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        raise BaselineError(f"{where}: {path} is not an {SCHEMA} report")
    hint = "point at a report.json written by mlgate (e.g. by `mlgate baseline save`)"
    for key, expected in (("context", dict), ("gates", list)):
        if key in doc and not isinstance(doc[key], expected):
            found = "null" if doc[key] is None else type(doc[key]).__name__
            shape = "an object" if expected is dict else "a list"
            raise BaselineError(
                f"{where}: saved report {path}: {key!r} is {found}, expected {shape}", hint=hint
            )
    if any(not isinstance(gate, dict) for gate in doc.get("gates", ())):
        raise BaselineError(
            f"{where}: saved report {path}: every entry of 'gates' must be an object", hint=hint
        )
    return doc


def saved_metric(report_doc: dict[str, Any], gate_id: str) -> float | None:
    """The production value of gate `gate_id` in a saved report: that run's candidate value.

    None when the gate is absent, was not measured (error/skipped), or is not a finite number.
    """
    for gate in report_doc.get("gates", ()) or ():
        if isinstance(gate, dict) and gate.get("id") == gate_id:
            value = gate.get("candidate")
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return float(value) if math.isfinite(value) else None
            return None
    return None


def fingerprint_of(report_doc: dict[str, Any]) -> str | None:
    """The eval-data fingerprint a saved report was measured on (context.eval.fingerprint)."""
    context = report_doc.get("context")
    evaluation = context.get("eval") if isinstance(context, dict) else None
    value = evaluation.get("fingerprint") if isinstance(evaluation, dict) else None
    return value if isinstance(value, str) and value else None
