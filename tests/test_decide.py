"""The decide stage as tables: levels, warn_only, waivers (live and expired), accepted regressions."""

from __future__ import annotations

from datetime import date

import pytest

from mlgate.decide import Rules, Waiver, decide, exit_code, verdict_of
from mlgate.records import GateResult, Report

TODAY = date(2026, 6, 1)


def result(status: str, gate_id: str = "model.accuracy", level: str = "error") -> GateResult:
    return GateResult(
        id=gate_id,
        kind="model",
        status=status,
        blocking=False,  # type: ignore[arg-type]
        message="m",
        level=level,
    )  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("gate", "rules", "status", "blocking"),
    [
        (result("fail"), Rules(today=TODAY), "fail", True),
        (result("fail", level="warn"), Rules(today=TODAY), "warn", False),
        (result("fail"), Rules(warn_only=("model.accuracy",), today=TODAY), "warn", False),
        (
            result("fail", "model.accuracy[country=FR]"),
            Rules(warn_only=("model.accuracy",), today=TODAY),
            "warn",
            False,
        ),
        (
            result("fail", "model.accuracy[country=FR]"),
            Rules(
                waivers=(Waiver("model.accuracy[country=*]", "known", "@a", date(2026, 7, 1)),),
                today=TODAY,
            ),
            "waived",
            False,
        ),
        (
            result("fail"),
            Rules(
                waivers=(Waiver("model.accuracy", "known", "@a", date(2026, 5, 1)),), today=TODAY
            ),
            "fail",
            True,
        ),
        (
            result("fail"),
            Rules(accepted="PR label mlgate:accept-regression", today=TODAY),
            "warn",
            False,
        ),
        (result("error"), Rules(today=TODAY), "error", True),
        (result("error", level="warn"), Rules(today=TODAY), "error", False),
        (result("pass"), Rules(today=TODAY), "pass", True),  # counts: its failure would block
        (result("pass", level="warn"), Rules(today=TODAY), "pass", False),
        (result("pass"), Rules(warn_only=("model.accuracy",), today=TODAY), "pass", False),
        (result("skipped"), Rules(today=TODAY), "skipped", False),
    ],
)
def test_decide(gate: GateResult, rules: Rules, status: str, blocking: bool) -> None:
    [decided] = decide([gate], rules)
    assert (decided.status, decided.blocking) == (status, blocking)


def test_expired_waiver_says_so() -> None:
    rules = Rules(
        waivers=(Waiver("model.accuracy", "known", "@ml", date(2026, 5, 1)),), today=TODAY
    )
    [decided] = decide([result("fail")], rules)
    assert decided.notes == (
        "waiver expired on 2026-05-01 (@ml: known) — renew or remove it in the config",
    )


@pytest.mark.parametrize(
    ("statuses", "verdict", "code"),
    [
        ([("pass", False), ("warn", False)], "pass", 0),
        ([("pass", False), ("fail", True)], "fail", 1),
        ([("fail", True), ("error", True)], "error", 3),  # incomplete evaluation wins
        ([("error", False), ("pass", False)], "pass", 0),  # a warn-level error does not block
        ([], "pass", 0),
    ],
)
def test_verdict_and_exit_code(statuses: list[tuple[str, bool]], verdict: str, code: int) -> None:
    gates = [
        GateResult(id=f"g{i}", kind="model", status=s, blocking=b, message="")  # type: ignore[arg-type]
        for i, (s, b) in enumerate(statuses)
    ]
    assert verdict_of(gates) == verdict
    assert exit_code(Report(verdict=verdict, gates=tuple(gates))) == code  # type: ignore[arg-type]


def test_run_level_errors_make_the_verdict_error() -> None:
    assert verdict_of([], ["mlgate.yaml: data.eval: file not found"]) == "error"


def test_an_accepted_regression_is_marked_in_a_typed_field_and_in_report_json() -> None:
    rules = Rules(accepted="PR label mlgate:accept-regression", today=TODAY)
    accepted, passed, warned = decide(
        [result("fail"), result("pass", "model.f1"), result("fail", "model.auc", level="warn")],
        rules,
    )
    assert (accepted.status, accepted.accepted) == ("warn", True)
    assert not passed.accepted and not warned.accepted  # a warn-level failure was not accepted
    doc = Report(verdict="pass", gates=(accepted, passed)).to_dict()
    assert doc["gates"][0]["accepted"] is True
    assert "accepted" not in doc["gates"][1]  # written only when true: other reports unchanged
    assert Report.from_dict(doc).gates[0].accepted is True


def test_exit_code_stays_importable_from_errors() -> None:
    from mlgate.errors import ExitCode

    assert exit_code(Report(verdict="error", gates=())) is ExitCode.CANNOT_EVALUATE == 3
