"""Waivers end to end: a live one turns a failure into `waived`; an expired one blocks and says."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from support.projects import Project, base_config

from mlgate.config import load_config
from mlgate.decide import Rules, Waiver, decide
from mlgate.errors import ConfigError
from mlgate.records import GateResult

LIVE, EXPIRED = "2999-12-31", "2000-01-01"


def waiver(
    gate: str, expires: str, reason: str = "retrained on new data, fix in #42"
) -> dict[str, Any]:
    return {"gate": gate, "reason": reason, "owner": "@ml-team", "expires": expires}


def regressed(**extra: Any) -> dict[str, Any]:
    return {**base_config("models/regressed.skops"), **extra}


def gates(project: Project) -> dict[str, dict[str, Any]]:
    return {g["id"]: g for g in project.report()["gates"]}


def test_live_waivers_let_a_regression_through_and_show_it(project: Project) -> None:
    project.config(
        regressed(waivers=[waiver("model.roc_auc", LIVE), waiver("model.accuracy", LIVE)])
    )
    done = project.run("run")
    assert done.returncode == 0, done.stdout + done.stderr
    report = project.report()
    assert report["verdict"] == "pass"
    assert report["summary"]["waived"] == 2
    roc = gates(project)["model.roc_auc"]
    assert (roc["status"], roc["blocking"]) == ("waived", False)
    assert roc["notes"][-1] == (
        "waived until 2999-12-31 by @ml-team: retrained on new data, fix in #42"
    )
    assert "waived" in done.stdout


def test_an_expired_waiver_blocks_and_says_so(project: Project) -> None:
    project.config(
        regressed(waivers=[waiver("model.roc_auc", EXPIRED), waiver("model.accuracy", LIVE)])
    )
    done = project.run("run")
    assert done.returncode == 1
    found = gates(project)
    assert (found["model.roc_auc"]["status"], found["model.roc_auc"]["blocking"]) == ("fail", True)
    assert found["model.roc_auc"]["notes"][-1] == (
        "waiver expired on 2000-01-01 (@ml-team: retrained on new data, fix in #42) — renew or "
        "remove it in the config"
    )
    assert found["model.accuracy"]["status"] == "waived"
    assert "waiver expired on 2000-01-01" in " ".join(done.stdout.split())


def test_a_glob_waives_every_slice(project: Project) -> None:
    doc = regressed(waivers=[waiver("model.accuracy[segment=*]", LIVE)])
    doc["gates"] = {"model": [{"metric": "accuracy", "slice": "segment", "max_drop": "1%"}]}
    project.config(doc)
    done = project.run("run")
    assert done.returncode == 0, done.stdout + done.stderr
    found = gates(project)
    assert sorted(found) == [
        "model.accuracy[segment=a]",
        "model.accuracy[segment=b]",
        "model.accuracy[segment=c]",
    ]
    assert {g["status"] for g in found.values()} == {"waived"}


def test_a_waiver_never_hides_an_evaluation_error(project: Project) -> None:
    doc = regressed(waivers=[waiver("model.*", LIVE)])
    doc["models"]["baseline"] = "models/missing.skops"
    project.config(doc)
    done = project.run("run")
    assert done.returncode == 3
    assert project.report()["verdict"] == "error"


# --- the rules, as tables ------------------------------------------------------------------

TODAY = date(2026, 6, 1)


def failing(gate_id: str = "model.accuracy") -> GateResult:
    return GateResult(id=gate_id, kind="model", status="fail", blocking=False, message="m")


@pytest.mark.parametrize(
    ("gate_id", "waivers", "status"),
    [
        ("model.accuracy", [Waiver("model.accuracy", "r", "@o", TODAY)], "waived"),  # inclusive
        ("model.accuracy", [Waiver("model.accuracy", "r", "@o", date(2026, 5, 31))], "fail"),
        # a renewal beside the expired entry wins, whatever the order
        (
            "model.accuracy",
            [
                Waiver("model.accuracy", "r", "@o", date(2026, 1, 1)),
                Waiver("model.accuracy", "r", "@o", date(2026, 12, 1)),
            ],
            "waived",
        ),
        ("model.accuracy[country=FR]", [Waiver("model.accuracy", "r", "@o", TODAY)], "waived"),
        (
            "model.accuracy[country=FR]",
            [Waiver("model.accuracy[country=DE]", "r", "@o", TODAY)],
            "fail",
        ),
        (
            "model.accuracy[country=FR]",
            [Waiver("model.accuracy[country=*]", "r", "@o", TODAY)],
            "waived",
        ),
        ("model.accuracyx", [Waiver("model.accuracy[country=*]", "r", "@o", TODAY)], "fail"),
        ("model.roc_auc", [Waiver("model.accuracy", "r", "@o", TODAY)], "fail"),
    ],
)
def test_waiver_rules(gate_id: str, waivers: list[Waiver], status: str) -> None:
    [decided] = decide([failing(gate_id)], Rules(waivers=tuple(waivers), today=TODAY))
    assert (decided.status, decided.blocking) == (status, status == "fail")


def test_an_expired_waiver_does_not_cancel_an_accepted_regression() -> None:
    rules = Rules(
        waivers=(Waiver("model.accuracy", "r", "@o", date(2026, 1, 1)),),
        accepted="PR label mlgate:accept-regression",
        today=TODAY,
    )
    [decided] = decide([failing()], rules)
    assert (decided.status, decided.blocking) == ("warn", False)
    assert decided.notes == (
        "waiver expired on 2026-01-01 (@o: r) — renew or remove it in the config",
        "regression accepted: PR label mlgate:accept-regression",
    )


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        (
            "expires: soon",
            ['mlgate.yaml: waivers[0].expires: expected a date as YYYY-MM-DD, got "soon"'],
        ),
        (
            "expires: 2030-13-01",
            [
                'mlgate.yaml:6:71: invalid date "2030-13-01": month must be in 1..12 '
                "(write dates as YYYY-MM-DD)"
            ],
        ),
        (
            "expires: 2030-01-01, owner: ''",
            ["mlgate.yaml: waivers[0].owner: string should have at least 1 character"],
        ),
        (
            "expires: 2030-01-01, until: 2031-01-01",
            [
                "mlgate.yaml: waivers[0].until: unknown key; expected one of expires, gate, owner, "
                "reason"
            ],
        ),
    ],
)
def test_waiver_config_errors(
    text: str, lines: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    owner = "" if "owner:" in text else "owner: '@o', "
    (tmp_path / "mlgate.yaml").write_text(
        "version: 1\ndata: {eval: e.csv}\nmodels: {candidate: m.skops}\n"
        "gates: {model: [{metric: accuracy, min: 0.5}]}\nwaivers:\n"
        f"  - {{gate: model.accuracy, reason: known issue, {owner}{text}}}\n"
    )
    with pytest.raises(ConfigError) as info:
        load_config()
    assert info.value.lines() == lines
