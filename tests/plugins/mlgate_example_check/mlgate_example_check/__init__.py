"""An `mlgate.checks` plugin: the share of missing values in eval columns, one gate per column.

Configured as `gates.plugins.example: {columns: [...], max_share: 0.01}`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from mlgate.errors import InputError
from mlgate.records import Measurement

if TYPE_CHECKING:
    from mlgate.load.inputs import Inputs


class Settings(BaseModel):
    """gates.plugins.example"""

    columns: list[str] = Field(min_length=1, description="eval columns to check")
    max_share: float = Field(0.0, ge=0, le=1, description="largest allowed share of missing")
    level: Literal["error", "warn"] = "error"
    crash: bool = Field(False, description="raise a plain exception (tests the fail-closed path)")


class MissingShare:
    config_model = Settings

    def measure(self, inputs: Inputs, config: Settings) -> list[Measurement]:
        if config.crash:
            raise RuntimeError("the example plugin crashed")
        frame = inputs.eval
        out = []
        for column in config.columns:
            if column not in frame.columns:
                raise InputError(f"example plugin: no column {column!r} in the eval data")
            out.append(
                Measurement(
                    id=f"example.missing.{column}",
                    kind="data",
                    name=f"missing share of {column}",
                    thresholds={"max": config.max_share},
                    candidate=float(frame[column].isna().mean()),
                    level=config.level,
                )
            )
        return out


PLUGIN = MissingShare()
