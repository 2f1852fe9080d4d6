"""Config building blocks: tolerances ("1%"), levels, the strict base model."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from mlgate.records import Tolerance as Tolerance  # a plain value: compare reads it too

PERCENT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$")


def _show(value: Any) -> str:
    """A user's value as it appeared, JSON-quoted (short)."""
    text = json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def _parse_tolerance(value: Any) -> Tolerance:
    if isinstance(value, Tolerance):
        return value
    if isinstance(value, bool):
        pass
    elif isinstance(value, (int, float)):
        if value >= 0 and value == value:
            return Tolerance(float(value))
    elif isinstance(value, str):
        match = PERCENT.match(value)
        if match:
            return Tolerance(float(match.group(1)) / 100, relative=True)
        try:
            number = float(value)
        except ValueError:
            pass
        else:
            if number >= 0:
                return Tolerance(number)
    raise PydanticCustomError(
        "tolerance",
        'expected a number or a percentage like "1%", got {got}',
        {"got": _show(value)},
    )


ToleranceField = Annotated[
    Tolerance,
    BeforeValidator(_parse_tolerance),
    PlainSerializer(str, return_type=str),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0},
                {"type": "string", "pattern": r"^\s*\d+(\.\d+)?\s*%\s*$"},
            ],
            "description": 'absolute (0.01) or relative to production ("1%")',
        }
    ),
]

Level = Literal["error", "warn"]


class Strict(BaseModel):
    """Unknown keys are errors: a typo must never switch a gate off."""

    model_config = ConfigDict(extra="forbid", frozen=True)
