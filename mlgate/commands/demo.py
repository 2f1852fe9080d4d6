"""`mlgate demo [DIR]`: build the example project offline and run the gate on both candidates."""

from __future__ import annotations

import argparse
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from mlgate.errors import ConfigError, ExitCode
from mlgate.records import Report
from mlgate.report import view


def run(args: argparse.Namespace) -> int:
    from mlgate.config import load_config
    from mlgate.pipeline import RunOptions, execute
    from mlgate.scaffold.demo import build

    from .run import Folder, checkpoint, finish, on_interrupt

    root = Path(args.dir)
    if root.exists() and any(root.iterdir()) and not (root / "mlgate.yaml").is_file():
        raise ConfigError(
            f"{root}: folder exists and is not an mlgate demo",
            hint="pick an empty or new folder: mlgate demo DIR",
        )
    print(f"mlgate demo: building the example project in {root}/ ...", file=sys.stderr)
    scenarios = build(root)
    unexpected: list[Unexpected] = []
    lines = []
    folder = Folder()
    for scenario in scenarios:
        loaded = load_config(root / scenario.config)
        out_dir = folder.path = loaded.resolve(loaded.config.report.dir)
        with on_interrupt(folder):
            print(f"\n== {scenario.name}: mlgate run -c {scenario.config}", file=sys.stderr)
            report = execute(loaded, RunOptions(out_dir=out_dir, progress=checkpoint))
            code = finish(report, out_dir)
        ok = report.verdict == scenario.expected
        if not ok:
            unexpected.append(Unexpected(scenario.name, scenario.expected, code, report))
        lines.append(
            f"  {scenario.name:<18} verdict {report.verdict:<5} (exit {code})"
            f"{'' if ok else f'  UNEXPECTED: meant {scenario.expected}'}  -> {out_dir}/report.html"
        )
    print(
        "\nmlgate demo: done (open the report.html files in a browser)\n" + "\n".join(lines),
        file=sys.stderr,
    )
    prog = "mlgate" if shutil.which("mlgate") else f"{sys.executable} -m mlgate"  # works as typed
    print(
        f"  try it yourself: cd {root} && {prog} run   (or -c mlgate-regressed.yaml)",
        file=sys.stderr,
    )
    messages, result = closing(unexpected)
    for line in messages:
        print(line, file=sys.stderr)
    return result


@dataclass(frozen=True)
class Unexpected:
    """A scenario whose verdict is not the one the demo means to show."""

    name: str
    expected: str
    code: int  # the exit code its run would have had
    report: Report


def closing(unexpected: list[Unexpected]) -> tuple[list[str], int]:
    """The demo's last lines and exit code: 0 when every scenario showed what it means to;
    else one line per scenario that did not, and its run's own code (1 a gate failed, 3 it
    could not evaluate) — a regression meant to be blocked that passed is 1. Never 4: an
    unexpected verdict (a timing on a loaded machine, …) is a result, not a bug."""
    if not unexpected:
        return [], ExitCode.OK
    lines = [f"mlgate demo: {_why(u)}" for u in unexpected]
    return lines, max(u.code for u in unexpected) or ExitCode.GATE_FAILED


def _why(u: Unexpected) -> str:
    """Which scenario ended otherwise than meant, and the gate that made it so."""
    report = u.report
    first = next(
        (g for g in view.ordered(report.gates) if g.blocking and g.status in ("error", "fail")),
        None,
    )
    cause = f": {first.id}: {first.message}" if first is not None else ""
    if not cause and report.errors:
        cause = f": {report.errors[0]}"
    return (
        f"the {u.name!r} scenario ended {report.verdict}, not {u.expected} as the demo means"
        f"{cause} (its report.html says more; if a timing did it, run the demo again on a "
        "quieter machine)"
    )
