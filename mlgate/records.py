"""The plain values that flow between stages: measurements, gate results and the report (v1).

Changelog of the report format (`SCHEMA`):
  mlgate.report/v1 — first version: verdict, summary, context, gates[], errors[], diagnostics.
    (additive) gates[].history: the gate's production values from the baseline's history.jsonl
    (written only when the baseline has one).
    (meaning) gates[].inconclusive is true only when the point estimate is beyond the tolerance
    and not proven (issue 18: the inconclusive state); an interval that merely reaches past the
    tolerance around a point inside it is a plain pass (it was `inconclusive` before).
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field, fields, replace
from enum import IntEnum
from typing import Any, Literal

SCHEMA = "mlgate.report/v1"
NAME_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,64}")  # config `name:`, context["name"]

Kind = Literal["data", "model", "performance"]
Status = Literal["pass", "warn", "fail", "error", "waived", "skipped"]
Verdict = Literal["pass", "fail", "error"]
STATUSES: tuple[Status, ...] = ("pass", "warn", "fail", "error", "waived", "skipped")


class ExitCode(IntEnum):
    """The exit codes of the contract (docs/design.md §3). Every non-zero code blocks a merge."""

    OK = 0  # every blocking gate passed
    GATE_FAILED = 1  # a blocking gate failed: a regression, a value
    USAGE = 2  # bad command line or invalid config
    CANNOT_EVALUATE = 3  # unreadable data/model, unreachable baseline, required publish failed
    BUG = 4  # a bug in mlgate
    INTERRUPTED = 130  # SIGINT (128 + 2)
    TERMINATED = 143  # SIGTERM (128 + 15), e.g. a cancelled CI job


# --- thresholds: the one table every stage reads (config, measure, compare, report) -------------


@dataclass(frozen=True)
class Threshold:
    """One threshold kind. Absolute kinds bound the candidate's value; relative kinds bound its
    worsening against production and apply to one metric direction (`higher_is_better`)."""

    key: str  # the config key
    relative: bool
    operator: str  # Check.operator in the report: ">=" / "<=" (absolute), the key (relative)
    symbol: str  # as people read it: "≥", "≤"
    label: str  # table cells: "≥ {}", "drop ≤ {}"
    word: str  # absolute: "below the minimum"; relative: the worsening, "drop" / "increase"
    higher_is_better: bool | None = None  # relative: the metric direction it applies to
    # relative to the best production value of the history (`max_drop_from_best`), not to the
    # production model of this run; kept out of THRESHOLD_KEYS / RELATIVE_KEYS (per-run kinds)
    from_best: bool = False

    def holds(self, value: float, bound: float) -> bool:
        """An absolute bound: whether `value` is within it."""
        return value >= bound if self.symbol == "≥" else value <= bound


# In the order people read them (one row per kind: adding a threshold kind is one row).
THRESHOLDS: dict[str, Threshold] = {
    t.key: t
    for t in (
        Threshold("min", False, ">=", "≥", "≥ {}", "below the minimum"),
        Threshold("max", False, "<=", "≤", "≤ {}", "above the maximum"),
        Threshold("max_drop", True, "max_drop", "≤", "drop ≤ {}", "drop", True),
        Threshold("max_increase", True, "max_increase", "≤", "increase ≤ {}", "increase", False),
        Threshold(
            "max_drop_from_best",
            True,
            "max_drop_from_best",
            "≤",
            "drop from best ≤ {}",
            "drop",
            True,
            from_best=True,
        ),
        Threshold(
            "max_increase_from_best",
            True,
            "max_increase_from_best",
            "≤",
            "increase from best ≤ {}",
            "increase",
            False,
            from_best=True,
        ),
    )
}
# The per-run kinds (vs the production model of this run); the from-best kinds apart, as only
# model gates have them (they read the baseline's history).
THRESHOLD_KEYS: tuple[str, ...] = tuple(k for k, t in THRESHOLDS.items() if not t.from_best)
RELATIVE_KEYS: tuple[str, ...] = tuple(
    k for k, t in THRESHOLDS.items() if t.relative and not t.from_best
)
ABSOLUTE_KEYS: tuple[str, ...] = tuple(k for k, t in THRESHOLDS.items() if not t.relative)
FROM_BEST_KEYS: tuple[str, ...] = tuple(k for k, t in THRESHOLDS.items() if t.from_best)


def relative_key(higher_is_better: bool) -> str:
    """The relative threshold key that applies to a metric of this direction."""
    return next(k for k in RELATIVE_KEYS if THRESHOLDS[k].higher_is_better is higher_is_better)


def from_best_key(higher_is_better: bool) -> str:
    """The from-best threshold key that applies to a metric of this direction."""
    return next(k for k in FROM_BEST_KEYS if THRESHOLDS[k].higher_is_better is higher_is_better)


HISTORY_SCHEMA = "mlgate.history/v1"  # one line of a baseline's history.jsonl


@dataclass(frozen=True)
class HistoryPoint:
    """One production value of one gate, from a baseline's history.jsonl (one merge).

    `same_eval` says whether it was measured on this run's eval data (same fingerprint): only
    those are compared with (`max_drop_from_best`); the others are listed, not used.
    """

    value: float | None
    interval: tuple[float, float] | None = None  # of the value, when the save knew it
    fingerprint: str | None = None
    commit: str | None = None
    ref: str | None = None
    date: str | None = None
    mlgate_version: str | None = None
    same_eval: bool = False


@dataclass(frozen=True)
class Tolerance:
    """An allowed change: absolute (in the metric's units) or relative to the production value."""

    value: float
    relative: bool = False

    def absolute(self, baseline: float) -> float:
        """The tolerance in the metric's units, given the production value."""
        return abs(baseline) * self.value if self.relative else self.value

    def __str__(self) -> str:
        return f"{self.value * 100:g}%" if self.relative else f"{self.value:g}"


# 1/h is about the number of rows that carry the worsening; below 2(z_a + z_p)^2 of them (about
# 16 at 80% power and alpha 0.05) how many an eval set holds varies so much that the normal
# spread misstates the power: at about 6 rows the stated figure was caught 72% of the time
# (benchmarks/loss_power.py). Then no figure is stated.
FEW_ROWS_LEAD = 0.5


def detectable_worsening(
    se: float,
    tolerance: float,
    alpha: float,
    power: float = 0.8,
    growth: float = 0.0,
    worsening: float = 0.0,
    scaling: tuple[float, float] = (0.0, 0.0),
) -> float:
    """The smallest true worsening the default rule detects with `power`, in metric units
    (math.inf when no worsening is caught that often on this eval set).

    The rule fails a gate when the two-sided (1 - alpha) interval lies wholly beyond the
    tolerance, so a true worsening d is caught with `power` when
    d = tolerance + (z_{1-alpha/2} + z_power) * se(d), where `se` was measured at the observed
    `worsening` and se(d) is the spread t = d - worsening further. A worse candidate differs on
    more rows and, where it is already worse, by more:
    se(d)^2 = se^2 + (growth + 2 k) * t + h * t^2, `growth` the variance one more differing unit
    adds (Estimate.growth) and (k, h) = `scaling` (Estimate.scaling, k signed as a worsening)
    that of the worse rows erring by more. 0s keep the spread fixed: tolerance + (z_a + z_p) * se.
    When h * (z_a + z_p)^2 >= 1 the spread outgrows the worsening (it sits on a handful of
    rows) and no worsening is caught with `power`; from h * (z_a + z_p)^2 >= 1 - FEW_ROWS_LEAD
    (½) a figure would not hold: math.inf.
    """
    from statistics import NormalDist

    k, h = scaling
    if not (0 < alpha < 1 and 0 < power < 1) or se < 0 or growth < 0 or h < 0:
        raise ValueError("need 0 < alpha < 1, 0 < power < 1, se ≥ 0, growth ≥ 0 and h ≥ 0")
    z = NormalDist().inv_cdf(1 - alpha / 2) + NormalDist().inv_cdf(power)
    d = tolerance + z * se
    if d <= worsening:  # a smaller worsening than the observed one: the measured spread
        return d
    lead = 1 - z * z * h
    if lead <= FEW_ROWS_LEAD:
        return math.inf
    # x^2 = z^2 (se^2 + g t + h t^2), t = x + tolerance - worsening: a quadratic in
    # x = d - tolerance, lead x^2 - b x - c = 0
    g, t0 = growth + 2 * k, tolerance - worsening
    b = z * z * (g + 2 * h * t0)
    c = z * z * (se * se + g * t0 + h * t0 * t0)
    x = (b + math.sqrt(max(b * b + 4 * lead * c, 0.0))) / (2 * lead)
    return max(tolerance + x, d)


def paired_proportion_score(b: int, c: int, n: int, delta0: float) -> float:
    """Tango's (1998) score statistic for H0: p₁ − p₂ = delta0 on n paired 0/1 outcomes, where b
    rows are 1 for the first and 0 for the second and c rows the other way round, with a
    continuity correction of ½ on b − c.

    The variance of b − c under H0 uses the restricted maximum-likelihood estimate of the second
    kind of discordant row, so the statistic stays honest on a handful of differing rows, where
    the per-row (Wald) and bootstrap intervals collapse to the few observed differences. Without
    the correction the bound on the worse side was crossed 3.3–4.5% of the time on 3–12
    differing rows (nominal 2.5%); with it 1.3–2.9% (benchmarks/paired_accuracy.py). Falls from
    +∞ to −∞ as delta0 runs over (−1, 1), and is 0 within ½ row of the observed b − c.
    """
    d = min(max(delta0, -1.0), 1.0)
    a = 2.0 * n
    bq = -b - c + (2.0 * n - b + c) * d
    cq = -c * d * (1.0 - d)
    q = (math.sqrt(max(bq * bq - 4.0 * a * cq, 0.0)) - bq) / (2.0 * a)
    var = n * (2.0 * q + d * (1.0 - d))
    gap = b - c - n * d
    gap = math.copysign(max(abs(gap) - 0.5, 0.0), gap)
    if var <= 0.0:
        return 0.0 if gap == 0 else math.copysign(math.inf, gap)
    return gap / math.sqrt(var)


def paired_proportion_interval(b: int, c: int, n: int, alpha: float) -> tuple[float, float]:
    """The two-sided (1 − alpha) score interval of (b − c)/n (`paired_proportion_score` inverted
    by bisection: {delta0 : |score| ≤ z}). Two near-identical models — 6 of 300 rows differ —
    keep their level here; the bootstrap of those 6 rows passed strict mode wrongly 4.4% of the
    time (nominal 2.5%, issue 18)."""
    from statistics import NormalDist

    z = NormalDist().inv_cdf(1 - alpha / 2)
    point = (b - c) / n

    def root(target: float, lo: float, hi: float) -> float:
        for _ in range(64):  # the score falls with delta0: keep lo where score > target
            mid = (lo + hi) / 2
            if paired_proportion_score(b, c, n, mid) > target:
                lo = mid
            else:
                hi = mid
        return (lo + hi) / 2

    return root(z, -1.0, point), root(-z, point, 1.0)


TAIL = 25  # bootstrap replicates a percentile bound rests on, at least (Estimate.interval)
# A metric of the positive class (binary precision, recall, f1, average precision, ROC AUC) on
# fewer positives than this: its interval does not hold its level (f1 on 18 positives covered
# 89%), so it decides nothing — never a block, never a strict-mode pass: "too few positives"
MIN_POSITIVES = 30


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
    # how much the variance of the delta grows per unit of further worsening (rows that differ
    # between the models add spread): what makes the stated detectable worsening hold
    growth: float = 0.0
    # (k, h): the variance grows by 2·k·t + h·t² when the rows on which the candidate is already
    # worse get worse by t more, each in proportion (a loss worsening on a few rows; k in the
    # delta's direction); (0, 0) where the delta has no per-row terms
    scaling: tuple[float, float] = (0.0, 0.0)
    positives: int | None = None  # rows of the positive class, for a metric of that class
    # accuracy: (rows only the candidate gets right, rows only production gets right); the
    # interval is then the paired score interval of those counts, not the normal or bootstrap one
    discordant: tuple[int, int] | None = None
    # the rows those discordant counts are among when not all n (binary recall: the positives)
    among: int | None = None

    def interval(self, alpha: float) -> tuple[float, float]:
        """The two-sided (1 − alpha) confidence interval of the delta.

        Percentiles of the bootstrap replicates while each tail holds at least TAIL of them;
        at smaller levels (a slice's Holm-adjusted alpha: 0.01 leaves 5 of 1,000 per tail) a
        bound read off the last few replicates is noise that over-blocks, so the interval is
        the normal one from the replicates' spread. Accuracy and binary recall (`discordant`):
        the paired score interval of the differing rows (recall: the differing positives), at
        every level.
        """
        if self.discordant is not None:
            return paired_proportion_interval(*self.discordant, self._base(), alpha)
        if self.samples and alpha / 2 * len(self.samples) >= TAIL:
            import numpy as np

            lo, hi = np.quantile(np.asarray(self.samples), [alpha / 2, 1 - alpha / 2])
            return float(lo), float(hi)
        from statistics import NormalDist

        z = NormalDist().inv_cdf(1 - alpha / 2)
        return self.delta - z * self.se, self.delta + z * self.se

    def _base(self) -> int:
        """The rows a paired proportion is over: `among`, else all n."""
        return self.n if self.among is None else self.among

    def prob_at_most(self, bound: float) -> float:
        """P(delta ≤ bound) under the estimate's sampling distribution (for p-values): the
        share of replicates while both sides hold TAIL of them, else the normal form, as
        `interval` (Holm's levels and the intervals then agree)."""
        if self.discordant is not None:
            from statistics import NormalDist

            score = paired_proportion_score(*self.discordant, self._base(), bound)
            return NormalDist().cdf(-score)
        if self.samples:
            import numpy as np

            count = int(np.count_nonzero(np.asarray(self.samples) <= bound))
            if min(count, len(self.samples) - count) >= TAIL:
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
    history: tuple[HistoryPoint, ...] = ()  # production values over the merges, oldest first


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
    # the third state: the point estimate is beyond the tolerance but the interval reaches back
    # inside it (not proven either way). The status stays `pass` (or `fail` in strict mode); every
    # view shows such a passing gate as *inconclusive*, never as a plain pass
    inconclusive: bool = False
    notes: tuple[str, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)
    # a blocking failure let through because the regressions were accepted (a PR label); in
    # report.json only when true (`"accepted": true`), so every other report is unchanged
    accepted: bool = False
    # production values over the merges (oldest first), from the baseline's history.jsonl; in
    # report.json only when there is one
    history: tuple[HistoryPoint, ...] = ()

    @property
    def state(self) -> str:
        """What every view shows: the status, or "inconclusive" for a passing gate whose point
        estimate is beyond the tolerance but not proven (report.json: `inconclusive: true`)."""
        unproven = self.status == "pass" and self.inconclusive is True
        return "inconclusive" if unproven else self.status

    def with_status(
        self, status: Status, *, blocking: bool, note: str | None = None, accepted: bool = False
    ) -> GateResult:
        notes = (*self.notes, note) if note else self.notes
        return replace(self, status=status, blocking=blocking, notes=notes, accepted=accepted)


@dataclass(frozen=True)
class Finding:
    """One fact the compare stage established about one threshold of one gate.

    compare writes no sentences: the report stage's wording turns these into the gate's
    message (failures) and notes (everything else). Numbers are in the metric's units.
    """

    what: Literal[
        "outside",  # an absolute bound failed: `value` is outside `bound`
        "worse",  # a relative threshold failed: worsened by `value`, `allowed` allowed
        "unproven",  # strict mode: the worsening is not proven within `allowed`
        "no_baseline",  # a relative threshold with no production value
        "zero_baseline",  # a relative tolerance of a production value 0 allows no worsening
        "unpaired",  # compared point values (the baseline is a saved report)
        "inconclusive",  # worsened by `value` beyond `allowed`, the interval reaching inside
        "spans",  # a pass: worsened by `value` within `allowed`, the interval reaching past it
        "few",  # `n` positives, fewer than MIN_POSITIVES: the interval decides nothing
        "no_history",  # a from-best threshold without a same-eval-data entry in the history
        "other_eval",  # `n` history entries were measured on other eval data: listed, not used
    ]
    key: str
    value: float | None = None  # the candidate (outside) or the worsening (worse, unproven)
    bound: float | None = None  # the bound (outside) or the allowed worsening (relative)
    interval: tuple[float, float] | None = None  # worse: of the delta; inconclusive: worsening
    detectable: float | None = None  # inconclusive: the smallest detectable worsening
    n: int | None = None  # inconclusive: rows or timing blocks behind the estimate
    needed: int | None = None  # inconclusive: about the rows that would decide it (80% power)
    best: HistoryPoint | None = None  # from-best: the best production value compared with

    @property
    def fails(self) -> bool:
        return self.what in ("outside", "worse", "unproven")


@dataclass(frozen=True)
class Comparison:
    """What compare returns for one measurement: the gate's facts (`result`, message empty
    for a measured gate) plus what the wording needs to say them."""

    result: GateResult
    measurement: Measurement
    findings: tuple[Finding, ...] = ()
    alpha: float = 0.05  # the level of the gate's interval (Holm-adjusted for slices)


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
        """Read a report.json back (for render, publish and `report:` baselines).

        The document may be forged (an artifact of an untrusted job), so it is validated
        strictly: closed sets for the verdict and statuses, types checked, every string cleaned
        of control characters and lone surrogates. Anything else is a ValueError naming the key.
        A gate's `inconclusive` (and a check's) must be true or false: true on a `pass` gate is
        the inconclusive state every rendering shows (docs/design.md §6).
        """
        if not isinstance(doc, dict):
            raise ValueError("not an mlgate report (expected a JSON object)")
        if doc.get("schema") != SCHEMA:
            raise ValueError(f"not an {SCHEMA} document (schema: {_shown(doc.get('schema'))})")
        try:
            doc = _clean_json(doc, "report", 0)
            verdict = _one_of(doc.get("verdict"), VERDICTS, "verdict")
            raw_gates = _typed(doc.get("gates", []), list, "gates", "a list")
            gates = tuple(_gate_from(g, f"gates[{i}]") for i, g in enumerate(raw_gates))
            errors = _typed(doc.get("errors", []), list, "errors", "a list")
            return cls(
                verdict=verdict,
                gates=gates,
                context=_context_from(doc.get("context", {})),
                errors=tuple(
                    _typed(e, str, f"errors[{i}]", "a string") for i, e in enumerate(errors)
                ),
                diagnostics=_typed(doc.get("diagnostics", {}), dict, "diagnostics", "an object"),
            )
        except ValueError as exc:
            raise ValueError(f"not a valid mlgate report: {exc}") from None


VERDICTS: tuple[Verdict, ...] = ("pass", "fail", "error")
LEVELS = ("error", "warn")
MAX_DEPTH = 32  # nesting a real report never reaches; deeper is refused, not recursed into
_KIND = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
# C0/C1 controls but tab and newline, lone surrogates, and the bidi controls that reorder text
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
# context keys other stages read, and the JSON type each must have
_CONTEXT_TYPES: dict[str, tuple[type, ...]] = {
    "ci": (str,),
    "commit": (str,),
    "ref": (str,),
    "config": (str,),
    "mlgate_version": (str,),
    "job_url": (str,),
    "report_url": (str,),
    "mode": (str,),
    "baseline": (dict,),
    "eval": (dict,),
    "pull_request": (dict,),
    "duration_s": (int, float),
    "alpha": (int, float),
    "config_changes": (list,),  # issue 13: [{key, before, after, kind}]
    "config_base": (dict,),
    "fork_report": (dict,),
    "fork_evaluation": (dict,),  # `mlgate fork-evaluate`: whom the verdict was computed for
}


def _shown(value: Any) -> str:
    """A value from a document, quoted for one line of a message: escaped, bounded, inert."""
    text = repr(value)
    text = text if len(text) <= 60 else text[:57] + "..."
    return text.replace("::", ":\u2060:").replace("##[", "##\u2060[")


def _clean_text(text: str) -> str:
    """Control characters (but tab and newline) and bidi controls dropped, CR made a newline,
    lone surrogates U+FFFD; `::` and `##[` get a word joiner, so that no string of a forged
    report can form a CI workflow command wherever it is printed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _UNSAFE.sub(lambda m: "\ufffd" if "\ud800" <= m.group(0) <= "\udfff" else "", text)
    return text.replace("::", ":\u2060:").replace("##[", "##\u2060[")


def _clean_json(value: Any, where: str, depth: int) -> Any:
    """Every string (keys too) cleaned; non-finite numbers refused; nesting bounded."""
    if depth > MAX_DEPTH:
        raise ValueError(f"{where}: nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, str):
        return _clean_text(value)
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{where}: expected a finite number, got {value}")
    if isinstance(value, dict):
        return {
            _clean_text(str(k)): _clean_json(v, f"{where}.{_clean_text(str(k))[:40]}", depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_clean_json(v, f"{where}[{i}]", depth + 1) for i, v in enumerate(value)]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    raise ValueError(f"{where}: not a JSON value ({type(value).__name__})")


def _typed(value: Any, kind: type | tuple[type, ...], where: str, expected: str) -> Any:
    if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _as_tuple(kind)):
        raise ValueError(f"{where}: expected {expected}, got {_shown(value)}")
    return value


def _as_tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _one_of(value: Any, allowed: tuple[str, ...], where: str) -> Any:
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{where}: expected one of {', '.join(allowed)}, got {_shown(value)}")
    return value


def _number(value: Any, where: str) -> float | None:
    if value is None:
        return None
    return _typed(value, (int, float), where, "a number or null")  # type: ignore[no-any-return]


def _gate_from(doc: Any, where: str) -> GateResult:
    g = _typed(doc, dict, where, "an object")
    unknown = sorted(set(g) - {f.name for f in fields(GateResult)})
    if unknown:
        raise ValueError(f"{where}: unknown key {_shown(unknown[0])}")
    for key in ("id", "status", "kind", "blocking", "message"):
        if key not in g:
            raise ValueError(f"{where}: missing {key!r}")
    values = dict(g)
    values["id"] = _typed(g["id"], str, f"{where}.id", "a string")
    values["kind"] = _typed(g["kind"], str, f"{where}.kind", "a gate kind")
    if not _KIND.match(values["kind"]):
        raise ValueError(f"{where}.kind: expected a gate kind, got {_shown(g['kind'])}")
    values["status"] = _one_of(g["status"], STATUSES, f"{where}.status")
    values["level"] = _one_of(g.get("level", "error"), LEVELS, f"{where}.level")
    for key in ("blocking", "inconclusive"):
        values[key] = _typed(g.get(key, False), bool, f"{where}.{key}", "true or false")
    for key in ("message", "name", "unit"):
        values[key] = _typed(g.get(key, ""), str, f"{where}.{key}", "a string")
    for key in ("candidate", "baseline", "delta"):
        values[key] = _number(g.get(key), f"{where}.{key}")
    ci = g.get("ci")
    if ci is not None:
        pair = _typed(ci, list, f"{where}.ci", "a pair of numbers")
        if len(pair) != 2:
            raise ValueError(f"{where}.ci: expected a pair of numbers, got {_shown(ci)}")
        ci = (_number(pair[0], f"{where}.ci[0]"), _number(pair[1], f"{where}.ci[1]"))
    values["ci"] = ci
    threshold = _typed(g.get("threshold", {}), dict, f"{where}.threshold", "an object")
    for key, bound in threshold.items():
        _typed(bound, (int, float, str), f"{where}.threshold.{key[:40]}", "a number or a string")
    values["threshold"] = threshold
    checks = _typed(g.get("checks", []), list, f"{where}.checks", "a list")
    values["checks"] = tuple(_check_from(c, f"{where}.checks[{i}]") for i, c in enumerate(checks))
    notes = _typed(g.get("notes", []), list, f"{where}.notes", "a list")
    values["notes"] = tuple(
        _typed(n, str, f"{where}.notes[{i}]", "a string") for i, n in enumerate(notes)
    )
    values["details"] = _typed(g.get("details", {}), dict, f"{where}.details", "an object")
    points = _typed(g.get("history", []), list, f"{where}.history", "a list")
    values["history"] = tuple(_point_from(h, f"{where}.history[{i}]") for i, h in enumerate(points))
    if "accepted" in g:
        values["accepted"] = _typed(g["accepted"], bool, f"{where}.accepted", "true or false")
    return GateResult(**values)


def _point_from(doc: Any, where: str) -> HistoryPoint:
    """One history point of a report read from a file, checked like the rest of it."""
    h = _typed(doc, dict, where, "an object")
    unknown = sorted(set(h) - {f.name for f in fields(HistoryPoint)})
    if unknown:
        raise ValueError(f"{where}: unknown key {_shown(unknown[0])}")
    interval = h.get("interval")
    if interval is not None:
        pair = _typed(interval, list, f"{where}.interval", "a pair of numbers")
        if len(pair) != 2:
            raise ValueError(f"{where}.interval: expected a pair of numbers, got {_shown(pair)}")
        interval = (
            _number(pair[0], f"{where}.interval[0]"),
            _number(pair[1], f"{where}.interval[1]"),
        )
    texts = {
        key: _typed(h.get(key), (str, type(None)), f"{where}.{key}", "a string")
        for key in ("fingerprint", "commit", "ref", "date", "mlgate_version")
    }
    return HistoryPoint(
        value=_number(h.get("value"), f"{where}.value"),
        interval=interval,
        same_eval=_typed(h.get("same_eval", False), bool, f"{where}.same_eval", "true or false"),
        **texts,
    )


def _check_from(doc: Any, where: str) -> Check:
    c = _typed(doc, dict, where, "an object")
    unknown = sorted(set(c) - {f.name for f in fields(Check)})
    if unknown:
        raise ValueError(f"{where}: unknown key {_shown(unknown[0])}")
    expected = _typed(c.get("expected"), (int, float, str), f"{where}.expected", "a number")
    passed = c.get("passed")
    if passed is not None:
        _typed(passed, bool, f"{where}.passed", "true, false or null")
    return Check(
        operator=_typed(c.get("operator"), str, f"{where}.operator", "a string"),
        expected=expected,
        actual=_number(c.get("actual"), f"{where}.actual"),
        passed=passed,
        inconclusive=_typed(c.get("inconclusive", False), bool, f"{where}.inconclusive", "a bool"),
    )


def _context_from(doc: Any) -> dict[str, Any]:
    context: dict[str, Any] = _typed(doc, dict, "context", "an object")
    for key, kinds in _CONTEXT_TYPES.items():
        value = context.get(key)
        if value is not None:
            expected = (
                "a string"
                if kinds[0] is str
                else "an object"
                if kinds[0] is dict
                else "a list"
                if kinds[0] is list
                else "a number"
            )
            _typed(value, kinds, f"context.{key}", expected)
    pull = context.get("pull_request")
    if isinstance(pull, dict):
        number, sha = pull.get("number"), pull.get("head_sha")
        if number is not None:
            _typed(number, int, "context.pull_request.number", "a whole number")
        if sha is not None:
            _typed(sha, str, "context.pull_request.head_sha", "a string")
    return context


def _gate_dict(gate: GateResult) -> dict[str, Any]:
    doc = asdict(gate)
    doc["ci"] = list(gate.ci) if gate.ci is not None else None
    doc["notes"] = list(gate.notes)
    doc["checks"] = [asdict(c) for c in gate.checks]
    if not gate.accepted:
        del doc["accepted"]
    if gate.history:
        doc["history"] = [_point_dict(p) for p in gate.history]
    else:
        del doc["history"]
    return doc


def _point_dict(point: HistoryPoint) -> dict[str, Any]:
    doc = asdict(point)
    doc["interval"] = list(point.interval) if point.interval is not None else None
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
