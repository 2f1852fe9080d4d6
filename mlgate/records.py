"""The plain values that flow between stages: measurements, gate results and the report (v1).

Changelog of the report format (`SCHEMA`):
  mlgate.report/v1 — first version: verdict, summary, context, gates[], errors[], diagnostics.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

SCHEMA = "mlgate.report/v1"
NAME_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,64}")  # config `name:`, context["name"]

Kind = Literal["data", "model", "performance"]
Status = Literal["pass", "warn", "fail", "error", "waived", "skipped"]
Verdict = Literal["pass", "fail", "error"]
STATUSES: tuple[Status, ...] = ("pass", "warn", "fail", "error", "waived", "skipped")


@dataclass(frozen=True)
class Estimate:
    """A paired comparison of candidate vs baseline on the same rows (or rounds).

    `delta` = candidate − baseline in the metric's units. The spread of the delta is given either
    by `samples` (bootstrap replicates of the delta, already rescaled to the full n) or by `se`
    (a normal approximation: per-row differences, DeLong). `interval()` turns it into a CI.
    """

    delta: float
    method: str
    n: int
    se: float
    samples: tuple[float, ...] | None = None

    def interval(self, alpha: float) -> tuple[float, float]:
        """The two-sided (1 − alpha) confidence interval of the delta."""
        if self.samples:
            import numpy as np

            lo, hi = np.quantile(np.asarray(self.samples), [alpha / 2, 1 - alpha / 2])
            return float(lo), float(hi)
        from statistics import NormalDist

        z = NormalDist().inv_cdf(1 - alpha / 2)
        return self.delta - z * self.se, self.delta + z * self.se

    def prob_at_most(self, bound: float) -> float:
        """P(delta ≤ bound) under the estimate's sampling distribution (for p-values)."""
        if self.samples:
            count = sum(1 for s in self.samples if s <= bound)
            return (count + 0.5) / (len(self.samples) + 1)  # never exactly 0 or 1
        if self.se <= 0:
            return 1.0 if self.delta <= bound else 0.0
        from statistics import NormalDist

        return NormalDist(self.delta, self.se).cdf(bound)


@dataclass(frozen=True)
class Measurement:
    """What the measure stage found for one gate, before any threshold is applied.

    A gate kind returns these; `compare` applies the thresholds. `error` set means the value
    could not be computed (the gate becomes `error`, never a pass). `passed` set means the check
    judged itself (a Great Expectations expectation): compare takes it as is.
    """

    id: str
    kind: Kind
    name: str  # metric / measure / expectation, as shown to people
    level: Literal["error", "warn"] = "error"
    thresholds: dict[str, Any] = field(default_factory=dict)  # key -> float | Tolerance
    higher_is_better: bool = True
    candidate: float | None = None
    baseline: float | None = None
    estimate: Estimate | None = None
    passed: bool | None = None
    error: str | None = None
    skipped: str | None = None  # reason the gate was not evaluated (reported, not gated)
    family: str | None = None  # gates corrected together for multiple comparisons (slices)
    unit: str = ""
    message: str | None = None  # a self-judged check's own explanation
    notes: tuple[str, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)  # kind-specific, JSON-able


@dataclass(frozen=True)
class Check:
    """One threshold of one gate, Lighthouse-style: operator, expected, actual, passed."""

    operator: str
    expected: float | str
    actual: float | None
    passed: bool | None
    inconclusive: bool = False


@dataclass(frozen=True)
class GateResult:
    """One gate in the report (docs/design.md §6)."""

    id: str
    kind: Kind
    status: Status
    blocking: bool
    message: str
    name: str = ""
    candidate: float | None = None
    baseline: float | None = None
    delta: float | None = None
    ci: tuple[float, float] | None = None
    threshold: dict[str, Any] = field(default_factory=dict)
    checks: tuple[Check, ...] = ()
    level: Literal["error", "warn"] = "error"
    unit: str = ""
    inconclusive: bool = False
    notes: tuple[str, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)

    def with_status(self, status: Status, *, blocking: bool, note: str | None = None) -> GateResult:
        notes = (*self.notes, note) if note else self.notes
        return replace(self, status=status, blocking=blocking, notes=notes)


@dataclass(frozen=True)
class Report:
    """The single source of truth (`report.json`); every other format renders it."""

    verdict: Verdict
    gates: tuple[GateResult, ...]
    context: dict[str, Any] = field(default_factory=dict)
    errors: tuple[str, ...] = ()  # run-level problems (config, unreadable inputs), one line each
    diagnostics: dict[str, Any] = field(default_factory=dict)  # curves etc. for the charts
    schema: str = SCHEMA

    @property
    def name(self) -> str | None:
        """The config's `name:` (it namespaces what is published), or None.

        The report may come from an untrusted run: anything but a slug is no name.
        """
        name = self.context.get("name")
        if isinstance(name, str) and NAME_PATTERN.fullmatch(name) and set(name) != {"."}:
            return name
        return None

    @property
    def summary(self) -> dict[str, int]:
        counts = {"passed": 0, "failed": 0, "warned": 0, "errored": 0, "waived": 0, "skipped": 0}
        names = {
            "pass": "passed",
            "fail": "failed",
            "warn": "warned",
            "error": "errored",
            "waived": "waived",
            "skipped": "skipped",
        }
        for gate in self.gates:
            counts[names[gate.status]] += 1
        return counts

    def to_dict(self) -> dict[str, Any]:
        """The JSON document (finite numbers only: NaN/inf become null)."""
        return {
            "schema": self.schema,
            "verdict": self.verdict,
            "summary": self.summary,
            "context": _finite(self.context),
            "errors": list(self.errors),
            "gates": [_finite(_gate_dict(g)) for g in self.gates],
            "diagnostics": _finite(self.diagnostics),
        }

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Report:
        """Read a report.json back (for render, publish and `report:` baselines)."""
        if doc.get("schema") != SCHEMA:
            raise ValueError(f"not an {SCHEMA} document (schema: {doc.get('schema')!r})")
        gates = []
        for g in doc.get("gates", []):
            g = dict(g)
            g["checks"] = tuple(Check(**c) for c in g.get("checks", ()))
            g["ci"] = tuple(g["ci"]) if g.get("ci") is not None else None
            g["notes"] = tuple(g.get("notes", ()))
            gates.append(GateResult(**g))
        return cls(
            verdict=doc["verdict"],
            gates=tuple(gates),
            context=doc.get("context", {}),
            errors=tuple(doc.get("errors", ())),
            diagnostics=doc.get("diagnostics", {}),
        )


def _gate_dict(gate: GateResult) -> dict[str, Any]:
    doc = asdict(gate)
    doc["ci"] = list(gate.ci) if gate.ci is not None else None
    doc["notes"] = list(gate.notes)
    doc["checks"] = [asdict(c) for c in gate.checks]
    return doc


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return _finite(value.item())
    return value
