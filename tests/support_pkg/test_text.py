"""mlgate.support.text: the one did-you-mean."""

from __future__ import annotations

import json

from mlgate.support.text import close_matches, did_you_mean


def test_did_you_mean_names_the_closest_choice_or_nothing() -> None:
    assert did_you_mean("acuracy", ["accuracy", "f1"]) == "; did you mean 'accuracy'?"
    assert did_you_mean("zzz", ["accuracy", "f1"]) == ""
    assert did_you_mean("col1", [0, "col0"]) == "; did you mean 'col0'?"  # columns may be numbers
    quoted = did_you_mean("thresold", ["threshold"], show=json.dumps)
    assert quoted == '; did you mean "threshold"?'


def test_close_matches_best_first_with_a_cutoff() -> None:
    assert close_matches("roc_aux", ["roc_auc", "roc_auc_ovr", "f1"], n=2) == [
        "roc_auc",
        "roc_auc_ovr",
    ]
    assert close_matches("income_usd", ["income_eur"], cutoff=0.75) == ["income_eur"]
    assert close_matches("age", ["income_eur"], cutoff=0.75) == []
