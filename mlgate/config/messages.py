"""Compiler-style error lines from pydantic errors: `file: location: problem`, did-you-mean."""

from __future__ import annotations

import re
import types
import typing
from typing import Annotated, Any, Union

from pydantic import (
    BaseModel,
    ValidationError,
)

from mlgate.config.schema import Config, DriftGate, ExpectGate, SchemaGate, SuiteGate
from mlgate.config.values import _show
from mlgate.support.text import close_matches, did_you_mean

# --- error lines ----------------------------------------------------------------------------


def format_loc(loc: tuple[int | str, ...], prefix: str = "") -> str:
    """('gates', 'model', 1, 'max_drop') -> 'gates.model[1].max_drop' (union tags dropped)."""
    out = prefix.rstrip(".")
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.endswith("-gate") or part == "[key]":
            continue
        else:
            out += f".{part}" if out else part
    return out


def format_errors(
    exc: ValidationError, display: str, prefix: str = "", *, model: type[BaseModel] = Config
) -> list[str]:
    """One `file: location: problem` line per pydantic error, in document order.

    `model` is what was validated (a plugin's settings model under `gates.plugins.<name>`):
    "did you mean" offers its keys.
    """
    lines = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        if error["type"] == "literal_error" and loc and loc[-1] == "[key]":
            choices = [c.strip("' ") for c in re.split(r",| or ", error["ctx"]["expected"])]
            close = close_matches(str(error["input"]), choices)
            hint = (
                f"did you mean {_show(close[0])}?"
                if close
                else f"expected one of {', '.join(choices)}"
            )
            lines.append(
                f"{display}: {format_loc(loc, prefix)}: unknown measure "
                f"{_show(error['input'])}; {hint}"
            )
            continue
        if error["type"] == "extra_forbidden":
            where = format_loc(loc, prefix)
            lines.append(f"{display}: {where}: unknown key{_did_you_mean(loc, model)}")
            continue
        where = format_loc(loc, prefix) or "(top level)"
        lines.append(f"{display}: {where}: {_message(error)}")
    return list(dict.fromkeys(lines))


def _message(error: Any) -> str:
    kind, value = error["type"], error.get("input")
    if kind == "missing":
        return "required key is missing"
    if kind == "literal_error":
        return f"expected {error['ctx']['expected']}, got {_show(value)}"
    if kind in ("float_type", "float_parsing", "int_type", "int_parsing", "int_from_float"):
        what = "a whole number" if kind.startswith("int") else "a number"
        return f"expected {what}, got {_show(value)}"
    if kind in ("bool_type", "bool_parsing"):
        return f"expected true or false, got {_show(value)}"
    if kind.startswith("date_"):
        return f"expected a date as YYYY-MM-DD, got {_show(value)}"
    if kind == "string_type":
        return f"expected a string, got {_show(value)}"
    if kind in ("list_type", "dict_type", "model_type", "model_attributes_type"):
        what = "a list" if kind == "list_type" else "a mapping"
        return f"expected {what}, got {_show(value)}"
    message = str(error["msg"])
    message = message.removeprefix("Value error, ")
    return (
        message[:1].lower()
        + message[1:]
        + (f", got {_show(value)}" if kind.startswith(("greater", "less")) else "")
    )


def _did_you_mean(loc: tuple[int | str, ...], model: type[BaseModel] = Config) -> str:
    key = loc[-1]
    allowed = allowed_keys(loc[:-1], model)
    if not allowed or not isinstance(key, str):
        return ""
    return (
        did_you_mean(key, allowed, show=_show) or f"; expected one of {', '.join(sorted(allowed))}"
    )


def allowed_keys(loc: tuple[int | str, ...], model: type[BaseModel] = Config) -> list[str]:
    """The keys a mapping at `loc` of `model` accepts (best effort, for "did you mean")."""
    node: Any = model
    for part in loc:
        node = _strip(node)
        if isinstance(part, str) and part.endswith("-gate"):
            node = {
                "expect-gate": ExpectGate,
                "suite-gate": SuiteGate,
                "drift-gate": DriftGate,
                "schema-gate": SchemaGate,
            }.get(part)
            continue
        if isinstance(part, int):
            args = typing.get_args(node)
            node = args[0] if args else None
            continue
        if isinstance(node, type) and issubclass(node, BaseModel):
            field = next((f for n, f in node.model_fields.items() if (f.alias or n) == part), None)
            node = field.annotation if field else None
        elif typing.get_origin(node) is dict:
            node = typing.get_args(node)[1]
        else:
            return []
    node = _strip(node)
    if isinstance(node, type) and issubclass(node, BaseModel):
        return [f.alias or n for n, f in node.model_fields.items()]
    return []


def _strip(node: Any) -> Any:
    """Unwrap Optional[...] / Annotated[...] to the model inside."""
    while True:
        origin = typing.get_origin(node)
        if origin is Annotated:
            node = typing.get_args(node)[0]
        elif origin in (Union, types.UnionType):
            models = [a for a in typing.get_args(node) if a is not type(None)]
            if len(models) != 1:
                return node
            node = models[0]
        else:
            return node
