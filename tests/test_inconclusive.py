"""The third state (issue 18, point 3), through the CLI on a project unlike the fixtures: a
regression of delivery times whose candidate is worse than production by more than the gate
allows, on too few rows to prove it. It is *inconclusive* in every view — never a green pass:
report.json keeps `status: pass` and says `inconclusive: true`; the terminal's and the comment's
first line count it; report.md lists it with the smallest detectable change and the rows that
would decide it; report.html shows it amber.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from support.projects import Project

pytestmark = pytest.mark.slow


def deliveries(n: int, seed: int) -> Any:
    """Minutes to deliver from distance, load and the depot."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    km = rng.uniform(1, 40, n).round(1)
    parcels = rng.integers(1, 12, n)
    depot = rng.choice(["dock", "hill", "ring"], size=n)
    minutes = 12 + 1.8 * km + 2.5 * parcels + (depot == "hill") * 9 + rng.normal(0, 6, n)
    return pd.DataFrame({"km": km, "parcels": parcels, "depot": depot, "minutes": minutes.round(1)})


def fit(frame: Any, alpha: float) -> Any:
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    cols = ColumnTransformer(
        [
            ("num", "passthrough", ["km", "parcels"]),
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["depot"]),
        ]
    )
    return Pipeline([("cols", cols), ("ridge", Ridge(alpha=alpha))]).fit(
        frame[["km", "parcels", "depot"]], frame["minutes"]
    )


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    import skops.io as sio

    root: Path = tmp_path_factory.mktemp("deliveries")
    (root / "data").mkdir()
    (root / "models").mkdir()
    deliveries(160, seed=52).to_csv(root / "data" / "week.csv", index=False)
    train = deliveries(600, seed=51)
    sio.dump(fit(train, 1.0), root / "models" / "prod.skops")
    sio.dump(fit(train.sample(frac=0.5, random_state=5), 4000.0), root / "models" / "new.skops")
    return Project(root)


def config(project: Project, allowed: float) -> None:
    project.config(
        {
            "version": 1,
            "data": {"eval": "data/week.csv", "target": "minutes"},
            "models": {"candidate": "models/new.skops", "baseline": "models/prod.skops"},
            "gates": {
                "model": [{"metric": "mae", "max_increase": allowed}, {"metric": "r2", "min": 0.5}]
            },
        }
    )


def test_a_worsening_beyond_the_tolerance_not_proven_is_inconclusive_in_every_view(
    project: Project,
) -> None:
    config(project, 0.001)  # measure the rise first: seeded, so the second run sees the same
    first = project.run("run")
    assert first.returncode == 1, first.stdout + first.stderr
    mae = next(g for g in project.report()["gates"] if g["id"] == "model.mae")
    rise, (lo, _) = mae["delta"], mae["ci"]
    assert 0 < lo < rise  # a real rise, measured with spread
    allowed = round((lo + rise) / 2, 2)  # beyond it by the point, inside it by the interval
    config(project, allowed)

    done = project.run("run")
    assert done.returncode == 0, done.stdout + done.stderr  # not proven: never blocks
    gate = next(g for g in project.report()["gates"] if g["id"] == "model.mae")
    assert (gate["status"], gate["inconclusive"], gate["blocking"]) == ("pass", True, True)
    assert gate["message"].startswith(f"mae increased {rise:.3g}".rstrip("0"))
    assert gate["message"].endswith(f", allowed {allowed:g}: inconclusive, not proven beyond it")

    first_line = done.stdout.splitlines()[0]
    assert first_line.startswith(
        "Passed: no blocking gate was proven worse; 1 inconclusive, 1 passed; mae increased "
    ), first_line
    assert re.search(r"^  INCONCLUSIVE model\.mae$", done.stdout, re.M), done.stdout
    assert not re.search(r"^  pass +model\.mae", done.stdout, re.M)

    md = (project.root / "mlgate-report" / "report.md").read_text()
    assert md.splitlines()[0].startswith(
        "**✅ Passed:** no blocking gate was proven worse; 1 inconclusive, 1 passed; "
    )
    assert "| ❔ | model.mae |" in md
    note = next(line for line in md.splitlines() if line.startswith("- model.mae: inconclusive:"))
    assert "this eval set detects an increase of about " in note
    assert re.search(
        r"\(160 rows\); about [\d,]+ rows would decide an increase of this size$", note
    )
    assert "1 passing gate" in md  # r2 only: the inconclusive gate is not folded with passes

    html = (project.root / "mlgate-report" / "report.html").read_text()
    assert '<tr class="s-inconclusive">\n<td><span class="badge">inconclusive</span></td>' in html
    assert "<li>1 inconclusive</li>" in html
