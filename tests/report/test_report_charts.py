"""Charts of a real run (the CLI as a subprocess on a regression project unlike the fixtures):
predicted vs actual, residuals overall and by slice, drift overlays, the model-size bars."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from support import clinic

from mlgate.records import Report
from mlgate.report import breakdowns, charts


@pytest.fixture(scope="module")
def clinic_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("clinic")
    clinic.build(root)
    done = subprocess.run(
        [sys.executable, "-m", "mlgate", "run"], cwd=root, capture_output=True, text=True
    )
    assert done.returncode == 1, done.stderr  # the candidate lost a feature: blocked
    return root / "mlgate-report"


def sections(html: str) -> dict[str, str]:
    return dict(re.findall(r'<section id="(\w+)">(.*?)</section>', html, re.S))


def test_regression_gets_predicted_vs_actual_and_residuals_by_slice(clinic_run: Path) -> None:
    html = (clinic_run / "report.html").read_text()
    diag = sections(html)["diagnostics"]
    assert diag.count('aria-label="Predicted vs actual"') == 1
    assert diag.count('aria-label="residuals"') == 1
    assert "<h3>Residuals by clinic</h3>" in diag
    for clinic_name in ("east", "west", "north"):
        assert f'aria-label="residuals of clinic={clinic_name}"' in diag
    report = Report.from_dict(json.loads((clinic_run / "report.json").read_text()))
    chart = charts.predicted_vs_actual(report)
    assert chart is not None
    assert [s.name for s in chart.series] == ["candidate", "production"]
    assert len(chart.series[0].dots) == 20  # one dot per bin of the actual value
    assert len(chart.bands) == 1  # the candidate's 10th–90th percentile band
    [by_clinic] = charts.residual_slices(report)
    assert [s.value for s in by_clinic.segments] == ["east", "west", "north"]  # largest first
    assert sum(s.rows or 0 for s in by_clinic.segments) == 600


def test_diagnostics_are_summaries_of_bounded_size(clinic_run: Path) -> None:
    doc = json.loads((clinic_run / "report.json").read_text())
    regression = doc["diagnostics"]["regression"]
    assert regression["rows"] == 600
    assert len(regression["actual"]["mean"]) == 20
    assert len(regression["residuals"]["edges"]) == 31
    assert sum(regression["residuals"]["candidate"]) == 600
    assert len(json.dumps(doc["diagnostics"])) < 6_000  # 600 rows or 6 million: the same size
    overlay = next(g for g in doc["gates"] if g["id"] == "data.drift.age")["details"]["overlay"]
    assert overlay["kind"] == "numeric"
    assert len(overlay["edges"]) == 21
    assert (sum(overlay["reference"]), sum(overlay["eval"])) == (1500, 600)


def test_only_drifted_columns_get_an_overlay(clinic_run: Path) -> None:
    drift = sections((clinic_run / "report.html").read_text())["drift"]
    labels = re.findall(r'aria-label="distribution of (\w+): reference and eval"', drift)
    assert labels == ["age"]  # bmi and clinic passed
    assert "<strong>age</strong>: psi(age) 0.535 is above the maximum 0.2" in drift


def test_model_size_has_its_own_chart_in_megabytes(clinic_run: Path) -> None:
    perf = sections((clinic_run / "report.html").read_text())["latency"]
    assert "timing samples of perf.model_size_mb" not in perf
    assert 'aria-label="perf.model_size_mb of each model"' in perf
    assert " ms<" not in perf  # no time axis for a size
    ticks = re.findall(r'text-anchor="middle">([^<]+)</text>', perf)
    assert ticks == ["0 MB", "2 MB", "4 MB"]  # up to the allowed 5 MB


def test_a_size_measured_once_is_never_a_distribution(blocked_report: Report) -> None:
    from dataclasses import replace

    gates = [
        replace(g, details={"samples": {"candidate": [12.4], "baseline": [12.1]}})
        if g.id == "perf.model_size_mb"
        else g
        for g in blocked_report.gates
    ]
    report = replace(blocked_report, gates=tuple(gates))
    assert [d.gate.id for d in breakdowns.latency(report)] == ["perf.latency_p95_ms"]
    [size] = breakdowns.sizes(report)
    assert [(b.name, b.value) for b in size.bars] == [("production", 12.1), ("candidate", 12.4)]
    assert size.ticks[-1][1] == "200 MB"


def test_category_overlay_keeps_the_frequent_categories_and_counts_the_rest() -> None:
    import pandas as pd

    from mlgate.measure.data.drift import overlay

    reference = pd.Series([f"c{i % 15}" for i in range(300)] + [None] * 5)
    current = pd.Series(["c0"] * 200 + ["new"] * 50 + [f"c{i % 15}" for i in range(100)])
    shape: dict[str, Any] = overlay(reference, current)
    assert shape["kind"] == "categorical"
    assert shape["categories"][:2] == ["c0", "new"]
    assert len(shape["categories"]) == 12
    assert sum(shape["reference"]) + shape["other"][0] == 300
    assert sum(shape["eval"]) + shape["other"][1] == 350
    assert shape["missing"] == [5, 0]


def test_category_labels_from_data_are_escaped_in_the_overlay() -> None:
    from mlgate.records import GateResult
    from mlgate.report.html import render_html

    gate = GateResult(
        id="data.drift.region",
        kind="data",
        status="fail",
        blocking=True,
        name="psi(region)",
        message="psi(region) 0.61 is above the maximum 0.2",
        candidate=0.61,
        threshold={"max": 0.2},
        details={
            "column": "region",
            "method": "psi",
            "score": 0.61,
            "threshold": 0.2,
            "overlay": {
                "kind": "categorical",
                "categories": ["<script>alert(1)</script>", "north"],
                "reference": [10, 90],
                "eval": [60, 40],
                "other": [0, 0],
                "missing": [0, 0],
            },
        },
    )
    html = render_html(Report(verdict="fail", gates=(gate,)))
    assert "<script>" not in html
    assert ">&lt;script&gt;alert(1)&lt;/scrip…</text>" in html  # an axis label: clipped to 24
    [shown] = breakdowns.overlays(Report(verdict="fail", gates=(gate,)))
    assert [label for label, *_ in shown.bars] == ["<script>alert(1)</scrip…", "north"]
