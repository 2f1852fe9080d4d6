"""`mlgate baseline save` end to end: what it writes, how it is read back, what it refuses."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from typing import Any

import pytest
from support.projects import Project, base_config

MANIFEST_KEYS = {
    "schema",
    "model",
    "model_format",
    "model_sha256",
    "model_source",
    "report",
    "fingerprint",
    "eval",
    "commit",
    "ref",
    "created_at",
    "mlgate_version",
    "config",
    "files",
}


def production_config(**changes: Any) -> dict[str, Any]:
    """The default branch's config: production is the candidate; its baseline is not reachable
    (saving must not need it)."""
    doc = base_config("models/production.skops")
    doc["models"]["baseline"] = "https://127.0.0.1:9/never.skops"
    doc.update(changes)
    return doc


def save(project: Project, *args: str) -> subprocess.CompletedProcess[str]:
    return project.run("baseline", "save", *args)


def test_save_writes_report_model_copy_and_manifest(project: Project) -> None:
    project.config(production_config())
    done = save(project)
    assert done.returncode == 0, done.stderr
    folder = project.root / "mlgate-baseline"
    assert sorted(p.name for p in folder.iterdir()) == [
        "baseline.json",
        "history.jsonl",
        "production.skops",
        "report.json",
    ]
    manifest = json.loads((folder / "baseline.json").read_text())
    report = json.loads((folder / "report.json").read_text())
    assert set(manifest) == MANIFEST_KEYS
    original = (project.root / "models" / "production.skops").read_bytes()
    assert (folder / "production.skops").read_bytes() == original
    assert manifest["model_sha256"] == hashlib.sha256(original).hexdigest()
    assert (manifest["schema"], manifest["model"], manifest["model_format"]) == (
        "mlgate.baseline/v1",
        "production.skops",
        "skops",
    )
    assert manifest["fingerprint"] == report["context"]["eval"]["fingerprint"]
    assert manifest["fingerprint"].startswith("sha256:")
    assert manifest["files"] == [
        "production.skops",
        "report.json",
        "history.jsonl",
        "baseline.json",
    ]
    # relative thresholds are measured and recorded, not gated; absolute ones still count
    gates = {g["id"]: g for g in report["gates"]}
    assert gates["model.accuracy"]["threshold"] == {}
    assert (
        gates["model.accuracy"]["status"] == "pass" and gates["model.accuracy"]["candidate"] > 0.5
    )
    assert gates["model.roc_auc"]["threshold"] == {"min": 0.7}
    assert report["context"]["baseline"]["kind"] == "none"
    assert (
        f"mlgate: baseline saved to {folder} (production.skops, report.json, history.jsonl, "
        "baseline.json)" in done.stderr
    )


def test_read_back_as_report_and_as_folder(project: Project) -> None:
    project.config(production_config())
    assert save(project).returncode == 0
    for spec, paired in (("report:mlgate-baseline/report.json", False), ("mlgate-baseline", True)):
        project.config(base_config("models/regressed.skops"))
        done = project.run("run", "--baseline", spec)
        assert done.returncode == 1, done.stderr
        report = project.report()
        assert report["context"]["baseline"]["paired"] is paired
        assert {g["id"]: g["status"] for g in report["gates"]} == {
            "model.roc_auc": "fail",
            "model.accuracy": "fail",
        }
        roc = next(g for g in report["gates"] if g["id"] == "model.roc_auc")
        saved = json.loads((project.root / "mlgate-baseline" / "report.json").read_text())
        assert roc["baseline"] == pytest.approx(saved["gates"][0]["candidate"])

        project.config(base_config("models/production.skops"))
        assert project.run("run", "--baseline", spec).returncode == 0


def test_a_saved_report_on_other_eval_data_is_flagged(project: Project) -> None:
    import pandas as pd

    project.config(production_config())
    assert save(project).returncode == 0
    frame = pd.read_parquet(project.root / "data" / "holdout.parquet")
    frame.iloc[: len(frame) // 2].to_parquet(project.root / "data" / "other.parquet", index=False)
    doc = base_config("models/regressed.skops")
    doc["data"]["eval"] = "data/other.parquet"
    doc["models"]["baseline"] = "report:mlgate-baseline/report.json"
    project.config(doc)
    project.run("run")
    report = project.report()
    saved = json.loads((project.root / "mlgate-baseline" / "baseline.json").read_text())
    current = report["context"]["eval"]["fingerprint"]
    assert current != saved["fingerprint"]
    accuracy = next(g for g in report["gates"] if g["id"] == "model.accuracy")
    assert accuracy["status"] not in ("pass", "fail")  # never a verdict on numbers from other rows
    flagged = " ".join([accuracy["message"], *accuracy["notes"]])
    assert (
        "different eval data" in flagged and saved["fingerprint"] in flagged and current in flagged
    )


def test_predictions_file_candidate_is_saved_and_read_back(project: Project) -> None:
    import pandas as pd
    import skops.io as sio

    frame = pd.read_parquet(project.root / "data" / "holdout.parquet")
    model = sio.load(
        project.root / "models" / "production.skops",
        trusted=sio.get_untrusted_types(file=project.root / "models" / "production.skops"),
    )
    X = frame.drop(columns=["label"])
    proba = model.predict_proba(X)
    pd.DataFrame(
        {"prediction": model.predict(X), "proba_0": proba[:, 0], "proba_1": proba[:, 1]}
    ).to_csv(project.root / "models" / "preds.csv", index=False)
    doc = production_config()
    doc["models"]["candidate"] = {"predictions": "models/preds.csv"}
    project.config(doc)
    assert save(project).returncode == 0
    manifest = json.loads((project.root / "mlgate-baseline" / "baseline.json").read_text())
    assert (manifest["model"], manifest["model_format"]) == ("preds.csv", "predictions")

    project.config(base_config("models/regressed.skops"))
    done = project.run("run", "--baseline", "mlgate-baseline")
    assert done.returncode == 1, done.stderr
    assert project.report()["context"]["baseline"]["kind"] == "predictions"


def test_saving_again_replaces_only_our_files(project: Project) -> None:
    project.config(production_config())
    assert save(project, "--to", "out/base").returncode == 0
    doc = production_config()
    doc["models"]["candidate"] = "models/retrain.skops"
    project.config(doc)
    assert save(project, "--to", "out/base").returncode == 0
    folder = project.root / "out" / "base"
    assert sorted(p.name for p in folder.iterdir()) == [
        "baseline.json",
        "history.jsonl",
        "report.json",
        "retrain.skops",
    ]
    assert sorted(p.name for p in folder.parent.iterdir()) == ["base"]  # no staging left over


def test_refuses_a_folder_holding_files_it_did_not_write(project: Project) -> None:
    project.config(production_config())
    folder = project.root / "mlgate-baseline"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    (folder / "report.json").write_text("{}")
    done = save(project)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "mlgate: error: mlgate-baseline: the folder holds files mlgate did not write: notes.txt, "
        "report.json (choose another folder with --to, or move those files away)"
    ]
    assert (folder / "notes.txt").read_text() == "mine" and (
        folder / "report.json"
    ).read_text() == "{}"


def test_refuses_a_file_as_target(project: Project) -> None:
    project.config(production_config())
    (project.root / "taken").write_text("x")
    done = save(project, "--to", "taken")
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "mlgate: error: --to taken: is a file, not a folder (choose another folder with --to)"
    ]


def test_refuses_a_baseline_to_compare_with(project: Project) -> None:
    project.config(production_config())
    done = save(project, "--baseline", "models/production.skops")
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "mlgate: error: --baseline: `mlgate baseline save` records production; it compares with "
        "no baseline (drop --baseline)"
    ]


def test_an_absolute_failure_exits_1_and_still_records(project: Project) -> None:
    doc = production_config()
    doc["models"]["candidate"] = "models/regressed.skops"
    project.config(doc)
    done = save(project)
    assert done.returncode == 1
    assert (project.root / "mlgate-baseline" / "regressed.skops").is_file()
    assert (
        "mlgate: an absolute gate failed; the baseline was saved anyway: it records what "
        "this branch holds" in done.stderr
    )


def test_an_incomplete_evaluation_writes_nothing(project: Project) -> None:
    doc = production_config()
    # an unreadable model (a missing path is now a config error, exit 2, found before the run)
    (project.root / "models" / "broken.skops").write_bytes(b"PK\x03\x04 not really a zip")
    doc["models"]["candidate"] = "models/broken.skops"
    project.config(doc)
    done = save(project)
    assert done.returncode == 3
    assert "mlgate: baseline not saved: the evaluation is incomplete" in done.stderr
    assert not (project.root / "mlgate-baseline").exists()


def test_the_commit_is_recorded(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@e",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@e",
        "GIT_CONFIG_GLOBAL": os.devnull,
    }
    project.config(production_config())
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "x"]):
        subprocess.run(["git", *args], cwd=project.root, env=env, check=True)
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"],
        cwd=project.root,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert save(project).returncode == 0
    manifest = json.loads((project.root / "mlgate-baseline" / "baseline.json").read_text())
    assert (manifest["commit"], manifest["ref"]) == (head, "main")
