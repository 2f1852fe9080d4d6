"""The config: `mlgate.yaml` (or `[tool.mlgate]` in pyproject.toml) — schema, loading, error lines.

values.py    tolerances, levels, the strict base model
schema.py    the pydantic models of every section (docs/design.md §2) and the JSON Schema
loading.py   finding and reading the file (YAML with duplicate-key checks, TOML)
messages.py  pydantic errors as `file: location: problem (hint)` lines
"""

from mlgate.config.loading import CONFIG_NAMES, LoadedConfig, find_config, load_config
from mlgate.config.messages import allowed_keys, format_errors, format_loc
from mlgate.config.schema import (
    DATA_GATE_KEYS,
    PERF_MEASURES,
    Config,
    CustomGate,
    DataConfig,
    DataGate,
    DriftGate,
    DriftSpec,
    ExpectGate,
    GatesConfig,
    ModelGate,
    ModelsConfig,
    ModelSpec,
    PerfBudget,
    PerfMeasure,
    PerfSettings,
    Policy,
    PublishConfig,
    ReportConfig,
    SchemaGate,
    SchemaSpec,
    SliceSpec,
    SuiteGate,
    WaiverConfig,
    json_schema,
)
from mlgate.config.values import Level, Strict, Tolerance, ToleranceField, _parse_tolerance

__all__ = [
    "CONFIG_NAMES",
    "DATA_GATE_KEYS",
    "PERF_MEASURES",
    "Config",
    "CustomGate",
    "DataConfig",
    "DataGate",
    "DriftGate",
    "DriftSpec",
    "ExpectGate",
    "GatesConfig",
    "Level",
    "LoadedConfig",
    "ModelGate",
    "ModelSpec",
    "ModelsConfig",
    "PerfBudget",
    "PerfMeasure",
    "PerfSettings",
    "Policy",
    "PublishConfig",
    "ReportConfig",
    "SchemaGate",
    "SchemaSpec",
    "SliceSpec",
    "Strict",
    "SuiteGate",
    "Tolerance",
    "ToleranceField",
    "WaiverConfig",
    "_parse_tolerance",
    "allowed_keys",
    "find_config",
    "format_errors",
    "format_loc",
    "json_schema",
    "load_config",
]
