"""metrics.txt: valid OpenMetrics (prometheus_client's strict parser) and what GitLab reads."""

from __future__ import annotations

import re
import shlex

from prometheus_client.openmetrics.parser import text_string_to_metric_families
from support.report_fixtures import check_gold

from mlgate.records import Report
from mlgate.report.openmetrics import render_metrics


def gitlab_read(text: str) -> dict[str, str]:
    """What GitLab's metrics parser keeps: `#...` stripped, shell-split, first two words."""
    out = {}
    for line in text.splitlines():
        words = shlex.split(re.sub(r"#.*$", "", line))
        if len(words) >= 2:
            out[words[0]] = words[1]
    return out


def test_gold(any_report: tuple[str, Report]) -> None:
    name, report = any_report
    check_gold(f"{name}.metrics.txt", render_metrics(report))


def test_valid_openmetrics_with_unique_safe_names(any_report: tuple[str, Report]) -> None:
    _, report = any_report
    text = render_metrics(report)
    families = list(text_string_to_metric_families(text))  # raises on any format error
    names = [f.name for f in families]
    assert len(names) == len(set(names))
    assert all(re.fullmatch(r"[a-z_][a-z0-9_]*", n) for n in names)
    assert text.endswith("# EOF\n")
    assert gitlab_read(text) == {
        s.name: text.split(f"\n{s.name} ")[1].split("\n")[0] for f in families for s in f.samples
    }


def test_values_of_a_gate(blocked_report: Report) -> None:
    read = gitlab_read(render_metrics(blocked_report))
    assert read["mlgate_blocked"] == "1"
    assert read["mlgate_gates_failed"] == "1"
    assert read["mlgate_model_roc_auc_candidate"] == "0.871"
    assert read["mlgate_model_roc_auc_baseline"] == "0.902"
    assert read["mlgate_model_roc_auc_delta"] == "-0.031"
    assert read["mlgate_model_roc_auc_ci_low"] == "-0.041"
    assert read["mlgate_model_roc_auc_passed"] == "0"
    assert read["mlgate_model_accuracy_country_fr_passed"] == "1"  # a warning does not fail
    assert "mlgate_model_accuracy_country_lu_passed" not in read  # skipped: not judged


def test_ids_that_sanitize_alike_stay_apart(blocked_report: Report) -> None:
    from dataclasses import replace

    twin = replace(blocked_report.gates[0], id="model:roc-auc")  # also "model_roc_auc"
    report = replace(blocked_report, gates=(blocked_report.gates[0], twin))
    read = gitlab_read(render_metrics(report))
    assert "mlgate_model_roc_auc_candidate" in read
    assert "mlgate_model_roc_auc_2_candidate" in read


def test_hostile_ids_become_plain_names(hostile_report: Report) -> None:
    text = render_metrics(hostile_report)
    assert "<" not in text and ">" not in text and "|" not in text and "*" not in text
    list(text_string_to_metric_families(text))
