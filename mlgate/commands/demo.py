"""`mlgate demo [DIR]`: build the example project offline and run the gate on both candidates."""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from mlgate.errors import ConfigError, ExitCode


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
    as_intended = True
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
        as_intended &= ok
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
    return ExitCode.OK if as_intended else ExitCode.BUG
