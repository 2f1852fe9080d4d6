"""SIGINT and SIGTERM at every stage of every command: the CLI as a subprocess, real signals.

Each case starts the real CLI on a real project whose code (a model factory, a custom check)
announces where it is and then holds there until a signal ends it; the test waits for that
announcement on the program's own stderr (or on a FIFO where that is not the test's to read:
in the memory probe, whose stderr mlgate keeps, and in a custom check, whose output pytest
captures) and only then sends the signal. No sleeps decide anything: the program cannot finish on
its own, so every case sees the same sequence of events.
"""

from __future__ import annotations

import json
import os
import queue
import select
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from support.projects import Project

from mlgate.load.baseline.resolver import MANIFEST_SCHEMA

HANG_GUARD_S = 900  # only against a hung test; never reached when the program behaves

# The user's project code: the production model behind a factory, holding at one stage.
HOOKS = textwrap.dedent("""\
    import os
    import sys
    import time
    from concurrent.futures import ThreadPoolExecutor
    from pathlib import Path

    import skops.io as sio

    HERE = Path(__file__).parent
    AT = os.environ.get("HOLD_AT", "")


    def in_probe():
        spec = getattr(sys.modules["__main__"], "__spec__", None)
        return getattr(spec, "name", "") == "mlgate.measure.performance.probe"


    def announce(where):
        line = f"HOLDING {where} pid={os.getpid()}\\n".encode()
        if "HOLD_FIFO" in os.environ:  # where stderr is not the test's: the probe, pytest
            fd = os.open(os.environ["HOLD_FIFO"], os.O_WRONLY)
            os.write(fd, line)
            os.close(fd)
        else:
            os.write(2, line)  # fd 2 itself: pytest's capture of a custom check is bypassed


    def hold(where):
        announce(where)
        while True:
            time.sleep(3600)  # only a signal ends this


    def swallow(where):
        announced = False
        while True:  # a library that turns every ^C into nothing
            try:  # announced inside: a signal right after the line is swallowed too
                if not announced:
                    announced = True
                    announce(where)
                time.sleep(3600)
            except BaseException:
                pass


    def production():
        path = HERE / "models" / "production.skops"
        return sio.load(path, trusted=sio.get_untrusted_types(file=path))


    class Holding:
        def __init__(self, inner):
            self.inner = inner
            self.classes_ = inner.classes_

        def _stage(self, X):
            if AT == "predict" or (AT == "latency" and len(X) == 1):
                hold(AT)
            if AT == "swallow":
                swallow(AT)
            if AT == "pool":  # the work runs in a thread pool whose worker never returns
                pool = ThreadPoolExecutor(max_workers=1)
                pool.submit(hold, AT).result()

        def predict(self, X):
            self._stage(X)
            return self.inner.predict(X)

        def predict_proba(self, X):
            self._stage(X)
            return self.inner.predict_proba(X)


    def candidate():
        if AT == "load" and not in_probe():
            hold(AT)
        if AT == "probe" and in_probe():
            hold(AT)
        return Holding(production())
""")

CHECK = textwrap.dedent("""\
    import hooks


    def test_holds():
        hooks.hold("custom")
""")

PREVIOUS = '{"previous": "report"}\n'
FILES = ("report.json", "report.md", "report.html", "junit.xml", "metrics.txt")


def config(at: str) -> dict[str, Any]:
    gates: dict[str, Any] = {"model": [{"metric": "roc_auc", "min": 0.6, "max_drop": 0.05}]}
    if at == "latency":
        gates = {"performance": [{"latency_p95_ms": {"max": 1000}}]}
    elif at == "probe":
        gates = {"performance": [{"peak_memory_mb": {"max": 1000}}]}
    elif at == "custom":
        gates = {"custom": [{"pytest": "checks/test_hold.py"}]}
    return {
        "version": 1,
        "data": {"eval": "data/holdout.parquet", "target": "label"},
        "models": {
            "candidate": {"factory": "hooks:candidate"},
            "baseline": "models/production.skops",
        },
        "gates": gates,
        "policy": {"performance": {"time_budget_s": 2}},
    }


class Started:
    """The CLI running in a subprocess; its stderr read line by line as it comes."""

    def __init__(self, args: list[str], cwd: Path, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "mlgate", *args],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.elapsed_s = 0.0

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, text: str) -> str:
        """Block until a stderr line contains `text` (fail if the program ends first)."""
        while True:
            try:
                line = self._queue.get(timeout=HANG_GUARD_S)
            except queue.Empty:
                self.proc.kill()
                pytest.fail(f"no {text!r} on stderr:\n" + "\n".join(self.lines))
            if line is None:
                pytest.fail(f"ended before {text!r}:\n" + "\n".join(self.lines))
            self.lines.append(line)
            if text in line:
                return line

    def interrupt(self, signum: int) -> int:
        sent = time.monotonic()
        self.proc.send_signal(signum)
        code = self.proc.wait(timeout=HANG_GUARD_S)
        self.elapsed_s = time.monotonic() - sent
        self._reader.join(timeout=HANG_GUARD_S)
        while (line := self._queue.get_nowait()) is not None:
            self.lines.append(line)
        return code


def env_for(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GITLAB_", "CI_"))}
    env.pop("CI", None)
    env.update(extra)
    return env


def figure(what: str, started: Started) -> None:
    """The time from the signal to the exit, for the record (-s shows it; never asserted)."""
    print(f"\nFIGURE {what}: exited {started.elapsed_s:.2f} s after the signal")


def processes_in(folder: Path) -> list[int]:
    """Live processes whose working directory is `folder` (mlgate's children run there)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if Path(os.readlink(entry / "cwd")) == folder:
                found.append(int(entry.name))
        except OSError:  # gone, a zombie, or not ours to read
            continue
    return found


def no_process_left_in(folder: Path) -> list[int]:
    """Wait for killed children to be gone (they die asynchronously), then say who is left."""
    deadline = time.monotonic() + 120  # killed children die in well under a second; a hang guard
    while (left := processes_in(folder)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def assert_interrupted(started: Started, code: int, signum: int, report_dir: Path | None) -> None:
    assert code == 128 + signum, "\n".join(started.lines)
    assert started.lines[-1] == "mlgate: interrupted", "\n".join(started.lines)
    assert not any("Traceback" in line for line in started.lines), "\n".join(started.lines)
    if report_dir is None:
        return
    name = signal.Signals(signum).name
    doc = json.loads((report_dir / "report.json").read_text())
    assert doc["verdict"] == "error"
    assert doc["errors"] == [
        f"interrupted by {name}: the run stopped before the evaluation finished"
    ]
    for file in FILES:  # the whole set is the interrupted report's, none is the previous one
        assert (report_dir / file).read_text() != PREVIOUS, file
    assert "interrupted by" in (report_dir / "report.md").read_text()
    assert sorted(p.name for p in report_dir.iterdir() if p.name != ".cache") == sorted(FILES)


@pytest.fixture
def holding(project: Project) -> Project:
    """The project with the holding factory and check, and a previous report in its folder."""
    (project.root / "hooks.py").write_text(HOOKS)
    (project.root / "checks").mkdir()
    (project.root / "checks" / "test_hold.py").write_text(CHECK)
    reports = project.root / "mlgate-report"
    reports.mkdir()
    for file in FILES:
        (reports / file).write_text(PREVIOUS)
    return project


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    """A FIFO the probe's hook announces itself on, open for reading (O_RDWR: never blocks)."""
    path = tmp_path / "hold.fifo"
    os.mkfifo(path)
    fd = os.open(path, os.O_RDWR)
    yield path, fd
    os.close(fd)


def read_announcement(fd: int, started: Started) -> str:
    ready, _, _ = select.select([fd], [], [], HANG_GUARD_S)
    if not ready:
        started.proc.kill()
        pytest.fail("the probe never announced itself:\n" + "\n".join(started.lines))
    return os.read(fd, 4096).decode()


# --- mlgate run -------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    ("at", "signum"),
    [
        ("load", signal.SIGINT),
        ("predict", signal.SIGINT),
        ("predict", signal.SIGTERM),
        ("latency", signal.SIGTERM),
        ("pool", signal.SIGINT),
    ],
)
def test_run_interrupted_at_each_stage_leaves_an_interrupted_report(
    holding: Project, at: str, signum: int
) -> None:
    holding.config(config(at))
    started = Started(["run"], holding.root, env_for(HOLD_AT=at))
    started.wait_for(f"HOLDING {at}")
    code = started.interrupt(signum)
    figure(f"run at {at}, {signal.Signals(signum).name}", started)
    assert_interrupted(started, code, signum, holding.root / "mlgate-report")
    assert no_process_left_in(holding.root) == []


@pytest.mark.slow
@pytest.mark.parametrize("at", ["probe", "custom"])
def test_run_interrupted_where_output_is_captured(
    holding: Project, fifo: tuple[Path, int], at: str
) -> None:
    """In the memory probe (ends the probe and its fork child too) and in a custom check."""
    path, fd = fifo
    holding.config(config(at))
    signum = signal.SIGTERM if at == "probe" else signal.SIGINT
    started = Started(["run"], holding.root, env_for(HOLD_AT=at, HOLD_FIFO=str(path)))
    assert read_announcement(fd, started).startswith(f"HOLDING {at} pid=")
    code = started.interrupt(signum)
    figure(f"run at {at}, {signal.Signals(signum).name}", started)
    assert_interrupted(started, code, signum, holding.root / "mlgate-report")
    assert no_process_left_in(holding.root) == []


@pytest.mark.slow
def test_an_interrupt_that_project_code_swallows_still_ends_the_run(holding: Project) -> None:
    holding.config(config("swallow"))
    started = Started(["run"], holding.root, env_for(HOLD_AT="swallow"))
    started.wait_for("HOLDING swallow")
    code = started.interrupt(signal.SIGINT)
    figure("run whose model swallows SIGINT", started)
    assert code == 130, "\n".join(started.lines)
    assert started.lines[-1] == "mlgate: interrupted (the run did not stop within 10 s; ended)"
    for file in FILES:  # ended from outside the stuck code: the previous reports, untouched
        assert (holding.root / "mlgate-report" / file).read_text() == PREVIOUS
    assert no_process_left_in(holding.root) == []


# --- mlgate check, baseline save --------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(("at", "signum"), [("load", signal.SIGTERM), ("predict", signal.SIGINT)])
def test_check_interrupted_leaves_an_interrupted_report(
    holding: Project, at: str, signum: int
) -> None:
    holding.config(config(at))
    started = Started(["check"], holding.root, env_for(HOLD_AT=at))
    started.wait_for(f"HOLDING {at}")
    code = started.interrupt(signum)
    figure(f"check at {at}, {signal.Signals(signum).name}", started)
    assert_interrupted(started, code, signum, holding.root / "mlgate-report")


def previous_baseline(root: Path) -> dict[str, str]:
    folder = root / "mlgate-baseline"
    folder.mkdir()
    manifest = {"schema": MANIFEST_SCHEMA, "files": ["report.json"], "report": "report.json"}
    (folder / "baseline.json").write_text(json.dumps(manifest))
    (folder / "report.json").write_text(PREVIOUS)
    return {p.name: p.read_text() for p in folder.iterdir()}


@pytest.mark.slow
@pytest.mark.parametrize(("at", "signum"), [("load", signal.SIGINT), ("predict", signal.SIGTERM)])
def test_baseline_save_interrupted_keeps_the_previous_baseline(
    holding: Project, at: str, signum: int
) -> None:
    holding.config(config(at))
    before = previous_baseline(holding.root)
    started = Started(["baseline", "save"], holding.root, env_for(HOLD_AT=at))
    started.wait_for(f"HOLDING {at}")
    code = started.interrupt(signum)
    figure(f"baseline save at {at}, {signal.Signals(signum).name}", started)
    assert_interrupted(started, code, signum, holding.root / "mlgate-report")
    folder = holding.root / "mlgate-baseline"
    assert {p.name: p.read_text() for p in folder.iterdir()} == before
    assert [p.name for p in holding.root.iterdir() if p.name.startswith(".mlgate-baseline")] == []


# --- mlgate demo ------------------------------------------------------------------------------


@pytest.mark.slow
def test_demo_interrupted_while_building_leaves_no_half_built_folder(tmp_path: Path) -> None:
    started = Started(["demo", "demo"], tmp_path, env_for())
    started.wait_for("mlgate demo: building the example project")
    code = started.interrupt(signal.SIGINT)
    figure("demo while building, SIGINT", started)
    assert_interrupted(started, code, signal.SIGINT, None)
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no demo/, no staging folder


@pytest.mark.slow
def test_demo_interrupted_in_its_second_run_keeps_the_first_report(tmp_path: Path) -> None:
    started = Started(["demo", "demo"], tmp_path, env_for())
    started.wait_for("== dropped features")
    code = started.interrupt(signal.SIGTERM)
    figure("demo in its second run, SIGTERM", started)
    reports = tmp_path / "demo" / "mlgate-report"
    assert_interrupted(started, code, signal.SIGTERM, reports / "mlgate-regressed")
    first = json.loads((reports / "mlgate" / "report.json").read_text())
    assert first["errors"] == [] and first["gates"], first  # the first run's own, whole report


# --- mlgate publish ---------------------------------------------------------------------------


class HungAPI(ThreadingHTTPServer):
    """An API on 127.0.0.1 that takes every request and never answers it."""

    daemon_threads = True

    def __init__(self) -> None:
        self.asked = threading.Event()
        self.release = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.asked.set()
                outer.release.wait(HANG_GUARD_S)

            do_POST = do_PATCH = do_GET

            def log_message(self, *_args: Any) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_publish_interrupted_mid_request_leaves_the_report_untouched(
    tmp_path: Path, signum: int
) -> None:
    from support.report_fixtures import build_blocked

    from mlgate.report import write_reports

    reports = tmp_path / "mlgate-report"
    write_reports(build_blocked(), reports)
    before = {p.name: p.read_bytes() for p in reports.iterdir()}
    api = HungAPI()
    serving = threading.Thread(target=api.serve_forever, daemon=True)
    serving.start()
    url = f"http://127.0.0.1:{api.server_address[1]}"
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 12, "head": {"sha": "a" * 40}}}))
    env = env_for(
        GITHUB_ACTIONS="true",
        GITHUB_API_URL=url,
        GITHUB_SERVER_URL=url,
        GITHUB_REPOSITORY="acme/churn",
        GITHUB_EVENT_NAME="pull_request",
        GITHUB_EVENT_PATH=str(event),
        GITHUB_TOKEN="ghs_FAKEinstallationTOKEN0123456789abcdef",
    )
    try:
        started = Started(["publish", str(reports / "report.json")], tmp_path, env)
        if not api.asked.wait(HANG_GUARD_S):
            started.proc.kill()
            pytest.fail("mlgate publish never called the API")
        code = started.interrupt(signum)
    finally:
        api.release.set()
        api.shutdown()
    figure(f"publish mid-request, {signal.Signals(signum).name}", started)
    assert_interrupted(started, code, signum, None)
    assert {p.name: p.read_bytes() for p in reports.iterdir()} == before


# --- the mechanism ----------------------------------------------------------------------------


def test_a_signal_inside_a_deferred_block_takes_effect_when_it_ends() -> None:
    code = textwrap.dedent("""\
        import os, signal
        from mlgate.support import interrupts

        interrupts.install()
        try:
            with interrupts.deferred():
                os.kill(os.getpid(), signal.SIGTERM)
                print("finished the block", flush=True)
            print("not reached")
        except interrupts.Interrupted as exc:
            print("raised after it:", exc.signum, interrupts.exit_code())
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.splitlines() == ["finished the block", "raised after it: 15 143"]


def test_a_signal_while_rendering_leaves_the_previous_reports_untouched(tmp_path: Path) -> None:
    (tmp_path / "report.json").write_text(PREVIOUS)
    code = textwrap.dedent(f"""\
        import os, signal
        from pathlib import Path
        from mlgate.pipeline import error_report
        from mlgate.report import RENDERERS, write_reports
        from mlgate.support import interrupts

        def metrics(report):
            os.kill(os.getpid(), signal.SIGINT)  # while the views are rendered
            return RENDERERS["metrics"](report)

        interrupts.install()
        try:
            write_reports(error_report(["x"]), Path({str(tmp_path)!r}),
                          renderers={{**RENDERERS, "metrics": metrics}})
        except interrupts.Interrupted:
            print("interrupted")
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.splitlines() == ["interrupted"], done.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]
    assert (tmp_path / "report.json").read_text() == PREVIOUS
