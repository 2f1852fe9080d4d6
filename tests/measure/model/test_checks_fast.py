"""The config check's task inference reads the distinct target values only: same answers."""

from __future__ import annotations

import pytest

from mlgate.measure.model.checks import task_from_target

CASES = [
    ([1, 0] * 50_000, (None, "")),
    ([0.5, 1.0, 2.0] * 1000, (("regression",), "data.target 'y' holds non-integer numbers")),
    (["a", "b", "c"] * 1000, (("multiclass",), "data.target 'y' holds 3 labels")),
    (
        [None, "no", "yes", "NA"] * 10,
        (("binary", "multiclass"), "data.target 'y' holds labels, not numbers"),
    ),
    # mixed types are read value by value: True is a label, 1 and 1.0 are two labels
    ([1, True, 1], (("binary", "multiclass"), "data.target 'y' holds labels, not numbers")),
    (["a", 1, 1.0], (("multiclass",), "data.target 'y' holds 3 labels")),
    ([[1], [2]], (("binary", "multiclass"), "data.target 'y' holds labels, not numbers")),
]


@pytest.mark.parametrize(("values", "expected"), CASES)
def test_task_from_target(values, expected):
    assert task_from_target(values, "y") == expected
