"""The `mlgate.yaml` schema (docs/design.md §2): one pydantic model per section, strict keys."""

from __future__ import annotations

import itertools
import typing
from datetime import date
from typing import Annotated, Any, Literal, Union

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from mlgate.config.values import Level, Strict, ToleranceField
from mlgate.records import FROM_BEST_KEYS, NAME_PATTERN, THRESHOLD_KEYS

# --- models -----------------------------------------------------------------------------------


class ModelSpec(Strict):
    """Where a model comes from. A plain string in YAML is `path`."""

    path: str | None = Field(
        None,
        description="file (.skops, .onnx, XGBoost .json/.ubj, LightGBM .txt, CatBoost .cbm, "
        ".joblib/.pkl) or a baseline spec: git:REF:PATH, https://..., report:PATH, "
        "github-artifact:NAME, gitlab-artifact:JOB:PATH, mlflow:models:/NAME@ALIAS",
    )
    factory: str | None = Field(
        None, description="module:function returning a fitted estimator (trusted code)"
    )
    predictions: str | None = Field(
        None, description="csv/parquet/jsonl of this model's predictions on the eval rows"
    )
    format: (
        Literal["skops", "onnx", "joblib", "pickle", "xgboost", "lightgbm", "catboost"] | None
    ) = Field(None, description="file format; inferred from the extension")
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
        None, description="the production model (docs/design.md §4); relative gates need it"
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


class EngineConfig(Strict):
    """Where the data gates and model gates compute: in this process (pandas) or on Spark."""

    name: Literal["pandas", "spark"] = Field(
        "pandas", description="pandas: in this process; spark: where the data is (docs/spark.md)"
    )
    master: str | None = Field(
        None,
        description="spark: anything SparkSession.builder.master accepts (local[4], spark://, "
        "yarn, k8s://); omitted: the ambient session, else SPARK_MASTER",
    )
    conf: dict[str, str | int | float | bool] = Field(
        default_factory=dict, description="spark: session settings, e.g. spark.driver.memory: 2g"
    )

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, value: Any) -> Any:
        return {"name": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _spark_keys(self) -> EngineConfig:
        if self.name == "pandas" and (self.master is not None or self.conf):
            raise PydanticCustomError(
                "engine_keys", "master and conf are settings of engine: spark", {}
            )
        return self


# --- gates --------------------------------------------------------------------------------------


class SliceSpec(Strict):
    """A slice by a numeric column cut into bins: explicit edges, or that many quantile bins."""

    column: str = Field(description="the column to slice by")
    bins: list[float] | int | None = Field(
        None,
        description="edges [0, 30, 50] (segments [0, 30) and [30, 50]; ids model.m[age=0-30]), "
        "or a number of quantile bins (ids model.m[age=q1]...)",
    )

    @field_validator("bins")
    @classmethod
    def _edges(cls, value: list[float] | int | None) -> list[float] | int | None:
        if isinstance(value, bool):
            raise PydanticCustomError(
                "bins", "expected edges like [0, 30, 50] or a number of quantile bins", {}
            )
        if isinstance(value, int) and not 2 <= value <= 100:
            raise PydanticCustomError(
                "bins", "expected 2 to 100 quantile bins, got {got}", {"got": value}
            )
        if isinstance(value, list) and (
            len(value) < 2 or any(b <= a for a, b in itertools.pairwise(value))
        ):
            raise PydanticCustomError(
                "bins",
                "expected at least two increasing edges, e.g. [0, 30, 50], got {got}",
                {"got": str(value)},
            )
        return value


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
    max_drop_from_best: ToleranceField | None = Field(
        None,
        description="allowed drop from the best production value of the baseline's history, "
        "on the same eval data (higher-is-better metrics)",
    )
    max_increase_from_best: ToleranceField | None = Field(
        None,
        description="allowed increase from the best production value of the baseline's "
        "history, on the same eval data (lower-is-better metrics)",
    )
    slice: str | SliceSpec | None = Field(
        None, description="column (gate every segment), or {column, bins} for a numeric column"
    )
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

    @property
    def slice_column(self) -> str | None:
        """The column this gate slices by (either form of `slice`)."""
        return self.slice.column if isinstance(self.slice, SliceSpec) else self.slice

    @property
    def slice_bins(self) -> list[float] | int | None:
        return self.slice.bins if isinstance(self.slice, SliceSpec) else None

    @model_validator(mode="after")
    def _has_threshold(self) -> ModelGate:
        if all(getattr(self, k) is None for k in (*THRESHOLD_KEYS, *FROM_BEST_KEYS)):
            raise PydanticCustomError(
                "no_threshold",
                f"no threshold: add {', '.join(THRESHOLD_KEYS[:-1])} or {THRESHOLD_KEYS[-1]}",
                {},
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
    plugins: dict[str, dict[str, Any] | None] = Field(
        default_factory=dict,
        description="installed mlgate.checks plugins by name, each with its settings, "
        "validated by the plugin's own model (docs/design.md §8)",
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
    config_changes: Literal["report", "require-approval"] = Field(
        "report",
        description="what a PR's changes to these rules or to the eval data do, read from the "
        "merge-base's config, never the PR's: report (listed) or require-approval (a loosening "
        "blocks until the accept label is on the PR/MR)",
    )


class ReportConfig(Strict):
    dir: str = Field("mlgate-report", description="where report.json and its renderings go")


class HistoryConfig(Strict):
    """The metric history `mlgate baseline save` keeps in the baseline folder (history.jsonl)."""

    keep: int = Field(200, ge=1, le=100_000, description="entries kept (the newest)")


class WaiverConfig(Strict):
    """An accepted failure, reviewed in the PR like code: it expires."""

    gate: str = Field(description="gate id (or glob) to waive, e.g. model.accuracy[country=FR]")
    reason: str = Field(min_length=3, description="why this failure is acceptable for now")
    owner: str = Field(min_length=1, description="who answers for it")
    expires: date = Field(description="YYYY-MM-DD; after it the waiver stops and the gate blocks")


class MlflowPublish(Strict):
    """Log the gate run to the MLflow tracking server of MLFLOW_TRACKING_URI (docs/mlflow.md)."""

    experiment: str = Field(
        "mlgate",
        min_length=1,
        description="experiment of the new run (a candidate from mlflow:runs:/ logs into its run)",
    )


class PublishConfig(Strict):
    comment: Literal["always", "on-failure", "on-change", "never", "per-model"] = Field(
        "always",
        description="when to post the PR/MR comment; per-model: a run of several configs posts "
        "one comment per model (always) instead of one combined comment",
    )
    accept_label: str = Field(
        "mlgate:accept-regression",
        description="a PR/MR label that turns blocking failures into warnings (audited)",
    )
    mlflow: MlflowPublish | None = Field(
        None, description="log metrics, verdict and report files to MLflow: {experiment: NAME}"
    )


class Config(Strict):
    """The whole `mlgate.yaml`."""

    version: Literal[1] = 1
    name: str | None = Field(
        None,
        description="names this gate (letters, digits, -, _, .): its comment, check "
        '"mlgate / NAME", commit status, outputs and default report folder; needed to run '
        "several configs in one repository or one run",
    )
    data: DataConfig
    engine: EngineConfig = Field(
        default_factory=EngineConfig, description="pandas (default) or spark (docs/spark.md)"
    )
    models: ModelsConfig | None = None
    gates: GatesConfig = Field(default_factory=GatesConfig)
    policy: Policy = Field(default_factory=Policy)
    report: ReportConfig = Field(default_factory=ReportConfig)
    history: HistoryConfig = Field(default_factory=HistoryConfig)
    waivers: list[WaiverConfig] = Field(default_factory=list)
    publish: PublishConfig = Field(default_factory=PublishConfig)

    @field_validator("name")
    @classmethod
    def _slug(cls, value: str | None) -> str | None:
        if value is not None and (not NAME_PATTERN.fullmatch(value) or set(value) == {"."}):
            raise PydanticCustomError(
                "gate_name",
                "expected letters, digits, -, _ or . (1 to 64), e.g. churn, got {got}",
                {"got": repr(value)},
            )
        return value

    @property
    def report_dir(self) -> str:
        """report.dir; with a name and no report.dir given, `mlgate-report/NAME`."""
        if self.name and "dir" not in self.report.model_fields_set:
            return f"{self.report.dir}/{self.name}"
        return self.report.dir


def json_schema() -> dict[str, Any]:
    """The JSON Schema of mlgate.yaml, for editors (yaml-language-server)."""
    schema = Config.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "mlgate.yaml"
    return schema
