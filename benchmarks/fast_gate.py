"""The gate on a 2,000-row project (data, model and performance gates) vs the bare work.

Builds the project of issue 20: eval and reference rows, a production RandomForest, a harmless
retrain (another seed) and a candidate doing ten times the work. Times, as fresh processes,
interleaved, medians of `--repeat`:

- bare: a Great Expectations checkpoint of the same expectations, both models loaded and
  predicted once, the metrics and the PSI drift once;
- `mlgate run` without performance gates (data + model);
- `mlgate run` with `latency_p95_ms: {max_increase: 100%}` and `model_size_mb: {max: 200}`;
- the same with the 10x slower candidate (must exit 1: blocked).

Prints the ratios; the target is perf/no-perf <= 1.5x. `--keep DIR` leaves the project there.

    python benchmarks/fast_gate.py [--repeat 3] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

EXPECT = """\
    - {{expect: expect_column_values_to_not_be_null, column: f0}}
    - {{expect: expect_column_values_to_be_between, column: f1, min_value: -20, max_value: 20}}
    - {{expect: expect_column_values_to_not_be_null, column: f2}}
    - {{drift: {{columns: "*", method: psi, max: 0.5}}}}
"""
CONFIG = (
    """\
version: 1
data: {{eval: eval.csv, reference: reference.csv, target: label}}
models: {{candidate: {candidate}, baseline: production.skops}}
gates:
  data:
"""
    + EXPECT
    + """\
  model:
    - {{metric: roc_auc, max_drop: 0.02}}
    - {{metric: accuracy, max_drop: 0.03}}
{performance}report: {{dir: out}}
"""
)
PERFORMANCE = """\
  performance:
    - latency_p95_ms: {max_increase: 100%}
    - model_size_mb: {max: 200}
"""
LATENCY = """\
  performance:
    - latency_p95_ms: {max_increase: 100%}
"""  # a factory has no artifact to size: the slow candidate is gated on latency only

SLOWER = textwrap.dedent("""\
    from pathlib import Path

    import skops.io as sio

    HERE = Path(__file__).parent


    class Repeated:
        def __init__(self, inner, times):
            self.inner, self.times = inner, times
            self.classes_ = inner.classes_

        def predict(self, X):
            for _ in range(self.times - 1):
                self.inner.predict(X)
            return self.inner.predict(X)

        def predict_proba(self, X):
            return self.inner.predict_proba(X)


    def ten_times():
        path = HERE / "retrain.skops"
        return Repeated(sio.load(path, trusted=sio.get_untrusted_types(file=path)), 10)
""")

BARE = textwrap.dedent("""\
    import warnings
    import numpy as np, pandas as pd, skops.io as sio
    from sklearn import metrics
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import great_expectations as gx
    frame, reference = pd.read_csv("eval.csv"), pd.read_csv("reference.csv")
    context = gx.get_context(mode="ephemeral")
    batch = (context.data_sources.add_pandas("p").add_dataframe_asset("a")
             .add_batch_definition_whole_dataframe("b")
             .get_batch(batch_parameters={"dataframe": frame}))
    suite = gx.ExpectationSuite(name="s", expectations=[
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "f0"}},
        {"type": "expect_column_values_to_be_between",
         "kwargs": {"column": "f1", "min_value": -20, "max_value": 20}},
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "f2"}}])
    batch.validate(suite)
    X, y = frame.drop(columns=["label"]), frame["label"].to_numpy()
    for column in X.columns:  # PSI on 10 quantile bins of the reference
        edges = np.unique(np.quantile(reference[column], np.linspace(0, 1, 11)))
        a = np.histogram(reference[column], edges)[0] / len(reference) + 1e-6
        b = np.histogram(X[column].clip(edges[0], edges[-1]), edges)[0] / len(X) + 1e-6
        float(np.sum((b - a) * np.log(b / a)))
    for name in ("retrain", "production"):
        model = sio.load(name + ".skops", trusted=sio.get_untrusted_types(file=name + ".skops"))
        label, proba = model.predict(X), model.predict_proba(X)
        metrics.roc_auc_score(y, proba[:, 1]); metrics.accuracy_score(y, label)
""")


def build(root: Path) -> None:
    import pandas as pd
    import skops.io as sio
    from sklearn.datasets import make_classification
    from sklearn.ensemble import RandomForestClassifier

    X, y = make_classification(n_samples=7000, n_features=8, n_informative=5, random_state=0)
    columns = [f"f{i}" for i in range(8)]
    frame = pd.DataFrame(X, columns=columns)
    frame["label"] = y
    train = frame.iloc[:3000]
    for name, seed in (("production", 0), ("retrain", 1)):
        model = RandomForestClassifier(n_estimators=50, max_depth=8, random_state=seed)
        sio.dump(model.fit(train[columns], train["label"]), root / f"{name}.skops")
    frame.iloc[3000:5000].to_csv(root / "eval.csv", index=False)
    frame.iloc[5000:7000].to_csv(root / "reference.csv", index=False)
    (root / "slower.py").write_text(SLOWER)
    (root / "bare.py").write_text(BARE)
    for name, candidate, performance in (
        ("plain", "retrain.skops", ""),
        ("perf", "retrain.skops", PERFORMANCE),
        ("slow", "{factory: 'slower:ten_times'}", LATENCY),
    ):
        (root / f"{name}.yaml").write_text(
            CONFIG.format(candidate=candidate, performance=performance)
        )


def timed(command: list[str], cwd: Path) -> tuple[float, int]:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    return time.perf_counter() - start, done.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, default=None)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="mlgate-fast-gate-")
    root = Path(tmp)
    try:
        build(root)
        mlgate = str(Path(sys.executable).parent / "mlgate")
        commands = {
            "bare": [sys.executable, "bare.py"],
            "plain": [mlgate, "run", "-q", "-c", "plain.yaml", "--out", "out-plain"],
            "perf": [mlgate, "run", "-q", "-c", "perf.yaml", "--out", "out-perf"],
            "slow": [mlgate, "run", "-q", "-c", "slow.yaml", "--out", "out-slow"],
        }
        times: dict[str, list[float]] = {k: [] for k in commands}
        codes: dict[str, set[int]] = {k: set() for k in commands}
        for _ in range(args.repeat):  # interleaved, so machine drift hits every command
            for key, command in commands.items():
                spent, code = timed(command, root)
                times[key].append(spent)
                codes[key].add(code)
        med = {k: statistics.median(v) for k, v in times.items()}
        for key in commands:
            print(f"{key:>6}: median {med[key]:6.2f} s of {args.repeat}  exit {sorted(codes[key])}")
        print(f"mlgate (data + model) / bare:          {med['plain'] / med['bare']:.2f}x")
        print(f"mlgate (+ performance) / bare:         {med['perf'] / med['bare']:.2f}x")
        print(f"with / without the performance gates:  {med['perf'] / med['plain']:.2f}x (<= 1.5x)")
        report = json.loads((root / "out-perf" / "report.json").read_text())
        for gate in report["gates"]:
            if gate["kind"] == "performance":
                stop = [n for n in gate["notes"] if n.startswith("sequential")]
                print(f"  {gate['id']}: {gate['status']}  {stop[0] if stop else gate['notes'][0]}")
        slow = json.loads((root / "out-slow" / "report.json").read_text())
        blocked = [g["id"] for g in slow["gates"] if g["status"] == "fail"]
        print(f"10x slower candidate: exit {sorted(codes['slow'])}, failed gates {blocked}")
    finally:
        if args.keep:
            shutil.copytree(root, args.keep, dirs_exist_ok=True)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
