"""What a pull request changed in the gate's rules: the PR's config against the merge-base's.

Pure: two validated configs in, a list of `Change` out (docs/security.md "Config changes").
Every difference that can make a blocked change pass is a loosening; the ones that can only
block more are tightenings; the ones whose direction mlgate cannot tell (the eval data, the
baseline spec, a seed) are `changed`, and count as loosenings under `require-approval`: a rule
the gate cannot judge is never waved through (fail closed).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from mlgate.config.schema import Config, ModelGate, PerfBudget
from mlgate.records import THRESHOLDS, Tolerance

ChangeKind = Literal["loosened", "tightened", "changed"]


@dataclass(frozen=True)
class Change:
    """One difference of the rules: the config key, its value at the base and in the PR."""

    key: str
    before: Any
    after: Any
    kind: ChangeKind

    @property
    def blocks(self) -> bool:
        """Whether `require-approval` asks for the accept label (everything but a tightening)."""
        return self.kind != "tightened"

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "before": self.before, "after": self.after, "kind": self.kind}


def diff(base: Config, head: Config) -> list[Change]:
    """Every rule change from `base` (the merge-base's config) to `head` (the PR's)."""
    changes: list[Change] = []
    changes += _model_gates(base, head)
    changes += _perf_gates(base, head)
    changes += _listed("gates.data", _data_ids(base), _data_ids(head))
    changes += _listed("gates.custom", _dumped(base.gates.custom), _dumped(head.gates.custom))
    changes += _listed("gates.plugins", _plugins(base), _plugins(head))
    changes += _policy(base, head)
    changes += _set_added("policy.warn_only", base.policy.warn_only, head.policy.warn_only)
    changes += _set_added(
        "waivers",
        [_show(w.model_dump(mode="json")) for w in base.waivers],
        [_show(w.model_dump(mode="json")) for w in head.waivers],
    )
    if base.publish.accept_label != head.publish.accept_label:
        changes.append(
            Change(
                "publish.accept_label",
                base.publish.accept_label,
                head.publish.accept_label,
                "changed",
            )
        )
    for key in ("eval", "target", "features", "id", "reference"):
        before, after = getattr(base.data, key), getattr(head.data, key)
        if before != after:
            changes.append(Change(f"data.{key}", before, after, "changed"))
    changes += _models(base, head)
    return changes


# --- gates ----------------------------------------------------------------------------------


def model_gate_id(gate: ModelGate) -> str:
    """The gate as the config names it: its id, else the metric (and slice)."""
    if gate.id:
        return gate.id
    return f"model.{gate.metric}" + (f"[{gate.slice}]" if gate.slice else "")


def _model_gates(base: Config, head: Config) -> Iterator[Change]:
    before = {model_gate_id(g): g for g in base.gates.model}
    after = {model_gate_id(g): g for g in head.gates.model}
    for gid, gate in before.items():
        key = f"gates.model[{gid}]"
        if gid not in after:
            yield Change(key, _gate_summary(gate), None, "loosened")
            continue
        yield from _bounds(key, gate, after[gid])
        if gate.params != after[gid].params or gate.min_rows != after[gid].min_rows:
            yield Change(
                f"{key}.params",
                _show({"params": gate.params, "min_rows": gate.min_rows}),
                _show({"params": after[gid].params, "min_rows": after[gid].min_rows}),
                "changed",
            )
    for gid, gate in after.items():
        if gid not in before:
            yield Change(f"gates.model[{gid}]", None, _gate_summary(gate), "tightened")


def _perf_gates(base: Config, head: Config) -> Iterator[Change]:
    def budgets(config: Config) -> dict[str, PerfBudget]:
        return {
            budget.id or f"performance.{measure}": budget
            for item in config.gates.performance
            for measure, budget in item.items()
        }

    before, after = budgets(base), budgets(head)
    for gid, budget in before.items():
        key = f"gates.performance[{gid}]"
        if gid not in after:
            yield Change(key, _gate_summary(budget), None, "loosened")
        else:
            yield from _bounds(key, budget, after[gid])
    for gid, budget in after.items():
        if gid not in before:
            yield Change(f"gates.performance[{gid}]", None, _gate_summary(budget), "tightened")


def _bounds(
    key: str, before: ModelGate | PerfBudget, after: ModelGate | PerfBudget
) -> Iterator[Change]:
    """Threshold by threshold (directions from records.THRESHOLDS), then the level."""
    for name, threshold in THRESHOLDS.items():
        old, new = getattr(before, name), getattr(after, name)
        if old == new:
            continue
        if old is None:
            kind: ChangeKind = "tightened"
        elif new is None:
            kind = "loosened"
        else:
            a, b = _number(old), _number(new)
            if a is None or b is None or a[1] != b[1]:
                kind = "changed"  # an absolute tolerance against a relative one
            elif threshold.relative or threshold.symbol == "≤":
                kind = "loosened" if b[0] > a[0] else "tightened"  # a larger allowance / ceiling
            else:
                kind = "loosened" if b[0] < a[0] else "tightened"  # a lower floor
        yield Change(f"{key}.{name}", _value(old), _value(new), kind)
    if before.level != after.level:
        kind = "loosened" if after.level == "warn" else "tightened"
        yield Change(f"{key}.level", before.level, after.level, kind)


def _number(value: Any) -> tuple[float, bool] | None:
    if isinstance(value, Tolerance):
        return value.value, value.relative
    if isinstance(value, (int, float)):
        return float(value), False
    return None


def _value(value: Any) -> Any:
    return str(value) if isinstance(value, Tolerance) else value


def _gate_summary(gate: ModelGate | PerfBudget) -> str:
    return str(_show(gate.model_dump(mode="json", exclude_defaults=True)))


def _data_ids(config: Config) -> dict[str, str]:
    """Data gates by their content (a changed data gate is one removed and one added)."""
    found: dict[str, str] = {}
    for gate in config.gates.data:
        text = _show(gate.model_dump(mode="json", by_alias=True, exclude_defaults=True))
        found[text] = text
    return found


def _dumped(items: Iterable[Any]) -> dict[str, str]:
    texts = [_show(item.model_dump(mode="json", exclude_defaults=True)) for item in items]
    return {t: t for t in texts}


def _plugins(config: Config) -> dict[str, str]:
    return {name: _show(settings) for name, settings in config.gates.plugins.items()}


def _listed(key: str, before: dict[str, str], after: dict[str, str]) -> Iterator[Change]:
    """Items removed (loosened), added (tightened) or, for named ones, changed."""
    for name, text in before.items():
        if name not in after:
            yield Change(key, text, None, "loosened")
        elif after[name] != text:
            yield Change(f"{key}.{name}", text, after[name], "changed")
    for name, text in after.items():
        if name not in before:
            yield Change(key, None, text, "tightened")


def _set_added(key: str, before: Iterable[str], after: Iterable[str]) -> Iterator[Change]:
    old, new = list(before), list(after)
    for item in new:
        if item not in old:
            yield Change(key, None, item, "loosened")
    for item in old:
        if item not in new:
            yield Change(key, item, None, "tightened")


# --- policy and models ------------------------------------------------------------------------


def _policy(base: Config, head: Config) -> Iterator[Change]:
    old, new = base.policy, head.policy
    if old.mode != new.mode:
        kind: ChangeKind = "loosened" if new.mode == "default" else "tightened"
        yield Change("policy.mode", old.mode, new.mode, kind)
    if old.significance != new.significance:
        # default mode fails a gate when the (1 - alpha) interval of the worsening lies beyond the
        # tolerance: a smaller alpha widens it and proves fewer regressions (looser). strict mode
        # passes only a proven non-inferiority: a larger alpha narrows it and proves more (looser)
        if old.mode != new.mode:
            kind = "changed"
        elif new.mode == "strict":
            kind = "loosened" if new.significance > old.significance else "tightened"
        else:
            kind = "loosened" if new.significance < old.significance else "tightened"
        yield Change("policy.significance", old.significance, new.significance, kind)
    for name in ("bootstrap", "seed", "max_bootstrap_rows"):
        if getattr(old, name) != getattr(new, name):
            yield Change(f"policy.{name}", getattr(old, name), getattr(new, name), "changed")
    if old.config_changes != new.config_changes:
        # decided by the base config; listed so that a reviewer sees the PR tries to change it
        yield Change("policy.config_changes", old.config_changes, new.config_changes, "changed")


def _models(base: Config, head: Config) -> Iterator[Change]:
    old, new = base.models, head.models
    before = _spec(old.baseline if old else None)
    after = _spec(new.baseline if new else None)
    if before != after:
        yield Change("models.baseline", _show(before), _show(after), "changed")
    for name in ("task", "pos_label"):
        a = getattr(old, name) if old else None
        b = getattr(new, name) if new else None
        if a != b:
            yield Change(f"models.{name}", a, b, "changed")
    if old and new and (old.candidate.trust != new.candidate.trust):
        yield Change("models.candidate.trust", old.candidate.trust, new.candidate.trust, "changed")


def _spec(spec: Any) -> Any:
    return spec.model_dump(mode="json", exclude_defaults=True) if spec is not None else None


def _show(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)
