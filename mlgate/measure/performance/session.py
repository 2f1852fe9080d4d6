"""One measurement run of the performance gate: plan, spend the time budget, build Measurements.

Timings and memory probes stop early under the sequential rule of stats (docs/performance.md,
"When it stops"): at each look every timed (or memory) budget is checked, and the first look at
which all are decided ends the measurement; the time budget stays the ceiling.
"""

from __future__ import annotations

import time
import zlib
from typing import TYPE_CHECKING, Any

from mlgate.measure.performance.budgets import BATCHED, PerfGate, error, measurement
from mlgate.records import RELATIVE_KEYS, Measurement

if TYPE_CHECKING:
    import pandas as pd

    from mlgate.config import PerfSettings
    from mlgate.load.inputs import Inputs
    from mlgate.load.models import Model
    from mlgate.measure.performance.memory import MemoryResult
    from mlgate.measure.performance.timing import Task, TaskResult, Timings

MB = 1e6  # docs/design.md §6: MB of 10^6 bytes
SAMPLE_CAP = 200  # raw samples per model kept in report.json for the charts
TIMED = ("latency", "throughput", "load")  # sources the timing harness measures
MEMORY_SHARE = 0.25  # of the time budget, when timings are measured too
ANALYSIS_SHARE = 0.05  # kept free at the end for the bootstrap (at most 1 s)


class Session:
    """One measurement run: plan the tasks, spend the time budget, build the Measurements."""

    def __init__(
        self,
        inputs: Inputs,
        gates: list[PerfGate],
        arms: dict[str, Model],
        problem: str | None,
        features: pd.DataFrame | None,
        started: float,
    ) -> None:
        import numpy as np

        from mlgate.measure.performance.stats import LOOKS, Looks

        self.inputs, self.gates, self.arms, self.problem = inputs, gates, arms, problem
        self.features = features  # None when no budget predicts (sizes only)
        self.started = started
        self.policy = inputs.config.policy
        self.settings: PerfSettings = self.policy.performance
        rows = 0 if features is None else len(features)
        self.order = np.random.default_rng(self.policy.seed).permutation(rows)
        self.errors: dict[str, str] = {}  # gate id -> why it cannot be measured
        self.notes: dict[str, list[str]] = {g.id: [] for g in gates}
        self.batch: dict[str, int] = {}  # gate id -> rows per call
        # the sequential rule: of the timings, and of each memory probe (by its batch size)
        self.looks = Looks(LOOKS, self.policy.significance)
        self.memory_looks: dict[int, Looks] = {}
        self.timed: list[PerfGate] = []

    def run(self) -> list[Measurement]:
        from mlgate.measure.performance.stats import MIN_CALLS
        from mlgate.measure.performance.timing import Task

        for gate in self.gates:
            self._plan(gate)
        live = [g for g in self.gates if g.id not in self.errors]
        tasks: dict[str, Task] = {}
        for gate in live:
            source = gate.measure.source
            if source in ("latency", "throughput"):
                rows = self.batch[gate.id]
                task = tasks.setdefault(
                    f"predict@{rows}", Task(f"predict@{rows}", "predict", rows, self._frames(rows))
                )
                task.min_calls = max(task.min_calls, MIN_CALLS[gate.measure.statistic])
            elif source == "load":
                tasks.setdefault("load", Task("load", "load"))
        memory = [g for g in live if g.measure.source == "memory"]
        self.timed = [g for g in live if g.measure.source in TIMED]
        budget = self.settings.time_budget_s
        end = self.started + budget - min(1.0, ANALYSIS_SHARE * budget)
        timings = None
        if tasks:  # timings first: they need many rounds; the memory probes need only a few
            share = 1.0 - (MEMORY_SHARE if memory else 0.0)
            now = time.perf_counter()
            timings = self._time(list(tasks.values()), now + (end - now) * share)
        probes: dict[int, MemoryResult] = {}
        sizes = sorted({self.batch[g.id] for g in memory})
        for i, rows in enumerate(sizes):
            probes[rows] = self._probe(
                rows,
                [g for g in memory if self.batch[g.id] == rows],
                (end - time.perf_counter()) / (len(sizes) - i),
            )
        return [self._measurement(g, timings, probes) for g in self.gates]

    # --- planning -----------------------------------------------------------------------------

    def _plan(self, gate: PerfGate) -> None:
        """Rows per call, and the problems known before measuring (they become error gates)."""
        loaded, source = self.inputs.loaded, gate.measure.source
        if gate.relative and "baseline" not in self.arms:
            self.errors[gate.id] = self.problem or "no production model to compare with"
        elif self.problem:
            self.notes[gate.id].append(f"production not measured: {self.problem}")
        if source not in BATCHED:
            return
        default = 1 if source == "latency" else self.settings.batch_size
        rows = gate.budget.batch_size or default
        assert self.features is not None
        n = len(self.features)
        if rows <= n:
            self.batch[gate.id] = rows
            return
        explicit = gate.budget.batch_size is not None or (
            source != "latency" and "batch_size" in self.settings.model_fields_set
        )
        key = (
            f"{gate.loc}.batch_size" if gate.budget.batch_size else "policy.performance.batch_size"
        )
        if explicit:
            self.errors.setdefault(
                gate.id,
                (
                    f"{loaded.where(key)}: {rows} rows per call, but the eval set "
                    f"({self.inputs.config.data.eval}) has only {n} rows; lower batch_size"
                ),
            )
        self.batch[gate.id] = min(rows, n)
        self.notes[gate.id].append(
            f"batches of {n} rows, the whole eval set "
            f"(policy.performance.batch_size asks for {rows})"
        )

    def _frames(self, rows: int) -> list[Any]:
        """Distinct frames of `rows` eval rows each, the same for both models (≥ 2 objects)."""
        assert self.features is not None
        n = len(self.features)
        count = max(2, -(-min(self.settings.rows, n) // rows))
        # iloc makes a new object per frame: no model can cache a result by frame identity
        picks = [self.order[(j * rows + _arange(rows)) % n] for j in range(count)]
        return [self.features.iloc[pick] for pick in picks]

    # --- measuring ----------------------------------------------------------------------------

    def _time(self, tasks: list[Task], deadline: float) -> Timings:
        from mlgate.measure.performance.timing import time_tasks

        return time_tasks(
            tasks, self.arms, warmup=self.settings.warmup, deadline=deadline, stop=self._look
        )

    def _look(self, results: dict[str, TaskResult]) -> bool:
        """The sequential rule (stats): at the next look's block count, stop if every timed
        budget is decided at this look's level, or if this was the last look allowed."""
        from mlgate.measure.performance import stats

        live = [r for r in results.values() if r.error is None]
        if not live or min(r.blocks for r in live) < stats.look_blocks(self.looks.taken + 1):
            return False
        return self.looks.look(
            lambda level: all(self._decided(gate, results, level) for gate in self.timed)
        )

    def _decided(self, gate: PerfGate, results: dict[str, TaskResult], level: float) -> bool:
        result = results[self._task_key(gate)]
        if result.error is not None:
            return True
        obs = {k: v[: result.pairs] for k, v in result.observations.items()}
        return self._settled(gate, obs, level, rows=result.task.rows)

    def _settled(
        self,
        gate: PerfGate,
        obs: dict[str, Any],
        level: float,
        *,
        rows: int = 1,
        min_rounds: int | None = None,
    ) -> bool:
        """stats.decided for one gate's observations at a look's level."""
        from mlgate.measure.performance import stats

        return stats.decided(
            obs["candidate"],
            obs.get("baseline"),
            gate.measure.statistic,
            gate.thresholds,
            higher_is_better=gate.measure.higher_is_better,
            level=level,
            rows=rows,
            resamples=self.policy.bootstrap,
            alpha=self.policy.significance,
            rng=self._rng(gate),
            min_rounds=stats.MIN_ROUNDS if min_rounds is None else min_rounds,
        )

    def _task_key(self, gate: PerfGate) -> str:
        return "load" if gate.measure.source == "load" else f"predict@{self.batch[gate.id]}"

    def _rng(self, gate: PerfGate) -> Any:
        """The gate's generator, the same at every look and for the report (they agree)."""
        import numpy as np

        return np.random.default_rng([self.policy.seed, zlib.crc32(gate.id.encode())])

    def _probe(self, rows: int, gates: list[PerfGate], budget_s: float) -> MemoryResult:
        """Probe both models' memory on `rows` rows, stopping at the first look (3, 6, 10 probes
        per model) at which every memory budget of this batch size is decided."""
        from mlgate.measure.performance import stats
        from mlgate.measure.performance.memory import probe_memory

        assert self.features is not None
        looks = self.memory_looks[rows] = stats.Looks(
            len(stats.MEMORY_LOOKS), self.policy.significance
        )

        def settled(observations: dict[str, list[float]], level: float) -> bool:
            obs = {k: [[x] for x in v] for k, v in observations.items()}
            return all(self._settled(g, obs, level, min_rounds=stats.MIN_PROBES) for g in gates)

        def stop(observations: dict[str, list[float]]) -> bool:
            probes = min(len(v) for v in observations.values())
            if probes != stats.MEMORY_LOOKS[min(looks.taken, looks.count - 1)]:
                return False
            return looks.look(lambda level: settled(observations, level))

        frame = self.features.iloc[self.order[:rows]]
        return probe_memory(
            self.arms,
            frame,
            budget_s=max(budget_s, 0.0),
            max_pairs=stats.MEMORY_LOOKS[-1],
            stop=stop,
        )

    # --- results ------------------------------------------------------------------------------

    def _measurement(
        self, gate: PerfGate, timings: Timings | None, probes: dict[int, MemoryResult]
    ) -> Measurement:
        if gate.id in self.errors:
            return error(gate, self.errors[gate.id])
        source = gate.measure.source
        if source == "size":
            return self._size(gate)
        if source == "memory":
            memory = probes[self.batch[gate.id]]
            if memory.error:
                return error(gate, f"peak memory could not be measured: {memory.error}")
            n = min(len(v) for v in memory.observations.values())
            obs = {k: [[x] for x in v[:n]] for k, v in memory.observations.items()}
            note = (
                f"{n} probes per model in child processes ({memory.mode}), "
                f"{memory.elapsed_s:.1f} s: "
                f"peak RSS while loading the model and predicting {self.batch[gate.id]} rows, "
                "above the process's RSS before loading"
            )
            looks = self.memory_looks[self.batch[gate.id]]
            extra = {"probes": n, "mode": memory.mode, **looks.details()}
            self.notes[gate.id].append(
                looks.note(f"{n} probes per model", self.settings.time_budget_s)
            )
            return self._compared(gate, obs, self.batch[gate.id], note, extra, level=looks.level)
        assert timings is not None
        result = timings.results[self._task_key(gate)]
        if result.error:
            return error(gate, result.error)
        from mlgate.measure.performance.stats import MIN_CALLS

        pairs = result.pairs
        obs = {k: v[:pairs] for k, v in result.observations.items()}
        task = result.task
        calls = sorted(len(turn) for turn in obs["candidate"])
        median = calls[len(calls) // 2]
        what = ("reload" if source == "load" else "call") + ("s" if median != 1 else "")
        if source != "load":
            what += f" of {task.rows} row" + ("s" if task.rows != 1 else "")
        spread = str(median) if calls[0] == calls[-1] else f"{median} ({calls[0]}-{calls[-1]})"
        least = MIN_CALLS[gate.measure.statistic]
        grouped = f"; compared in blocks of ≥ {least} calls" if least > 1 else ""
        note = (
            f"{pairs} pairs of turns of {spread} {what} per model, interleaved, in "
            f"{timings.elapsed_s:.1f} s (time budget {self.settings.time_budget_s:g} s)" + grouped
        )
        extra = {
            "pairs": pairs,
            "calls_per_turn": median,
            "threads": timings.threads,
            **self.looks.details(),
        }
        if source == "latency" and sum(calls) < least:
            self.notes[gate.id].append(
                f"{gate.measure.name} of only {sum(calls)} calls per model: it is close to "
                "the maximum"
            )
        measured = f"{len(obs['candidate'])} pairs"
        self.notes[gate.id].append(self.looks.note(measured, self.settings.time_budget_s))
        return self._compared(gate, obs, task.rows, note, extra, level=self.looks.level)

    def _compared(
        self,
        gate: PerfGate,
        obs: dict[str, list[list[float]]],
        rows: int,
        note: str,
        extra: dict[str, Any],
        level: float | None = None,
    ) -> Measurement:
        """Point values, the paired Estimate, the noise floor and the renderers' details.

        `level`: the last look's level (timings); the Estimate's (1 - alpha) interval is then
        the sequential one, so compare decides on it unchanged."""
        from mlgate.measure.performance import stats

        measure = gate.measure
        rng = self._rng(gate)
        common: dict[str, Any] = {
            "rows": rows,
            "resamples": self.policy.bootstrap,
            "alpha": self.policy.significance,
        }
        cand, base = obs["candidate"], obs.get("baseline")
        notes = [note, *self.notes[gate.id]]
        candidate_value = stats.value(cand, measure.statistic, rows)
        baseline_value, estimate, ratio, ratio_ci = None, None, None, None
        counted = len(stats.blocks(cand, min_calls=stats.MIN_CALLS[measure.statistic])[0])
        unit = "probes" if measure.source == "memory" else "blocks"
        if base is not None:
            result = stats.paired(cand, base, measure.statistic, rng=rng, level=level, **common)
            candidate_value, baseline_value = result.candidate, result.baseline
            ratio, ratio_ci = result.ratio, result.ratio_ci
            least = stats.MIN_PROBES if measure.source == "memory" else stats.MIN_ROUNDS
            if result.rounds < least and gate.relative:
                return error(
                    gate,
                    (
                        f"only {result.rounds} {unit} fit the time budget ({least} are needed to "
                        "compare with production); raise "
                        f"{self.inputs.loaded.where('policy.performance.time_budget_s')} (now "
                        f"{self.settings.time_budget_s:g} s)"
                    ),
                )
            estimate = stats.estimate(
                result, method=f"paired {unit}: bootstrap of the ratio", min_rounds=least
            )
        floor = stats.noise_floor(
            base if base is not None else cand, measure.statistic, rng=rng, **common
        )
        notes.extend(_floor_notes(gate, floor, baseline_value))
        # latency charts show single calls; the other measures one value per pair (or probe)
        samples = {
            label: stats.thin(
                [x for r in values for x in r]
                if measure.source == "latency"
                else stats.per_round(values, measure.statistic, rows),
                SAMPLE_CAP,
                rng,
            )
            for label, values in obs.items()
        }
        details = {
            "samples": samples,
            "ratio": ratio,
            "ratio_ci": list(ratio_ci) if ratio_ci else None,
            "rounds": counted,
            "noise_floor": floor,
            "batch_size": rows,
            "time_budget_s": self.settings.time_budget_s,
            **extra,
        }
        return self._value(gate, candidate_value, baseline_value, estimate, notes, details)

    def _size(self, gate: PerfGate) -> Measurement:
        from mlgate.measure.performance import stats

        sizes = {label: model.size_bytes for label, model in self.arms.items()}
        if sizes["candidate"] is None:
            return error(
                gate,
                f"{self.arms['candidate'].ref.where}: model_size_mb needs a model "
                "file (a factory has no artifact)",
            )
        if "baseline" in sizes and sizes["baseline"] is None:
            if gate.relative:
                return error(
                    gate,
                    f"{self.arms['baseline'].ref.where}: model_size_mb needs a "
                    "model file (a factory has no artifact)",
                )
            sizes.pop("baseline")
        mb = {label: size / MB for label, size in sizes.items() if size is not None}
        base = mb.get("baseline")
        estimate = stats.exact(mb["candidate"], base) if base is not None else None
        ratio = mb["candidate"] / base if base else None
        details = {
            "samples": {k: [v] for k, v in mb.items()},
            "ratio": ratio,
            "ratio_ci": [ratio, ratio] if ratio is not None else None,
            "rounds": 1,
            "noise_floor": 0.0,
            "batch_size": None,
            "bytes": sizes,
        }
        return self._value(
            gate,
            mb["candidate"],
            base,
            estimate,
            ["size of the serialized artifact", *self.notes[gate.id]],
            details,
        )

    def _value(
        self,
        gate: PerfGate,
        candidate: float,
        baseline: float | None,
        estimate: Any,
        notes: list[str],
        details: dict[str, Any],
    ) -> Measurement:
        return measurement(
            gate,
            candidate=candidate,
            baseline=baseline,
            estimate=estimate,
            notes=tuple(notes),
            details=details,
        )


def _floor_notes(gate: PerfGate, floor: float | None, baseline: float | None) -> list[str]:
    """Say plainly when the budget asks for more precision than this machine's noise allows."""
    tolerance = next(
        (getattr(gate.budget, k) for k in RELATIVE_KEYS if getattr(gate.budget, k)), None
    )
    if floor is None or tolerance is None or not baseline:
        return []
    relative = tolerance.value if tolerance.relative else tolerance.value / abs(baseline)
    if relative >= floor:
        return []
    word = "drop" if gate.measure.higher_is_better else "increase"
    return [
        f"the budget ({relative:.0%}) is tighter than this runner's noise floor "
        f"(±{floor:.0%}, the production model against itself): a smaller {word} cannot be "
        "proven here, so it does not block; only a larger, proven one does"
    ]


def _arange(n: int) -> Any:
    import numpy as np

    return np.arange(n)
