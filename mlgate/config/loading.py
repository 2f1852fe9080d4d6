"""Finding and reading the config (mlgate.yaml or [tool.mlgate]), validated into `Config`."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import (
    ValidationError,
)

from mlgate.config.messages import format_errors
from mlgate.config.schema import Config
from mlgate.config.values import _show
from mlgate.errors import ConfigError

CONFIG_NAMES = ("mlgate.yaml", "mlgate.yml", ".mlgate.yaml")


# --- loading ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadedConfig:
    """A validated config and where it came from (paths in it are relative to `root`)."""

    config: Config
    path: Path
    display: str  # the file as the user names it, e.g. "mlgate.yaml"
    prefix: str  # "" for mlgate.yaml, "tool.mlgate." for pyproject.toml

    @property
    def root(self) -> Path:
        return self.path.parent

    def resolve(self, relative: str) -> Path:
        """A path from the config, relative to the config file's folder."""
        path = Path(relative).expanduser()
        return path if path.is_absolute() else self.root / path

    def where(self, key: str) -> str:
        """`mlgate.yaml: data.eval` — the location prefix of a message about `key`."""
        return f"{self.display}: {self.prefix}{key}"


def find_config(start: Path) -> Path | None:
    """The config file in `start`: mlgate.yaml (or .yml), else pyproject.toml with [tool.mlgate]."""
    for name in CONFIG_NAMES:
        if (start / name).is_file():
            return start / name
    pyproject = start / "pyproject.toml"
    if pyproject.is_file() and "[tool.mlgate" in pyproject.read_text(errors="replace"):
        return pyproject
    return None


def load_config(path: str | Path | None = None, *, cwd: Path | None = None) -> LoadedConfig:
    """Read and validate a config file; every problem becomes one located line of a ConfigError."""
    cwd = cwd or Path.cwd()
    if path is None:
        found = find_config(cwd)
        if found is None:
            raise ConfigError(
                f"no mlgate.yaml, and no [tool.mlgate] in pyproject.toml, in {cwd}",
                hint="run `mlgate init` to write a starter config, or pass -c FILE",
            )
        file = found
    else:
        file = Path(path)
        if not file.is_absolute():
            file = cwd / file
    display = _display(file, cwd)
    if not file.is_file():
        raise ConfigError(
            f"{display}: config file not found", hint="pass -c FILE or run `mlgate init`"
        )
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{display}: cannot read config: {exc}") from None
    prefix = ""
    if file.name == "pyproject.toml":
        raw = _read_pyproject(text, display)
        prefix = "tool.mlgate."
    else:
        raw = _read_yaml(text, display)
    if not isinstance(raw, dict):
        raise ConfigError(
            f"{display}: expected a mapping of keys (version, data, models, gates...)"
        )
    try:
        config = Config.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(format_errors(exc, display, prefix)) from None
    return LoadedConfig(config=config, path=file.resolve(), display=display, prefix=prefix)


def _display(file: Path, cwd: Path) -> str:
    try:
        return str(file.resolve().relative_to(cwd.resolve()))
    except ValueError:
        return str(file)


def _read_pyproject(text: str, display: str) -> Any:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{display}: invalid TOML: {exc}") from None
    section = doc.get("tool", {}).get("mlgate")
    if section is None:
        raise ConfigError(f"{display}: no [tool.mlgate] table")
    return section


MAX_ALIAS_NODES = 10_000  # values reachable through aliases; a real config uses a few dozen


def _node_count(node: Any, sizes: dict[int, int]) -> int:
    """How many values `node` stands for once its aliases are expanded (memoised per node)."""
    import yaml

    known = sizes.get(id(node))
    if known is not None:
        return known
    sizes[id(node)] = 1  # a recursive anchor counts once (PyYAML refuses it anyway)
    if isinstance(node, yaml.SequenceNode):
        total = 1 + sum(_node_count(child, sizes) for child in node.value)
    elif isinstance(node, yaml.MappingNode):
        total = 1 + sum(_node_count(k, sizes) + _node_count(v, sizes) for k, v in node.value)
    else:
        total = 1
    sizes[id(node)] = total
    return total


def _read_yaml(text: str, display: str) -> Any:
    import yaml

    class UniqueKeyLoader(yaml.SafeLoader):
        """SafeLoader that rejects duplicate keys (the second would silently win) and aliases
        that expand past MAX_ALIAS_NODES (a "billion laughs" file is a few hundred bytes, and
        whatever walks the expanded document afterwards would never finish)."""

        def __init__(self, stream: str) -> None:
            super().__init__(stream)
            self.expanded = 0
            self.sizes: dict[int, int] = {}

        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()  # type: ignore[no-untyped-call]
                node = self.anchors.get(event.anchor)
                if node is not None:
                    self.expanded += _node_count(node, self.sizes)
                    if self.expanded > MAX_ALIAS_NODES:
                        mark = event.start_mark
                        raise ConfigError(
                            f"{display}:{mark.line + 1}:{mark.column + 1}: YAML aliases expand "
                            f"to more than {MAX_ALIAS_NODES:,} values; refused",
                            hint="write the values out, or use fewer nested aliases",
                        )
            return super().compose_node(parent, index)

    def construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
        seen: dict[Any, Any] = {}
        for key_node, _ in node.value:
            key = loader.construct_object(key_node)
            if key in seen:
                mark = key_node.start_mark
                raise ConfigError(
                    f"{display}:{mark.line + 1}:{mark.column + 1}: duplicate key {_show(key)}",
                    hint="each key may appear once in a mapping",
                )
            seen[key] = True
        return loader.construct_mapping(node)

    def construct_timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
        """A date-looking scalar that is no date (2030-13-01) is a located error, not a crash."""
        try:
            return loader.construct_yaml_timestamp(node)
        except ValueError as exc:
            mark = node.start_mark
            raise ConfigError(
                f"{display}:{mark.line + 1}:{mark.column + 1}: invalid date {_show(node.value)}: "
                f"{exc}",
                hint="write dates as YYYY-MM-DD",
            ) from None

    UniqueKeyLoader.add_constructor(
        yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping
    )
    UniqueKeyLoader.add_constructor("tag:yaml.org,2002:timestamp", construct_timestamp)
    try:
        return yaml.load(text, Loader=UniqueKeyLoader) or {}  # a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{display}:{mark.line + 1}:{mark.column + 1}" if mark else display
        raise ConfigError(f"{where}: invalid YAML: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{display}: invalid YAML: {exc}") from None
