"""The schema gate's comparison: columns added, removed or changed in kind (pure pandas)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

# What a column holds, by numpy dtype kind. int64 -> float64 is not a change: a column that gains
# missing values in a CSV becomes float. object/str/category all hold text.
FAMILIES: dict[str, str] = {
    "b": "bool",
    "i": "number",
    "u": "number",
    "f": "number",
    "c": "number",
    "M": "datetime",
    "m": "duration",
    "O": "text",
    "U": "text",
    "S": "text",
}


@dataclass(frozen=True)
class Change:
    column: str
    reference: str  # dtype in the reference
    eval: str  # dtype in the eval data


@dataclass(frozen=True)
class SchemaDiff:
    """How the eval data's columns differ from the reference's (both in frame order)."""

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[Change, ...] = ()


def family(dtype: object) -> str:
    """The kind of values a dtype holds (number, text, bool, datetime, duration)."""
    kind = getattr(dtype, "kind", "O")
    return FAMILIES.get(kind, str(dtype))


def compare_schema(
    reference: pd.DataFrame, current: pd.DataFrame, *, check_types: bool = True
) -> SchemaDiff:
    """Columns only in eval (added), only in the reference (removed), or of another kind."""
    ref_cols, cur_cols = [str(c) for c in reference.columns], [str(c) for c in current.columns]
    ref_set, cur_set = set(ref_cols), set(cur_cols)
    changed: list[Change] = []
    if check_types:
        for column in ref_cols:
            if column in cur_set:
                before, after = reference[column].dtype, current[column].dtype
                if family(before) != family(after):
                    changed.append(Change(column, str(before), str(after)))
    return SchemaDiff(
        added=tuple(c for c in cur_cols if c not in ref_set),
        removed=tuple(c for c in ref_cols if c not in cur_set),
        changed=tuple(changed),
    )
