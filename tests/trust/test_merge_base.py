"""Finding the base: the PR/MR target branch in CI, the default branch locally, or saying why not."""

from __future__ import annotations

from pathlib import Path

from mlgate.config import load_config
from mlgate.load.merge_base import compare
from trust.gitrepo import commit, main_then_branch, rules, write


def test_a_target_branch_missing_from_a_shallow_clone_is_said(tmp_path: Path) -> None:
    main_then_branch(tmp_path, rules())
    loaded = load_config(tmp_path / "mlgate.yaml")
    found = compare(loaded, {"GITHUB_BASE_REF": "release"}, None)
    assert found is not None and found.commit is None
    assert found.note == (
        "the target branch release is not in this clone: nothing compared (fetch it: "
        "fetch-depth: 0 on actions/checkout, GIT_DEPTH: 0 on GitLab)"
    )


def test_the_gitlab_target_branch_and_the_base_policy(tmp_path: Path) -> None:
    main_then_branch(tmp_path, rules(config_changes="require-approval"))
    write(tmp_path, rules(max_drop="5%"))  # an absolute tolerance became a relative one
    commit(tmp_path)
    loaded = load_config(tmp_path / "mlgate.yaml")
    found = compare(loaded, {"CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main"}, None)
    assert found is not None and (found.branch, found.policy) == ("main", "require-approval")
    assert [c.to_dict() for c in found.changes] == [
        {
            "key": "gates.model[model.roc_auc].max_drop",
            "before": "0.01",
            "after": "5%",
            "kind": "changed",
        },
        {
            "key": "policy.config_changes",
            "before": "require-approval",
            "after": "report",
            "kind": "changed",
        },
    ]
    assert [c.key for c in found.blocking] == [c.key for c in found.changes]
