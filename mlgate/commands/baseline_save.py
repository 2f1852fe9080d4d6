"""`mlgate baseline save [--to DIR]`: record what the default branch holds as production.

DIR (default `mlgate-baseline` beside the config) receives `report.json`, a copy of the candidate
model (or of its predictions file) and `baseline.json` (schema mlgate.baseline/v1), so that the
folder, `report:DIR/report.json` or an artifact of DIR serves as the next runs' baseline.

DIR also receives `history.jsonl` (mlgate/load/baseline/history.py): the history of the previous
baseline (the folder being replaced, else the configured baseline source) with this run's gate
values appended, the newest `history.keep` entries kept. A history that cannot be read is said
(stderr and a note on the gates) and kept aside as `history.jsonl.corrupt-<date>`, never dropped.

The run measures what becomes production, so there is nothing to compare with: relative
thresholds (max_drop, max_increase) are dropped — their gates are measured and recorded, not
gated — and any configured baseline is not resolved. Absolute thresholds count: a failure exits
1, and the baseline is written anyway (it records what the branch holds). An incomplete
evaluation (exit 3) writes nothing.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from mlgate import __version__
from mlgate.commands.run import Folder, checkpoint, finish, on_interrupt, write_error_report
from mlgate.config import LoadedConfig, load_config
from mlgate.errors import ConfigError, InputError, MlgateError
from mlgate.load.baseline import history
from mlgate.load.baseline.resolver import MANIFEST_SCHEMA
from mlgate.pipeline import RunOptions, configured_kinds, execute, validate
from mlgate.records import FROM_BEST_KEYS, RELATIVE_KEYS, Report
from mlgate.support import fs, interrupts

DEFAULT_DIR = "mlgate-baseline"
MANIFEST = "baseline.json"
REPORT = "report.json"


def run(args: argparse.Namespace) -> int:
    folder = Folder()
    with on_interrupt(folder):
        return _save(args, folder)


def _save(args: argparse.Namespace, folder: Folder) -> int:
    out_dir = Path(args.out) if args.out else None
    try:
        loaded = load_config(args.config)
        out_dir = folder.path = out_dir or loaded.resolve(loaded.config.report_dir)
        if args.baseline:
            raise ConfigError(
                "--baseline: `mlgate baseline save` records production; it compares with no "
                "baseline",
                hint="drop --baseline",
            )
        target = Path(args.to) if args.to else loaded.resolve(DEFAULT_DIR)
        shown = f"--to {args.to}" if args.to else DEFAULT_DIR
        check_target(target, shown)  # before the run: refuse early, not after minutes of work
        # the config as written is validated (a typo is an error here too); what runs is the
        # recording: relative thresholds measured, not gated, and no baseline resolved
        validate(loaded, configured_kinds(loaded), recording=True)
        report = execute(
            for_recording(loaded),
            RunOptions(out_dir=out_dir, validated=True, progress=checkpoint),
        )
    except MlgateError as exc:
        write_error_report(exc, out_dir or Path("mlgate-report"))
        raise
    previous = None
    if report.verdict != "error":
        previous = previous_history(loaded, target, out_dir)
        if previous.problem:
            print(f"mlgate: {previous.problem}", file=sys.stderr)
            report = _noted(report, previous.problem)
    code = finish(report, out_dir)
    if report.verdict == "error" or previous is None:
        print("mlgate: baseline not saved: the evaluation is incomplete", file=sys.stderr)
        return code
    files = save(report, loaded, target, previous)
    print(f"mlgate: baseline saved to {target} ({', '.join(files)})", file=sys.stderr)
    if report.verdict == "fail":
        print(
            "mlgate: an absolute gate failed; the baseline was saved anyway: it records what "
            "this branch holds",
            file=sys.stderr,
        )
    return code


def for_recording(loaded: LoadedConfig) -> LoadedConfig:
    """The config without a baseline and without relative thresholds (measured, not gated)."""
    from dataclasses import replace

    config = loaded.config
    drop = dict.fromkeys(RELATIVE_KEYS)
    model_drop = dict.fromkeys((*RELATIVE_KEYS, *FROM_BEST_KEYS))
    gates = config.gates.model_copy(
        update={
            "model": [gate.model_copy(update=model_drop) for gate in config.gates.model],
            "performance": [
                {name: budget.model_copy(update=drop) for name, budget in item.items()}
                for item in config.gates.performance
            ],
        }
    )
    update: dict[str, Any] = {"gates": gates}
    if config.models is not None:
        update["models"] = config.models.model_copy(update={"baseline": None})
    return replace(loaded, config=config.model_copy(update=update))


def check_target(target: Path, shown: str) -> None:
    """Refuse a target that is a file, or a folder holding files mlgate did not write there."""
    if not target.exists():
        return
    if not target.is_dir():
        raise ConfigError(
            f"{shown}: is a file, not a folder", hint="choose another folder with --to"
        )
    foreign = sorted(p.name for p in target.iterdir() if p.name not in owned(target))
    if foreign:
        more = f" and {len(foreign) - 5} more" if len(foreign) > 5 else ""
        listed = ", ".join(foreign[:5]) + more
        raise ConfigError(
            f"{shown}: the folder holds files mlgate did not write: {listed}",
            hint="choose another folder with --to, or move those files away",
        )


def owned(folder: Path) -> set[str]:
    """Names in `folder` that an earlier `baseline save` wrote (listed in its manifest)."""
    try:
        doc = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        return set()
    if not isinstance(doc, dict) or doc.get("schema") != MANIFEST_SCHEMA:
        return set()
    files = doc.get("files")
    if not isinstance(files, list):
        return set()
    return {MANIFEST} | {f for f in files if isinstance(f, str)}


@dataclass(frozen=True)
class Previous:
    """The history carried forward into the new baseline folder."""

    lines: tuple[str, ...] = ()  # the readable entries, verbatim, oldest first
    aside: tuple[tuple[str, bytes], ...] = ()  # (file name, content) kept beside history.jsonl
    problem: str | None = None  # said on stderr and in the report


def previous_history(loaded: LoadedConfig, target: Path, out_dir: Path) -> Previous:
    """The history of the folder being replaced, else of the configured baseline source."""
    if (target / MANIFEST).is_file() or (target / history.FILE).is_file():
        return _carried(history.read(target), f"{target}")
    models = loaded.config.models
    spec = models.baseline if models is not None else None
    if spec is None or spec.factory:
        return Previous()
    from mlgate.load.inputs import Inputs

    try:
        resolved = Inputs(loaded, cache_dir=out_dir / ".cache").baseline_source
    except MlgateError as exc:
        return Previous(
            problem=f"history: the previous baseline could not be read ({exc.lines()[0]}); "
            f"{history.FILE} starts with this run"
        )
    found = resolved.history if resolved is not None else None
    return _carried(found or history.History(), spec.source)


def _carried(found: history.History, where: str) -> Previous:
    """What to carry from a history read: the good lines, and the file aside if it was bad."""
    folder = found.path.parent if found.path is not None else None
    aside: list[tuple[str, bytes]] = []
    if folder is not None:  # files set aside by earlier saves stay with the history
        for old in sorted(folder.glob(f"{history.FILE}.corrupt-*")):
            if old.is_file():
                aside.append((old.name, old.read_bytes()))
    if found.problem is None or found.path is None:
        return Previous(found.lines, tuple(aside))
    name = f"{history.FILE}.corrupt-{datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%SZ')}"
    try:
        aside.append((name, found.path.read_bytes()))
        kept = f"kept aside as {name}"
    except OSError as exc:
        kept = f"it could not be kept aside: {exc}"
    count = len(found.lines)
    entries = "entry" if count == 1 else "entries"
    return Previous(
        found.lines,
        tuple(aside),
        f"history of {where}: {found.problem}; {count} readable {entries} carried forward, "
        f"the file {kept}",
    )


def _noted(report: Report, note: str) -> Report:
    """The report with the history problem as a note on each gate (and none dropped)."""
    from dataclasses import replace

    gates = tuple(replace(g, notes=(*g.notes, note)) for g in report.gates)
    return replace(report, gates=gates)


def history_entry(report: Report) -> dict[str, Any]:
    """This run's gate values as one history entry (schema mlgate.history/v1)."""
    context = report.context
    evaluation = context.get("eval") or {}
    gates: dict[str, Any] = {}
    for gate in report.gates:
        if gate.candidate is None or gate.status in ("error", "skipped"):
            continue
        gates[gate.id] = {"value": gate.candidate, "interval": None}
    return {
        "commit": context.get("commit"),
        "ref": context.get("ref"),
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "mlgate_version": __version__,
        "fingerprint": evaluation.get("fingerprint"),
        "gates": gates,
    }


def save(
    report: Report, loaded: LoadedConfig, target: Path, previous: Previous | None = None
) -> list[str]:
    """Write the baseline folder next to `target`, then swap it in; return the file names.

    A failure or an interrupt before the swap leaves the previous baseline as it was; the swap
    itself (renames) is not cut in two by a signal (fs.replace_dir).
    """
    previous = previous or Previous()
    interrupts.check()
    staging: Path | None = None
    try:
        with interrupts.deferred():  # a signal right after the mkdir still finds it to remove
            staging = fs.new_sibling_dir(target, "new")  # filled, then swapped in whole
        model = _copy_model(loaded, staging)
        (staging / REPORT).write_text(
            json.dumps(report.to_dict(), indent=2, allow_nan=False) + "\n", encoding="utf-8"
        )
        keep = loaded.config.history.keep
        lines = [*previous.lines, history.entry_line(history_entry(report))][-keep:]
        fs.write_atomic(staging / history.FILE, "".join(f"{line}\n" for line in lines))
        for name, data in previous.aside:
            fs.write_atomic(staging / name, data)
        aside = [name for name, _ in previous.aside]
        files = [name for name in (model["model"], REPORT, history.FILE, *aside) if name]
        manifest = _manifest(report, loaded, model, [*files, MANIFEST])
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        fs.replace_dir(staging, target)
    except OSError as exc:  # a full disk, a read-only folder: the previous baseline is intact
        raise _unwritable(target, exc) from None
    finally:
        if staging is not None:  # gone already when the swap succeeded
            shutil.rmtree(staging, ignore_errors=True)
    return [*files, MANIFEST]


def _unwritable(target: Path, exc: OSError) -> InputError:
    return InputError(
        f"{target}: cannot write the baseline: {exc.strerror or exc}; the previous baseline, "
        "if any, is unchanged",
        hint="free some space or choose a writable folder with --to",
    )


def _copy_model(loaded: LoadedConfig, staging: Path) -> dict[str, Any]:
    """Copy the candidate's artifact (model or predictions file); a factory has none to copy."""
    from mlgate.load.models import FORMATS_BY_SUFFIX

    models = loaded.config.models
    none: dict[str, Any] = dict.fromkeys(("model", "model_format", "model_sha256", "model_source"))
    if models is None or models.candidate.factory:
        return none
    candidate = models.candidate
    source = candidate.predictions or candidate.path or ""
    path = _candidate_file(loaded, source)
    fmt = (
        "predictions"
        if candidate.predictions
        else (candidate.format or FORMATS_BY_SUFFIX.get(path.suffix.lower()))
    )
    name = path.name if path.name not in (REPORT, MANIFEST) else f"model-{path.name}"
    shutil.copyfile(path, staging / name)
    digest = hashlib.sha256()
    with (staging / name).open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return {
        "model": name,
        "model_format": fmt,
        "model_sha256": digest.hexdigest(),
        "model_source": source,
    }


def _candidate_file(loaded: LoadedConfig, source: str) -> Path:
    """The candidate's local file: a path as written, or a source spec (`mlflow:`) as fetched.

    The run fetched the spec into the verified cache already; fetching it again is a cache hit.
    """
    if not source.startswith("mlflow:"):  # the one remote candidate source (Inputs._remote)
        return loaded.resolve(source)
    from mlgate.load import models
    from mlgate.load.baseline.cache import cache_root
    from mlgate.load.baseline.resolver import SourceContext, fetch_spec

    spec = loaded.config.models.candidate  # type: ignore[union-attr]  # checked by the caller
    where = loaded.where("models.candidate")
    fetched = fetch_spec(
        source, SourceContext(loaded.root, cache_root(loaded.root, os.environ), where)
    )
    ref = models.ref_for(spec, key="models.candidate", where=where, root=loaded.root, local=fetched)
    assert ref.path is not None
    return ref.path


def _manifest(
    report: Report, loaded: LoadedConfig, model: dict[str, Any], files: list[str]
) -> dict[str, Any]:
    context = report.context
    evaluation = context.get("eval") or {}
    return {
        "schema": MANIFEST_SCHEMA,
        **model,
        "report": REPORT,
        "fingerprint": evaluation.get("fingerprint"),
        "eval": evaluation,
        "commit": context.get("commit"),
        "ref": context.get("ref"),
        "created_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "mlgate_version": __version__,
        "config": loaded.display,
        "files": files,
    }
