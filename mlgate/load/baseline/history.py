"""A baseline folder's `history.jsonl`: the gate values of every `mlgate baseline save`.

One JSON object per line (schema `mlgate.history/v1`), oldest first, appended by
mlgate/commands/baseline_save.py:
  {"schema": "mlgate.history/v1", "commit", "ref", "date", "mlgate_version", "fingerprint",
   "gates": {"<gate id>": {"value": 0.91, "interval": [0.89, 0.93] | null}}}
A line that is not such an object is never dropped silently: reading keeps the good lines and
says which line is not (`History.problem`); the save that carries the history forward keeps the
unreadable file aside.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlgate.records import HISTORY_SCHEMA, HistoryPoint

FILE = "history.jsonl"
MAX_BYTES = 20 * 10**6  # a history of 200 entries is kilobytes; a bigger file is not ours


@dataclass(frozen=True)
class History:
    """What a baseline folder's history.jsonl holds (entries oldest first)."""

    entries: tuple[dict[str, Any], ...] = ()
    lines: tuple[str, ...] = ()  # the good lines verbatim (carried forward as written)
    problem: str | None = None  # why (part of) the file could not be read
    path: Path | None = None  # the file read (None when the folder has none)

    def points(self, gate_id: str, fingerprint: str | None) -> tuple[HistoryPoint, ...]:
        """The gate's production values, oldest first (entries without a value are left out)."""
        out = []
        for entry in self.entries:
            gate = entry["gates"].get(gate_id)
            if not isinstance(gate, dict) or not _finite(gate.get("value")):
                continue
            interval: Any = gate.get("interval")
            ok = isinstance(interval, list) and len(interval) == 2 and all(map(_finite, interval))
            out.append(
                HistoryPoint(
                    value=float(gate["value"]),
                    interval=(float(interval[0]), float(interval[1])) if ok else None,
                    fingerprint=_text(entry.get("fingerprint")),
                    commit=_text(entry.get("commit")),
                    ref=_text(entry.get("ref")),
                    date=_text(entry.get("date")),
                    mlgate_version=_text(entry.get("mlgate_version")),
                    same_eval=fingerprint is not None and entry.get("fingerprint") == fingerprint,
                )
            )
        return tuple(out)


def read(folder: Path) -> History:
    """The history of a baseline folder: empty without a history.jsonl, never an exception."""
    path = folder / FILE
    if not path.is_file():
        return History()
    try:
        if path.stat().st_size > MAX_BYTES:
            return History(path=path, problem=f"{path.name}: larger than {MAX_BYTES} bytes")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return History(path=path, problem=f"{path.name}: cannot be read: {exc}")
    entries: list[dict[str, Any]] = []
    lines: list[str] = []
    problems: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        why = _problem(line)
        if why is None:
            entries.append(json.loads(line))
            lines.append(line)
        else:
            problems.append(f"line {number}: {why}")
    problem = None
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        problem = f"{path.name} {problems[0]}{more}"
    return History(tuple(entries), tuple(lines), problem, path)


def entry_line(entry: dict[str, Any]) -> str:
    """One history line (compact, keys in a stable order, finite numbers only)."""
    return json.dumps({"schema": HISTORY_SCHEMA, **entry}, allow_nan=False, separators=(",", ":"))


def _problem(line: str) -> str | None:
    try:
        doc = json.loads(line)
    except ValueError:
        return "not JSON"
    if not isinstance(doc, dict):
        return f"not an {HISTORY_SCHEMA} entry"
    if doc.get("schema") != HISTORY_SCHEMA:
        return f"not an {HISTORY_SCHEMA} entry (schema: {str(doc.get('schema'))[:40]!r})"
    if not isinstance(doc.get("gates"), dict):
        return "its 'gates' is not an object"
    return None


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _text(value: Any) -> str | None:
    return str(value) if value is not None else None
