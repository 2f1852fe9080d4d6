"""The Great Expectations engine: strict expectation loading, one validation call per frame.

GX is imported here and only here, on first use (≈ 3 s, ≈ 2,500 modules): never at import time.
Traps it works around (measured, see notes/great-expectations.md): the suite constructor drops
invalid expectations silently, so each one is built through `to_domain_obj()`, which raises;
an expectation that could not be computed looks like a failure, so `exception_info` is read and
such a result becomes an error; importing GX silences later warnings, so warning state is
restored; progress bars and analytics are switched off.
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlgate.errors import InputError, require
from mlgate.support.text import close_matches, did_you_mean

if TYPE_CHECKING:
    import pandas as pd

RESULT_FORMAT = "BASIC"  # counts + up to 20 examples; SUMMARY costs ≈ 20% more for indices
COLUMN_KEYS = ("column", "column_A", "column_B", "column_list")
# Table expectations answered by the row count alone: a column subset keeps the same answer.
ROW_COUNT_ONLY = frozenset(
    {"expect_table_row_count_to_be_between", "expect_table_row_count_to_equal"}
)
# Arguments GX accepts but mlgate sets itself (result shape, error capture, batch binding).
RESERVED = {
    "result_format": "mlgate sets the result format",
    "catch_exceptions": "mlgate always catches errors and reports them as errored gates",
    "batch_id": "mlgate binds expectations to the data itself",
}
SUITE_KEYS = ("name", "id", "expectations", "meta", "notes", "suite_parameters")
EXPECTATION_KEYS = (
    "type",
    "kwargs",
    "meta",
    "id",
    "severity",
    "notes",
    "description",
    "rendered_content",
    "success_on_last_run",
    "expectation_context",
)
INDEX = "mlgate_index"  # meta key that maps a result back to its expectation (GX reorders them)


@dataclass(frozen=True)
class Spec:
    """One expectation as declared, with where it was declared (for error lines).

    `where` locates the declaration (`mlgate.yaml: gates.data[0]`,
    `gx/holdout.json: expectations[2]`); `args` locates its arguments (`mlgate.yaml:
    gates.data[0]` for inline keys, `gx/holdout.json: expectations[2].kwargs` in a suite).
    """

    type: str
    kwargs: dict[str, Any]
    where: str
    args: str
    type_key: str  # location of the type itself: "...gates.data[0].expect" / "...[2].type"
    extra: dict[str, Any] = field(default_factory=dict)  # meta, id, severity... from a suite

    @property
    def severity(self) -> str:
        return str(self.extra.get("severity") or "critical")


@dataclass(frozen=True)
class Outcome:
    """What GX said about one expectation: a success flag and result, or an error message."""

    success: bool
    result: dict[str, Any]
    error: str | None = None


@cache
def load() -> Any:
    """Import GX once, quietly: analytics off, its warning filters and log noise contained."""
    require("great_expectations", "data", "expect and suite data gates")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    # GX installs warning filters and routes warnings to a logger with no handler at import
    # (GX issue 12067): every later warning of the process, scikit-learn's included, vanished.
    with warnings.catch_warnings():
        import great_expectations as gx
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    return gx


@cache
def expectation_types() -> tuple[str, ...]:
    """Every expectation type GX has registered (core plus installed plugins)."""
    load()
    from great_expectations.expectations.registry import list_registered_expectation_implementations

    return tuple(sorted(list_registered_expectation_implementations()))


def _impl(type_: str) -> Any:
    from great_expectations.expectations.registry import get_expectation_impl

    return get_expectation_impl(type_)


def build(spec: Spec, index: int | None = None) -> tuple[Any | None, list[str]]:
    """The GX expectation object of `spec`, or the located problems that stop it (strict)."""
    load()
    types = expectation_types()
    if spec.type not in types:
        close = close_matches(spec.type, types, n=3)
        hint = (
            f"did you mean {_either(close)}?"
            if close
            else ("see https://greatexpectations.io/expectations for the list")
        )
        return None, [
            f"{spec.type_key}: unknown expectation type "
            f"{json.dumps(spec.type, ensure_ascii=False)}; {hint}"
        ]
    problems = [
        f"{spec.args}.{key}: {why}; remove it"
        for key, why in RESERVED.items()
        if key in spec.kwargs
    ]
    kwargs = {k: v for k, v in spec.kwargs.items() if k not in RESERVED}
    from great_expectations.compatibility.pydantic import ValidationError
    from great_expectations.exceptions.exceptions import GreatExpectationsError
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    meta = dict(spec.extra.get("meta") or {})
    if index is not None:
        meta[INDEX] = index
    # a suite's expectation ids stay in the report only: GX refuses an expectation with an id
    # in a new suite ("belongs to another ExpectationSuite")
    extra = {k: v for k, v in spec.extra.items() if k not in ("meta", "id")}
    try:
        expectation = ExpectationConfiguration(
            type=spec.type, kwargs=kwargs, meta=meta, **extra
        ).to_domain_obj()
    except ValidationError as exc:
        return None, problems + _argument_problems(spec, exc.errors())
    except (GreatExpectationsError, TypeError, ValueError) as exc:
        return None, [*problems, f"{spec.where}: {spec.type}: {_first_line(exc)}"]
    return (None, problems) if problems else (expectation, [])


def _argument_problems(spec: Spec, errors: list[Any]) -> list[str]:
    """pydantic (v1, GX's) errors as located lines; one line per argument (first reason wins)."""
    fields = [k for k in _impl(spec.type).__fields__ if k not in ("rendered_content", "windows")]
    lines: dict[str, str] = {}
    if any(e["loc"] != ("__root__",) for e in errors):
        # root validators then run without the invalid arguments: their complaint is a symptom
        errors = [e for e in errors if e["loc"] != ("__root__",)]
    for error in errors:
        loc = ".".join(str(part) for part in error["loc"])
        if loc in lines:
            continue  # further errors on one argument are its other accepted shapes
        if loc == "__root__":
            lines[loc] = f"{spec.where}: {spec.type}: {error['msg']}"
        elif error["type"] == "value_error.extra":
            close = close_matches(loc, fields)
            hint = (
                f"did you mean {json.dumps(close[0], ensure_ascii=False)}?"
                if close
                else (
                    f"it takes {', '.join(k for k in fields if k not in ('id', 'meta', 'notes'))}"
                )
            )
            lines[loc] = f"{spec.args}.{loc}: not an argument of {spec.type}; {hint}"
        elif error["type"] == "value_error.missing":
            lines[loc] = f"{spec.args}.{loc}: {spec.type} needs this argument"
        else:
            got = spec.kwargs.get(str(error["loc"][0]))
            lines[loc] = f"{spec.args}.{loc}: {error['msg']}, got {_show(got)}"
    return list(lines.values())


def columns_of(spec: Spec) -> list[tuple[str, str]]:
    """(argument, column) pairs of the columns an expectation's domain names."""
    domain = set(_impl(spec.type).domain_keys)
    pairs: list[tuple[str, str]] = []
    for key in COLUMN_KEYS:
        if key not in domain or key not in spec.kwargs:
            continue
        value = spec.kwargs[key]
        for column in value if isinstance(value, list) else [value]:
            pairs.append((key, str(column)))
    return pairs


def needs_whole_table(spec: Spec) -> bool:
    """Whether GX must see every column (table-level checks on columns, row conditions)."""
    if spec.kwargs.get("row_condition"):
        return True
    if any(key in _impl(spec.type).domain_keys for key in COLUMN_KEYS):
        return False
    return spec.type not in ROW_COUNT_ONLY


def read_suite(path: Path, shown: str, where: str) -> tuple[list[Spec], list[str]]:
    """The expectations of a GX 1.x suite file, or the problems with it (each line names the file).

    `where` is the config location of the `suite:` key, used when the file cannot be found.
    """
    if not path.is_file():
        return [], [f"{where}: file not found: {shown} (paths are relative to the config file)"]
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        return [], [f"{shown}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}"]
    except (OSError, UnicodeDecodeError) as exc:
        return [], [f"{shown}: cannot read the suite: {_first_line(exc)}"]
    if isinstance(doc, dict) and "expectation_suite_name" in doc:
        return [], [
            f"{shown}: a GX 0.x suite (expectation_suite_name); re-save it with "
            'great_expectations>=1.0, which names it "name" and each '
            'expectation_type "type"'
        ]
    if not isinstance(doc, dict) or not isinstance(doc.get("expectations"), list):
        return [], [
            f"{shown}: not a GX 1.x expectation suite: expected a JSON object with a "
            'list "expectations"'
        ]
    problems = [
        f"{shown}: {key}: unknown key{_did_you_mean(key, SUITE_KEYS)}"
        for key in doc
        if key not in SUITE_KEYS
    ]
    specs: list[Spec] = []
    for i, item in enumerate(doc["expectations"]):
        at = f"{shown}: expectations[{i}]"
        if not isinstance(item, dict):
            problems.append(f'{at}: expected an object with "type" and "kwargs", got {_show(item)}')
            continue
        if "expectation_type" in item:
            problems.append(f'{at}.expectation_type: GX 0.x format; GX 1.x names it "type"')
            continue
        unknown = [k for k in item if k not in EXPECTATION_KEYS]
        problems.extend(
            f"{at}.{k}: unknown key{_did_you_mean(k, EXPECTATION_KEYS)}" for k in unknown
        )
        if not isinstance(item.get("type"), str):
            problems.append(
                f"{at}.type: expected the expectation type as a string, "
                f"got {_show(item.get('type'))}"
            )
            continue
        kwargs = item.get("kwargs", {})
        if not isinstance(kwargs, dict):
            problems.append(f"{at}.kwargs: expected an object of arguments, got {_show(kwargs)}")
            continue
        extra = {
            k: item[k] for k in ("meta", "id", "severity", "notes", "description") if k in item
        }
        if not unknown:
            specs.append(Spec(item["type"], kwargs, at, f"{at}.kwargs", f"{at}.type", extra))
    return specs, problems


def validate_frame(
    frame: pd.DataFrame | Any, specs: list[Spec], *, spark: bool = False
) -> list[Outcome]:
    """Validate `specs` on `frame` as one suite in one call; outcomes in the order of `specs`.

    Raises InputError when GX cannot validate the frame at all (every expectation is then errored
    by the caller). The specs must have passed `build` already.
    """
    gx = load()
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    expectations = []
    for i, spec in enumerate(specs):
        expectation, problems = build(spec, index=i)
        if expectation is None:  # checked at validate time; a changed file is still caught here
            raise InputError("; ".join(problems))
        expectations.append(expectation)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas/GX chatter is not the user's business
        try:
            # in memory only: no stores or docs site on disk, no progress bars, no analytics
            config = DataContextConfig(
                store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
                progress_bars=ProgressBarsConfig(globally=False),
                analytics_enabled=False,
            )
            context = gx.get_context(mode="ephemeral", project_config=config)
            # spark: GX's Spark datasource on the Spark DataFrame, never cached (persist=False)
            source = (
                context.data_sources.add_spark("mlgate", persist=False)
                if spark
                else context.data_sources.add_pandas("mlgate")
            )
            asset = source.add_dataframe_asset("frame")
            batch = asset.add_batch_definition_whole_dataframe("all").get_batch(
                batch_parameters={"dataframe": frame}
            )
            suite = gx.ExpectationSuite(name="mlgate", expectations=expectations)
            if len(suite.expectations) != len(expectations):  # the silent-drop trap, fail closed
                raise InputError("Great Expectations dropped expectations from the suite")
            run = batch.validate(suite, result_format=RESULT_FORMAT)
        except InputError:
            raise
        except Exception as exc:  # GX as a whole could not run: every expectation errors
            raise InputError(
                f"Great Expectations could not validate the data: {_first_line(exc)}"
            ) from None
    outcomes: dict[int, Outcome] = {}
    for result in run.results:
        index = (result.expectation_config.meta or {}).get(INDEX)
        if isinstance(index, int):
            error = exception_message(result.exception_info)
            outcomes[index] = Outcome(bool(result.success), dict(result.result or {}), error)
    missing = Outcome(False, {}, "Great Expectations returned no result for this expectation")
    return [outcomes.get(i, missing) for i in range(len(specs))]


def exception_message(info: Any) -> str | None:
    """The error inside a result's `exception_info` (two shapes: flat, or keyed by metric)."""
    if not isinstance(info, dict) or not info:
        return None
    if "raised_exception" in info:
        return (
            (_clean(info.get("exception_message")) or "raised an exception")
            if info["raised_exception"]
            else None
        )
    for value in info.values():
        if isinstance(value, dict) and value.get("raised_exception"):
            return _clean(value.get("exception_message")) or "raised an exception"
    return None


def _clean(message: Any) -> str:
    text = str(message or "").strip().removeprefix("Error: ").strip()
    return text.splitlines()[0] if text else ""


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _either(names: list[str]) -> str:
    quoted = [json.dumps(n, ensure_ascii=False) for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def _did_you_mean(key: str, allowed: tuple[str, ...]) -> str:
    quoted = did_you_mean(key, allowed, show=lambda s: json.dumps(s, ensure_ascii=False))
    return quoted or f"; expected one of {', '.join(allowed)}"


def _show(value: Any) -> str:
    text = json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."
