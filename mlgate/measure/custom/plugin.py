"""pytest fixtures for custom checks: the run's data and models (`mlgate run`, --mlgate-config).

Installed as a `pytest11` plugin, so this module is loaded into every pytest session of the
environment: it imports nothing heavy, changes nothing without --mlgate-config, and every fixture
is prefixed `mlgate_` so it never shadows (or is shadowed by) a project's own `features`, `target`
or `baseline` fixture. Without inputs the fixtures skip with a message saying how to get them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from mlgate.load.inputs import Inputs
    from mlgate.load.models import Model
    from mlgate.load.predictions import Predictions

INPUTS: pytest.StashKey[Inputs] = pytest.StashKey()
NO_INPUTS = "no mlgate inputs: run through `mlgate run` or pass --mlgate-config mlgate.yaml"
MARKER = (
    "mlgate(id=None, kind='model'): the gate id (default custom.<test name>) and kind "
    "(data, model or performance) of this check when mlgate runs it"
)


class Bound:
    """The plugin object `mlgate run` hands to pytest: the run's own Inputs for the fixtures."""

    def __init__(self, inputs: Inputs) -> None:
        self.inputs = inputs

    @pytest.hookimpl(tryfirst=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        config.stash[INPUTS] = self.inputs


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mlgate", "mlgate custom checks")
    group.addoption(
        "--mlgate-config",
        metavar="FILE",
        default=None,
        help="load data and models from this mlgate.yaml for the mlgate_* fixtures",
    )
    group.addoption(
        "--mlgate-baseline",
        metavar="SPEC",
        default=None,
        help="with --mlgate-config: use this production baseline instead of models.baseline",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER)
    path = config.getoption("mlgate_config", None)
    if path and INPUTS not in config.stash:
        config.stash[INPUTS] = _inputs_from(path, config.getoption("mlgate_baseline", None))


def _inputs_from(path: str, baseline: str | None) -> Inputs:
    """Development mode (`pytest checks/ --mlgate-config mlgate.yaml`): load the config here."""
    from mlgate.config import load_config
    from mlgate.errors import MlgateError
    from mlgate.load.inputs import Inputs

    try:
        loaded = load_config(path)
    except MlgateError as exc:
        raise pytest.UsageError("mlgate: " + "\nmlgate: ".join(exc.lines())) from None
    cache = loaded.resolve(loaded.config.report.dir) / ".cache"
    return Inputs(loaded, cache_dir=cache, baseline_spec=baseline)


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def mlgate_inputs(request: pytest.FixtureRequest) -> Inputs:
    """The run's `mlgate.load.inputs.Inputs` (config, data, models, and the per-run memo)."""
    inputs = request.config.stash.get(INPUTS, None)
    if inputs is None:
        pytest.skip(NO_INPUTS)
    return inputs


@pytest.fixture
def mlgate_eval_data(mlgate_inputs: Inputs) -> pd.DataFrame:
    """The eval rows (data.eval): this check's own copy, so changing it changes nothing else."""
    return _own(mlgate_inputs.eval)


@pytest.fixture
def mlgate_reference_data(mlgate_inputs: Inputs) -> pd.DataFrame:
    """The reference rows (data.reference); the check is skipped when none is configured."""
    frame = mlgate_inputs.reference
    if frame is None:
        pytest.skip("no data.reference configured")
    return _own(frame)


@pytest.fixture(scope="session")
def mlgate_features(mlgate_inputs: Inputs) -> list[str]:
    """The feature columns (data.features, else every column but the target and the id)."""
    return list(mlgate_inputs.features)


@pytest.fixture(scope="session")
def mlgate_target(mlgate_inputs: Inputs) -> str:
    """The label column (data.target)."""
    return mlgate_inputs.target


@pytest.fixture(scope="session")
def mlgate_labels(mlgate_inputs: Inputs) -> np.ndarray:
    """The eval rows' labels, read-only."""
    labels: np.ndarray = _read_only(mlgate_inputs.y)
    return labels


@pytest.fixture(scope="session")
def mlgate_task(mlgate_inputs: Inputs) -> str:
    """binary, multiclass or regression (models.task, else inferred)."""
    return mlgate_inputs.task


@pytest.fixture(scope="session")
def mlgate_candidate(mlgate_inputs: Inputs) -> Model:
    """This branch's model (`mlgate.load.models.Model`: `.predictions(X, task=...)`, `.impl`)."""
    return mlgate_inputs.candidate


@pytest.fixture(scope="session")
def mlgate_baseline(mlgate_inputs: Inputs) -> Model:
    """The production model; the check is skipped when there is none to re-evaluate."""
    model = mlgate_inputs.baseline
    if model is None:
        pytest.skip(_NO_BASELINE)
    return model


@pytest.fixture(scope="session")
def mlgate_candidate_predictions(mlgate_inputs: Inputs) -> Predictions:
    """The candidate's predictions on the eval rows (shared with the model gates), read-only."""
    return _predictions(mlgate_inputs, "candidate")


@pytest.fixture(scope="session")
def mlgate_baseline_predictions(mlgate_inputs: Inputs) -> Predictions:
    """The production model's predictions on the eval rows; skipped when there is no model."""
    return _predictions(mlgate_inputs, "baseline")


_NO_BASELINE = "no production baseline model (models.baseline is not set, or holds metrics only)"


def _predictions(inputs: Inputs, side: str) -> Predictions:
    """Predict once per run: the model gates' `Sides` when they ran, else our own memo entry."""
    sides = inputs.memo.get("model.sides")
    shared = getattr(sides, side, None)
    if shared is not None:
        return _frozen(shared)
    key = f"custom.predictions.{side}"
    if key not in inputs.memo:
        model = inputs.candidate if side == "candidate" else inputs.baseline
        if model is None:
            pytest.skip(_NO_BASELINE)
        inputs.memo[key] = model.predictions(inputs.X, task=inputs.task)
    return _frozen(inputs.memo[key])


def _own(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy that cannot change the original: free under pandas copy-on-write (pandas ≥ 3)."""
    import pandas as pd

    lazy = int(pd.__version__.split(".")[0]) >= 3
    return frame.copy(deep=not lazy)


def _read_only(array: Any) -> Any:
    """A read-only view: a check cannot change what the other gates were given."""
    import numpy as np

    if array is None:
        return None
    view = np.asarray(array).view()
    view.flags.writeable = False
    return view


def _frozen(pred: Predictions) -> Predictions:
    from dataclasses import replace

    return replace(
        pred,
        label=_read_only(pred.label),
        proba=_read_only(pred.proba),
        classes=_read_only(pred.classes),
    )
