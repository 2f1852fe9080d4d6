"""Human messages and JSON-able details for expectation results (no rendering: plain text)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlgate.measure.data.gx import Outcome, Spec

MAX_EXAMPLES = 10
MAX_CHARS = 80
NULL_CHECKS = frozenset({"expect_column_values_to_not_be_null"})


def _range(kwargs: dict[str, Any], what: str = "are") -> str:
    lo, hi = kwargs.get("min_value"), kwargs.get("max_value")
    if lo is not None and hi is not None:
        return f"{what} outside [{_value(lo)}, {_value(hi)}]"
    if lo is not None:
        return f"{what} below {_value(lo)}"
    return f"{what} above {_value(hi)}"


# What the unexpected values of a column-map expectation are, as a phrase (a table, not ifs).
UNEXPECTED: dict[str, Callable[[dict[str, Any]], str]] = {
    "expect_column_values_to_not_be_null": lambda k: "are null",
    "expect_column_values_to_be_null": lambda k: "are not null",
    "expect_column_values_to_be_between": _range,
    "expect_column_value_lengths_to_be_between": lambda k: _range(k, "have a length"),
    "expect_column_value_lengths_to_equal": lambda k: (
        f"do not have length {_value(k.get('value'))}"
    ),
    "expect_column_values_to_be_in_set": lambda k: (
        f"are not in the allowed set {_value(k.get('value_set'))}"
    ),
    "expect_column_values_to_not_be_in_set": lambda k: (
        f"are in the forbidden set {_value(k.get('value_set'))}"
    ),
    "expect_column_values_to_be_unique": lambda k: "are duplicated",
    "expect_compound_columns_to_be_unique": lambda k: "are duplicated combinations",
    "expect_select_column_values_to_be_unique_within_record": lambda k: "repeat within a row",
    "expect_column_values_to_match_regex": lambda k: f"do not match {_value(k.get('regex'))}",
    "expect_column_values_to_not_match_regex": lambda k: f"match {_value(k.get('regex'))}",
    "expect_column_values_to_match_regex_list": lambda k: "do not match the patterns",
    "expect_column_values_to_not_match_regex_list": lambda k: "match a forbidden pattern",
    "expect_column_values_to_match_like_pattern": lambda k: (
        f"do not match {_value(k.get('like_pattern'))}"
    ),
    "expect_column_values_to_match_strftime_format": lambda k: (
        f"do not match the format {_value(k.get('strftime_format'))}"
    ),
    "expect_column_values_to_be_dateutil_parseable": lambda k: "cannot be parsed as dates",
    "expect_column_values_to_be_json_parseable": lambda k: "are not valid JSON",
    "expect_column_values_to_be_increasing": lambda k: "break the increasing order",
    "expect_column_values_to_be_decreasing": lambda k: "break the decreasing order",
    "expect_column_pair_values_to_be_equal": lambda k: "differ between the two columns",
    "expect_column_pair_values_a_to_be_greater_than_b": lambda k: (
        "are not greater in the first column"
    ),
    "expect_column_pair_values_to_be_in_set": lambda k: "are pairs outside the allowed set",
    "expect_multicolumn_sum_to_equal": lambda k: f"do not sum to {_value(k.get('sum_total'))}",
}
# What an aggregate expectation observes, when its type name does not say it plainly.
OBSERVES: dict[str, str] = {
    "expect_column_values_to_be_of_type": "type",
    "expect_column_values_to_be_in_type_list": "type",
    "expect_table_columns_to_match_set": "columns",
    "expect_table_columns_to_match_ordered_list": "columns",
    "expect_column_to_exist": "column",
}
STAT = re.compile(r"^expect_(?:column|table|column_pair|multicolumn)_(.+?)_to_")


def describe(spec: Spec, outcome: Outcome) -> str:
    """One line saying what was found.

    e.g. `age: 37 of 1,000 values (3.7%) are null; expected none`.
    """
    result, kwargs = outcome.result, spec.kwargs
    subject = _subject(spec)
    if "unexpected_count" in result and result.get("element_count") is not None:
        return _map_message(spec, result, subject)
    if "observed_value" in result:
        stat = OBSERVES.get(spec.type) or _stat(spec.type)
        text = f"{subject} {stat}" if subject != "table" else stat
        text += f": {_value(result['observed_value'])}"
        expected = _expected(kwargs)
        if expected:
            text += f"; expected {expected}"
        mismatch = (result.get("details") or {}).get("mismatched")
        if isinstance(mismatch, dict) and not outcome.success:
            parts = [
                f"{key} {', '.join(map(str, value))}" for key, value in mismatch.items() if value
            ]
            text += f" ({'; '.join(parts)})" if parts else ""
        return text
    return f"{subject}: {spec.type} {'passed' if outcome.success else 'failed'}"


def _map_message(spec: Spec, result: dict[str, Any], subject: str) -> str:
    count = int(result.get("unexpected_count") or 0)
    total = int(result["element_count"])
    noun = "values"
    if result.get("missing_count") is not None and spec.type not in NULL_CHECKS:
        total -= int(result["missing_count"])  # GX's percentage is over the non-null values
        noun = "non-null values"
    say = UNEXPECTED.get(spec.type)
    phrase = say(spec.kwargs) if say else f"fail {spec.type}"
    mostly = spec.kwargs.get("mostly")
    allowed = (
        "expected none"
        if mostly is None or mostly >= 1
        else f"at most {_number((1 - mostly) * 100)}% allowed"
    )
    if count == 0:
        for negative, positive in (("are not ", "are "), ("do not ", "")):
            if phrase.startswith(negative):  # no double negatives: "all … are in the set"
                return f"{subject}: all {total:,} {noun} {positive}{phrase[len(negative) :]}"
        return f"{subject}: none of {total:,} {noun} {phrase}"
    pct = result.get("unexpected_percent")
    share = f" ({_number(float(pct))}%)" if pct is not None else ""
    return f"{subject}: {count:,} of {total:,} {noun}{share} {phrase}; {allowed}"


def _subject(spec: Spec) -> str:
    for key in ("column", "column_list"):
        if key in spec.kwargs:
            value = spec.kwargs[key]
            return ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    if "column_A" in spec.kwargs:
        return f"{spec.kwargs['column_A']}, {spec.kwargs.get('column_B')}"
    return "table"


def _stat(type_: str) -> str:
    match = STAT.match(type_)
    return match.group(1).replace("_", " ") if match else type_


def _expected(kwargs: dict[str, Any]) -> str:
    lo, hi = kwargs.get("min_value"), kwargs.get("max_value")
    if lo is not None and hi is not None:
        return f"between {_value(lo)} and {_value(hi)}"
    if lo is not None:
        return f"at least {_value(lo)}"
    if hi is not None:
        return f"at most {_value(hi)}"
    for key in ("value", "type_", "type_list", "column_set", "column_list", "value_set"):
        if kwargs.get(key) is not None:
            return _value(kwargs[key])
    return ""


def examples(spec: Spec, result: dict[str, Any]) -> list[str]:
    """At most 10 distinct unexpected values (of GX's first 20), as text of at most 80
    characters, in the order met. Raw text: renderers escape it."""
    if spec.type in NULL_CHECKS:
        return []  # the unexpected values of a null check are all "null": nothing to show
    distinct = dict.fromkeys(_clip(_text(v)) for v in result.get("partial_unexpected_list") or [])
    return list(distinct)[:MAX_EXAMPLES]


def plain(value: Any) -> Any:
    """A JSON-able copy: numpy scalars to Python, timestamps to ISO text, NaN kept as float."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v) for v in value]
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    if hasattr(value, "item") and callable(value.item):
        try:
            return plain(value.item())
        except (ValueError, TypeError):
            pass
    return str(value)


def _text(value: Any) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "null"
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(plain(value), default=str, ensure_ascii=False)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _clip(text: str) -> str:
    return text if len(text) <= MAX_CHARS else text[: MAX_CHARS - 3] + "..."


def _number(value: float) -> str:
    return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"


def _value(value: Any) -> str:
    """A value as it appears in a message: numbers compact, text quoted, long lists cut."""
    value = plain(value)
    if isinstance(value, bool) or value is None:
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return f"{int(value):,}"
        return f"{value:,.0f}" if 1000 <= abs(value) < 1e15 else f"{value:.4g}"
    if isinstance(value, list) and len(value) > 6:
        return "[" + ", ".join(_value(v) for v in value[:5]) + f", … {len(value) - 5} more]"
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return _clip(json.dumps(value, ensure_ascii=False) if isinstance(value, str) else str(value))
