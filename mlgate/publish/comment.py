"""The sticky PR/MR comment shared by every publisher: its body, its results digest, its plan."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlgate.records import Report

DIGEST = re.compile(r"<!-- mlgate:digest=(?P<digest>[0-9a-f]+) -->")


@dataclass(frozen=True)
class Sticky:
    """One sticky comment to post: the marker that finds it again, its text, the verdict."""

    marker: str
    text: str
    verdict: str

    def ours(self, text: str | None) -> bool:
        """Whether a comment carries this marker (another name's marker never matches)."""
        return self.marker in (text or "")


def body(report: Report, *, limit: int) -> str:
    """The Markdown report with the sticky marker and a hidden digest, within `limit` characters."""
    from mlgate.report.markdown import marker_for, render_markdown

    marker = marker_for(report.name)
    mark = f"<!-- mlgate:digest={digest(report)} -->"
    text = render_markdown(report, max_chars=limit - len(mark) - len(marker) - 2)
    if marker not in text:
        text = f"{marker}\n{text}"
    return f"{text}\n{mark}\n"


def sticky(report: Report, *, limit: int) -> Sticky:
    """The sticky comment of one report (found again by its name's marker)."""
    from mlgate.report.markdown import marker_for

    return Sticky(marker_for(report.name), body(report, limit=limit), report.verdict)


def combined(reports: Sequence[Report], *, limit: int) -> Sticky:
    """One comment for several named reports: a verdict line per model, then each one folded.

    Its marker names every model (`name=churn+fraud`), so it is neither a single model's
    comment nor another combination's; a per-model job never edits it, nor it theirs.
    """
    from mlgate.decide import exit_code
    from mlgate.report.markdown import combined_marker, render_combined

    marker = combined_marker([r.name or "" for r in reports])
    together = hashlib.sha256("".join(digest(r) for r in reports).encode()).hexdigest()[:20]
    mark = f"<!-- mlgate:digest={together} -->"
    text = render_combined(reports, max_chars=limit - len(mark) - len(marker) - 2)
    if marker not in text:
        text = f"{marker}\n{text}"
    worst = max(reports, key=lambda r: int(exit_code(r)))
    return Sticky(marker, f"{text}\n{mark}\n", worst.verdict)


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
