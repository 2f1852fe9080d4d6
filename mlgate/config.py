"""The `mlgate.yaml` schema (DESIGN.md §2), its loading, and compiler-style error lines."""

from __future__ import annotations

import difflib
import json
import re
import sys
import types
import typing
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PlainSerializer,
    Tag,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from mlgate.errors import ConfigError

CONFIG_NAMES = ("mlgate.yaml", "mlgate.yml", ".mlgate.yaml")
PERCENT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$")


def _show(value: Any) -> str:
    """A user's value as it appeared, JSON-quoted (short)."""
    text = json.dumps(value, default=str) if not isinstance(value, str) else json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass(frozen=True)
class Tolerance:
    """An allowed change: absolute (in the metric's units) or relative to the production value."""

    value: float
    relative: bool = False

    def absolute(self, baseline: float) -> float:
        """The tolerance in the metric's units, given the production value."""
        return abs(baseline) * self.value if self.relative else self.value

    def __str__(self) -> str:
        return f"{self.value * 100:g}%" if self.relative else f"{self.value:g}"


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


# --- models -----------------------------------------------------------------------------------


class ModelSpec(Strict):
    """Where a model comes from. A plain string in YAML is `path`."""

    path: str | None = Field(
        None,
        description="file (.skops, .onnx, .joblib/.pkl) or a baseline spec: git:REF:PATH, "
        "https://..., report:PATH, github-artifact:NAME, gitlab-artifact:JOB:PATH",
    )
    factory: str | None = Field(
        None, description="module:function returning a fitted estimator (trusted code)"
    )
    predictions: str | None = Field(
        None, description="csv/parquet/jsonl of this model's predictions on the eval rows"
    )
    format: Literal["skops", "onnx", "joblib", "pickle"] | None = Field(
        None, description="file format; inferred from the extension"
    )
    trust: bool | list[str] = Field(
        False,
        description="joblib/pickle: true to allow loading (runs code). skops: extra type "
        "names to trust beyond scikit-learn/numpy/scipy",
    )
    sha256: str | None = Field(None, description="expected SHA-256 of a downloaded file")

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, value: Any) -> Any:
        return {"path": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _one_source(self) -> ModelSpec:
        given = [k for k in ("path", "factory", "predictions") if getattr(self, k)]
        if len(given) != 1:
            raise PydanticCustomError(
                "model_source",
                "give exactly one of path, factory or predictions, got {got}",
                {"got": ", ".join(given) or "none"},
            )
        return self

    @property
    def source(self) -> str:
        """The spec as the user wrote it (for messages and reports)."""
        return self.path or self.factory or self.predictions or ""


class ModelsConfig(Strict):
    candidate: ModelSpec = Field(description="this branch's model")
    baseline: ModelSpec | None = Field(
        None, description="the production model (DESIGN.md §4); relative gates need it"
    )
    task: Literal["binary", "multiclass", "regression"] | None = Field(
        None, description="inferred from the target and the model when omitted"
    )
    pos_label: Any = Field(
        None, description="binary: the positive class (default: the larger class label)"
    )


class DataConfig(Strict):
    eval: str = Field(description="rows to evaluate on (csv, parquet, jsonl)")
    reference: str | None = Field(None, description="what production was trained on (drift)")
    target: str | None = Field(None, description="label column (needed by model gates)")
    features: list[str] | None = Field(
        None, description="feature columns; default: every column but target and id"
    )
    id: str | None = Field(None, description="row id column (joins prediction files)")


# --- gates --------------------------------------------------------------------------------------


class ModelGate(Strict):
    metric: str = Field(description='scikit-learn scorer name, or "module:function"')
    min: float | None = Field(None, description="absolute floor")
    max: float | None = Field(None, description="absolute ceiling")
    max_drop: ToleranceField | None = Field(
        None, description="allowed drop vs production (higher-is-better metrics)"
    )
    max_increase: ToleranceField | None = Field(
        None, description="allowed increase vs production (lower-is-better metrics)"
    )
    slice: str | None = Field(None, description="column: gate every segment")
    min_rows: int = Field(30, ge=1, description="slices with fewer rows are reported, not gated")
    level: Level = "error"
    id: str | None = Field(None, description="override the gate id")
    params: dict[str, Any] = Field(
        default_factory=dict, description="extra keyword arguments for the metric function"
    )
    greater_is_better: bool | None = Field(
        None, description="direction of a module:function metric (default true)"
    )
    response: Literal["label", "proba"] | None = Field(
        None, description="what a module:function metric is given (default label)"
    )

    @model_validator(mode="after")
    def _has_threshold(self) -> ModelGate:
        if all(getattr(self, k) is None for k in ("min", "max", "max_drop", "max_increase")):
            raise PydanticCustomError(
                "no_threshold", "no threshold: add min, max, max_drop or max_increase", {}
            )
        return self


class ExpectGate(BaseModel):
    """Any Great Expectations expectation; its other keys are that expectation's arguments."""

    model_config = ConfigDict(extra="allow", frozen=True)

    expect: str = Field(description="a Great Expectations expectation type")
    level: Level = "error"
    id: str | None = None
    on: Literal["eval", "reference"] = Field("eval", description="which data set to check")

    @model_validator(mode="before")
    @classmethod
    def _yaml_on(cls, value: Any) -> Any:
        return _on_key(value)

    @property
    def kwargs(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


def _on_key(value: Any) -> Any:
    """YAML 1.1 reads a bare `on:` key as the boolean true; it means the `on` option here."""
    if isinstance(value, dict) and True in value and "on" not in value:
        return {("on" if key is True else key): item for key, item in value.items()}
    return value


class SuiteGate(Strict):
    suite: str = Field(description="a GX 1.x expectation suite JSON file")
    level: Level = "error"
    id: str | None = None
    on: Literal["eval", "reference"] = "eval"

    @model_validator(mode="before")
    @classmethod
    def _yaml_on(cls, value: Any) -> Any:
        return _on_key(value)


class DriftSpec(Strict):
    columns: Literal["*"] | list[str] = Field("*", description='"*" = every feature column')
    method: Literal["psi", "ks", "js", "wasserstein", "chi2"] = "psi"
    max: float | None = Field(None, gt=0, description="largest allowed drift score")
    thresholds: dict[str, float] = Field(
        default_factory=dict, description="per-column maximum, overriding max"
    )
    bins: int = Field(10, ge=2, le=1000)

    @model_validator(mode="after")
    def _has_max(self) -> DriftSpec:
        if self.max is None and not self.thresholds:
            raise PydanticCustomError("no_threshold", "no threshold: add max", {})
        return self


class DriftGate(Strict):
    drift: DriftSpec
    level: Level = "error"
    id: str | None = None


class SchemaSpec(Strict):
    allow_added: bool = Field(False, description="columns new in eval data are not an error")
    check_types: bool = True


class SchemaGate(Strict):
    schema_: SchemaSpec = Field(alias="schema")
    level: Level = "error"
    id: str | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("schema_", mode="before")
    @classmethod
    def _bare(cls, value: Any) -> Any:
        return {} if value is True or value is None else value


DATA_GATE_KEYS = ("expect", "suite", "drift", "schema")


def _data_gate_tag(value: Any) -> str | None:
    if isinstance(value, dict):
        for key in DATA_GATE_KEYS:
            if key in value:
                return f"{key}-gate"
        return None
    for key, cls in (("expect", ExpectGate), ("suite", SuiteGate), ("drift", DriftGate)):
        if isinstance(value, cls):
            return f"{key}-gate"
    return "schema-gate" if isinstance(value, SchemaGate) else None


DataGate = Annotated[
    Union[  # noqa: UP007 - a tagged union for the discriminator
        Annotated[ExpectGate, Tag("expect-gate")],
        Annotated[SuiteGate, Tag("suite-gate")],
        Annotated[DriftGate, Tag("drift-gate")],
        Annotated[SchemaGate, Tag("schema-gate")],
    ],
    Discriminator(
        _data_gate_tag,
        custom_error_type="data_gate",
        custom_error_message="expected a mapping with one of the keys expect, suite, drift, schema",
    ),
]

PerfMeasure = Literal[
    "latency_p50_ms",
    "latency_p95_ms",
    "latency_p99_ms",
    "throughput_rows_per_s",
    "load_time_ms",
    "model_size_mb",
    "peak_memory_mb",
]
PERF_MEASURES: tuple[str, ...] = typing.get_args(PerfMeasure)


class PerfBudget(Strict):
    min: float | None = None
    max: float | None = None
    max_increase: ToleranceField | None = None
    max_drop: ToleranceField | None = None
    batch_size: int | None = Field(None, ge=1, description="rows per predict call")
    level: Level = "error"
    id: str | None = None


class PerfSettings(Strict):
    time_budget_s: float = Field(20.0, gt=0, description="wall-clock budget for all measures")
    rows: int = Field(1000, ge=1, description="eval rows used as timing input")
    batch_size: int = Field(1000, ge=1, description="rows per call for throughput/memory")
    warmup: int = Field(3, ge=0, description="warm-up calls per model before timing")


class CustomGate(Strict):
    """User-written checks: plain pytest tests, each one a gate (docs/custom-checks.md)."""

    pytest: str | list[str] = Field(
        description="a file, folder or node id (file.py::test_x) relative to the config file, "
        "or a list of them"
    )
    level: Level = "error"
    args: list[str] = Field(
        default_factory=list, description='extra pytest arguments, e.g. ["-k", "fairness"]'
    )
    id_prefix: str | None = Field(
        None, min_length=1, description='gate ids are "<id_prefix>.<test name>" (default "custom")'
    )

    @field_validator("pytest")
    @classmethod
    def _some_path(cls, value: str | list[str]) -> str | list[str]:
        if not value or (isinstance(value, list) and not all(value)):
            raise PydanticCustomError(
                "no_checks", 'expected a path like "checks/" or a list of paths', {}
            )
        return value


class GatesConfig(Strict):
    data: list[DataGate] = Field(default_factory=list)
    model: list[ModelGate] = Field(default_factory=list)
    performance: list[dict[PerfMeasure, PerfBudget]] = Field(default_factory=list)
    custom: list[CustomGate] = Field(
        default_factory=list, description="pytest checks run as gates (docs/custom-checks.md)"
    )

    @field_validator("performance")
    @classmethod
    def _one_measure_each(cls, value: list[dict[str, PerfBudget]]) -> list[dict[str, PerfBudget]]:
        for item in value:
            if len(item) != 1:
                raise PydanticCustomError(
                    "perf_item",
                    "each item names one measure, e.g. {{latency_p95_ms: {{max: 25}}}}, got {got}",
                    {"got": ", ".join(item) or "none"},
                )
        return value


class Policy(Strict):
    significance: float = Field(
        0.05, gt=0, lt=0.5, description="alpha: relative gates use the (1-alpha) interval"
    )
    mode: Literal["default", "strict"] = Field(
        "default",
        description="default blocks only proven regressions; strict passes only proven "
        "non-inferiority",
    )
    warn_only: list[str] = Field(default_factory=list, description="gate ids that never block")
    bootstrap: int = Field(1000, ge=100, le=100_000, description="bootstrap resamples")
    seed: int = Field(0, description="seed of every random step")
    max_bootstrap_rows: int = Field(
        20_000, ge=1000, description="above this, large-sample methods keep the cost O(n)"
    )
    performance: PerfSettings = Field(default_factory=PerfSettings)


class ReportConfig(Strict):
    dir: str = Field("mlgate-report", description="where report.json and its renderings go")


class WaiverConfig(Strict):
    """An accepted failure, reviewed in the PR like code: it expires."""

    gate: str = Field(description="gate id (or glob) to waive, e.g. model.accuracy[country=FR]")
    reason: str = Field(min_length=3, description="why this failure is acceptable for now")
    owner: str = Field(min_length=1, description="who answers for it")
    expires: date = Field(description="YYYY-MM-DD; after it the waiver stops and the gate blocks")


class PublishConfig(Strict):
    comment: Literal["always", "on-failure", "on-change", "never"] = Field(
        "always", description="when to post the PR/MR comment"
    )
    accept_label: str = Field(
        "mlgate:accept-regression",
        description="a PR/MR label that turns blocking failures into warnings (audited)",
    )


class Config(Strict):
    """The whole `mlgate.yaml`."""

    version: Literal[1] = 1
    data: DataConfig
    models: ModelsConfig | None = None
    gates: GatesConfig = Field(default_factory=GatesConfig)
    policy: Policy = Field(default_factory=Policy)
    report: ReportConfig = Field(default_factory=ReportConfig)
    waivers: list[WaiverConfig] = Field(default_factory=list)
    publish: PublishConfig = Field(default_factory=PublishConfig)


# --- loading ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadedConfig:
    """A validated config and where it came from (paths in it are relative to `root`)."""

    config: Config
    path: Path
    display: str  # the file as the user names it, e.g. "mlgate.yaml"
    prefix: str  # "" for mlgate.yaml, "tool.mlgate." for pyproject.toml

    @property
    def root(self) -> Path:
        return self.path.parent

    def resolve(self, relative: str) -> Path:
        """A path from the config, relative to the config file's folder."""
        path = Path(relative).expanduser()
        return path if path.is_absolute() else self.root / path

    def where(self, key: str) -> str:
        """`mlgate.yaml: data.eval` — the location prefix of a message about `key`."""
        return f"{self.display}: {self.prefix}{key}"


def find_config(start: Path) -> Path | None:
    """The config file in `start`: mlgate.yaml (or .yml), else pyproject.toml with [tool.mlgate]."""
    for name in CONFIG_NAMES:
        if (start / name).is_file():
            return start / name
    pyproject = start / "pyproject.toml"
    if pyproject.is_file() and "[tool.mlgate" in pyproject.read_text(errors="replace"):
        return pyproject
    return None


def load_config(path: str | Path | None = None, *, cwd: Path | None = None) -> LoadedConfig:
    """Read and validate a config file; every problem becomes one located line of a ConfigError."""
    cwd = cwd or Path.cwd()
    if path is None:
        found = find_config(cwd)
        if found is None:
            raise ConfigError(
                f"no mlgate.yaml, and no [tool.mlgate] in pyproject.toml, in {cwd}",
                hint="run `mlgate init` to write a starter config, or pass -c FILE",
            )
        file = found
    else:
        file = Path(path)
        if not file.is_absolute():
            file = cwd / file
    display = _display(file, cwd)
    if not file.is_file():
        raise ConfigError(
            f"{display}: config file not found", hint="pass -c FILE or run `mlgate init`"
        )
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{display}: cannot read config: {exc}") from None
    prefix = ""
    if file.name == "pyproject.toml":
        raw = _read_pyproject(text, display)
        prefix = "tool.mlgate."
    else:
        raw = _read_yaml(text, display)
    if not isinstance(raw, dict):
        raise ConfigError(
            f"{display}: expected a mapping of keys (version, data, models, gates...)"
        )
    try:
        config = Config.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(format_errors(exc, display, prefix)) from None
    return LoadedConfig(config=config, path=file.resolve(), display=display, prefix=prefix)


def _display(file: Path, cwd: Path) -> str:
    try:
        return str(file.resolve().relative_to(cwd.resolve()))
    except ValueError:
        return str(file)


def _read_pyproject(text: str, display: str) -> Any:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{display}: invalid TOML: {exc}") from None
    section = doc.get("tool", {}).get("mlgate")
    if section is None:
        raise ConfigError(f"{display}: no [tool.mlgate] table")
    return section


def _read_yaml(text: str, display: str) -> Any:
    import yaml

    class UniqueKeyLoader(yaml.SafeLoader):
        """SafeLoader that rejects duplicate keys (the second would silently win)."""

    def construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
        seen: dict[Any, Any] = {}
        for key_node, _ in node.value:
            key = loader.construct_object(key_node)
            if key in seen:
                mark = key_node.start_mark
                raise ConfigError(
                    f"{display}:{mark.line + 1}:{mark.column + 1}: duplicate key {_show(key)}",
                    hint="each key may appear once in a mapping",
                )
            seen[key] = True
        return loader.construct_mapping(node)

    def construct_timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
        """A date-looking scalar that is no date (2030-13-01) is a located error, not a crash."""
        try:
            return loader.construct_yaml_timestamp(node)
        except ValueError as exc:
            mark = node.start_mark
            raise ConfigError(
                f"{display}:{mark.line + 1}:{mark.column + 1}: invalid date {_show(node.value)}: "
                f"{exc}",
                hint="write dates as YYYY-MM-DD",
            ) from None

    UniqueKeyLoader.add_constructor(
        yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping
    )
    UniqueKeyLoader.add_constructor("tag:yaml.org,2002:timestamp", construct_timestamp)
    try:
        return yaml.load(text, Loader=UniqueKeyLoader) or {}  # a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{display}:{mark.line + 1}:{mark.column + 1}" if mark else display
        raise ConfigError(f"{where}: invalid YAML: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{display}: invalid YAML: {exc}") from None


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


def format_errors(exc: ValidationError, display: str, prefix: str = "") -> list[str]:
    """One `file: location: problem` line per pydantic error, in document order."""
    lines = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        if error["type"] == "literal_error" and loc and loc[-1] == "[key]":
            choices = [c.strip("' ") for c in re.split(r",| or ", error["ctx"]["expected"])]
            close = difflib.get_close_matches(str(error["input"]), choices, n=1, cutoff=0.6)
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
            lines.append(f"{display}: {where}: unknown key{_did_you_mean(loc)}")
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


def _did_you_mean(loc: tuple[int | str, ...]) -> str:
    key = loc[-1]
    allowed = allowed_keys(loc[:-1])
    if not allowed or not isinstance(key, str):
        return ""
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    if close:
        return f"; did you mean {_show(close[0])}?"
    return f"; expected one of {', '.join(sorted(allowed))}"


def allowed_keys(loc: tuple[int | str, ...]) -> list[str]:
    """The keys a mapping at `loc` accepts (best effort, for "did you mean")."""
    node: Any = Config
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


def json_schema() -> dict[str, Any]:
    """The JSON Schema of mlgate.yaml, for editors (yaml-language-server)."""
    schema = Config.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "mlgate.yaml"
    return schema
