"""Resolving the production baseline spec (docs/design.md §4) to a local model or a saved report.

One resolver, one error style. A spec is `SCHEME:REST` for the schemes in `SOURCES`, else a
local path. Each source module has `fetch(rest, ctx) -> Path` and returns a local file or folder;
`interpret` then decides what it is (a model file, a saved report, a `mlgate baseline save` folder).
"""

from __future__ import annotations

import importlib
import json
import re
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, Protocol

from mlgate.errors import BaselineError, ConfigError
from mlgate.load.baseline import history as _history
from mlgate.load.baseline.common import SourceContext as SourceContext  # re-exported
from mlgate.load.boosters import is_xgboost_json

# scheme -> module implementing `fetch(rest: str, ctx: SourceContext) -> Path`
SOURCES: dict[str, str] = {
    "git": "mlgate.load.baseline.git",
    "https": "mlgate.load.baseline.url",
    "http": "mlgate.load.baseline.url",
    "report": "mlgate.load.baseline.report",
    "github-artifact": "mlgate.load.baseline.github_artifact",
    "gitlab-artifact": "mlgate.load.baseline.gitlab_artifact",
    "mlflow": "mlgate.load.baseline.mlflow",
}
SCHEME = re.compile(r"^(?P<scheme>[a-z][a-z0-9-]+):(?P<rest>.+)$")
# schemes whose source is given the whole spec, not the rest: a URL's scheme is part of the URL
WHOLE_SPEC = frozenset({"http", "https"})
MANIFEST_SCHEMA = "mlgate.baseline/v1"  # what `mlgate baseline save` writes as baseline.json


class Source(Protocol):
    def fetch(self, rest: str, ctx: SourceContext) -> Path: ...


@dataclass(frozen=True)
class ResolvedBaseline:
    """The baseline as found: a model file to re-evaluate, or a saved report (metrics only)."""

    spec: str
    kind: Literal["model", "predictions", "report"]
    path: Path | None = None  # model or predictions file (kind model/predictions)
    report: dict[str, Any] | None = (
        None  # saved mlgate.report/v1 document (kind report, or alongside)
    )
    note: str = ""
    # a baseline folder's history.jsonl (docs/baselines.md, "History"); None for a single file
    history: _history.History | None = None

    @property
    def paired(self) -> bool:
        return self.kind != "report"


def shown_spec(spec: str | None) -> str | None:
    """A baseline spec as the report shows it: any http(s) URL in it redacted."""
    if spec is None:
        return None
    from mlgate.support.secrets import redact_url

    head, rest = "", spec
    while rest.startswith("report:"):  # report:https://… names a URL too
        head, rest = head + "report:", rest.removeprefix("report:")
    if rest.lower().startswith(("http://", "https://")):
        rest = redact_url(rest)
    return head + rest


def split_spec(spec: str) -> tuple[str | None, str]:
    """('git', 'main:models/m.skops') for 'git:main:models/m.skops'; (None, spec) for a path."""
    match = SCHEME.match(spec)
    if match and match.group("scheme") in SOURCES:
        return match.group("scheme"), match.group("rest")
    if match and "/" not in match.group("scheme") and not Path(spec).exists():
        known = ", ".join(f"{s}:" for s in sorted(SOURCES))
        raise ConfigError(
            f"unknown baseline scheme {match.group('scheme')!r} in {spec!r}",
            hint=f"use a local path or one of {known}",
        )
    return None, spec


def resolve(spec: str, ctx: SourceContext, *, predictions: bool = False) -> ResolvedBaseline:
    """Fetch the baseline named by `spec` and say what it is."""
    resolved = interpret(spec, fetch_spec(spec, ctx), ctx, predictions=predictions)
    if ctx.notes and not resolved.note:  # e.g. the registered model version an alias named
        resolved = replace(resolved, note="; ".join(ctx.notes))
    return resolved


def fetch_spec(spec: str, ctx: SourceContext) -> Path:
    """The local file or folder a spec names (downloaded / exported into ctx.cache if remote)."""
    try:
        scheme, rest = split_spec(spec)
    except ConfigError as exc:  # located here: split_spec does not know the config key
        raise ConfigError(f"{ctx.where}: {exc.problems[0]}", hint=exc.hint) from None
    if scheme is None:
        path = Path(rest).expanduser()
        path = path if path.is_absolute() else ctx.root / path
        if not path.exists():
            raise BaselineError(
                f"{ctx.where}: baseline not found: {path}",
                hint="paths are relative to the config file",
            )
    else:
        try:
            module: Source = importlib.import_module(SOURCES[scheme])
        except ModuleNotFoundError as exc:
            if exc.name != SOURCES[scheme]:
                raise
            raise BaselineError(
                f"{ctx.where}: baseline source {scheme}: is not available in this mlgate version"
            ) from None
        path = module.fetch(spec if scheme in WHOLE_SPEC else rest, ctx)
    return path


def interpret(
    spec: str, path: Path, ctx: SourceContext, *, predictions: bool = False
) -> ResolvedBaseline:
    """Decide what a fetched baseline is: a report, a saved-baseline folder, or a model file."""
    if path.is_dir():
        manifest = path / "baseline.json"
        if manifest.is_file():
            return _with_history(_from_manifest(spec, manifest, ctx), path)
        report = path / "report.json"
        if report.is_file():
            resolved = ResolvedBaseline(spec, "report", report=_read_report(report, ctx))
            return _with_history(resolved, path)
        raise BaselineError(
            f"{ctx.where}: {spec} is a folder without baseline.json or report.json",
            hint="point at a model file, or at what `mlgate baseline save` wrote",
        )
    if path.suffix.lower() == ".json" and not is_xgboost_json(path):
        return ResolvedBaseline(spec, "report", report=_read_report(path, ctx))
    return ResolvedBaseline(spec, "predictions" if predictions else "model", path=path)


def _with_history(resolved: ResolvedBaseline, folder: Path) -> ResolvedBaseline:
    """The folder's history.jsonl alongside; an unreadable one is said (stderr and the note)."""
    found = _history.read(folder)
    if found.problem is None:
        return replace(resolved, history=found)
    said = f"history: {found.problem}; its readable entries are used"
    print(f"mlgate: baseline {said}", file=sys.stderr)
    note = f"{resolved.note}; {said}" if resolved.note else said
    return replace(resolved, history=found, note=note)


def _from_manifest(spec: str, manifest: Path, ctx: SourceContext) -> ResolvedBaseline:
    """A `mlgate baseline save` folder: the model copy (if saved) plus its report.

    The manifest (schema mlgate.baseline/v1) is written by mlgate/commands/baseline_save.py:
    {schema, model, model_format, model_sha256, report, fingerprint, eval, commit, ref,
    created_at, mlgate_version, config, files}.
    """
    try:
        doc = json.loads(manifest.read_text())
    except (OSError, ValueError) as exc:
        raise BaselineError(f"{ctx.where}: cannot read {manifest}: {exc}") from None
    if not isinstance(doc, dict) or doc.get("schema") != MANIFEST_SCHEMA:
        found = doc.get("schema") if isinstance(doc, dict) else None
        raise BaselineError(
            f"{ctx.where}: {manifest} is not an {MANIFEST_SCHEMA} manifest (schema: {found!r})",
            hint="write it with `mlgate baseline save`, or upgrade mlgate if a newer one wrote it",
        )
    from mlgate.load.baseline.common import inside

    label = f"{manifest}"
    named_report = doc.get("report") or "report.json"
    if not isinstance(named_report, str):
        raise BaselineError(f"{ctx.where}: {manifest}: `report` is not a file name")
    report_path = inside(manifest.parent, named_report, where=ctx.where, label=label)
    report = _read_report(report_path, ctx) if report_path.is_file() else None
    note = (
        "saved by `mlgate baseline save`"
        + (f" at {str(doc['commit'])[:12]}" if doc.get("commit") else "")
        + (f" on {doc['created_at']}" if doc.get("created_at") else "")
    )
    model = doc.get("model")
    if model:
        if not isinstance(model, str):
            raise BaselineError(f"{ctx.where}: {manifest}: `model` is not a file name")
        # a forged manifest must not name any file of the machine as "the model"
        path = inside(manifest.parent, model, where=ctx.where, label=label)
        if not path.is_file():
            raise BaselineError(
                f"{ctx.where}: {manifest} names the model {model!r}, which is not in the folder",
                hint="save the whole folder `mlgate baseline save` wrote",
            )
        kind: Literal["model", "predictions"] = (
            "predictions" if doc.get("model_format") == "predictions" else "model"
        )
        return ResolvedBaseline(spec, kind, path=path, report=report, note=note)
    if report is None:
        raise BaselineError(f"{ctx.where}: {manifest} names neither a model nor a report")
    return ResolvedBaseline(spec, "report", report=report, note=note + "; metrics only")


def _read_report(path: Path, ctx: SourceContext) -> dict[str, Any]:
    """The one reader of a saved report: a document whose shape the gates can rely on.

    `context` must be an object and `gates` a list of objects (each may be absent): a report
    edited by hand or written by something else is refused in one line (exit 3), never read
    half-way (the gates read it with `report.saved_metric` and `report.fingerprint_of`).
    """
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError, RecursionError) as exc:
        raise BaselineError(f"{ctx.where}: cannot read saved report {path}: {exc}") from None
    if not isinstance(doc, dict) or doc.get("schema") != "mlgate.report/v1":
        raise BaselineError(f"{ctx.where}: {path} is not an mlgate.report/v1 report")
    hint = "point at a report.json written by mlgate (e.g. by `mlgate baseline save`)"
    for key, expected in (("context", dict), ("gates", list)):
        if key in doc and not isinstance(doc[key], expected):
            found = "null" if doc[key] is None else type(doc[key]).__name__
            shape = "an object" if expected is dict else "a list"
            raise BaselineError(
                f"{ctx.where}: saved report {path}: {key!r} is {found}, expected {shape}",
                hint=hint,
            )
    if any(not isinstance(gate, dict) for gate in doc.get("gates", ())):
        raise BaselineError(
            f"{ctx.where}: saved report {path}: every entry of 'gates' must be an object",
            hint=hint,
        )
    return doc
