"""Log a finished gate run to MLflow (`publish.mlflow: {experiment: NAME}` or `--log-to-mlflow`).

One metric per gate value (`mlgate.<gate>`, `.baseline`, `.delta`), the verdict, the commit and
the baseline as tags, and the report files as artifacts under `mlgate/`. The run is the
candidate's own when the candidate came from `mlflow:runs:/RUN_ID/…`, else a new run in the
experiment. Like posting to GitHub, a failure is a warning unless `--require-publish`.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlgate.errors import MlgateError, PublishError, require

if TYPE_CHECKING:
    from mlgate.records import Report

DEFAULT_EXPERIMENT = "mlgate"
REPORT_FILES = ("report.json", "report.md", "report.html", "junit.xml", "metrics.txt")
CANDIDATE_RUN = re.compile(r"^mlflow:runs:/(?P<run>[0-9A-Za-z_-]+)(?:/|$)")


def metric_key(gate_id: str) -> str:
    """A gate id as an MLflow metric key (letters, digits, `_-. /` only)."""
    return "mlgate." + re.sub(r"[^A-Za-z0-9_\-. /]+", "_", gate_id).strip("_")


def metrics_of(report: Report) -> dict[str, float]:
    """Every finite gate value, baseline value and delta, by metric key."""
    found: dict[str, float] = {}
    for gate in report.gates:
        key = metric_key(gate.id)
        for suffix, value in (("", gate.candidate), (".baseline", gate.baseline)):
            if isinstance(value, (int, float)) and math.isfinite(value):
                found[key + suffix] = float(value)
        if isinstance(gate.delta, (int, float)) and math.isfinite(gate.delta):
            found[key + ".delta"] = float(gate.delta)
    return found


def tags_of(report: Report) -> dict[str, str]:
    context = report.context
    baseline = context.get("baseline") or {}
    tags = {
        "mlgate.verdict": report.verdict,
        "mlgate.commit": str(context.get("commit") or ""),
        "mlgate.ref": str(context.get("ref") or ""),
        "mlgate.baseline": str(baseline.get("spec") or ""),
        "mlgate.baseline_note": str(baseline.get("note") or ""),
        "mlgate.version": str(context.get("mlgate_version") or ""),
    }
    for name, count in report.summary.items():
        tags[f"mlgate.{name}"] = str(count)
    return {k: v[:5000] for k, v in tags.items() if v}


def candidate_run(candidate_spec: str | None) -> str | None:
    """The run id of a candidate given as mlflow:runs:/RUN_ID/…, else None."""
    match = CANDIDATE_RUN.match(candidate_spec or "")
    return match.group("run") if match else None


def log_run(
    report: Report,
    out_dir: Path,
    *,
    experiment: str,
    candidate_spec: str | None = None,
    env: Mapping[str, str] | None = None,
) -> str:
    """Log the report; return the line to show. Raises PublishError on any failure."""
    from mlgate.platforms.mlflow import client_env, describe
    from mlgate.support.secrets import redact_url

    env = dict(os.environ if env is None else env)
    tracking = env.get("MLFLOW_TRACKING_URI", "")
    if not tracking:
        raise PublishError("MLFLOW_TRACKING_URI is not set: nothing logged")
    require("mlflow", "mlflow", "logging to MLflow")
    server = redact_url(tracking) if "://" in tracking else tracking
    with client_env(env):
        from mlflow.exceptions import MlflowException
        from mlflow.tracking import MlflowClient

        client = MlflowClient(tracking_uri=tracking)
        try:
            run_id = candidate_run(candidate_spec)
            if run_id is None:
                found = client.get_experiment_by_name(experiment)
                experiment_id = (
                    found.experiment_id if found else client.create_experiment(experiment)
                )
                run = client.create_run(
                    experiment_id, tags={"mlflow.runName": f"mlgate {report.verdict}"}
                )
                run_id = run.info.run_id
                where = f"new run {run_id} in experiment {experiment!r}"
            else:
                client.get_run(run_id)
                where = f"the candidate's run {run_id}"
            _log(client, run_id, report, out_dir)
            if not candidate_run(candidate_spec):
                client.set_terminated(run_id, "FINISHED")
        except MlflowException as exc:
            raise PublishError(describe(exc, tracking)) from None
        except OSError as exc:
            raise PublishError(f"the MLflow server at {server}: {exc}") from None
    return f"logged to MLflow at {server}: {where}"


def _log(client: Any, run_id: str, report: Report, out_dir: Path) -> None:
    import time

    from mlflow.entities import Metric, RunTag

    now = int(time.time() * 1000)
    metrics = [Metric(k, v, now, 0) for k, v in metrics_of(report).items()]
    tags = [RunTag(k, v) for k, v in tags_of(report).items()]
    for start in range(0, max(len(metrics), 1), 1000):  # the API takes 1000 metrics per call
        client.log_batch(
            run_id, metrics=metrics[start : start + 1000], tags=tags if start == 0 else []
        )
    for name in REPORT_FILES:
        path = out_dir / name
        if path.is_file():
            client.log_artifact(run_id, str(path), artifact_path="mlgate")


def publish(
    report: Report,
    out_dir: Path,
    *,
    experiment: str | None,
    candidate_spec: str | None,
    require_publish: bool,
    env: Mapping[str, str] | None = None,
) -> str:
    """log_run, with a failure turned into a warning line unless publishing is required."""
    try:
        return log_run(
            report,
            out_dir,
            experiment=experiment or DEFAULT_EXPERIMENT,
            candidate_spec=candidate_spec,
            env=env,
        )
    except MlgateError as exc:  # a missing extra too: the gate's verdict stands either way
        if require_publish:
            raise
        return f"warning: logging to MLflow failed: {exc.lines()[0]}"
