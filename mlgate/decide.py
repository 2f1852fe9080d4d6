"""The decide stage (pure): gate levels, warn_only, waivers and accepted regressions -> verdict.

A failing gate blocks unless its level is `warn`, its id is in `policy.warn_only`, it is waived
by a live waiver, or the regressions were accepted (a PR label). An errored gate always blocks
unless it is warn-level: the evaluation is incomplete, so the verdict is `error` (exit 3).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from mlgate.records import ExitCode, GateResult, Report, Verdict


@dataclass(frozen=True)
class Waiver:
    gate: str  # gate id or glob (model.accuracy[country=*])
    reason: str
    owner: str
    expires: date


@dataclass(frozen=True)
class Rules:
    warn_only: tuple[str, ...] = ()
    waivers: tuple[Waiver, ...] = ()
    accepted: str | None = (
        None  # why regressions are accepted (e.g. "PR label mlgate:accept-regression")
    )
    today: date | None = None


def matches(gate_id: str, patterns: Iterable[str]) -> bool:
    """An exact id, a `*` glob, or the parent id (`model.accuracy` covers its slices)."""
    parent = gate_id.split("[", 1)[0]
    return any(gate_id == p or parent == p or _glob(p).fullmatch(gate_id) for p in patterns)


def _glob(pattern: str) -> re.Pattern[str]:
    """`*` matches anything; everything else is literal (gate ids contain `[`, `]` and `=`)."""
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")))


def decide(results: Sequence[GateResult], rules: Rules) -> list[GateResult]:
    """Apply levels and overrides: set each gate's final status and whether it is blocking.

    `blocking` means the gate counts for the verdict: its failure (or error) blocks the merge.
    A passing error-level gate is blocking; a warn-level or warn_only gate never is; a skipped
    gate was not evaluated, so it is not.
    """
    today = rules.today or date.today()
    decided = []
    for gate in results:
        counts = gate.level == "error" and not matches(gate.id, rules.warn_only)
        if gate.status == "fail":
            gate = _decide_failure(gate, rules, today)
        elif gate.status in ("error", "pass"):
            gate = gate.with_status(gate.status, blocking=counts)
        else:
            gate = gate.with_status(gate.status, blocking=False)
        decided.append(gate)
    return decided


def _decide_failure(gate: GateResult, rules: Rules, today: date) -> GateResult:
    if gate.level == "warn":
        return gate.with_status("warn", blocking=False, note="level: warn — reported, never blocks")
    if matches(gate.id, rules.warn_only):
        return gate.with_status("warn", blocking=False, note="listed in policy.warn_only")
    waivers = [w for w in rules.waivers if matches(gate.id, [w.gate])]
    # a live waiver wins over an expired one for the same gate (a renewal added beside the old)
    for waiver in sorted(waivers, key=lambda w: w.expires < today):
        if waiver.expires >= today:
            return gate.with_status(
                "waived",
                blocking=False,
                note=f"waived until {waiver.expires.isoformat()} by {waiver.owner}: "
                f"{waiver.reason}",
            )
        gate = gate.with_status(
            "fail",
            blocking=True,
            note=f"waiver expired on {waiver.expires.isoformat()} ({waiver.owner}: {waiver.reason})"
            " — renew or remove it in the config",
        )
        break
    if rules.accepted:
        return gate.with_status(
            "warn", blocking=False, note=f"regression accepted: {rules.accepted}", accepted=True
        )
    return gate.with_status("fail", blocking=True)


def verdict_of(gates: Sequence[GateResult], errors: Sequence[str] = ()) -> Verdict:
    """error if the evaluation is incomplete, else fail if anything blocks, else pass."""
    if errors or any(g.status == "error" and g.blocking for g in gates):
        return "error"
    if any(g.status == "fail" and g.blocking for g in gates):
        return "fail"
    return "pass"


def exit_code(report: Report) -> ExitCode:
    """The process exit code of a finished report."""
    return {
        "pass": ExitCode.OK,
        "fail": ExitCode.GATE_FAILED,
        "error": ExitCode.CANNOT_EVALUATE,
    }[report.verdict]
