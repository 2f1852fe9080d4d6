"""`mlflow:models:/NAME@ALIAS`, `mlflow:models:/NAME/VERSION`, `mlflow:runs:/RUN_ID/PATH`.

The model registry (or a run's artifacts) of the MLflow tracking server named by
`MLFLOW_TRACKING_URI` (`MLFLOW_REGISTRY_URI` when the registry lives elsewhere); credentials come
from MLflow's own variables (`MLFLOW_TRACKING_TOKEN`, `MLFLOW_TRACKING_USERNAME`/`_PASSWORD`) and
are never printed. The artifacts are downloaded with the MLflow client into the cache; what they
hold is then one model file, or an MLflow Model folder (`MLmodel`) whose flavor names its data
file. Either is loaded by format with the rules of a local file: a pickled flavor needs `trust`.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from mlgate.errors import BaselineError, ConfigError, require
from mlgate.load.baseline.common import environ
from mlgate.platforms.mlflow import client_env, describe

if TYPE_CHECKING:
    from mlgate.load.baseline.common import SourceContext

# MLflow flavors whose data is a file mlgate loads by format, and the MLmodel key naming it
FLAVOR_FILES = {
    "onnx": "data",
    "sklearn": "pickled_model",
    "xgboost": "data",
    "lightgbm": "data",
    "catboost": "data",
}
MODEL = re.compile(r"^models:/(?P<name>[^/@]+)(?:@(?P<alias>[^/@]+)|/(?P<version>[0-9]+))$")
RUN = re.compile(r"^runs:/(?P<run>[0-9A-Za-z_-]+)(?:/(?P<path>.+))?$")
USAGE = "use mlflow:models:/NAME@ALIAS, mlflow:models:/NAME/VERSION or mlflow:runs:/RUN_ID/PATH"


@dataclass(frozen=True)
class Target:
    """What the spec names, once the registry has answered."""

    uri: str  # the artifact URI to download (models:/NAME/VERSION or runs:/RUN/PATH)
    key: str  # cache folder name: versions and run artifacts do not change
    note: str  # for the report: registered model, version, alias, run


def fetch(rest: str, ctx: SourceContext) -> Path:
    """Download what the spec names into the cache and return its model file (or folder)."""
    spec = f"mlflow:{rest}"
    model, run = MODEL.match(rest), RUN.match(rest)
    if model is None and run is None:
        raise ConfigError(f"{ctx.where}: cannot read {spec!r}", hint=USAGE)
    env = environ(ctx)
    tracking = env.get("MLFLOW_TRACKING_URI", "")
    if not tracking:
        raise ConfigError(
            f"{ctx.where}: {spec} needs the MLflow tracking server",
            hint="set MLFLOW_TRACKING_URI (and MLFLOW_REGISTRY_URI if the registry is elsewhere)",
        )
    require("mlflow", "mlflow", f"{ctx.where}: {spec}")
    registry = env.get("MLFLOW_REGISTRY_URI") or tracking
    with client_env(env):
        from mlflow.exceptions import MlflowException
        from mlflow.tracking import MlflowClient

        client = MlflowClient(tracking_uri=tracking, registry_uri=registry)
        try:
            target = _target(client, model, run)
            dest = ctx.cache / "mlflow" / target.key
            if not _complete(dest):
                _download(target.uri, dest, tracking, registry)
        except MlflowException as exc:
            raise BaselineError(f"{ctx.where}: {spec}: {describe(exc, tracking)}") from None
    ctx.notes.append(target.note)
    return choose(dest, spec, ctx.where)


def _target(client: Any, model: re.Match[str] | None, run: re.Match[str] | None) -> Target:
    if model is not None:
        name, alias, version = model.group("name", "alias", "version")
        found = (
            client.get_model_version_by_alias(name, alias)
            if alias
            else client.get_model_version(name, version)
        )
        version = str(found.version)
        run_id = found.run_id or ""
        note = f"registered model {name!r} version {version}" + (
            f" (alias @{alias})" if alias else ""
        )
        note += f", run {run_id}" if run_id else ""
        return Target(f"models:/{name}/{version}", f"model-{_safe(name)}-v{version}", note)
    assert run is not None
    run_id, path = run.group("run"), run.group("path") or ""
    parts = PurePosixPath(path).parts
    if path.startswith("/") or ".." in parts:
        raise BaselineError(f"runs:/{run_id}/{path}: the path must stay inside the run")
    found_run = client.get_run(run_id)  # a missing run fails here, before any download
    label = f", {found_run.info.run_name!r}" if found_run.info.run_name else ""
    note = f"run {run_id}{label}" + (f", artifact {path}" if path else "")
    key = f"run-{_safe(run_id)}" + (f"-{_safe(path)}" if path else "")
    return Target(f"runs:/{run_id}/{path}".rstrip("/"), key, note)


def _download(uri: str, dest: Path, tracking: str, registry: str) -> None:
    """Download into a temporary folder next to `dest`, then move it in (never half a model)."""
    import mlflow.artifacts

    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}."))
    try:
        mlflow.artifacts.download_artifacts(
            artifact_uri=uri, dst_path=str(tmp), tracking_uri=tracking, registry_uri=registry
        )
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(tmp, dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _complete(dest: Path) -> bool:
    return dest.is_dir() and any(dest.iterdir())


def choose(folder: Path, spec: str, where: str) -> Path:
    """The model file in downloaded artifacts: the only file, or the one an MLmodel names."""
    from mlgate.load.models import FORMATS_BY_SUFFIX

    entries = [p for p in folder.iterdir() if not p.name.startswith(".")]
    while len(entries) == 1 and entries[0].is_dir():  # runs:/RUN/PATH downloads PATH's folder
        folder = entries[0]
        entries = [p for p in folder.iterdir() if not p.name.startswith(".")]
    if len(entries) == 1 and entries[0].is_file():
        return entries[0]
    if (folder / "MLmodel").is_file():
        return _from_mlmodel(folder, spec, where)
    if (folder / "baseline.json").is_file() or (folder / "report.json").is_file():
        return folder
    models = sorted(p for p in entries if p.is_file() and p.suffix.lower() in FORMATS_BY_SUFFIX)
    if len(models) == 1:
        return models[0]
    if not models:
        raise BaselineError(
            f"{where}: {spec} holds no model file mlgate can load (it holds: {_listing(folder)})",
            hint="log a .skops, .onnx, XGBoost, LightGBM or CatBoost file, or an MLflow Model",
        )
    names = ", ".join(p.name for p in models)
    raise BaselineError(
        f"{where}: {spec} holds several model files: {names}",
        hint="name one: mlflow:runs:/RUN_ID/PATH/FILE",
    )


def _from_mlmodel(folder: Path, spec: str, where: str) -> Path:
    """The data file of the first flavor mlgate can load (pickled ones still need `trust`)."""
    import yaml

    try:
        doc = yaml.safe_load((folder / "MLmodel").read_text())
        flavors = dict(doc.get("flavors") or {})
    except (OSError, ValueError, AttributeError, yaml.YAMLError) as exc:
        raise BaselineError(f"{where}: {spec}: unreadable MLmodel file: {exc}") from None
    for flavor, key in FLAVOR_FILES.items():
        conf = flavors.get(flavor)
        if isinstance(conf, dict) and isinstance(conf.get(key), str):
            parts = PurePosixPath(conf[key]).parts
            if conf[key].startswith("/") or ".." in parts:
                raise BaselineError(f"{where}: {spec}: the MLmodel names a file outside it")
            path = folder.joinpath(*parts)
            if not path.is_file():
                raise BaselineError(
                    f"{where}: {spec}: the MLmodel's {flavor} flavor names {conf[key]!r}, "
                    "which is not in the artifacts"
                )
            return path
    found = ", ".join(sorted(flavors)) or "none"
    raise BaselineError(
        f"{where}: {spec} is an MLflow Model with no flavor mlgate can load (flavors: {found})",
        hint="mlgate loads the sklearn, onnx, xgboost, lightgbm and catboost flavors",
    )


def _listing(folder: Path, limit: int = 10) -> str:
    names = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    return ", ".join(names[:limit]) + (" …" if len(names) > limit else "") or "nothing"


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)[:80]
