"""`mlgate schema`: print the JSON Schema of mlgate.yaml (for editors) or of report.json."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from mlgate.errors import ExitCode

if TYPE_CHECKING:
    from pydantic.json_schema import JsonSchemaValue
    from pydantic_core import core_schema

DRAFT = "https://json-schema.org/draft/2020-12/schema"


def run(args: argparse.Namespace) -> int:
    if getattr(args, "report", False):
        print(json.dumps(report_schema(), indent=2, ensure_ascii=False))
    else:
        from mlgate.config import json_schema

        print(json.dumps(json_schema(), indent=2))
    return ExitCode.OK


def report_schema() -> dict[str, Any]:
    """The JSON Schema of report.json, generated from the records (`mlgate.records.Report`).

    It describes the document `Report.to_dict()` writes and `Report.from_dict()` reads: a field
    without a default is required (a reader takes the default of one that is absent), a
    non-finite number is written as null, `schema` is the format's version and `summary` counts
    the gates.
    """
    from pydantic import TypeAdapter
    from pydantic.json_schema import GenerateJsonSchema

    from mlgate.records import SCHEMA, Report

    class AsWritten(GenerateJsonSchema):
        def float_schema(self, schema: core_schema.FloatSchema) -> JsonSchemaValue:
            return {"type": ["number", "null"]}  # NaN and ±inf are written as null

    schema = TypeAdapter(Report).json_schema(mode="serialization", schema_generator=AsWritten)
    properties = schema["properties"]
    properties["schema"] = {"const": SCHEMA, "description": "the report format and its version"}
    counts = list(Report(verdict="pass", gates=()).summary)  # the keys to_dict writes
    properties["summary"] = {
        "type": "object",
        "description": "how many gates ended in each status",
        "properties": {key: {"type": "integer", "minimum": 0} for key in counts},
        "required": counts,
        "additionalProperties": False,
    }
    schema["required"] = [*schema["required"], "summary"]
    return {"$schema": DRAFT, **schema, "title": SCHEMA}
