"""Config loading: every problem is one located line with a fix hint, exit 2 (tested as exact text)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlgate.config import Tolerance, load_config
from mlgate.errors import ConfigError, ExitCode

GOOD = """\
version: 1
data: {eval: data/holdout.parquet, target: label}
models: {candidate: models/model.skops, baseline: models/prod.skops}
gates:
  model:
    - {metric: roc_auc, min: 0.85, max_drop: 0.005}
    - {metric: accuracy, slice: country, max_drop: "1%"}
  performance:
    - latency_p95_ms: {max: 25, max_increase: 10%}
"""


def errors(tmp_path: Path, text: str, name: str = "mlgate.yaml") -> list[str]:
    (tmp_path / name).write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(name, cwd=tmp_path)
    assert info.value.exit_code == ExitCode.USAGE
    return info.value.lines()


def test_the_design_example_loads(tmp_path: Path) -> None:
    (tmp_path / "mlgate.yaml").write_text(GOOD)
    loaded = load_config(cwd=tmp_path)
    gates = loaded.config.gates
    assert gates.model[0].max_drop == Tolerance(0.005)
    assert gates.model[1].max_drop == Tolerance(0.01, relative=True)
    assert gates.performance[0]["latency_p95_ms"].max_increase == Tolerance(0.10, relative=True)
    assert loaded.resolve("data/x.csv") == tmp_path.resolve() / "data/x.csv"


@pytest.mark.parametrize(
    ("snippet", "expected"),
    [
        (
            "    - {metric: accuracy, max_drop: lots}",
            'mlgate.yaml: gates.model[0].max_drop: expected a number or a percentage like "1%", got "lots"',
        ),
        (
            "    - {metric: accuracy, max_dorp: 0.1, min: 0.5}",
            'mlgate.yaml: gates.model[0].max_dorp: unknown key; did you mean "max_drop"?',
        ),
        (
            "    - {metric: accuracy}",
            "mlgate.yaml: gates.model[0]: no threshold: add min, max, max_drop or max_increase",
        ),
        (
            "    - {metric: accuracy, max_drop: -0.1}",
            'mlgate.yaml: gates.model[0].max_drop: expected a number or a percentage like "1%", got -0.1',
        ),
        (
            "    - {metric: accuracy, min: high}",
            'mlgate.yaml: gates.model[0].min: expected a number, got "high"',
        ),
        (
            "    - {metric: accuracy, min: 0.5, level: fatal}",
            "mlgate.yaml: gates.model[0].level: expected 'error' or 'warn', got \"fatal\"",
        ),
    ],
)
def test_model_gate_errors_are_exact(tmp_path: Path, snippet: str, expected: str) -> None:
    text = f"version: 1\ndata: {{eval: e.csv, target: y}}\ngates:\n  model:\n{snippet}\n"
    assert errors(tmp_path, text) == [expected]


def test_all_problems_are_reported_at_once_in_document_order(tmp_path: Path) -> None:
    text = """\
version: 1
data: {eval: e.csv, target: y, tagret: z}
gates:
  model:
    - {metric: accuracy, max_drop: lots}
  performance:
    - latency_p95: {max: 3}
policy: {significance: 2, mode: strictt}
"""
    assert errors(tmp_path, text) == [
        'mlgate.yaml: data.tagret: unknown key; did you mean "target"?',
        'mlgate.yaml: gates.model[0].max_drop: expected a number or a percentage like "1%", got "lots"',
        'mlgate.yaml: gates.performance[0].latency_p95: unknown measure "latency_p95"; '
        'did you mean "latency_p95_ms"?',
        "mlgate.yaml: policy.significance: input should be less than 0.5, got 2",
        "mlgate.yaml: policy.mode: expected 'default' or 'strict', got \"strictt\"",
    ]


def test_typo_in_top_level_key_is_an_error_not_a_silently_missing_gate(tmp_path: Path) -> None:
    text = "version: 1\ndata: {eval: e.csv}\ngatse:\n  model: []\n"
    assert errors(tmp_path, text) == ['mlgate.yaml: gatse: unknown key; did you mean "gates"?']


def test_duplicate_keys_are_rejected_with_their_line(tmp_path: Path) -> None:
    text = "version: 1\ndata: {eval: e.csv}\ngates:\n  model:\n    - metric: accuracy\n      min: 0.9\n      min: 0.1\n"
    assert errors(tmp_path, text) == [
        'mlgate.yaml:7:7: duplicate key "min" (each key may appear once in a mapping)'
    ]


def test_invalid_yaml_names_line_and_column(tmp_path: Path) -> None:
    lines = errors(tmp_path, "version: 1\ndata: [unclosed\n")
    assert len(lines) == 1 and lines[0].startswith("mlgate.yaml:3:1: invalid YAML:")


def test_unknown_data_gate_shape(tmp_path: Path) -> None:
    text = "version: 1\ndata: {eval: e.csv}\ngates:\n  data:\n    - {expekt: x}\n"
    assert errors(tmp_path, text) == [
        "mlgate.yaml: gates.data[0]: expected a mapping with one of the keys expect, suite, drift, schema"
    ]


def test_model_spec_needs_exactly_one_source(tmp_path: Path) -> None:
    text = "version: 1\ndata: {eval: e.csv}\nmodels:\n  candidate: {path: a.skops, factory: m:f}\n"
    assert errors(tmp_path, text) == [
        "mlgate.yaml: models.candidate: give exactly one of path, factory or predictions, got path, factory"
    ]


def test_pyproject_table_is_read_with_its_prefix(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.mlgate]\nversion = 1\n[tool.mlgate.data]\neval = "e.csv"\n'
        '[[tool.mlgate.gates.model]]\nmetric = "accuracy"\nmax_drop = "lots"\n'
    )
    with pytest.raises(ConfigError) as info:
        load_config(cwd=tmp_path)
    assert info.value.lines() == [
        "pyproject.toml: tool.mlgate.gates.model[0].max_drop: expected a number or a percentage "
        'like "1%", got "lots"'
    ]


def test_missing_config_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(cwd=tmp_path)
    assert info.value.lines() == [
        f"no mlgate.yaml, and no [tool.mlgate] in pyproject.toml, in {tmp_path} "
        "(run `mlgate init` to write a starter config, or pass -c FILE)",
    ]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (0.01, Tolerance(0.01)),
        ("1%", Tolerance(0.01, True)),
        (" 2.5 % ", Tolerance(0.025, True)),
        ("0.02", Tolerance(0.02)),
        (0, Tolerance(0.0)),
    ],
)
def test_tolerances(raw: object, expected: Tolerance) -> None:
    from mlgate.config import _parse_tolerance

    assert _parse_tolerance(raw) == expected


def test_relative_tolerance_of_a_zero_baseline_is_zero_not_nan() -> None:
    assert Tolerance(0.1, relative=True).absolute(0.0) == 0.0
    assert Tolerance(0.1, relative=True).absolute(-2.0) == pytest.approx(0.2)


@pytest.mark.parametrize(
    ("snippet", "expected"),
    [
        ("  plugins: [example]", 'mlgate.yaml: gates.plugins: expected a mapping, got ["example"]'),
        (
            "  plugins: {example: 3}",
            "mlgate.yaml: gates.plugins.example: expected a mapping, got 3",
        ),
        (
            "  plugin: {example: {}}",
            'mlgate.yaml: gates.plugin: unknown key; did you mean "plugins"?',
        ),
    ],
)
def test_the_plugins_section_is_a_mapping_of_settings(
    tmp_path: Path, snippet: str, expected: str
) -> None:
    text = "version: 1\ndata: {eval: data/holdout.parquet}\ngates:\n" + snippet + "\n"
    assert errors(tmp_path, text) == [expected]


def test_plugin_settings_are_kept_for_the_plugin_to_validate(tmp_path: Path) -> None:
    (tmp_path / "mlgate.yaml").write_text(
        "version: 1\ndata: {eval: x.csv}\ngates:\n  plugins:\n    a: {k: 1}\n    b:\n"
    )
    assert load_config(cwd=tmp_path).config.gates.plugins == {"a": {"k": 1}, "b": None}


# a "billion laughs": 9 levels of 9 aliases, 9^9 strings once expanded, in under 500 bytes
ALIAS_BOMB = """\
version: 1
data: {eval: data/holdout.parquet, target: label}
x-laughs:
  - &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]
  - &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
  - &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
  - &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
  - &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
  - &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
  - &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
  - &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
  - &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
models: {candidate: {path: models/model.skops, trust: *i}}
"""


def test_a_yaml_alias_bomb_is_refused_with_its_line(tmp_path: Path) -> None:
    """Refused while composing, before anything expands it (issue 12.6); the CLI, so that the
    test fails (times out) rather than hangs if the refusal is missing."""
    import subprocess
    import sys

    assert len(ALIAS_BOMB.encode()) < 650
    (tmp_path / "mlgate.yaml").write_text(ALIAS_BOMB)
    out = subprocess.run(
        [sys.executable, "-m", "mlgate", "run"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2, out.stderr
    assert out.stderr.splitlines() == [
        "mlgate: error: mlgate.yaml:8:9: YAML aliases expand to more than 10,000 values; "
        "refused (write the values out, or use fewer nested aliases)"
    ]


def test_ordinary_anchors_still_load(tmp_path: Path) -> None:
    text = GOOD.replace(
        "  model:\n",
        "  model:\n    - &base {metric: f1, min: 0.5}\n    - *base\n",
    )
    (tmp_path / "mlgate.yaml").write_text(text)
    gates = load_config(cwd=tmp_path).config.gates
    assert [g.metric for g in gates.model[:2]] == ["f1", "f1"]
