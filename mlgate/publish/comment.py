"""The sticky PR/MR comment shared by every publisher: its body, its results digest, its plan."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from mlgate.records import Report

T = TypeVar("T")
DIGEST = re.compile(r"<!-- mlgate:digest=(?P<digest>[0-9a-f]+) -->")
RUN = re.compile(
    r"<!-- mlgate:run=(?P<order>\d{1,20}(?:\.\d{1,20}){0,3})(?: sha=[0-9a-f]{1,64})? -->"
)


@dataclass(frozen=True)
class Run:
    """The CI run that posts a report, in the order its platform gives: GitHub (run id, attempt)
    (of the triggering run for a workflow_run job), GitLab (pipeline id, job id). Both grow
    monotonically, so a larger order is a later run: a re-run, or a run for a later push."""

    order: tuple[int, ...]
    sha: str | None = None

    @property
    def label(self) -> str:
        return ".".join(str(part) for part in self.order)

    def mark(self) -> str:
        sha = f" sha={self.sha}" if self.sha and re.fullmatch(r"[0-9a-f]{1,64}", self.sha) else ""
        return f"<!-- mlgate:run={self.label}{sha} -->"


@dataclass(frozen=True)
class Sticky:
    """One sticky comment to post: the marker that finds it again, its text, the verdict."""

    marker: str
    text: str
    verdict: str
    run: Run | None = None  # None: no run order known (outside CI), no stale-run protection

    def ours(self, text: str | None) -> bool:
        """Whether a comment carries this marker (another name's marker never matches)."""
        return self.marker in (text or "")


def body(report: Report, *, limit: int, run: Run | None = None) -> str:
    """The Markdown report with the sticky marker and a hidden digest (and the run that posted
    it, when known), within `limit` characters."""
    from mlgate.report.markdown import marker_for, render_markdown

    marker = marker_for(report.name)
    mark = _marks(digest(report), run)
    text = render_markdown(report, max_chars=limit - len(mark) - len(marker) - 2)
    if marker not in text:
        text = f"{marker}\n{text}"
    return f"{text}\n{mark}\n"


def sticky(report: Report, *, limit: int, run: Run | None = None) -> Sticky:
    """The sticky comment of one report (found again by its name's marker)."""
    from mlgate.report.markdown import marker_for

    return Sticky(marker_for(report.name), body(report, limit=limit, run=run), report.verdict, run)


def combined(reports: Sequence[Report], *, limit: int, run: Run | None = None) -> Sticky:
    """One comment for several named reports: a verdict line per model, then each one folded.

    Its marker names every model (`name=churn+fraud`), so it is neither a single model's
    comment nor another combination's; a per-model job never edits it, nor it theirs.
    """
    from mlgate.decide import exit_code
    from mlgate.report.markdown import combined_marker, render_combined

    marker = combined_marker([r.name or "" for r in reports])
    together = hashlib.sha256("".join(digest(r) for r in reports).encode()).hexdigest()[:20]
    mark = _marks(together, run)
    text = render_combined(reports, max_chars=limit - len(mark) - len(marker) - 2)
    if marker not in text:
        text = f"{marker}\n{text}"
    worst = max(reports, key=lambda r: int(exit_code(r)))
    return Sticky(marker, f"{text}\n{mark}\n", worst.verdict, run)


def _marks(fingerprint: str, run: Run | None) -> str:
    mark = f"<!-- mlgate:digest={fingerprint} -->"
    return f"{run.mark()}\n{mark}" if run is not None else mark


def digest(report: Report) -> str:
    """A fingerprint of the results (not the commit, time or duration), for `comment: on-change`."""
    doc = report.to_dict()
    facts = {
        "verdict": doc["verdict"],
        "errors": doc["errors"],
        "gates": doc["gates"],
        "accepted": doc["context"].get("accepted"),
    }
    return hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()[:20]


def digest_of(text: str | None) -> str | None:
    """The digest hidden in a posted comment, if any."""
    match = DIGEST.search(text or "")
    return match.group("digest") if match else None


def plan(mode: str, verdict: str, old: str | None, new: str) -> str:
    """'create', 'update', 'unchanged' or 'skip' for a comment mode and what is already there.

    on-failure posts only when the gate did not pass, but always updates an existing comment, so
    a fixed PR never keeps showing a stale failure. on-change edits only when the results changed
    (verdict, gates and their numbers, run errors, acceptance), not for a new commit alone.
    """
    if old is not None and old == new:
        return "unchanged"
    if old is not None and mode == "on-change" and digest_of(old) == digest_of(new):
        return "unchanged"
    if old is None and mode == "on-failure" and verdict == "pass":
        return "skip"
    return "update" if old is not None else "create"


# --- concurrent publishers: which report is newer ------------------------------------------------


def run_of(text: str | None) -> tuple[int, ...] | None:
    """The run order hidden in a posted comment (None: posted without one, or not ours)."""
    match = RUN.search(text or "")
    return tuple(int(part) for part in match.group("order").split(".")) if match else None


def label_of(text: str | None) -> str:
    order = run_of(text)
    return ".".join(str(part) for part in order) if order else "unknown"


def newer(a: tuple[int, ...] | None, b: tuple[int, ...] | None) -> bool:
    """Whether run order `a` is strictly later than `b`; a comment without one is the oldest."""
    if a is None:
        return False
    return b is None or a > b


def survivor(items: Sequence[T], text: Callable[[T], str | None], ident: Callable[[T], int]) -> T:
    """The one comment to keep of several: the newest report, then the first posted.

    Every publisher racing on the same comments picks the same one from the same listing, so
    they never delete each other's choice.
    """

    def rank(item: T) -> tuple[int, tuple[int, ...], int]:
        order = run_of(text(item))
        return (0 if order is None else 1, order or (), -ident(item))

    return max(items, key=rank)
