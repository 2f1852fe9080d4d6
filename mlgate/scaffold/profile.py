"""`mlgate init --from-reference`: a Great Expectations suite profiled from the reference data.

What it proposes, per column of `data.reference` (the id column left out):
- every column: it exists; it is not null (with `mostly` = 1 − (1.5 × the reference's null
  share + 0.01) when the reference has nulls);
- numeric: a numeric type (whole numbers may arrive as floats, as a column with nulls does),
  and values between min − 10% and max + 10% of the reference's range;
- text, bool or category with at most 20 distinct values: values in the reference's set.

The suite is built through GX's own expectation classes (an invalid one raises, never dropped)
and written as GX 1.x JSON for the user to review and commit; the `suite:` data gate runs it.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

MAX_SET = 20  # a column with more distinct values gets no allowed-set expectation
MARGIN = 0.10  # share of the reference's range added on each side of a numeric range
NULL_SLACK = 0.01  # null share allowed beyond 1.5 × the reference's
INTEGER_TYPES = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]
INTEGER_TYPES += ["Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64"]
FLOAT_TYPES = ["float16", "float32", "float64", "Float32", "Float64"]


def expectations(frame: Any, *, skip: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """The proposed expectations for `frame`, as GX `{"type", "kwargs", "meta"}` documents."""
    from pandas.api import types

    out: list[dict[str, Any]] = []
    for column in frame.columns:
        if column in skip:
            continue
        name = str(column)
        series = frame[column]
        out.append(_one("expect_column_to_exist", name))
        nulls = float(series.isna().mean()) if len(series) else 0.0
        if nulls == 0:
            out.append(_one("expect_column_values_to_not_be_null", name))
        elif nulls < 1:
            mostly = max(0.0, 1 - (nulls * 1.5 + NULL_SLACK))
            out.append(
                _one(
                    "expect_column_values_to_not_be_null",
                    name,
                    mostly=math.floor(mostly * 1000) / 1000,
                    note=f"{nulls:.1%} null in the reference",
                )
            )
        present = series.dropna()
        if present.empty:
            continue
        if types.is_bool_dtype(series.dtype):
            out.append(_set(name, present))
        elif types.is_numeric_dtype(series.dtype):
            whole = types.is_integer_dtype(series.dtype)
            out.append(
                _one(
                    "expect_column_values_to_be_in_type_list",
                    name,
                    type_list=INTEGER_TYPES + FLOAT_TYPES if whole else FLOAT_TYPES + INTEGER_TYPES,
                )
            )
            lo, hi = float(present.min()), float(present.max())
            pad = (hi - lo) * MARGIN or abs(lo) * MARGIN or 1.0
            low, high = lo - pad, hi + pad
            if whole:
                low, high = math.floor(low), math.ceil(high)
            else:
                low, high = _round(low, down=True), _round(high, down=False)
            out.append(
                _one(
                    "expect_column_values_to_be_between",
                    name,
                    min_value=low,
                    max_value=high,
                    note=f"reference range {_g(lo)}…{_g(hi)}, widened by {MARGIN:.0%} each side",
                )
            )
        elif (
            not types.is_datetime64_any_dtype(series.dtype)
            and present.astype(str).nunique() <= MAX_SET
        ):
            out.append(_set(name, present))
    return out


def _set(name: str, present: Any) -> dict[str, Any]:
    values = sorted({_plain(v) for v in present.unique()}, key=lambda v: (str(type(v)), v))
    return _one("expect_column_values_to_be_in_set", name, value_set=values)


def _one(type_: str, column: str, note: str | None = None, **kwargs: Any) -> dict[str, Any]:
    meta = {"mlgate": "profiled from the reference: review before committing"}
    if note:
        meta["notes"] = note
    return {"type": type_, "kwargs": {"column": column, **kwargs}, "meta": meta}


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def _round(x: float, *, down: bool) -> float:
    """x rounded outward to 4 significant figures (a readable bound that still holds)."""
    if x == 0:
        return 0.0
    step = 10 ** (math.floor(math.log10(abs(x))) - 3)
    units = math.floor(x / step) if down else math.ceil(x / step)
    return float(f"{units * step:.12g}")


def _g(x: float) -> str:
    return f"{x:.6g}"


def suite_json(specs: list[dict[str, Any]], name: str) -> str:
    """The suite as GX 1.x JSON, built through GX (each expectation validated by GX's model)."""
    from mlgate.measure.data import gx as gx_support

    gx = gx_support.load()
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    built = [ExpectationConfiguration(**spec).to_domain_obj() for spec in specs]
    suite = gx.ExpectationSuite(name=name, expectations=built)
    if len(suite.expectations) != len(built):  # GX's silent-drop trap: fail closed
        raise ValueError("Great Expectations dropped expectations from the profiled suite")
    doc = suite.to_json_dict()
    doc.pop("id", None)
    for expectation in doc.get("expectations", []):
        expectation.pop("id", None)
    return json.dumps(doc, indent=2, ensure_ascii=False, default=str) + "\n"


def write(reference: Path, out: Path, *, skip: tuple[str, ...] = (), shown: str = "") -> int:
    """Profile `reference` into the suite file `out` (never overwritten); how many expectations."""
    from mlgate.errors import ConfigError
    from mlgate.load.tables import read_table

    if out.exists():
        raise ConfigError(
            f"{shown or out}: already exists; mlgate init never overwrites a file",
            hint="review and keep it, or delete it to profile again",
        )
    frame = read_table(reference, where="data.reference")
    specs = expectations(frame, skip=skip)
    text = suite_json(specs, name=out.stem)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("x", encoding="utf-8") as handle:  # "x": a file that appeared meanwhile stays
        handle.write(text)
    return len(specs)
