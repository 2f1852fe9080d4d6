"""Attack 1 and 2: a PR that loosens its own gate, or trims its own eval data, in the same change.

Before issue 13 each of these passed silently (the PR's mlgate.yaml and data were the only ones
read). Now the merge-base's config and data are compared, every change is listed in report.json
and the comment, and the **base** config's `policy.config_changes` decides whether it blocks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from support.github_fake import PR, FakeGitHub
from support.projects import Project

from trust.gitrepo import commit, git, main_then_branch, rules, write

pytestmark = pytest.mark.slow

LOOSENED = {
    "key": "gates.model[model.roc_auc].max_drop",
    "before": "0.01",
    "after": "0.5",
    "kind": "loosened",
}


@pytest.fixture
def gh(httpserver_ipv4: Any) -> FakeGitHub:
    return FakeGitHub(httpserver_ipv4).install()


def job_env(gh: FakeGitHub, project: Project) -> dict[str, str]:
    ci = project.root / "ci"
    ci.mkdir(exist_ok=True)
    env = gh.env(ci, GITHUB_BASE_REF="main", GITHUB_HEAD_REF="pr")
    env["GITHUB_WORKSPACE"] = str(project.root)
    return env


def first_line(gh: FakeGitHub) -> str:
    return str(gh.ours()[0]["body"]).splitlines()[0]


def test_the_unchanged_rules_block_the_regression(project: Project) -> None:
    main_then_branch(project.root, rules())
    done = project.run("run")
    assert done.returncode == 1, done.stderr
    assert project.report()["context"]["config_changes"] == []
    assert project.report()["context"]["config_base"]["policy"] == "report"


def test_a_loosened_gate_is_listed_by_default(gh: FakeGitHub, project: Project) -> None:
    main_then_branch(project.root, rules())
    write(project.root, rules(max_drop=0.5))
    commit(project.root, "relax the gate")
    done = project.run("run", "--publish", env=job_env(gh, project))
    assert done.returncode == 0, done.stderr  # policy report: listed, does not block
    context = project.report()["context"]
    assert context["config_changes"] == [LOOSENED]
    assert context["config_base"]["branch"] in ("origin/main", "main")
    body = str(gh.ours()[0]["body"])
    screen = body.split("| | Gate |")[0]  # before the table: the first screen
    assert "**Rules changed in this PR**" in screen
    assert "gates.model\\[model.roc\\_auc\\].max\\_drop loosened: 0.01 → 0.5" in screen


def test_require_approval_blocks_a_loosening_until_the_label(
    gh: FakeGitHub, project: Project
) -> None:
    main_then_branch(project.root, rules(config_changes="require-approval"))
    # the PR loosens the gate and also tries to switch the policy off: the base decides
    write(project.root, rules(max_drop=0.5))
    commit(project.root, "relax the gate")
    env = job_env(gh, project)
    done = project.run("run", "--publish", env=env)
    assert done.returncode == 1, done.stderr
    line = first_line(gh)
    assert line.startswith("**❌ Blocked:** this PR changes the gate's rules: ")
    assert "max\\_drop loosened: 0.01 → 0.5" in line
    gate = project.report()["gates"][0]
    assert (gate["id"], gate["status"], gate["blocking"]) == ("policy.config_changes", "fail", True)
    keys = [c["key"] for c in project.report()["context"]["config_changes"]]
    assert keys == ["gates.model[model.roc_auc].max_drop", "policy.config_changes"]

    gh.add_label(PR, "mlgate:accept-regression", actor="carol")
    done = project.run("run", "--publish", env=env)
    assert done.returncode == 0, done.stderr
    report = project.report()
    gate = report["gates"][0]
    assert (gate["status"], gate["accepted"]) == ("warn", True)
    assert (
        f"config change accepted: PR label 'mlgate:accept-regression' on #{PR} added by @carol"
        in gate["notes"]
    )
    assert report["context"]["accepted"].endswith("added by @carol")


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"policy": {"warn_only": ["model.roc_auc"]}}, "policy.warn_only"),
        ({"gates": {"model": []}, "data_gate": True}, "gates.model[model.roc_auc]"),
        ({"level": "warn"}, "gates.model[model.roc_auc].level"),
        (
            {
                "waivers": [
                    {"gate": "model.*", "reason": "later", "owner": "me", "expires": "2999-01-01"}
                ]
            },
            "waivers",
        ),
        ({"policy": {"mode": "default", "significance": 0.01}}, "policy.significance"),
    ],
)
def test_every_loosening_blocks_under_require_approval(
    project: Project, change: dict[str, Any], key: str
) -> None:
    base = rules(config_changes="require-approval")
    main_then_branch(project.root, base)
    doc = rules()
    doc["policy"] = {"config_changes": "require-approval", **change.get("policy", {})}
    if "level" in change:
        doc["gates"]["model"][0]["level"] = change["level"]
    if "gates" in change:
        doc["gates"] = {
            "data": [{"expect": "expect_table_row_count_to_be_between", "min_value": 1}]
        }
    if "waivers" in change:
        doc["waivers"] = change["waivers"]
    write(project.root, doc)
    commit(project.root)
    done = project.run("run")
    assert done.returncode == 1, done.stderr
    report = project.report()
    assert report["gates"][0]["id"] == "policy.config_changes"
    assert key in [c["key"] for c in report["context"]["config_changes"] if c["kind"] == "loosened"]


def test_a_tightening_is_listed_and_never_blocks(project: Project) -> None:
    main_then_branch(project.root, rules(max_drop=0.5, config_changes="require-approval"))
    write(project.root, rules(max_drop=0.4, config_changes="require-approval"))
    commit(project.root)
    done = project.run("run")
    assert done.returncode == 0, done.stderr
    report = project.report()
    assert [g["id"] for g in report["gates"]] == ["model.roc_auc"]
    assert report["context"]["config_changes"] == [
        {**LOOSENED, "before": "0.5", "after": "0.4", "kind": "tightened"}
    ]


def test_a_base_without_a_config_says_so(project: Project) -> None:
    root = project.root
    (root / ".gitignore").write_text("mlgate-report/\n")
    (root / "README").write_text("x\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "README", ".gitignore")
    git(root, "commit", "-q", "-m", "start")
    git(root, "checkout", "-q", "-b", "pr")
    write(root, rules())
    done = project.run("run")
    assert done.returncode == 1, done.stderr
    base = project.report()["context"]["config_base"]
    assert base["note"].startswith("mlgate.yaml does not exist at the merge-base (")
    assert base["note"].endswith("): nothing to compare")


def trim(path: Path, rows: int) -> None:
    """Keep the first `rows` rows: the hard ones are gone."""
    frame = pd.read_parquet(path)
    frame.head(rows).to_parquet(path, index=False)


def test_trimmed_eval_data_is_reported_and_blocks_under_require_approval(
    project: Project,
) -> None:
    main_then_branch(project.root, rules(config_changes="require-approval"))
    total = len(pd.read_parquet(project.root / "data" / "holdout.parquet"))
    trim(project.root / "data" / "holdout.parquet", 1800)
    commit(project.root, "fewer rows")
    done = project.run("run")
    assert done.returncode == 1, done.stderr
    report = project.report()
    expected = f"eval data changed in this PR: {total - 1800:,} of {total:,} rows removed, 0 added"
    changes = report["context"]["config_changes"]
    assert changes == [
        {"key": "eval data", "before": f"{total:,} rows", "after": expected, "kind": "changed"}
    ]
    evaluation = report["context"]["config_base"]["eval"]
    assert (evaluation["removed"], evaluation["added"], evaluation["rows"]) == (
        total - 1800,
        0,
        1800,
    )
    assert report["gates"][0]["id"] == "policy.config_changes"
    assert expected in report["gates"][0]["message"]


def test_mlgate_check_compares_with_the_default_branch_without_a_false_change(
    project: Project,
) -> None:
    doc = rules(config_changes="require-approval")
    del doc["models"]["baseline"]  # check fills in the merge-base's model: not a rule change
    doc["models"]["candidate"] = "models/model.skops"
    import shutil

    shutil.copy(
        project.root / "models" / "production.skops", project.root / "models" / "model.skops"
    )
    main_then_branch(project.root, doc)
    shutil.copy(
        project.root / "models" / "regressed.skops", project.root / "models" / "model.skops"
    )
    write(project.root, {**doc, "gates": {"model": [{"metric": "roc_auc", "max_drop": 0.5}]}})
    commit(project.root)
    done = project.run("check")
    assert done.returncode == 1, done.stderr
    report = project.report()
    assert [c["key"] for c in report["context"]["config_changes"]] == [LOOSENED["key"]]
    assert report["gates"][0]["id"] == "policy.config_changes"
