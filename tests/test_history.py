"""Metric history (issue 17): history.jsonl in the baseline, the from-best guard, trends.

End to end: real baseline folders and git repositories, the CLI as a subprocess, predictions
files whose AUC is set row by row (so each step's change is known without training models).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from support.projects import Project

from mlgate.report import filters as f

N = 2000
STEP_ROWS = 4  # positives demoted per candidate: 0.0036 of AUC each (asserted below)


def scores(k: int) -> tuple[Any, Any]:
    """Labels and the k-th candidate's scores: each candidate demotes STEP_ROWS more positives."""
    import numpy as np

    rng = np.random.default_rng(7)
    y = (rng.random(N) < 0.5).astype(int)
    s = np.clip(0.5 + 0.22 * (2 * y - 1) + rng.normal(0, 0.2, N), 0.001, 0.999)
    positives = np.flatnonzero(y == 1)
    order = positives[np.argsort(-s[positives])]  # the most confident positives first
    demoted = order[: k * STEP_ROWS]
    s = s.copy()
    s[demoted] = 0.02
    return y, s


def git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
        env={
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@example.invalid",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@example.invalid",
            "HOME": str(root),
            "PATH": "/usr/bin:/bin",
        },
    )
    return done.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Project:
    """A git repository holding eval data and the predictions of candidates 0..10."""
    import pandas as pd

    root = tmp_path / "repo"
    (root / "data").mkdir(parents=True)
    (root / "models").mkdir()
    y, _ = scores(0)
    pd.DataFrame({"x0": range(N), "label": y}).to_csv(root / "data" / "eval.csv", index=False)
    # other eval data (another fingerprint) of the same length, so the predictions files fit
    pd.DataFrame({"x0": range(1, N + 1), "label": y}).to_csv(
        root / "data" / "other.csv", index=False
    )
    for k in range(11):
        _, s = scores(k)
        pd.DataFrame({"prediction": (s > 0.5).astype(int), "proba_0": 1 - s, "proba_1": s}).to_csv(
            root / "models" / f"cand{k}.csv", index=False
        )
    (root / ".gitignore").write_text("mlgate-report/\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "data")
    return Project(root)


def config(
    k: int, baseline: str | None = "base", eval_file: str = "data/eval.csv", **gate: Any
) -> dict[str, Any]:
    models: dict[str, Any] = {"candidate": {"predictions": f"models/cand{k}.csv"}}
    if baseline:
        models["baseline"] = baseline
    return {
        "version": 1,
        "data": {"eval": eval_file, "target": "label"},
        "models": models,
        "gates": {"model": [{"metric": "roc_auc", **(gate or {"max_drop": 0.005})}]},
    }


def merge(repo: Project, k: int, *args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Candidate k lands on main: a commit, then `mlgate baseline save` (--to base by default)."""
    repo.config(config(k, **kwargs))
    (repo.root / "merged.txt").write_text(f"candidate {k}\n")
    git(repo.root, "add", "merged.txt", "mlgate.yaml")
    git(repo.root, "commit", "-q", "-m", f"merge candidate {k}")
    done = repo.run("baseline", "save", *(args or ("--to", "base")))
    assert done.returncode == 0, done.stderr
    return done


def history_lines(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (folder / "history.jsonl").read_text().splitlines()]


def gate_of(report: dict[str, Any]) -> dict[str, Any]:
    (gate,) = report["gates"]
    return gate


@pytest.mark.slow
def test_death_by_a_thousand_cuts_is_blocked_by_the_cumulative_guard(repo: Project) -> None:
    """Ten candidates each ~0.004 worse pass max_drop 0.005 one by one; max_drop_from_best 0.02
    blocks once the cumulative drop is proven beyond 0.02, naming the best and its commit."""
    merge(repo, 0)
    best_commit = git(repo.root, "rev-parse", "HEAD")
    outcomes = []
    for k in range(1, 11):
        repo.config(config(k, max_drop=0.005, max_drop_from_best=0.02))
        done = repo.run("run")
        report = repo.report()
        gate = gate_of(report)
        checks = {c["operator"]: c for c in gate["checks"]}
        step = -gate["delta"]
        assert 0.003 < step < 0.005, (k, step)  # "about 0.004" per candidate
        assert checks["max_drop"]["passed"] is True, (k, gate["message"])
        lo, hi = gate["details"]["from_best_interval"]
        blocked = checks["max_drop_from_best"]["passed"] is False
        assert blocked is (lo > 0.02), (k, lo, hi)  # block only what is proven
        assert done.returncode == (1 if blocked else 0), done.stderr
        assert len(gate["history"]) == k and all(p["same_eval"] for p in gate["history"])
        outcomes.append((k, blocked, gate))
        print(k, step, lo, hi, blocked)  # shown when the test fails (measured: blocks at 7)
        merge(repo, k)  # without the guard every one of them would have merged
    first = next(k for k, blocked, _ in outcomes if blocked)
    assert 6 <= first <= 8  # the cumulative point drop first exceeds 0.02 at candidate 6
    assert [blocked for _, blocked, _ in outcomes] == [k >= first for k in range(1, 11)]
    gate = outcomes[first - 1][2]
    details = gate["details"]
    lo, hi = details["from_best_interval"]
    first_date = gate["history"][0]["date"][:10]
    assert gate["message"] == (
        f"roc_auc dropped {f.num(details['from_best'])} from its best production value "
        f"{f.num(details['best'])} (at {best_commit[:12]}, {first_date}) (95% CI of the "
        f"cumulative drop {f.num(lo)}…{f.num(hi)}), allowed 0.02 from the best"
    )
    assert details["best"] == pytest.approx(gate["history"][0]["value"])
    assert details["from_best"] > 0.02
    assert gate["status"] == "fail" and gate["blocking"] is True


def test_three_saves_leave_three_entries_and_a_run_shows_them(repo: Project) -> None:
    for k in range(3):
        merge(repo, k)
    lines = history_lines(repo.root / "base")
    assert [line["schema"] for line in lines] == ["mlgate.history/v1"] * 3
    assert len({line["commit"] for line in lines}) == 3
    assert set(lines[0]) == {
        "schema",
        "commit",
        "ref",
        "date",
        "mlgate_version",
        "fingerprint",
        "gates",
    }
    assert list(lines[0]["gates"]) == ["model.roc_auc"]
    manifest = json.loads((repo.root / "base" / "baseline.json").read_text())
    assert "history.jsonl" in manifest["files"]

    repo.config(config(3, max_drop=0.005))
    repo.run("run")
    gate = gate_of(repo.report())
    values = [p["value"] for p in gate["history"]]
    assert values == [line["gates"]["model.roc_auc"]["value"] for line in lines]
    assert [p["commit"] for p in gate["history"]] == [line["commit"] for line in lines]
    assert values[0] > values[1] > values[2]


def test_history_carried_through_a_git_baseline(repo: Project) -> None:
    """Each save on a fresh checkout: the history comes from git:HEAD:base (committed)."""
    import shutil

    target = repo.root / "base"
    for k in range(3):
        if k:
            shutil.rmtree(target)  # a fresh checkout: the previous baseline is only in git
        done = merge(repo, k, baseline="git:HEAD:base" if k else None)
        assert "mlgate: history" not in done.stderr  # nothing unreadable to report
        git(repo.root, "add", "-A", "base")
        git(repo.root, "commit", "-q", "-m", f"baseline {k}")
    lines = history_lines(target)
    assert len(lines) == 3 and len({line["commit"] for line in lines}) == 3


def test_history_is_bounded_by_keep(repo: Project) -> None:
    for k in range(4):
        doc = config(k)
        doc["history"] = {"keep": 2}
        repo.config(doc)
        assert repo.run("baseline", "save", "--to", "base").returncode == 0
    lines = history_lines(repo.root / "base")
    assert len(lines) == 2
    # the newest two are kept: candidates 2 and 3 (AUC falls with k)
    import sklearn.metrics as skm

    expected = [skm.roc_auc_score(*scores(k)) for k in (2, 3)]
    assert [line["gates"]["model.roc_auc"]["value"] for line in lines] == pytest.approx(expected)


def test_keep_must_be_positive(repo: Project) -> None:
    doc = config(0)
    doc["history"] = {"keep": 0}
    repo.config(doc)
    done = repo.run("run")
    assert done.returncode == 2
    assert "mlgate.yaml: history.keep:" in done.stderr


def test_a_corrupt_history_is_reported_and_kept_aside(repo: Project) -> None:
    merge(repo, 0)
    path = repo.root / "base" / "history.jsonl"
    good = path.read_text()
    path.write_text(good + "{not json\n" + '{"schema": "someone.else/v3"}\n')
    # a run reads the readable entries and says so
    repo.config(config(1, max_drop=0.005))
    done = repo.run("run")
    expected = "history: history.jsonl line 2: not JSON (and 1 more); its readable entries are used"
    assert f"mlgate: baseline {expected}" in done.stderr.splitlines()
    assert expected in repo.report()["context"]["baseline"]["note"]
    # the next save carries the good entry, keeps the bad file aside and says so
    repo.config(config(1))
    done = repo.run("baseline", "save", "--to", "base")
    assert done.returncode == 0, done.stderr
    aside = sorted((repo.root / "base").glob("history.jsonl.corrupt-*"))
    assert len(aside) == 1
    assert aside[0].read_text() == good + "{not json\n" + '{"schema": "someone.else/v3"}\n'
    said = (
        "mlgate: history of base: history.jsonl line 2: not JSON (and 1 more); "
        f"1 readable entry carried forward, the file kept aside as {aside[0].name}"
    )
    assert said in done.stderr.splitlines()
    assert said.removeprefix("mlgate: ") in gate_of(repo.report())["notes"]
    assert len(history_lines(repo.root / "base")) == 2
    manifest = json.loads((repo.root / "base" / "baseline.json").read_text())
    assert aside[0].name in manifest["files"]
    # and it survives the next save (the folder is replaced whole)
    repo.config(config(2))
    assert repo.run("baseline", "save", "--to", "base").returncode == 0
    assert sorted((repo.root / "base").glob("history.jsonl.corrupt-*")) == aside
    assert len(history_lines(repo.root / "base")) == 3


def test_a_foreign_fingerprint_is_listed_but_not_used(repo: Project) -> None:
    merge(repo, 0, eval_file="data/other.csv")  # measured on other eval data
    merge(repo, 1)
    repo.config(config(2, max_drop=0.005, max_drop_from_best=0.5))
    repo.run("run")
    gate = gate_of(repo.report())
    assert [p["same_eval"] for p in gate["history"]] == [False, True]
    assert gate["details"]["best"] == pytest.approx(gate["history"][1]["value"])
    assert (
        "max_drop_from_best: 1 history entry measured on other eval data (another fingerprint): "
        "listed, not used" in gate["notes"]
    )


def test_no_same_eval_history_skips_with_the_reason_or_errors_in_strict(repo: Project) -> None:
    merge(repo, 0, eval_file="data/other.csv")
    repo.config(config(1, max_drop_from_best=0.02))
    done = repo.run("run")
    gate = gate_of(repo.report())
    assert gate["status"] == "skipped" and done.returncode == 0
    assert gate["message"] == (
        "max_drop_from_best: not checked: none of the 1 history entries of the baseline was "
        "measured on this eval data"
    )
    doc = config(1, max_drop_from_best=0.02)
    doc["policy"] = {"mode": "strict"}
    repo.config(doc)
    done = repo.run("run")
    gate = gate_of(repo.report())
    assert (gate["status"], done.returncode) == ("error", 3)
    assert gate["message"].endswith("measured on this eval data (strict mode)")


def test_no_history_with_another_threshold_is_a_note_not_a_silent_pass(repo: Project) -> None:
    doc = config(1, baseline=None, max_drop=0.005, max_drop_from_best=0.02)
    doc["models"]["baseline"] = {"predictions": "models/cand0.csv"}
    repo.config(doc)
    done = repo.run("run")
    gate = gate_of(repo.report())
    assert gate["status"] == "pass", done.stderr
    assert (
        "max_drop_from_best: not checked: the baseline has no history of this gate "
        "(history.jsonl, written by `mlgate baseline save`)" in gate["notes"]
    )


def test_from_best_of_the_wrong_direction_is_a_config_error(repo: Project) -> None:
    repo.config(config(1, baseline=None, max_increase_from_best=0.01))
    done = repo.run("run")
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "mlgate: error: mlgate.yaml: gates.model[0].max_increase_from_best: roc_auc is better "
        "when higher, so a regression is a drop (use max_drop_from_best)"
    ]


# --- the pure stages: the from-best rule as a table, the renderings ---------------------------


def _measurement(
    candidate: float, production: float, history: list[float], **thresholds: Any
) -> Any:
    from mlgate.records import Estimate, HistoryPoint, Measurement

    points = tuple(
        HistoryPoint(value=v, commit=f"c{i:011d}", date="2026-12-01", same_eval=True)
        for i, v in enumerate(history)
    )
    return Measurement(
        id="model.roc_auc",
        kind="model",
        name="roc_auc",
        thresholds=thresholds,
        candidate=candidate,
        baseline=production,
        estimate=Estimate(delta=candidate - production, method="delong", n=1000, se=0.001),
        history=points,
    )


@pytest.mark.parametrize(
    ("candidate", "production", "history", "strict", "passed"),
    [
        (0.880, 0.884, [0.90, 0.896, 0.892, 0.888, 0.884], False, True),  # 0.020 from best
        (0.876, 0.880, [0.90, 0.896, 0.892, 0.888, 0.884, 0.880], False, False),  # 0.024, proven
        (0.879, 0.882, [0.90, 0.882], False, True),  # 0.021: interval spans 0.02, not proven
        (0.879, 0.882, [0.90, 0.882], True, False),  # strict: not proven within 0.02
        (0.899, 0.90, [0.90], True, True),  # well within
    ],
)
def test_from_best_rule(
    candidate: float, production: float, history: list[float], strict: bool, passed: bool
) -> None:
    from mlgate.compare import Policy, compare

    m = _measurement(candidate, production, history, max_drop_from_best=0.02)
    result = compare(m, Policy(strict=strict)).result
    (check,) = result.checks
    assert check.passed is passed
    assert result.details["best"] == pytest.approx(max(history))
    lo, hi = result.details["from_best_interval"]
    assert lo < max(history) - candidate < hi


def test_from_best_failure_message_names_best_commit_and_drop() -> None:
    from mlgate.compare import Policy, compare
    from mlgate.report.wording import worded

    m = _measurement(0.876, 0.880, [0.90, 0.884, 0.880], max_drop_from_best=0.02)
    gate = worded(compare(m, Policy()))
    assert gate.status == "fail"
    assert gate.message == (
        "roc_auc dropped 0.024 from its best production value 0.900 (at c00000000000, "
        "2026-12-01) (95% CI of the cumulative drop 0.022…0.026), allowed 0.02 from the best"
    )


def test_reports_carry_and_draw_the_history() -> None:
    from dataclasses import replace

    from mlgate.compare import Policy, compare
    from mlgate.records import Report
    from mlgate.report.html import render_html
    from mlgate.report.markdown import render_markdown
    from mlgate.report.wording import worded

    m = _measurement(0.876, 0.880, [0.90, 0.884, 0.880], max_drop_from_best=0.02)
    m = replace(m, id="model.roc_auc[c=<b>|x]")
    gate = worded(compare(m, Policy()))
    report = Report(verdict="fail", gates=(gate,))
    doc = report.to_dict()
    assert [p["value"] for p in doc["gates"][0]["history"]] == [0.90, 0.884, 0.880]
    assert Report.from_dict(json.loads(json.dumps(doc))).gates[0].history == gate.history
    md = render_markdown(report)
    assert "History of 1 gate over the merges" in md
    assert "█▃▂▁" in md  # 0.90, 0.884, 0.880, then the candidate 0.876
    assert "<b>" not in md and "model.roc\\_auc\\[c=&lt;b&gt;\\|x\\]" in md
    html = render_html(report)
    assert '<svg class="trend"' in html and "<script" not in html
    assert html.count('class="dot production"') == 3 and 'class="dot candidate"' in html
    assert "<b>|x" not in html
    # a gate without history writes no `history` key: older reports are unchanged
    plain = Report(verdict="fail", gates=(replace(gate, history=()),)).to_dict()
    assert "history" not in plain["gates"][0]


def test_a_report_with_history_validates_against_the_report_schema() -> None:
    import jsonschema

    from mlgate.commands.schema import report_schema
    from mlgate.compare import Policy, compare
    from mlgate.records import Report
    from mlgate.report.wording import worded

    gate = worded(
        compare(_measurement(0.876, 0.880, [0.90, 0.88], max_drop_from_best=0.02), Policy())
    )
    doc = json.loads(json.dumps(Report(verdict="fail", gates=(gate,)).to_dict()))
    schema = report_schema()
    jsonschema.validate(doc, schema)
    doc["gates"][0]["history"][0]["value"] = "high"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, schema)


def test_from_best_detectable_of_slices_uses_their_holm_level() -> None:
    """Slices share a Holm-adjusted level: the from-best interval and its "detectable" figure
    both use it, not the policy's alpha."""
    from dataclasses import replace

    from mlgate.compare import POWER, Policy, compare_all
    from mlgate.records import detectable_worsening

    # two slices, each 0.021 from its best of 0.90 (interval spans the allowed 0.02)
    a = replace(
        _measurement(0.879, 0.882, [0.90, 0.882], max_drop_from_best=0.02),
        id="model.roc_auc[c=a]",
        family="model.roc_auc",
    )
    b = replace(a, id="model.roc_auc[c=b]")
    results = compare_all([a, b], Policy(alpha=0.05))
    for comparison in results:
        assert comparison.alpha == 0.025  # Holm over two slices (neither rejected)
        (finding,) = [x for x in comparison.findings if x.what == "inconclusive"]
        assert finding.detectable == pytest.approx(detectable_worsening(0.001, 0.02, 0.025, POWER))
        assert finding.detectable != pytest.approx(detectable_worsening(0.001, 0.02, 0.05, POWER))


# --- done when: three saves (folder and git:), a PR run shows them everywhere ----------------


def three_saves(repo: Project, through: str) -> str:
    """Candidates 0, 1, 2 land on main, each followed by `baseline save` into base/; with
    "git" each save starts from a fresh checkout whose previous baseline is only in git."""
    import shutil

    for k in range(3):
        if through == "git":
            if k:
                shutil.rmtree(repo.root / "base")
            merge(repo, k, baseline="git:HEAD:base" if k else None)
            git(repo.root, "add", "-A", "base")
            git(repo.root, "commit", "-q", "-m", f"baseline {k}")
        else:
            merge(repo, k)
    return "git:HEAD:base" if through == "git" else "base"


@pytest.mark.slow
@pytest.mark.parametrize("through", ["folder", "git"])
def test_three_saves_show_in_report_json_the_html_chart_and_the_mermaid_block(
    repo: Project, through: str, tmp_path: Path
) -> None:
    from support import mermaid_cli

    from mlgate.report.mermaid import _n

    baseline = three_saves(repo, through)
    lines = history_lines(repo.root / "base")
    assert len(lines) == 3 and len({line["commit"] for line in lines}) == 3
    values = [line["gates"]["model.roc_auc"]["value"] for line in lines]
    commits = [line["commit"] for line in lines]

    # the PR: candidate 3 against the saved baseline, read the way every run reads it
    repo.config(config(3, baseline=baseline, max_drop=0.005, max_drop_from_best=0.01))
    done = repo.run("run")
    assert done.returncode in (0, 1), done.stderr
    gate = gate_of(repo.report())
    assert [p["value"] for p in gate["history"]] == values
    assert [p["commit"] for p in gate["history"]] == commits
    assert all(p["same_eval"] for p in gate["history"])
    candidate = gate["candidate"]

    html = (repo.root / "mlgate-report" / "report.html").read_text()
    assert html.count('<svg class="trend"') == 1
    start = html.index('<svg class="trend"')
    trend = html[start : html.index("</svg>", start)]
    assert trend.count('class="dot production"') == 3
    assert trend.count('class="dot candidate"') == 1
    for value, commit in zip(values, commits, strict=True):
        assert f"<title>{f.num(value)} {commit[:11]}… " in trend  # the commit clipped to 12

    md = (repo.root / "mlgate-report" / "report.md").read_text()
    (source,) = mermaid_cli.blocks(md)
    labels = ", ".join(f'"{i}. {c[:7]}"' for i, c in enumerate(commits, 1))
    assert f'    x-axis [{labels}, "candidate"]\n' in source
    assert f"    line [{', '.join(_n(v) for v in [*values, candidate])}]\n" in source
    fallback = " → ".join(f.num(v) for v in values)
    assert f"model.roc\\_auc over 3 merges: {fallback}, candidate {f.num(candidate)}" in md
    # and the comment's block parses and draws in the real mermaid-cli
    (svg,) = mermaid_cli.render(md, tmp_path / "mermaid")
    assert 'aria-roledescription="xychart"' in svg and ">model.roc_auc<" in svg


# --- mlgate history ---------------------------------------------------------------------------


def table_row(line: dict[str, Any]) -> list[str]:
    value = line["gates"]["model.roc_auc"]["value"]
    return [
        line["commit"][:12],
        line["ref"],
        line["date"],
        f"{value:.6g}",
        "—",
        line["fingerprint"][:19],
        line["mlgate_version"],
    ]


@pytest.mark.slow
@pytest.mark.parametrize("through", ["folder", "git"])
def test_history_command_prints_the_table_and_json(repo: Project, through: str) -> None:
    baseline = three_saves(repo, through)
    repo.config(config(3, baseline=baseline))
    lines = history_lines(repo.root / "base")
    done = repo.run("history")
    assert (done.returncode, done.stderr) == (0, "")
    out = done.stdout.splitlines()
    assert out[0] == f"model.roc_auc · 3 entries in {baseline} (oldest first)"
    assert out[1].split() == ["commit", "ref", "date", "value", "interval", "eval", "mlgate"]
    assert [row.split() for row in out[2:]] == [table_row(line) for line in lines]
    assert len({row.index("main") for row in out[2:]}) == 1  # columns aligned

    done = repo.run("history", "--gate", "model.roc_auc", "--json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["schema"] == "mlgate.history-listing/v1"
    assert (doc["baseline"], doc["problem"], doc["note"]) == (baseline, None, None)
    assert doc["gates"]["model.roc_auc"] == [
        {
            "commit": line["commit"],
            "ref": line["ref"],
            "date": line["date"],
            "value": line["gates"]["model.roc_auc"]["value"],
            "interval": None,
            "fingerprint": line["fingerprint"],
            "mlgate_version": line["mlgate_version"],
        }
        for line in lines
    ]


def test_history_command_unknown_gate_is_exit_2_with_did_you_mean(repo: Project) -> None:
    merge(repo, 0)
    done = repo.run("history", "--gate", "model.roc_au")
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "mlgate: error: --gate 'model.roc_au': no such gate in the history or the config; "
        "did you mean 'model.roc_auc'? (`mlgate history` lists them all)"
    ]
    done = repo.run("history", "--gate", "data.nothing_alike_xyz", "--json")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.splitlines() == [
        "mlgate: error: --gate 'data.nothing_alike_xyz': no such gate in the history or the "
        "config (`mlgate history` lists them all)"
    ]


def test_history_command_says_plainly_when_there_is_none(repo: Project) -> None:
    repo.config(config(0, baseline=None))
    done = repo.run("history")
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == (
        "mlgate: no history: no baseline is configured (models.baseline; "
        "`mlgate baseline save` writes one with its history)\n"
    )
    # a baseline without history.jsonl (a plain predictions file)
    repo.config(config(0, baseline="models/cand0.csv"))
    done = repo.run("history", "--json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["gates"] == {}
    assert doc["note"] == (
        "mlgate: no history: the baseline models/cand0.csv has no history.jsonl "
        "(written by `mlgate baseline save`)"
    )
    # a configured gate the history has not seen yet: said, exit 0
    merge(repo, 0)
    doc = config(1)
    doc["gates"]["model"].append({"metric": "accuracy", "min": 0.5})
    repo.config(doc)
    done = repo.run("history", "--gate", "model.accuracy")
    assert (done.returncode, done.stdout) == (
        0,
        "mlgate: no history of model.accuracy in the baseline base\n",
    )


def test_history_command_reports_an_unreadable_line_and_shows_the_rest(repo: Project) -> None:
    merge(repo, 0)
    path = repo.root / "base" / "history.jsonl"
    path.write_text(path.read_text() + "{not json\n")
    done = repo.run("history", "--json")
    assert done.returncode == 0
    assert done.stderr.splitlines() == [
        "mlgate: baseline history: history.jsonl line 2: not JSON; its readable entries are used"
    ]
    doc = json.loads(done.stdout)
    assert doc["problem"] == "history.jsonl line 2: not JSON"
    assert len(doc["gates"]["model.roc_auc"]) == 1


def test_history_command_hostile_history_text_cannot_steer_the_terminal(repo: Project) -> None:
    merge(repo, 0)
    path = repo.root / "base" / "history.jsonl"
    (entry,) = history_lines(repo.root / "base")
    entry["ref"] = "main\x1b]0;owned\x07\x1b[2J\nfake row"
    entry["gates"]["model.roc_auc\x1b[31m"] = {"value": 1.0, "interval": [0.9, 1.0]}
    path.write_text(json.dumps(entry) + "\n")
    done = repo.run("history")
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stdout and "\x07" not in done.stdout
    out = done.stdout.splitlines()
    assert len(out) == 3 + 1 + 3  # two gates: head, columns, one row each; a blank line between
    assert out[4] == "model.roc_auc[31m · 1 entry in base (oldest first)"
    row = out[6].split()
    assert row[1:4] == ["main]0;owned[2J", "fake", "row"]  # one line, codes dropped
    assert row[5:7] == ["1", "0.9…1"]
