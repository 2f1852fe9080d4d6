"""What every rendering shows, decided once: gate order, the verdict sentence, notes, facts.

Renderers format; they do not decide. Text returned here is plain and may carry strings from
data or users (gate ids with slice values, messages, column names): every renderer escapes it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from mlgate.records import RELATIVE_KEYS, Check, GateResult, Report, relative_key
from mlgate.report import filters as f

# Keyed by a gate's *state* (`state`): its status, or "inconclusive" for a pass whose point
# estimate is beyond the tolerance without proof — its own word, icon and colour everywhere.
STATUS_RANK = {
    "error": 0,
    "fail": 1,
    "warn": 2,
    "inconclusive": 3,
    "pass": 4,
    "waived": 5,
    "skipped": 6,
}
STATUS_ICON = {
    "inconclusive": "❔",
    "pass": "✅",
    "warn": "⚠️",
    "fail": "❌",
    "error": "❗",
    "waived": "🔕",
    "skipped": "⏭️",
}
STATUS_WORD = {
    "inconclusive": "inconclusive",
    "pass": "passed",
    "warn": "warning",
    "fail": "failed",
    "error": "error",
    "waived": "waived",
    "skipped": "skipped",
}
ATTENTION = ("error", "fail", "warn", "inconclusive")  # the states listed, never folded away
VERDICT_WORD = {"pass": "Passed", "fail": "Blocked", "error": "Error"}
VERDICT_ICON = {"pass": "✅", "fail": "❌", "error": "❗"}


def normalize(report: Report) -> Report:
    """The report with every container the type the renderers expect.

    A report.json read back may have been written by another version or edited by hand: a
    `null` details or a string where a list belongs must not crash a rendering.
    """

    def seq(value: Any) -> tuple[Any, ...]:
        return tuple(value) if isinstance(value, (list, tuple)) else ()

    gates = []
    for gate in report.gates:
        ci = seq(gate.ci)
        gates.append(
            replace(
                gate,
                id=f.clean(gate.id) or "(unnamed gate)",
                name=f.clean(gate.name),
                message="" if gate.message is None else str(gate.message),
                unit=f.clean(gate.unit),
                details=dict(f.mapping(gate.details)),
                threshold=dict(f.mapping(gate.threshold)),
                notes=tuple(str(n) for n in seq(gate.notes)),
                checks=tuple(c for c in seq(gate.checks) if isinstance(c, Check)),
                ci=(ci[0], ci[1]) if len(ci) == 2 else None,
            )
        )
    return replace(
        report,
        gates=tuple(gates),
        context=dict(f.mapping(report.context)),
        diagnostics=dict(f.mapping(report.diagnostics)),
        errors=tuple(str(e) for e in seq(report.errors)),
    )


def state(gate: GateResult) -> str:
    """What every view shows (`GateResult.state`; a function for the templates)."""
    return gate.state


def ordered(gates: tuple[GateResult, ...] | list[GateResult]) -> list[GateResult]:
    """Failures first (errors, failures, warnings, inconclusive, passes, waived, skipped),
    blocking first, otherwise in the order of the config (stable sort), the order users know."""
    return sorted(gates, key=lambda g: (STATUS_RANK.get(state(g), 9), not g.blocking))


def attention(report: Report) -> list[GateResult]:
    """Gates a reviewer must read: errors, failures, warnings and inconclusive ones."""
    return [g for g in ordered(report.gates) if state(g) in ATTENTION]


def inconclusive(report: Report) -> list[GateResult]:
    """Passing gates whose point estimate is beyond the tolerance, not proven."""
    return [g for g in ordered(report.gates) if state(g) == "inconclusive"]


def passing(report: Report) -> list[GateResult]:
    """Gates that passed (proven within the tolerance, or the point inside it)."""
    return [g for g in report.gates if state(g) == "pass"]


def not_gated(report: Report) -> list[GateResult]:
    """Gates reported but not deciding anything: waived or skipped (with their reason)."""
    return [g for g in ordered(report.gates) if g.status in ("waived", "skipped")]


def alpha(report: Report) -> float:
    """The significance level the intervals were computed at (default 0.05)."""
    value = report.context.get("alpha") if isinstance(report.context, Mapping) else None
    return float(value) if f.is_number(value) and 0 < value < 1 else 0.05


def ci_label(report: Report) -> str:
    """ "95% CI" for alpha 0.05."""
    return f.confidence(alpha(report))


def slice_of(gate: GateResult) -> Mapping[str, Any] | None:
    """The slice a gate covers ({"column", "value", "rows"}), if it is a slice gate."""
    value = gate.details.get("slice") if isinstance(gate.details, Mapping) else None
    return value if isinstance(value, Mapping) else None


_ORDINAL = {2: "2nd", 3: "3rd"}


def label(gate: GateResult) -> str:
    """A readable name for a duplicate gate's id, which reads like code:
    `model.mae#2[clinic=east]` is "mae (2nd gate) · clinic = east"; any other id
    (`model.accuracy[country=FR]`) is its own name. Plain text: escape it."""
    gate_id = f.clean(gate.id)
    match = re.match(r"^model\.([^#\[]+)(?:#(\d+))?(?:\[(.*)\])?$", gate_id)
    if match is None or match[2] is None:
        return gate_id
    metric, dup = match[1], match[2]
    text = metric
    if dup is not None:
        text += f" ({_ORDINAL.get(int(dup), f'{dup}th')} gate)"
    part = slice_of(gate)
    if part is not None:
        text += f" · {f.clean(part.get('column'))} = {f.clean(part.get('value'))}"
    elif match[3] is not None:
        text += f" · {match[3].replace('=', ' = ', 1)}"
    return text


def mixed_levels(gates: list[GateResult], run_alpha: float) -> bool:
    """Whether some of these gates' intervals are at another level than the run's."""
    for gate in gates:
        level = gate.details.get("alpha") if isinstance(gate.details, Mapping) else None
        if gate.ci and f.is_number(level) and abs(level - run_alpha) > 1e-9:
            return True
    return False


def describe(gate: GateResult, ci: str = "95% CI") -> str:
    """One line saying what happened to a gate, naming it (the compare stage's message if any)."""
    message = f.clean(gate.message)
    if not message:
        values = []
        if f.is_number(gate.candidate):
            values.append(f"candidate {f.num(gate.candidate, gate.unit)}")
        if f.is_number(gate.baseline):
            values.append(f"production {f.num(gate.baseline, gate.unit)}")
        if f.is_number(gate.delta):
            change = f"change {f.signed(gate.delta, gate.unit)}"
            if gate.ci:
                change += f" ({ci} {f.interval(gate.ci, gate.unit)})"
            values.append(change)
        message = f"{gate.name or gate.id} {STATUS_WORD.get(gate.status, gate.status)}"
        message += (": " + ", ".join(values)) if values else ""
    named = any(n and n in message for n in (gate.id, gate.name))
    part = slice_of(gate)
    if part is not None and f.clean(part.get("value")) not in message:
        named = False
    return message if named else f"{f.clean(gate.id)}: {message}"


def change_text(gate: GateResult, run_alpha: float = 0.05) -> str:
    """ "−0.031 (−0.041…−0.022)": the change vs production with its interval, or a dash.

    An interval at another level than the run's (slices corrected for multiple comparisons)
    says its level: "−0.110 (98.75% CI −0.161…−0.062)".
    """
    if not f.is_number(gate.delta):
        return f.DASH
    text = f.signed(gate.delta, gate.unit)
    interval = f.interval(gate.ci)
    if not interval:
        return text
    level = gate.details.get("alpha") if isinstance(gate.details, Mapping) else None
    if f.is_number(level) and 0 < level < 1 and abs(level - run_alpha) > 1e-9:
        interval = f"{f.confidence(level)} {interval}"
    return f"{text} ({interval})"


def finding_text(gate: GateResult, limit: int = 300) -> str:
    """The gate's message, plus a few offending values for a data check."""
    text = f.clip(gate.message, limit) or STATUS_WORD.get(gate.status, f.clean(gate.status))
    examples = gate.details.get("examples") if isinstance(gate.details, Mapping) else None
    if isinstance(examples, list) and examples:
        text += f"; e.g. {f.join(examples, 5, 40)}"
    return text


def says_more(gate: GateResult) -> bool:
    """Whether the message adds to the numbers columns (data checks, errors, absolute gates);
    a relative gate's message only repeats its change, interval and tolerance."""
    return gate.status == "error" or not f.is_number(gate.delta) or gate.ci is None


@dataclass(frozen=True)
class Headline:
    """The first line of every rendering: the verdict and why, in a reviewer's words."""

    verdict: str  # pass | fail | error
    word: str  # Passed | Blocked | Error
    icon: str
    reason: str  # plain text (may carry data): renderers escape it

    @property
    def text(self) -> str:
        return f"{self.word}: {self.reason}"


def _n(count: int, noun: str) -> str:
    """2, "gate" -> "2 gates"; 1 -> "1 gate"."""
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _more(items: list[Any], noun: str, verb: str = "") -> str:
    extra = len(items) - 1
    if extra <= 0:
        return ""
    plural = noun if extra == 1 else noun + "s"
    return f"; {extra} more {plural}" + (f" {verb}" if verb else "")


def headline(report: Report) -> Headline:
    """The verdict and its main reason (the first blocking failure, or the first problem)."""
    verdict = report.verdict if report.verdict in VERDICT_WORD else "error"
    ci = ci_label(report)
    if verdict == "error":
        errored = [g for g in ordered(report.gates) if g.status == "error"]
        problems = [f.clean(e) for e in report.errors if f.clean(e)]
        if problems:
            reason = f"the gate could not be evaluated: {problems[0]}"
            reason += _more(problems, "problem")
            reason += f"; {_n(len(errored), 'gate')} errored" if errored else ""
        elif errored:
            gate = errored[0]
            why = f.clean(gate.message) or "no reason given"
            reason = f"{f.clean(gate.id)} could not be evaluated: {why}"
            reason += _more(errored, "gate", "could not be evaluated")
        else:
            reason = "the evaluation did not complete (no reason recorded)"
        failed = [g for g in report.gates if g.status == "fail" and g.blocking]
        if failed:
            reason += f"; {_n(len(failed), 'blocking gate')} also failed"
    elif verdict == "fail":
        failed = [g for g in ordered(report.gates) if g.status in ("fail", "error") and g.blocking]
        if failed:
            reason = describe(failed[0], ci) + _more(failed, "blocking gate", "failed")
        else:
            reason = "a blocking gate failed (see the gates below)"
    else:
        blocking = [g for g in report.gates if g.status == "pass" and g.blocking]
        warned = [g for g in ordered(report.gates) if g.status in ("warn", "fail")]
        if not report.gates:
            reason = "no gates were configured"
        elif not blocking:
            reason = "no blocking gate was evaluated"
        elif any(state(g) == "inconclusive" for g in blocking):
            reason = "no blocking gate was proven worse"
        else:
            reason = (
                f"all {len(blocking)} blocking gates passed"
                if len(blocking) > 1
                else "the one blocking gate passed"
            )
        if warned:
            reason += f"; {len(warned)} warning{'s' if len(warned) != 1 else ''}: "
            reason += describe(warned[0], ci)
    unsure = inconclusive(report)
    if unsure:
        reason += f"; {counts(report)}"
        if verdict == "pass":
            reason += f"; {describe(unsure[0], ci)}"
    return Headline(verdict, VERDICT_WORD[verdict], VERDICT_ICON[verdict], reason)


def counts(report: Report) -> str:
    """ "2 failed, 1 inconclusive, 10 passed": every non-zero state, attention first."""
    from mlgate.report.wording import TALLY, tally

    return tally(report, (*TALLY, "waived", "skipped"))


def notes(report: Report) -> list[tuple[str, str]]:
    """(gate id, note) for inconclusive gates and every note the gates carry, failures first."""
    out: list[tuple[str, str]] = []
    for gate in ordered(report.gates):
        texts = [f.clean(n) for n in gate.notes if f.clean(n)]
        if gate.inconclusive and not any("inconclusive" in t.lower() for t in texts):
            texts.insert(0, inconclusive_note(gate))
        out.extend((gate.id, t) for t in dict.fromkeys(texts))
    return out


def inconclusive_note(gate: GateResult) -> str:
    """Why an inconclusive gate is so, from the detectable change when the report has it."""
    detectable = gate.details.get("detectable") if isinstance(gate.details, Mapping) else None
    rows = gate.details.get("n") if isinstance(gate.details, Mapping) else None
    if not f.is_number(detectable):
        return "inconclusive: the eval set is too small to tell a change this size from noise"
    size = f" ({f.count(rows)} rows)" if f.is_number(rows) else ""
    smallest = f.num(detectable, gate.unit)
    text = f"inconclusive: this eval set{size} can only detect changes of {smallest} or more"
    allowed = allowed_change(gate)
    return text + (f"; the tolerance is {f.num(allowed, gate.unit)}" if allowed is not None else "")


def allowed_change(gate: GateResult) -> float | None:
    """The relative tolerance in the metric's units ("1%" resolved against production)."""
    allowed = gate.details.get("allowed") if isinstance(gate.details, Mapping) else None
    if f.is_number(allowed):  # the compare stage's own resolution of the tolerance
        return float(allowed)
    for key in RELATIVE_KEYS:
        if key in gate.threshold:
            return f.tolerance_value(gate.threshold[key], gate.baseline)
    return None


def higher_is_better(gate: GateResult) -> bool:
    """The metric's direction: from the details, else from the threshold kind."""
    flag = gate.details.get("higher_is_better") if isinstance(gate.details, Mapping) else None
    if isinstance(flag, bool):
        return flag
    lower, higher = relative_key(False), relative_key(True)
    return not (lower in gate.threshold and higher not in gate.threshold)


def detectable(report: Report, limit: int = 8) -> list[tuple[str, float, str]]:
    """(what, smallest detectable change, unit) of relative gates; slices only if few."""
    out = []
    for gate in report.gates:
        value = gate.details.get("detectable") if isinstance(gate.details, Mapping) else None
        if f.is_number(value):
            label = gate.id if slice_of(gate) is not None else (gate.name or gate.id)
            out.append((f.clip(label, 80), float(value), gate.unit))
    return out[:limit]


def baseline_sentence(report: Report, said: Sequence[str] = ()) -> str:
    """Which production baseline the candidate was compared with, in one sentence.

    Empty when the run stopped before any baseline was looked at (nothing to say). A note that
    is one of the texts already `said` (the terminal's first line) is referred to, not repeated.
    """
    base = f.mapping(report.context.get("baseline"))
    if not base and not report.gates:
        return ""
    spec = f.clip(base.get("spec"), 200)
    kind = base.get("kind")
    rows = f.mapping(report.context.get("eval")).get("rows")
    if kind == "predictions":
        text = f"production predictions {spec}" if spec else "the production predictions"
        on = f"the same {f.count(rows)} eval rows" if f.is_number(rows) else "the same eval rows"
        text += f", joined on {on}"
        if base.get("paired") is True:
            text += " (paired comparison)"
    elif kind == "model" or (kind is None and spec):
        text = f"production model {spec}" if spec else "the production model"
        on = f"the same {f.count(rows)} eval rows" if f.is_number(rows) else "the same eval rows"
        text += f", re-evaluated on {on}"
        if base.get("paired") is True:
            text += " (paired comparison)"
        elif base.get("paired") is False:
            text += " (not paired)"
    elif kind == "report":
        text = f"stored report {spec}: metrics only, no paired statistics"
    elif kind == "error":
        text = f"{spec} could not be resolved" if spec else "could not be resolved"
    else:
        text = "none configured, so only absolute thresholds apply"
    note = f.clip(base.get("note"), 300)
    if note and any(f.clean(base.get("note"))[:200] in f.clean(t) for t in said):
        return f"{text} (the error above)"
    return f"{text}. {note}" if note else text


def evaluation_sentence(report: Report) -> str:
    """Who computed the verdict, for a trusted fork evaluation (`mlgate fork-evaluate`); else "".

    Every part comes from the platform's event and the base checkout, never from the fork.
    """
    facts = f.mapping(report.context.get("fork_evaluation"))
    if not facts:
        return ""
    base = f.clean(facts.get("base_commit"))[:12]
    text = "the base branch's config and mlgate" + (f" (commit {base})" if base else "")
    head = f.clip(facts.get("head_repository"), 120)
    branch = f.clip(facts.get("head_branch"), 120)
    sha = f.clean(facts.get("head_sha"))[:12]
    text += " evaluated the fork's candidate"
    if f.clean(facts.get("candidate")):
        text += f" {f.clip(facts.get('candidate'), 160)}"
    where = " ".join(part for part in (head, f"branch {branch}" if branch else "") if part)
    if where:
        text += f" from {where}"
    if sha:
        text += f" at {sha}"
    said = f.clean(facts.get("fork_report_verdict"))
    text += "; the fork's own report was not used" + (
        f" (it said {f.clip(said, 20)})" if said else ""
    )
    return text


def links(report: Report) -> list[tuple[str, str]]:
    """(label, safe http(s) URL) for the full report and the CI job, when the CI says where."""
    out = []
    for key, label in (("report_url", "Full report"), ("job_url", "CI job")):
        url = f.md_url(report.context.get(key))
        if url:
            out.append((label, url))
    return out


def run_facts(report: Report) -> list[tuple[str, str]]:
    """(label, value) facts about the run for the header/footer: commit, data, version..."""
    ctx = f.mapping(report.context)
    data = f.mapping(ctx.get("eval"))
    facts = []
    if ctx.get("commit"):
        facts.append(("commit", f.clean(ctx["commit"])[:12]))
    if ctx.get("ref"):
        facts.append(("ref", f.clip(ctx["ref"], 80)))
    if data.get("path"):
        rows = f" ({f.count(data['rows'])} rows)" if f.is_number(data.get("rows")) else ""
        facts.append(("eval data", f.clip(data["path"], 120) + rows))
    if data.get("fingerprint"):
        facts.append(("fingerprint", f.clean(data["fingerprint"])[:19]))
    if ctx.get("config"):
        facts.append(("config", f.clip(ctx["config"], 120)))
    facts.append(("confidence", ci_label(report)))
    if ctx.get("mode"):
        facts.append(("mode", f.clip(ctx["mode"], 20)))
    if ctx.get("ci"):
        facts.append(("CI", f.clip(ctx["ci"], 20)))
    if f.is_number(ctx.get("duration_s")):
        facts.append(("duration", f.duration(ctx["duration_s"])))
    if ctx.get("mlgate_version"):
        facts.append(("mlgate", f.clip(ctx["mlgate_version"], 20)))
    return facts
