"""The load stage: eval/reference data, candidate and production models, each read once, lazily.

Every failure is an `InputError` / `BaselineError` naming the config key; a gate kind that needs
an input that failed turns that into an `error` gate (fail closed) without stopping the others.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from mlgate.errors import ConfigError, InputError, MlgateError

T = TypeVar("T")

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from mlgate.config import Config, LoadedConfig
    from mlgate.load.baseline.resolver import ResolvedBaseline
    from mlgate.load.models import Model


class Inputs:
    """Lazily loaded inputs of one run. Attributes raise the same error every time they fail."""

    def __init__(
        self, loaded: LoadedConfig, *, cache_dir: Path, baseline_spec: str | None = None
    ) -> None:
        self.loaded = loaded
        self.cache_dir = cache_dir
        self._baseline_override = baseline_spec
        self._failures: dict[str, MlgateError] = {}
        self.memo: dict[str, Any] = {}  # values gate kinds share within a run (e.g. predictions)
        self.held: list[Any] = []  # Spark frames the run persisted, freed by release()

    def release(self) -> None:
        """Free what the run persisted in Spark: an ambient session (spark-submit, Databricks)
        outlives the run and would keep it on the executors' disk. A session that no longer
        answers has nothing left to free."""
        while self.held:
            try:
                self.held.pop().unpersist()
            except Exception:  # the JVM is gone, and so is what it held
                continue

    @property
    def config(self) -> Config:
        return self.loaded.config

    def _once(self, name: str, build: Callable[[], T]) -> T:
        if name in self._failures:
            raise self._failures[name]
        try:
            return build()
        except MlgateError as exc:
            self._failures[name] = exc
            raise

    # --- data -----------------------------------------------------------------------------

    @property
    def engine(self) -> str:
        """pandas (default) or spark: where the gates compute (engine:)."""
        return self.config.engine.name

    @cached_property
    def spark(self) -> Any:
        """engine: spark: the SparkSession (mlgate.load.spark; imports pyspark)."""

        def build() -> Any:
            from mlgate.load import spark

            return spark.session(self.config.engine, self.loaded.where("engine"))

        return self._once("spark", build)

    @cached_property
    def spark_eval(self) -> Any:
        """engine: spark: the eval rows as a Spark DataFrame (never collected to this process)."""

        def build() -> Any:
            from mlgate.load import spark

            where = self.loaded.where("data.eval")
            spec = self.config.data.eval
            frame = spark.read(self.spark, spec, self.loaded.resolve(spec), where)
            if frame.isEmpty():
                raise InputError(f"{where}: the eval data has no rows")
            return frame

        return self._once("spark_eval", build)

    @cached_property
    def spark_reference(self) -> Any:
        """engine: spark: the reference rows as a Spark DataFrame, if configured."""
        spec = self.config.data.reference
        if spec is None:
            return None

        def build() -> Any:
            from mlgate.load import spark

            where = self.loaded.where("data.reference")
            return spark.read(self.spark, spec, self.loaded.resolve(spec), where)

        return self._once("spark_reference", build)

    @property
    def columns(self) -> list[str]:
        """The eval data's columns, from whichever engine holds it."""
        frame = self.spark_eval if self.engine == "spark" else self.eval
        return list(frame.columns)

    @cached_property
    def eval(self) -> pd.DataFrame:
        """The eval rows (data.eval)."""
        if self.engine == "spark":  # the rows stay in Spark: a kind that needs pandas fails closed
            raise InputError(
                f"{self.loaded.where('engine')}: this gate kind needs the eval rows in this "
                "process, and engine: spark keeps them in Spark (docs/spark.md says what runs "
                "on Spark)"
            )

        def build() -> pd.DataFrame:
            from mlgate.load.tables import read_table

            frame = read_table(
                self.loaded.resolve(self.config.data.eval), where=self.loaded.where("data.eval")
            )
            if len(frame) == 0:
                raise InputError(f"{self.loaded.where('data.eval')}: the eval data has no rows")
            return frame

        return self._once("eval", build)

    @cached_property
    def reference(self) -> pd.DataFrame | None:
        """The reference rows production was trained on (data.reference), if configured."""
        if self.config.data.reference is None:
            return None

        def build() -> pd.DataFrame:
            from mlgate.load.tables import read_table

            return read_table(
                self.loaded.resolve(self.config.data.reference or ""),
                where=self.loaded.where("data.reference"),
            )

        return self._once("reference", build)

    @property
    def target(self) -> str:
        """The label column; an InputError when it is not configured or not in the data."""
        target = self.config.data.target
        if target is None:
            raise ConfigError(
                f"{self.loaded.where('data.target')}: model gates need the label column",
                hint="set data.target",
            )
        if target not in self.columns:
            raise InputError(
                f"{self.loaded.where('data.target')}: column {target!r} is not in "
                f"{self.config.data.eval}{_close(target, self.columns)}"
            )
        return target

    @cached_property
    def features(self) -> list[str]:
        """Feature columns: data.features, else every column but the target and the id."""
        declared = self.config.data.features
        if declared is not None:
            missing = [c for c in declared if c not in self.columns]
            if missing:
                raise InputError(
                    f"{self.loaded.where('data.features')}: not in {self.config.data.eval}: "
                    + ", ".join(map(repr, missing))
                )
            return list(declared)
        skip = {self.config.data.target, self.config.data.id}
        return [c for c in self.columns if c not in skip]

    @property
    def X(self) -> pd.DataFrame:
        return self.eval[self.features]

    @cached_property
    def y(self) -> np.ndarray:
        """The labels; rows with a missing label are an error (they cannot be scored)."""
        column = self.eval[self.target]
        if column.isna().any():
            raise InputError(
                f"{self.loaded.where('data.target')}: {int(column.isna().sum())} eval rows have no "
                f"label in column {self.target!r}"
            )
        labels: np.ndarray = column.to_numpy()
        return labels

    @cached_property
    def fingerprint(self) -> str:
        if self.engine == "spark":
            from mlgate.load.spark import eval_context

            return str(eval_context(self.spark_eval, self.config.data.eval)["fingerprint"])
        from mlgate.load.tables import fingerprint

        return fingerprint(self.eval)

    # --- models ---------------------------------------------------------------------------

    @cached_property
    def candidate(self) -> Model:
        models = self.config.models
        if models is None:
            raise ConfigError(f"{self.loaded.where('models')}: model gates need models.candidate")
        spec = models.candidate
        return self._once(
            "candidate",
            lambda: self._load(spec, "models.candidate", local=self._remote(spec, "candidate")),
        )

    def _remote(self, spec: Any, name: str) -> Path | None:
        """A candidate given as an `mlflow:` spec, downloaded like a baseline; else None."""
        if not (spec.path or "").startswith("mlflow:"):
            return None
        from mlgate.load.baseline.resolver import SourceContext, fetch_spec

        where = self.loaded.where(f"models.{name}")
        return fetch_spec(spec.path, SourceContext(self.loaded.root, self.cache_dir, where))

    @cached_property
    def baseline_source(self) -> ResolvedBaseline | None:
        """The resolved production baseline, or None when none is configured."""
        from mlgate.load.baseline.resolver import SourceContext, resolve

        spec = self.baseline_spec
        if spec is None:
            return None
        models = self.config.models
        configured = models.baseline if models else None
        ctx = SourceContext(
            root=self.loaded.root,
            cache=self.cache_dir,
            where=self.loaded.where("models.baseline"),
            # the pin belongs to the configured spec, not to a --baseline override
            sha256=configured.sha256 if configured and not self._baseline_override else None,
        )
        predictions = bool(configured and configured.predictions and spec == configured.predictions)
        return self._once("baseline_source", lambda: resolve(spec, ctx, predictions=predictions))

    @property
    def baseline_spec(self) -> str | None:
        if self._baseline_override:
            return self._baseline_override
        models = self.config.models
        if models is None or models.baseline is None or models.baseline.factory:
            return None
        return models.baseline.source

    @cached_property
    def baseline(self) -> Model | None:
        """The production model to re-evaluate on the same rows; None without one (or a report)."""
        models = self.config.models
        if models is not None and models.baseline is not None and models.baseline.factory:
            spec = models.baseline
            return self._once("baseline", lambda: self._load(spec, "models.baseline"))
        resolved = self.baseline_source
        if resolved is None or resolved.path is None:
            return None
        from mlgate.config import ModelSpec

        base = models.baseline if models and models.baseline else None
        spec = ModelSpec(
            path=None if resolved.kind == "predictions" else str(resolved.path),
            predictions=str(resolved.path) if resolved.kind == "predictions" else None,
            trust=base.trust if base else False,
            format=base.format if base else None,
        )
        return self._once(
            "baseline", lambda: self._load(spec, "models.baseline", local=resolved.path)
        )

    def _load(self, spec: Any, key: str, local: Path | None = None) -> Model:
        from mlgate.load import models

        where = self.loaded.where(key)
        ref = models.ref_for(spec, key=key, where=where, root=self.loaded.root, local=local)
        if self.engine == "spark":  # the rows stay in Spark: mlgate.measure.model.spark scores
            from mlgate.load.spark import model_on_spark

            return model_on_spark(ref)  # type: ignore[no-any-return]
        ids = None
        if ref.format == "predictions" and self.config.data.id:
            ids = self.eval[self.config.data.id]
        return models.load(ref, features=self.eval, ids=ids)

    @cached_property
    def task(self) -> str:
        """binary / multiclass / regression: the config's, else inferred from labels and model."""
        models = self.config.models
        if models is not None and models.task:
            return models.task
        return infer_task(self.y, self.candidate)


def infer_task(y: np.ndarray, model: Model) -> str:
    """Classification when the model has classes or the labels are not floats; else regression."""
    import numpy as np

    classes = model.classes
    if classes is None and y.dtype.kind == "f":
        return "regression"
    if classes is None and y.dtype.kind in "iu" and not model.can_predict_proba:
        return (
            "regression"
            if len(np.unique(y)) > 20
            else "multiclass"
            if len(np.unique(y)) > 2
            else "binary"
        )
    labels = np.unique(y) if classes is None else classes
    return "binary" if len(labels) <= 2 else "multiclass"


def _close(name: str, columns: Any) -> str:
    from mlgate.support.text import did_you_mean

    return did_you_mean(name, columns)
