"""Is the performance gate flaky on a busy machine? A/A runs under CPU load, and a real 2x slowdown.

Each run is a fresh `mlgate run` (the CLI, as in CI) with relative budgets of 10% on latency p50,
latency p95 and throughput, while another process loads every core in bursts (busy 50-500 ms,
idle 0-200 ms, so the load changes during the measurement; it stops by itself when its time is
up). Prints how many A/A runs (the production model against a copy of itself) block — target 0 —
and how many runs of a candidate that does exactly twice the work are caught — target all —
with each run's wall time (the whole `mlgate run`) and how the sequential rule stopped it.

    python benchmarks/perf_gate_stability.py [--runs 10] [--budget 20] [--hogs 2]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

GATES = ("perf.latency_p50_ms", "perf.latency_p95_ms", "perf.throughput_rows_per_s")

CONFIG = """\
version: 1
data: {{eval: eval.csv, target: label}}
models: {{candidate: {candidate}, baseline: production.skops}}
gates:
  performance:
    - latency_p50_ms: {{max_increase: 10%}}
    - latency_p95_ms: {{max_increase: 10%}}
    - throughput_rows_per_s: {{max_drop: 10%}}
policy:
  seed: {seed}
  performance: {{time_budget_s: {budget}}}
report: {{dir: out}}
"""

# A candidate with the production model's predictions that does exactly twice the work.
SLOWER = textwrap.dedent("""\
    from pathlib import Path

    import skops.io as sio

    HERE = Path(__file__).parent


    class Twice:
        def __init__(self, inner):
            self.inner = inner
            self.classes_ = inner.classes_

        def predict(self, X):
            self.inner.predict(X)
            return self.inner.predict(X)

        def predict_proba(self, X):
            self.inner.predict_proba(X)
            return self.inner.predict_proba(X)


    def twice():
        path = HERE / "production.skops"
        return Twice(sio.load(path, trusted=sio.get_untrusted_types(file=path)))
""")


def build(root: Path) -> None:
    """Eval data and a production RandomForest (saved with skops), plus its 2x-work wrapper."""
    import pandas as pd
    import skops.io as sio
    from sklearn.datasets import make_classification
    from sklearn.ensemble import RandomForestClassifier

    X, y = make_classification(n_samples=4000, n_features=10, n_informative=6, random_state=0)
    columns = [f"f{i}" for i in range(10)]
    frame = pd.DataFrame(X, columns=columns)
    frame["label"] = y
    model = RandomForestClassifier(n_estimators=50, max_depth=8, random_state=0)
    model.fit(frame.iloc[:3000][columns], y[:3000])
    sio.dump(model, root / "production.skops")
    shutil.copy(root / "production.skops", root / "copy.skops")  # A/A: a separate artifact
    frame.iloc[3000:].to_csv(root / "eval.csv", index=False)
    (root / "slower.py").write_text(SLOWER)


def hog(seconds: float, workers: int, seed: int) -> None:
    """Load `workers` cores in random bursts for `seconds`, then exit (run in its own process)."""
    import multiprocessing

    procs = [
        multiprocessing.Process(target=_burn, args=(seconds, seed * 100 + i))
        for i in range(workers)
    ]

    def stop(*_: object) -> None:  # terminated by the benchmark: take the workers along
        for proc in procs:
            proc.terminate()
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join()


def _burn(seconds: float, seed: int) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the parent's handler is for the parent
    rng = random.Random(seed)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        busy_until = min(deadline, time.monotonic() + rng.uniform(0.05, 0.5))
        x = 0
        while time.monotonic() < busy_until:
            x += 1
        time.sleep(min(max(deadline - time.monotonic(), 0), rng.uniform(0.0, 0.2)))


def run_once(root: Path, candidate: str, seed: int, budget: float, hogs: int) -> dict[str, str]:
    """One `mlgate run` under load; the status of each gate (and the ratio CIs, for the log)."""
    (root / "mlgate.yaml").write_text(CONFIG.format(candidate=candidate, seed=seed, budget=budget))
    out = root / "out"
    shutil.rmtree(out, ignore_errors=True)
    load = None
    if hogs:
        load = subprocess.Popen(
            [sys.executable, __file__, "--hog", str(budget + 15), str(hogs), str(seed)]
        )
        time.sleep(0.5)
    try:
        mlgate = str(Path(sys.executable).parent / "mlgate")
        started = time.perf_counter()
        done = subprocess.run(
            [mlgate, "run", "--out", str(out)],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=budget * 4 + 120,
        )
        wall = time.perf_counter() - started
    finally:
        if load is not None:
            load.terminate()  # it stops by itself too; this only ends it early
            load.wait()
    report = json.loads((out / "report.json").read_text())
    statuses = {g["id"]: g["status"] for g in report["gates"]}
    statuses["exit"] = str(done.returncode)
    statuses["wall"] = f"{wall:.1f}"
    timed = [g["details"] for g in report["gates"] if "stopped" in g["details"]]
    statuses["stop"] = (
        f"{timed[0]['stopped']} after {timed[0]['looks']} looks" if timed else "no timing"
    )
    statuses["ratios"] = "  ".join(
        f"{g['id'].split('.')[1]} {g['details']['ratio']:.2f} "
        f"[{g['details']['ratio_ci'][0]:.2f}, {g['details']['ratio_ci'][1]:.2f}] "
        f"floor ±{(g['details']['noise_floor'] or 0):.0%} r{g['details']['rounds']}"
        for g in report["gates"]
        if g["details"].get("ratio_ci")
    )
    return statuses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument(
        "--budget", type=float, default=20.0, help="policy.performance.time_budget_s"
    )
    parser.add_argument(
        "--hogs",
        type=int,
        default=os.cpu_count() or 2,
        help="busy processes loading the CPU (default: one per core)",
    )
    parser.add_argument("--hog", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.hog:
        hog(float(args.hog[0]), int(args.hog[1]), int(args.hog[2]))
        return
    with tempfile.TemporaryDirectory(prefix="mlgate-perf-bench-") as tmp:
        root = Path(tmp)
        build(root)
        print(
            f"{args.runs} runs per scenario, time budget {args.budget:g} s, "
            f"{args.hogs} bursty CPU hogs on {os.cpu_count()} cores",
            flush=True,
        )
        results = {}
        scenarios = (("A/A", "copy.skops"), ("2x slower", "{factory: 'slower:twice'}"))
        walls: dict[str, list[float]] = {}
        for scenario, candidate in scenarios:
            blocked = 0
            per_gate = dict.fromkeys(GATES, 0)
            for run in range(args.runs):
                statuses = run_once(root, candidate, seed=run, budget=args.budget, hogs=args.hogs)
                failed = statuses["exit"] == "1"
                blocked += failed
                for gate in GATES:
                    per_gate[gate] += statuses.get(gate) == "fail"
                walls.setdefault(scenario, []).append(float(statuses["wall"]))
                print(
                    f"  {scenario:9s} run {run + 1:2d}: exit {statuses['exit']}  "
                    f"wall {statuses['wall']} s  {statuses['stop']}  {statuses['ratios']}",
                    flush=True,
                )
            results[scenario] = (blocked, per_gate)
        aa, slow = results["A/A"], results["2x slower"]
        print(
            f"A/A under load: {aa[0]}/{args.runs} runs blocked (target 0); per gate "
            + ", ".join(f"{k} {v}" for k, v in aa[1].items())
        )
        print(
            f"2x slower:      {slow[0]}/{args.runs} runs caught "
            f"(target {args.runs}/{args.runs}); "
            "per gate " + ", ".join(f"{k} {v}" for k, v in slow[1].items())
        )
        for scenario, values in walls.items():
            ordered = sorted(values)
            print(
                f"wall time per run, {scenario}: median {ordered[len(ordered) // 2]:.1f} s "
                f"(min {ordered[0]:.1f}, max {ordered[-1]:.1f}; the whole `mlgate run`)"
            )


if __name__ == "__main__":
    main()
