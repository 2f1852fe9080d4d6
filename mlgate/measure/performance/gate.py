"""Performance budgets: latency, throughput, load time, size and memory of candidate vs production.

This module is the gate kind: the measures it knows, the config checks, and the entry point.
Both models are measured in the same run by session.py: timings interleaved in pairs on
the same rows (timing), memory in child processes (memory), sizes from the
artifacts. Relative budgets are decided by the compare stage on a paired Estimate whose
replicates come from a bootstrap over blocks of the ratio candidate / baseline (stats).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from mlgate.errors import ConfigError, MlgateError
from mlgate.measure.performance.budgets import (
    BATCHED,
    MEASURES,
    Measure,
    PerfGate,
    error,
    measurement,
    parse,
)
from mlgate.records import ABSOLUTE_KEYS, Measurement, relative_key

if TYPE_CHECKING:
    from mlgate.config import LoadedConfig
    from mlgate.load.inputs import Inputs
    from mlgate.load.models import Model
    from mlgate.measure import GateKind


class PerformanceGates:
    """The `gates.performance` kind."""

    name = "performance"

    def configured(self, loaded: LoadedConfig) -> bool:
        return bool(loaded.config.gates.performance)

    def validate(self, loaded: LoadedConfig) -> list[str]:
        """Budgets that cannot mean anything, located (exit 2). Nothing is loaded here."""
        problems: list[str] = []
        models = loaded.config.models
        if models is None:
            problems.append(f"{loaded.where('models')}: performance budgets need models.candidate")
        elif models.candidate.predictions:
            problems.append(
                f"{loaded.where('models.candidate.predictions')}: performance budgets need a model "
                "to time, not a predictions file (use path: or factory:)"
            )
        for gate in parse(loaded):
            problems.extend(_budget_problems(gate, loaded))
            if (
                gate.relative
                and models is not None
                and models.baseline is not None
                and models.baseline.predictions
            ):
                problems.append(
                    f"{loaded.where(gate.loc)}: a relative budget needs the production model to "
                    "time, and models.baseline is a predictions file (use max:/min:, or point "
                    "models.baseline at the model)"
                )
        return problems

    def measure(self, inputs: Inputs) -> list[Measurement]:
        """Measure every budget of both models within policy.performance.time_budget_s."""
        started = time.perf_counter()
        loaded = inputs.loaded
        gates = parse(loaded)
        missing = [g for g in gates if g.relative and not _baseline_configured(inputs)]
        if missing:
            raise ConfigError(
                [
                    f"{loaded.where(g.loc)}: a relative budget (max_increase/max_drop) needs the "
                    "production model, and there is no models.baseline (set models.baseline, or "
                    "pass --baseline SPEC)"
                    for g in missing
                ]
            )
        try:
            candidate = inputs.candidate
            # sizes need no rows: the eval data is read only for budgets that predict
            features = _features(inputs) if any(g.measure.source != "size" for g in gates) else None
        except MlgateError as exc:
            return [error(g, exc.lines()[0]) for g in gates]
        if candidate.is_predictions_file:
            return [
                error(
                    g,
                    f"{candidate.ref.where}: a predictions file cannot be timed; "
                    "performance budgets need a model file or factory",
                )
                for g in gates
            ]
        baseline, problem = _baseline(inputs)
        arms = {"candidate": candidate, **({"baseline": baseline} if baseline else {})}
        from mlgate.measure.performance.session import Session

        measured = Session(inputs, gates, arms, problem, features, started).run()
        if inputs.engine == "spark" and features is not None:  # said in every budget's notes
            from dataclasses import replace

            from mlgate.measure.performance.spark import sample_note

            note = sample_note(len(features))
            measured = [replace(m, notes=(*m.notes, note)) for m in measured]
        return measured

    def diagnostics(self, inputs: Inputs) -> dict[str, Any]:
        """No charts of its own (the report shows the budgets' values)."""
        return {}


def _features(inputs: Inputs) -> Any:
    """The rows the budgets time: the eval features, or on Spark a seeded sample of them."""
    if inputs.engine == "spark":
        from mlgate.measure.performance.spark import sample

        return sample(inputs)
    return inputs.X


KIND: GateKind = PerformanceGates()  # typed: mypy checks it meets the protocol


def _budget_problems(gate: PerfGate, loaded: LoadedConfig) -> list[str]:
    budget, measure, where = gate.budget, gate.measure, loaded.where(gate.loc)
    problems = []
    if not gate.thresholds:
        problems.append(f"{where}: no budget: add max, min or {_relative_key(measure)}")
    wrong = relative_key(not measure.higher_is_better)
    if getattr(budget, wrong) is not None:
        better = "higher" if measure.higher_is_better else "lower"
        problems.append(
            f"{loaded.where(f'{gate.loc}.{wrong}')}: {gate.key} is better when {better}, so a "
            f"regression is {'a drop' if measure.higher_is_better else 'an increase'}; use "
            f"{_relative_key(measure)}"
        )
    for key in ABSOLUTE_KEYS:
        value = getattr(budget, key)
        if value is not None and value < 0:
            problems.append(
                f"{loaded.where(f'{gate.loc}.{key}')}: expected a number >= 0, got {value:g}"
            )
    if budget.min is not None and budget.max is not None and budget.min > budget.max:
        problems.append(f"{where}: min {budget.min:g} is above max {budget.max:g}")
    if budget.batch_size is not None and measure.source not in BATCHED:
        problems.append(
            f"{loaded.where(f'{gate.loc}.batch_size')}: {gate.key} does not predict, so "
            "batch_size does not apply"
        )
    return problems


def _relative_key(measure: Measure) -> str:
    return relative_key(measure.higher_is_better)


def _baseline_configured(inputs: Inputs) -> bool:
    models = inputs.config.models
    factory = bool(models and models.baseline and models.baseline.factory)
    return inputs.baseline_spec is not None or factory


def _baseline(inputs: Inputs) -> tuple[Model | None, str | None]:
    """The production model to time, or why there is none (relative budgets then error)."""
    where = inputs.loaded.where("models.baseline")
    if not _baseline_configured(inputs):
        return None, None
    try:
        model = inputs.baseline
    except MlgateError as exc:
        return None, exc.lines()[0]
    if model is None:
        from mlgate.load.baseline.resolver import shown_spec

        return None, (
            f"{where}: the production baseline {shown_spec(inputs.baseline_spec)} is a saved "
            "report: there is no model to time (point models.baseline at the model file)"
        )
    if model.is_predictions_file:
        return None, f"{where}: a predictions file cannot be timed"
    return model, None


__all__ = ["KIND", "MEASURES", "Measure", "PerfGate", "error", "measurement", "parse"]
