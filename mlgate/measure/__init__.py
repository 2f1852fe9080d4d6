"""Gate kinds: plain objects meeting `GateKind`, registered in a dict literal (plus plugins).

A gate kind turns its part of the config plus the loaded inputs into `Measurement`s; it knows
nothing about verdicts. Third parties add checks under the `mlgate.checks` entry point, configured
at `gates.plugins.<name>` (plugins.py, docs/design.md §8).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from mlgate.config import LoadedConfig
    from mlgate.load.inputs import Inputs
    from mlgate.records import Measurement


class GateKind(Protocol):
    """One family of gates (data, model, performance...)."""

    name: str

    def configured(self, loaded: LoadedConfig) -> bool:
        """Whether the config asks for any gate of this kind (nothing is imported otherwise)."""
        ...

    def validate(self, loaded: LoadedConfig) -> list[str]:
        """Config problems found before anything is loaded: located lines (exit 2). Cheap."""
        ...

    def measure(self, inputs: Inputs) -> list[Measurement]:
        """Measure every configured gate. Per-gate failures are Measurements with `error` set."""
        ...

    def diagnostics(self, inputs: Inputs) -> dict[str, Any]:
        """Extra report data for the charts (report.json `diagnostics`), after `measure`; {} if
        none. A courtesy: it must not raise for a problem `measure` already reported."""
        ...


# Run order matters: data gates first (bad data should be seen before metrics are argued about).
GATE_KINDS: dict[str, str] = {
    "data": "mlgate.measure.data.gate:KIND",
    "model": "mlgate.measure.model.gate:KIND",
    "custom": "mlgate.measure.custom.gate:KIND",  # after model: checks reuse its predictions
    "performance": "mlgate.measure.performance.gate:KIND",
}


def load_kind(name: str) -> GateKind:
    """Import a gate kind by its registry name."""
    target = GATE_KINDS[name]
    module, _, attr = target.partition(":")
    kind: GateKind = getattr(importlib.import_module(module), attr)
    return kind
