"""`mlgate.checks` plugins: third-party checks configured at `gates.plugins.<name>`.

The entry point's name is the plugin's name; the object it names meets `CheckPlugin`: a pydantic
`config_model` for its settings and `measure(inputs, config)`. Each configured plugin becomes a
gate kind (`Plugin`) beside the built-in ones; only configured plugins are imported
(docs/design.md §8).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from mlgate.errors import ConfigError, MlgateError
from mlgate.measure import GATE_KINDS, GateKind

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

    from pydantic import BaseModel

    from mlgate.config import LoadedConfig
    from mlgate.load.inputs import Inputs
    from mlgate.records import Measurement

PLUGIN_GROUP = "mlgate.checks"


class CheckPlugin(Protocol):
    """What an `mlgate.checks` entry point names: a check with its own settings model.

    `config_model` validates `gates.plugins.<name>` (unknown keys are rejected whatever the
    model says); `measure` gets the run's inputs and the validated settings and returns
    `Measurement`s, which compare and decide treat like every other gate's.
    """

    config_model: type[BaseModel]

    def measure(self, inputs: Inputs, config: Any) -> list[Measurement]: ...


def installed_plugins() -> dict[str, EntryPoint]:
    """The installed `mlgate.checks` entry points by name (nothing is imported)."""
    from importlib.metadata import entry_points

    return {entry.name: entry for entry in entry_points(group=PLUGIN_GROUP)}


def plugin_kinds(loaded: LoadedConfig) -> dict[str, GateKind]:
    """A gate kind for each plugin named under `gates.plugins`, in the config's order."""
    configured = loaded.config.gates.plugins
    if not configured:
        return {}
    installed = installed_plugins()
    return {name: Plugin(name, installed) for name in configured}


@dataclass
class Plugin:
    """The gate kind of one configured plugin: loads it, validates its settings, measures."""

    name: str
    installed: Mapping[str, EntryPoint]

    def configured(self, loaded: LoadedConfig) -> bool:
        return True

    def validate(self, loaded: LoadedConfig) -> list[str]:
        return self._settings(loaded)[1]

    def measure(self, inputs: Inputs) -> list[Measurement]:
        settings, problems = self._settings(inputs.loaded)
        if problems:
            raise ConfigError(problems)
        plugin = self._load(inputs.loaded)
        try:
            return list(plugin.measure(inputs, settings))
        except MlgateError:
            raise
        except Exception as exc:  # the plugin's bug: its gates error (fail closed), not exit 4
            entry = self.installed[self.name]
            raise MlgateError(
                f"{inputs.loaded.where(f'gates.plugins.{self.name}')}: plugin {entry.value} "
                f"failed: {type(exc).__name__}: {exc}"
            ) from None

    def diagnostics(self, inputs: Inputs) -> dict[str, Any]:
        return {}

    def _settings(self, loaded: LoadedConfig) -> tuple[Any, list[str]]:
        """The validated settings, or the located lines of what is wrong with them."""
        from pydantic import ValidationError

        from mlgate.config import format_errors
        from mlgate.config.values import _show

        where = f"{loaded.prefix}gates.plugins.{self.name}"
        if self.name in GATE_KINDS:  # would stand in for the built-in kind of that name
            return None, [
                f"{loaded.display}: {where}: {_show(self.name)} is a built-in gate kind, "
                f"not a plugin; configure it under {loaded.prefix}gates.{self.name}"
            ]
        if self.name not in self.installed:
            return None, [f"{loaded.display}: {where}: {self._unknown()}"]
        model = _strict(self._load(loaded).config_model)
        try:
            return model.model_validate(loaded.config.gates.plugins[self.name] or {}), []
        except ValidationError as exc:
            return None, format_errors(exc, loaded.display, where, model=model)

    def _unknown(self) -> str:
        from mlgate.config.values import _show
        from mlgate.support.text import did_you_mean

        names = sorted(self.installed)
        hint = did_you_mean(self.name, names, show=_show)
        return (
            f"no {PLUGIN_GROUP} plugin {_show(self.name)} is installed{hint} "
            f"(installed: {', '.join(names) or 'none'})"
        )

    def _load(self, loaded: LoadedConfig) -> CheckPlugin:
        entry = self.installed[self.name]
        where = f"{loaded.display}: {loaded.prefix}gates.plugins.{self.name}"
        try:
            plugin = entry.load()
        except Exception as exc:  # the plugin's own import failed: it cannot be evaluated
            raise MlgateError(
                f"{where}: cannot load plugin {entry.value}: {type(exc).__name__}: {exc}"
            ) from None
        model = getattr(plugin, "config_model", None)
        from pydantic import BaseModel

        if not (isinstance(model, type) and issubclass(model, BaseModel)) or not callable(
            getattr(plugin, "measure", None)
        ):
            raise MlgateError(
                f"{where}: plugin {entry.value} is not an mlgate check plugin",
                hint="it needs `config_model` (a pydantic model) and `measure(inputs, config)`",
            )
        checked: CheckPlugin = plugin
        return checked


def _strict(model: type[BaseModel]) -> type[BaseModel]:
    """The plugin's model with unknown keys forbidden: a typo must never switch a check off."""
    if model.model_config.get("extra") == "forbid":
        return model
    config = {**model.model_config, "extra": "forbid"}
    strict: type[BaseModel] = type(model.__name__, (model,), {"model_config": config})
    return strict
