"""mlgate.config.settings: every MLGATE_* variable in one typed model, one error shape."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import mlgate
from mlgate.config.settings import VARIABLES, Settings, variable_of
from mlgate.errors import ConfigError


def test_every_mlgate_variable_the_code_names_is_declared() -> None:
    package = Path(mlgate.__file__).parent
    named = {
        name
        for path in package.rglob("*.py")
        for name in re.findall(r"\bMLGATE_[A-Z0-9_]*[A-Z0-9]\b", path.read_text(encoding="utf-8"))
    }
    declared = {variable for variable, _ in VARIABLES.values()}
    assert named - declared == set()
    assert set(VARIABLES) == set(Settings.__dataclass_fields__)


def test_defaults_and_values() -> None:
    assert Settings.from_env({}) == Settings()
    env = {
        "MLGATE_HTTP_TIMEOUT": "2.5",
        "MLGATE_HTTP_RETRIES": "0",
        "MLGATE_HTTP_BACKOFF": "",  # empty is unset
        "MLGATE_GITHUB_THROTTLE": "0",
        "MLGATE_REPORT_DIR": "out/report",
        "MLGATE_ALLOW_FAILURE": "true",
    }
    settings = Settings.from_env(env)
    assert (settings.http_timeout, settings.http_retries, settings.http_backoff) == (2.5, 0, 1.0)
    assert settings.github_throttle == 0.0
    assert settings.report_dir == "out/report"
    assert settings.allow_failure is True
    assert Settings.from_env({"MLGATE_ALLOW_FAILURE": "yes"}).allow_failure is False
    assert variable_of("http_timeout") == "MLGATE_HTTP_TIMEOUT"


@pytest.mark.parametrize(
    ("env", "line"),
    [
        (
            {"MLGATE_HTTP_TIMEOUT": "inf"},
            "MLGATE_HTTP_TIMEOUT: expected a positive number of seconds, got 'inf'",
        ),
        ({"MLGATE_HTTP_RETRIES": "-1"}, "MLGATE_HTTP_RETRIES: expected a whole number, got '-1'"),
        (
            {"MLGATE_GITHUB_BACKOFF": "fast"},
            "MLGATE_GITHUB_BACKOFF: expected a number of seconds ≥ 0, got 'fast'",
        ),
    ],
)
def test_a_bad_value_is_one_line_naming_the_variable(env: dict[str, str], line: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(env)
    assert caught.value.lines() == [line]


def test_only_reads_the_fields_asked_for() -> None:
    env = {"MLGATE_HTTP_TIMEOUT": "soon", "MLGATE_GITHUB_LOGIN": "bot"}
    assert Settings.from_env(env, only=("github_login",)).github_login == "bot"
