"""The performance measures and the configured budgets: a leaf that gate.py (the kind) and
session.py (the measuring) both import, so neither imports the other."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mlgate.records import RELATIVE_KEYS, THRESHOLD_KEYS, Measurement

if TYPE_CHECKING:
    from mlgate.config import LoadedConfig, PerfBudget


@dataclass(frozen=True)
class Measure:
    name: str  # as shown to people
    unit: str
    higher_is_better: bool
    source: str  # latency | throughput | load | size | memory
    statistic: str  # a key of mlgate.measure.performance.stats.STATISTICS ("" for sizes)


# Every measure the config may name (config.PerfMeasure), with its direction: one row each.
MEASURES: dict[str, Measure] = {
    "latency_p50_ms": Measure("latency p50", "ms", False, "latency", "p50"),
    "latency_p95_ms": Measure("latency p95", "ms", False, "latency", "p95"),
    "latency_p99_ms": Measure("latency p99", "ms", False, "latency", "p99"),
    "throughput_rows_per_s": Measure("throughput", "rows/s", True, "throughput", "rows_per_s"),
    "load_time_ms": Measure("load time", "ms", False, "load", "median"),
    "model_size_mb": Measure("model size", "MB", False, "size", ""),
    "peak_memory_mb": Measure("peak memory", "MB", False, "memory", "median"),
}
BATCHED = ("latency", "throughput", "memory")  # sources for which batch_size means something


@dataclass(frozen=True)
class PerfGate:
    """One configured budget, resolved: its id, measure and where it sits in the config."""

    index: int
    key: str  # the measure, e.g. latency_p95_ms
    budget: PerfBudget
    id: str

    @property
    def measure(self) -> Measure:
        return MEASURES[self.key]

    @property
    def loc(self) -> str:
        return f"gates.performance[{self.index}].{self.key}"

    @property
    def thresholds(self) -> dict[str, Any]:
        found = {k: getattr(self.budget, k) for k in THRESHOLD_KEYS}
        return {k: v for k, v in found.items() if v is not None}

    @property
    def relative(self) -> bool:
        return any(getattr(self.budget, k) is not None for k in RELATIVE_KEYS)


def parse(loaded: LoadedConfig) -> list[PerfGate]:
    """The configured budgets with their ids (`perf.<measure>`, `id:` overrides, #2 for repeats)."""
    gates: list[PerfGate] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(loaded.config.gates.performance):
        for key, budget in item.items():
            gate_id = budget.id or f"perf.{key}"
            seen[gate_id] = seen.get(gate_id, 0) + 1
            if seen[gate_id] > 1:
                gate_id = f"{gate_id}#{seen[gate_id]}"
            gates.append(PerfGate(index, key, budget, gate_id))
    return gates


def measurement(gate: PerfGate, **values: Any) -> Measurement:
    """This gate's Measurement (id, measure, budget) with the measured `values`."""
    measure = gate.measure
    return Measurement(
        id=gate.id,
        kind="performance",
        name=measure.name,
        level=gate.budget.level,
        thresholds=gate.thresholds,
        higher_is_better=measure.higher_is_better,
        unit=measure.unit,
        **values,
    )


def error(gate: PerfGate, message: str) -> Measurement:
    """The gate could not be measured: an error gate (it never passes)."""
    return measurement(gate, error=message)
