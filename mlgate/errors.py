"""Exit codes and the exceptions for "mlgate could not do its job" (never "the model got worse")."""

from __future__ import annotations

from typing import Any

from mlgate.records import ExitCode

__all__ = [
    "BaselineError",
    "ConfigError",
    "ExitCode",
    "InputError",
    "MissingExtraError",
    "MlgateError",
    "PublishError",
    "require",
]


class MlgateError(Exception):
    """A problem the user can fix: printed as one line (plus an optional hint), no traceback."""

    exit_code: ExitCode = ExitCode.CANNOT_EVALUATE

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def lines(self) -> list[str]:
        """The lines to print, each complete on its own."""
        return [self.message if not self.hint else f"{self.message} ({self.hint})"]

    def __reduce__(self) -> tuple[Any, ...]:
        """Picklable whatever the subclass's arguments (a forked gate kind sends it back)."""
        return (_rebuilt, (type(self), self.args, dict(self.__dict__)))


def _rebuilt(cls: type[MlgateError], args: tuple[Any, ...], state: dict[str, Any]) -> MlgateError:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class ConfigError(MlgateError):
    """The config or the command line is invalid: one located line per problem, exit 2."""

    exit_code = ExitCode.USAGE

    def __init__(self, problems: list[str] | str, *, hint: str | None = None) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems), hint=hint)

    def lines(self) -> list[str]:
        if not self.hint:
            return list(self.problems)
        *rest, last = self.problems
        return [*rest, f"{last} ({self.hint})"]


class InputError(MlgateError):
    """Data, a model or a file could not be read or used: exit 3."""


class BaselineError(InputError):
    """The production baseline could not be resolved or reached: exit 3."""


class PublishError(MlgateError):
    """Posting the report to the CI platform failed (fatal only with --require-publish)."""


class MissingExtraError(MlgateError):
    """An optional dependency is needed for what the config asks for."""

    def __init__(self, module: str, extra: str, what: str) -> None:
        super().__init__(
            f"{what} needs the Python package '{module}', which is not installed",
            hint=f"run: pip install 'mlgate[{extra}]'",
        )


def require(module: str, extra: str, what: str) -> None:
    """Raise MissingExtraError unless `module` can be imported (without importing it)."""
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise MissingExtraError(module, extra, what)
