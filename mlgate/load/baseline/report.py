"""`report:PATH_OR_URL` — a saved mlgate report: metrics only, no paired statistics.

PATH may be a report.json, a `mlgate baseline save` folder (its report.json is read, its model
is not), a URL, or any other baseline spec (`report:git:main:mlgate-baseline/report.json`).
Also the two helpers the gates use to read a saved report: `saved_metric`, `fingerprint_of`.
"""

from __future__ import annotations

import math
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlgate.errors import BaselineError, ConfigError

if TYPE_CHECKING:
    from mlgate.load.baseline.common import SourceContext

FINGERPRINT = re.compile(r"^[A-Za-z0-9_.:+/=-]{1,200}$")


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
    # shown in messages: only a plain token (`sha256:…`), never text of a forged report
    return value if isinstance(value, str) and FINGERPRINT.match(value) else None
