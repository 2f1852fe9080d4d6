"""`mlgate schema`: print the JSON Schema of mlgate.yaml (for editors)."""

from __future__ import annotations

import argparse
import json

from mlgate.config import json_schema
from mlgate.errors import ExitCode


def run(args: argparse.Namespace) -> int:
    print(json.dumps(json_schema(), indent=2))
    return ExitCode.OK
