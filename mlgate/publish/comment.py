"""The sticky PR/MR comment shared by every publisher: its body, its results digest, its plan."""

from __future__ import annotations

import hashlib
import json
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlgate.records import Report

DIGEST = re.compile(r"<!-- mlgate:digest=(?P<digest>[0-9a-f]+) -->")


def body(report: Report, *, limit: int) -> str:
    """The Markdown report with the sticky marker and a hidden digest, within `limit` characters."""
    from mlgate.report.markdown import MARKER, render_markdown

    mark = f"<!-- mlgate:digest={digest(report)} -->"
    text = render_markdown(report, max_chars=limit - len(mark) - len(MARKER) - 2)
    if MARKER not in text:
        text = f"{MARKER}\n{text}"
    return f"{text}\n{mark}\n"


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
