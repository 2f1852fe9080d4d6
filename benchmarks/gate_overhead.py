"""Cost of `mlgate run` (model gates with paired statistics) vs the bare work, on 1,000,000 rows.

The bare work is what any evaluation script must do anyway: read the eval data, load both models,
predict once with each, compute each metric once. Both sides run as fresh subprocesses, so both
pay interpreter start-up and imports, with bytecode cached (as after `pip install`; one untimed
warm-up run each writes it to a private PYTHONPYCACHEPREFIX, so a PYTHONDONTWRITEBYTECODE
environment does not charge both sides for compiling every module). Prints the times and the
ratio (target ≤ 1.2×). `--profile` also runs the gate once under cProfile and prints where its
time goes (validation, loading, predicting, statistics, diagnostics, reports).

    python benchmarks/gate_overhead.py [--rows 1000000] [--repeat 3] [--dir DIR] [--profile]
"""

from __future__ import annotations

import argparse
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

METRICS = ["roc_auc", "accuracy", "log_loss", "f1"]

CONFIG = """\
version: 1
data: {eval: eval.parquet, target: label}
models: {candidate: candidate.skops, baseline: production.skops}
gates:
  model:
    - {metric: roc_auc, min: 0.6, max_drop: 0.005}
    - {metric: accuracy, max_drop: "1%"}
    - {metric: log_loss, max_increase: 0.01}
    - {metric: f1, max_drop: 0.01}
report: {dir: out}
"""

BARE = textwrap.dedent("""\
    import pandas as pd, skops.io as sio
    from sklearn import metrics
    frame = pd.read_parquet("eval.parquet")
    X, y = frame.drop(columns=["label"]), frame["label"].to_numpy()
    for name in ("candidate", "production"):
        model = sio.load(name + ".skops", trusted=sio.get_untrusted_types(file=name + ".skops"))
        label, proba = model.predict(X), model.predict_proba(X)
        metrics.roc_auc_score(y, proba[:, 1]); metrics.accuracy_score(y, label)
        metrics.log_loss(y, proba); metrics.f1_score(y, label)
""")


def build(root: Path, rows: int) -> None:
    import numpy as np
    import pandas as pd
    import skops.io as sio
    from sklearn.datasets import make_classification
    from sklearn.ensemble import HistGradientBoostingClassifier

    X, y = make_classification(
        n_samples=rows + 50_000, n_features=10, n_informative=6, flip_y=0.05, random_state=0
    )
    columns = [f"f{i}" for i in range(10)]
    train = slice(rows, None)
    for name, seed in (("production", 0), ("candidate", 1)):
        model = HistGradientBoostingClassifier(max_iter=60, random_state=seed)
        sio.dump(model.fit(X[train], y[train]), root / f"{name}.skops")
    frame = pd.DataFrame(X[:rows].astype(np.float32), columns=columns)
    frame["label"] = y[:rows]
    frame.to_parquet(root / "eval.parquet", index=False)
    (root / "mlgate.yaml").write_text(CONFIG)
    (root / "bare.py").write_text(BARE)


# where the gate's time goes: (label, function of mlgate), by cumulative time
STAGES = [
    ("config checks (validate)", "pipeline.py", "validate"),
    ("read the eval data", "inputs.py", "eval"),
    ("load the models", "inputs.py", "_load"),
    ("predict (both models)", "gate.py", "_predict"),
    ("paired statistics", "stats.py", "paired_estimate"),
    ("metrics once", "metrics.py", "score"),
    ("diagnostics (curves)", "gate.py", "diagnostics"),
    ("write the reports", "__init__.py", "write_reports"),
]


def environment(root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(root / ".pycache")
    return env


def timed(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=environment(cwd))
    elapsed = time.perf_counter() - start
    if result.returncode not in (0, 1):
        sys.exit(f"{command} failed ({result.returncode}):\n{result.stderr[-2000:]}")
    return elapsed


def profile(root: Path, gate: list[str]) -> None:
    """One gate run under cProfile: the stages' cumulative times."""
    out = root / "gate.prof"
    timed([gate[0], "-m", "cProfile", "-o", str(out), *gate[1:]], root)
    stats = pstats.Stats(str(out))
    table = stats.stats  # type: ignore[attr-defined]
    total = max(entry[3] for entry in table.values())
    print(f"profile of one gate run ({total:.2f} s under cProfile):")
    for label, file, function in STAGES:
        spent = sum(
            entry[3]
            for (path, _, name), entry in table.items()
            if name == function and path.endswith(file) and "/mlgate/" in path
        )
        print(f"  {label:<28} {spent:6.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dir", type=Path, help="build (or reuse) the project here")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.dir or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        if not (root / "mlgate.yaml").is_file():
            print(f"building {args.rows:,} eval rows and two models ...", flush=True)
            build(root, args.rows)
        gate = [sys.executable, "-m", "mlgate", "run", "-q"]
        bare = [sys.executable, "bare.py"]
        timed(bare, root)  # warm-up: bytecode for both sides
        timed(gate, root)
        gate_times, bare_times = [], []
        for _ in range(args.repeat):  # interleaved, so machine drift hits both
            bare_times.append(timed(bare, root))
            gate_times.append(timed(gate, root))
        if args.profile:
            profile(root, gate)
    g, b = statistics.median(gate_times), statistics.median(bare_times)
    print(f"rows: {args.rows:,}   metrics: {', '.join(METRICS)} (all relative, paired)")
    print(
        f"bare work (load, predict both once, metrics once): {b:6.2f} s  (median of {args.repeat})"
    )
    print(f"mlgate run (same + paired statistics + reports):   {g:6.2f} s")
    print(f"ratio mlgate / bare: {g / b:.2f}x   (target <= 1.2x)")


if __name__ == "__main__":
    main()
