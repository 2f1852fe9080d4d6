"""Text helpers shared by every stage: the one "did you mean" (difflib, one cutoff)."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable

CUTOFF = 0.6  # difflib's own default: close enough to be a typo, not a different word


def close_matches(
    word: str, choices: Iterable[object], *, n: int = 1, cutoff: float = CUTOFF
) -> list[str]:
    """The `n` choices closest to `word` (best first; choices are compared as str)."""
    return difflib.get_close_matches(str(word), [str(c) for c in choices], n=n, cutoff=cutoff)


def did_you_mean(
    word: str,
    choices: Iterable[object],
    *,
    show: Callable[[str], str] = repr,
    cutoff: float = CUTOFF,
) -> str:
    """`; did you mean 'x'?` for the closest choice, or "" when none is close.

    `show` quotes the suggestion as the message around it does (repr, json.dumps, …).
    """
    close = close_matches(word, choices, cutoff=cutoff)
    return f"; did you mean {show(close[0])}?" if close else ""


def reason(exc: BaseException) -> str:
    """An exception as one line: its type and the first line of its text."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
