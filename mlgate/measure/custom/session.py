"""One in-process pytest session over the user's checks, its output kept off the terminal."""

from __future__ import annotations

import io
import os
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlgate.errors import MlgateError
from mlgate.measure.custom.outcome import PYTEST_FLAGS, CheckOutcome

if TYPE_CHECKING:
    from mlgate.load.inputs import Inputs


@dataclass
class Session:
    """What one pytest run over a `gates.custom` entry produced."""

    tests: list[CheckOutcome] = field(default_factory=list)
    collect_errors: list[tuple[str, str]] = field(default_factory=list)  # (nodeid, one line)
    usage_error: str | None = None  # pytest rejected the arguments (a config error)
    crash: str | None = None  # pytest could not run at all (conftest import error, internal error)
    output: str = ""  # everything pytest printed


class Collector:
    """A pytest plugin object (hooks matched by name): records the items and their phase reports."""

    def __init__(self) -> None:
        self.items: list[Any] = []
        self.reports: dict[str, dict[str, Any]] = {}
        self.exceptions: dict[tuple[str, str], BaseException] = {}
        self.collect_errors: list[Any] = []
        self.interrupted = False

    def pytest_collection_finish(self, session: Any) -> None:
        self.items = list(session.items)  # after -k/-m deselection

    def pytest_collectreport(self, report: Any) -> None:
        if report.failed:
            self.collect_errors.append(report)

    def pytest_exception_interact(self, node: Any, call: Any, report: Any) -> None:
        # called for every failed phase (never for skips or xfails): the exception itself tells
        # a failed assertion (a fail) from a crash (an error)
        self.exceptions[(report.nodeid, getattr(report, "when", "collect"))] = call.excinfo.value

    def pytest_runtest_logreport(self, report: Any) -> None:
        self.reports.setdefault(report.nodeid, {})[report.when] = report

    def pytest_keyboard_interrupt(self, excinfo: Any) -> None:
        # also called for pytest.exit() in a check: only Ctrl-C stops mlgate (its items error)
        self.interrupted = excinfo.errisinstance(KeyboardInterrupt)


def run_session(targets: list[str], args: list[str], inputs: Inputs, *, rootdir: Path) -> Session:
    """Run pytest on `targets` with the run's inputs bound to the mlgate_* fixtures."""
    import pytest

    from mlgate.measure.custom import plugin as pytest_plugin

    collector = Collector()
    argv = [*PYTEST_FLAGS, f"--rootdir={rootdir}", *args, *targets]
    buffer = io.StringIO()
    saved_path, saved_modules = list(sys.path), set(sys.modules)
    try:
        with redirect_stdout(buffer), redirect_stderr(buffer):
            plugins = [pytest_plugin, pytest_plugin.Bound(inputs), collector]
            if inputs.engine == "spark":  # mlgate_spark_eval, mlgate_eval_sample
                from mlgate.measure.custom import spark as spark_fixtures

                plugins.append(spark_fixtures)
            code = pytest.main(argv, plugins=plugins)
    finally:
        sys.path[:] = saved_path
        _forget_modules(saved_modules, [Path(t.split("::", 1)[0]) for t in targets], rootdir)
    if collector.interrupted:
        raise KeyboardInterrupt
    output = buffer.getvalue()
    session = Session(output=output)
    shown = output.replace(f"{rootdir}{os.sep}", "")  # paths as the config names them
    if code == pytest.ExitCode.USAGE_ERROR and not collector.items:
        usage = _usage_line(shown)
        if usage:
            session.usage_error = usage
        else:
            session.crash = _error_line(shown)
        return session
    if code == pytest.ExitCode.INTERNAL_ERROR:
        session.crash = _error_line(shown)
    for report in collector.collect_errors:
        error = collector.exceptions.get((report.nodeid, "collect"))
        session.collect_errors.append((report.nodeid or ".", _collect_line(report, error)))
    session.tests = [_outcome(item, collector) for item in collector.items]
    return session


def _forget_modules(before: set[str], targets: list[Path], root: Path) -> None:
    """Drop the check modules this session imported, so a second session can import its own.

    Only modules from the checks' folders (and conftest files under the config's folder): the
    libraries they imported stay, since dropping those would make new copies of their classes.
    """
    folders = [t if t.is_dir() else t.parent for t in targets]
    for name in set(sys.modules) - before:
        file = getattr(sys.modules.get(name), "__file__", None)
        if not file:
            continue
        path = Path(file)
        if any(_inside(path, folder) for folder in folders) or (
            path.name == "conftest.py" and _inside(path, root)
        ):
            sys.modules.pop(name, None)


def _inside(path: Path, folder: Path) -> bool:
    try:
        return os.path.commonpath([path, folder]) == str(folder)
    except ValueError:
        return False


def _outcome(item: Any, collector: Collector) -> CheckOutcome:
    """An item's phases reduced to one outcome: the first phase that did not pass decides."""
    reports = collector.reports.get(item.nodeid, {})
    marker = item.get_closest_marker("mlgate")
    common: dict[str, Any] = dict(
        nodeid=item.nodeid,
        name=item.name,
        original=getattr(item, "originalname", item.name),
        marker=dict(marker.kwargs) if marker is not None else None,
    )
    if marker is not None and marker.args:
        common["marker"] = {**common["marker"], "*args": marker.args}
    call = reports.get("call")
    common["duration_s"] = float(call.duration) if call is not None else 0.0
    if "setup" not in reports:
        return CheckOutcome(**common, outcome="notrun", line="did not run")
    for phase in ("setup", "call", "teardown"):
        report = reports.get(phase)
        if report is None:
            continue
        error = collector.exceptions.get((item.nodeid, phase))
        wasxfail = getattr(report, "wasxfail", None)
        common["phase"] = phase
        if report.skipped:
            if wasxfail is not None:
                return CheckOutcome(**common, outcome="xfail", line=_xfail_reason(wasxfail))
            return CheckOutcome(**common, outcome="skip", line=_skip_reason(report))
        if report.failed:
            if phase == "call" and (error is None or _is_failure(error)):
                return CheckOutcome(**common, outcome="fail", line=_crash_line(report, error))
            return CheckOutcome(**common, outcome="error", line=_exception_line(report, error))
        if phase == "call" and wasxfail is not None:
            return CheckOutcome(**common, outcome="xpass", line=_xfail_reason(wasxfail))
    if "call" not in reports:  # pytest.exit() inside it: never a pass
        return CheckOutcome(**common, outcome="notrun", line="did not finish")
    return CheckOutcome(**common, outcome="pass")


def _is_failure(error: BaseException) -> bool:
    """A failed assertion or `pytest.fail()`: the check's verdict, not a crash."""
    import pytest

    return isinstance(error, (AssertionError, pytest.fail.Exception))


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.strip().splitlines() if line.strip()), "")


def _crash_line(report: Any, error: BaseException | None) -> str:
    """The assertion's own message, first line: `recall gap 0.08 > 0.05`, `assert 0.8 > 0.9`."""
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr)
    line = _first_line(text)
    for prefix in ("AssertionError: ", "Failed: "):
        line = line.removeprefix(prefix)
    if line == "AssertionError" and error is not None:
        return "assertion failed"
    return line


def _exception_line(report: Any, error: BaseException | None) -> str:
    """`KeyError: 'segment'`; an mlgate input problem as its own located line."""
    if isinstance(error, MlgateError):
        return error.lines()[0]
    if error is not None:
        text = _first_line(str(error))
        return f"{type(error).__name__}: {text}" if text else type(error).__name__
    crash = getattr(report.longrepr, "reprcrash", None)
    return _first_line(crash.message if crash is not None else str(report.longrepr))


def _skip_reason(report: Any) -> str:
    longrepr = report.longrepr
    text = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
    return _first_line(text).removeprefix("Skipped: ").removeprefix("Skipped") or "skipped"


def _xfail_reason(wasxfail: str) -> str:
    return wasxfail.removeprefix("reason: ").strip()


def _collect_line(report: Any, error: BaseException | None) -> str:
    """pytest's short error for a file that could not be imported: its last `E   ` line."""
    text = str(report.longrepr)
    if "import file mismatch" in text:
        return (
            "another test file has the same name (pytest imports test files by name: rename "
            "one, or add __init__.py files to make packages)"
        )
    marked = [line[1:].strip() for line in text.splitlines() if line.startswith("E ")]
    if marked:
        return marked[-1]
    if error is not None and not isinstance(error, Exception):
        return type(error).__name__
    return _first_line(text.splitlines()[-1] if text.strip() else "") or "collection failed"


def _usage_line(output: str) -> str | None:
    """pytest's complaint about the command line (`unrecognized arguments: -n`), if that is it."""
    import re

    for line in output.splitlines():
        match = re.match(r"^\S+: error: (.+)$", line.strip())
        if match:
            return match.group(1).strip()
    return None


def _error_line(output: str) -> str:
    """The most telling line of a run that never got to the tests."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    for i, line in enumerate(lines):
        if line.startswith("ERROR: not found:"):  # a node id that names no test
            return " ".join(lines[i : i + 2]).removeprefix("ERROR: ")
    marked = [line[1:].strip() for line in lines if line.startswith("E ")]
    if marked:
        return marked[-1]
    internal = [line for line in lines if line.startswith("INTERNALERROR>")]
    if internal:
        return internal[-1].removeprefix("INTERNALERROR>").strip()
    return lines[-1] if lines else "pytest stopped without a message"
