"""`mlgate history [-c FILE] [--gate ID] [--json]`: the metric history the baseline carries.

Reads the configured baseline source (models.baseline, or --baseline SPEC) the way `mlgate run`
does — a folder, `git:REF:PATH`, a URL, an artifact — and prints its `history.jsonl`
(mlgate/load/baseline/history.py) one gate at a time, oldest first: commit, ref, date, value,
interval, eval fingerprint, mlgate version. Nothing is measured: no data or model is loaded.

No baseline, or a baseline without history, is said plainly (exit 0, an empty `gates` in
--json). A --gate that names no gate of the history or the config is exit 2 with the closest id.
An unreadable line of the history is said on stderr (as a run says it); the rest is shown.
"""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

from mlgate.config import LoadedConfig, load_config
from mlgate.errors import ConfigError
from mlgate.load.baseline import history
from mlgate.report import filters as f
from mlgate.support.text import did_you_mean

SCHEMA = "mlgate.history-listing/v1"
COLUMNS = ("commit", "ref", "date", "value", "interval", "eval", "mlgate")
WIDTH = {"commit": 12, "ref": 40, "date": 20, "eval": 19, "mlgate": 16}  # eval: sha256:+12


def run(args: argparse.Namespace) -> int:
    loaded = load_config(args.config)
    spec, found = _history(loaded, args.baseline)
    # an unreadable line is said by the resolver (stderr), as in a run: the rest is shown
    entries = found.entries if found is not None else ()
    gates = _gates(entries)
    if args.gate is not None and args.gate not in gates:
        configured = _configured(loaded)
        if args.gate not in configured:
            known = [*gates, *(g for g in configured if g not in gates)]
            raise ConfigError(
                f"--gate {args.gate!r}: no such gate in the history or the config"
                + did_you_mean(args.gate, known),
                hint="`mlgate history` lists them all",
            )
    chosen = {k: v for k, v in gates.items() if args.gate in (None, k)}
    absent = _absent(spec, found, args.gate)
    if args.json:
        doc = {"schema": SCHEMA, "baseline": spec, "problem": found.problem if found else None}
        print(json.dumps({**doc, "note": absent, "gates": chosen}, indent=2, allow_nan=False))
        return 0
    if absent:
        print(absent)
        return 0
    for i, (gate_id, rows) in enumerate(chosen.items()):
        if i:
            print()
        print(_table(gate_id, rows, spec))
    return 0


def _history(loaded: LoadedConfig, override: str | None) -> tuple[str | None, Any]:
    """The baseline spec and its History (None when no baseline or no history comes with it)."""
    from mlgate.load.baseline.cache import cache_root
    from mlgate.load.inputs import Inputs

    inputs = Inputs(loaded, cache_dir=cache_root(loaded.root, os.environ), baseline_spec=override)
    spec = inputs.baseline_spec
    if spec is None:
        return None, None
    resolved = inputs.baseline_source  # unreachable: its error, exit 3, as in a run
    return spec, resolved.history if resolved is not None else None


def _absent(spec: str | None, found: Any, gate: str | None) -> str | None:
    """The sentence for nothing to show, or None."""
    if spec is None:
        return (
            "mlgate: no history: no baseline is configured (models.baseline; "
            "`mlgate baseline save` writes one with its history)"
        )
    where = f.clip(spec, 200)
    if found is None or not found.entries:
        return (
            f"mlgate: no history: the baseline {where} has no {history.FILE} "
            "(written by `mlgate baseline save`)"
        )
    if gate is not None and not _gates(found.entries).get(gate):
        return f"mlgate: no history of {f.clip(gate, 200)} in the baseline {where}"
    return None


def _gates(entries: tuple[dict[str, Any], ...]) -> dict[str, list[dict[str, Any]]]:
    """Each gate's rows, oldest first, gates in the order they first appear."""
    out: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        for gate_id, value in entry["gates"].items():
            if not isinstance(value, dict):
                continue
            interval = value.get("interval")
            ok = isinstance(interval, list) and len(interval) == 2 and all(map(_number, interval))
            out.setdefault(str(gate_id), []).append(
                {
                    "commit": _text(entry.get("commit")),
                    "ref": _text(entry.get("ref")),
                    "date": _text(entry.get("date")),
                    "value": value.get("value") if _number(value.get("value")) else None,
                    "interval": interval if ok else None,
                    "fingerprint": _text(entry.get("fingerprint")),
                    "mlgate_version": _text(entry.get("mlgate_version")),
                }
            )
    return out


def _configured(loaded: LoadedConfig) -> list[str]:
    from mlgate.config.changes import model_gate_id

    return [model_gate_id(g) for g in loaded.config.gates.model]


def _table(gate_id: str, rows: list[dict[str, Any]], spec: str | None) -> str:
    """The gate's rows as an aligned text table (cells cleaned of control codes, clipped)."""
    count = f"{len(rows)} entr{'y' if len(rows) == 1 else 'ies'}"
    head = f"{f.clip(gate_id, 200)} · {count} in {f.clip(spec, 200)} (oldest first)"
    cells = [list(COLUMNS)]
    for row in rows:
        interval = row["interval"]
        cells.append(
            [
                f.clean(row["commit"] or "—")[: WIDTH["commit"]],
                f.clip(row["ref"] or "—", WIDTH["ref"]),
                f.clip(row["date"] or "—", WIDTH["date"]),
                f.exact(row["value"]) if row["value"] is not None else "—",
                f"{f.exact(interval[0])}…{f.exact(interval[1])}" if interval else "—",
                f.clean(row["fingerprint"] or "—")[: WIDTH["eval"]],
                f.clip(row["mlgate_version"] or "—", WIDTH["mlgate"]),
            ]
        )
    widths = [max(len(r[i]) for r in cells) for i in range(len(COLUMNS))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    return "\n".join([head, *lines])


def _number(value: Any) -> bool:
    return f.is_number(value)


def _text(value: Any) -> str | None:
    return str(value) if value is not None else None
