"""The rule-change lines: said once (report/wording.py), escaped in the comment, typed on read."""

from __future__ import annotations

import pytest

from mlgate.records import GateResult, Report
from mlgate.report.markdown import render_markdown


def report(changes: object) -> Report:
    gate = GateResult(id="model.roc_auc", kind="model", status="pass", blocking=True, message="")
    context = {
        "config_changes": changes,
        "config_base": {"commit": "1a2b3c4d5e6f", "branch": "main", "policy": "report"},
    }
    return Report(verdict="pass", gates=(gate,), context=context)


def test_changes_are_listed_under_the_headline_escaped() -> None:
    changes = [
        {
            "key": "gates.model[model.roc_auc].max_drop",
            "before": "0.01",
            "after": "0.5",
            "kind": "loosened",
        },
        {"key": "policy.warn_only", "before": None, "after": "@team <b>x</b>", "kind": "loosened"},
        {"key": "gates.model[model.f1]", "before": "{}", "after": None, "kind": "loosened"},
    ]
    lines = render_markdown(report(changes)).splitlines()
    assert lines[2] == (
        "**Rules changed in this PR** (compared with the merge-base with main (1a2b3c4d5e6f); "
        "policy.config\\_changes: report (from the base config))"
    )
    assert lines[3] == "- gates.model\\[model.roc\\_auc\\].max\\_drop loosened: 0.01 → 0.5"
    assert "<b>" not in lines[4] and "@team" not in lines[4]
    assert lines[5] == "- gates.model\\[model.f1\\] loosened: removed (was \\{\\})"


def test_a_report_with_a_non_list_config_changes_is_refused() -> None:
    doc = report([]).to_dict()
    assert Report.from_dict(doc).context["config_changes"] == []
    doc["context"]["config_changes"] = "all fine"
    with pytest.raises(ValueError, match=r"context\.config_changes"):
        Report.from_dict(doc)
