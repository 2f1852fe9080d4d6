"""Peak memory of loading a model and predicting a batch, measured in child processes."""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlgate.load.models import Model

MIN_PAIRS = 3  # fewer probes per model give no usable spread
MAX_PAIRS = 10
# libraries every model's process has anyway, plus those a format's loader needs
ALWAYS = ("numpy", "pandas", "threadpoolctl", "mlgate.load.models")
BY_FORMAT: dict[str, tuple[str, ...]] = {
    "skops": ("sklearn", "skops.io"),
    "onnx": ("onnxruntime", "mlgate.load.onnx"),
    "joblib": ("joblib", "sklearn"),
    "pickle": ("joblib", "sklearn"),
    "factory": (),
}


@dataclass
class MemoryResult:
    """MB added per probe, per model (in measurement order), or the reason there are none."""

    observations: dict[str, list[float]] = field(default_factory=dict)
    mode: str = ""
    error: str | None = None
    elapsed_s: float = 0.0


def probe_memory(
    arms: dict[str, Model],
    frame: Any,
    *,
    budget_s: float,
    threads: int | None = 1,
    mode: str = "auto",
    min_pairs: int = MIN_PAIRS,
    max_pairs: int = MAX_PAIRS,
    stop: Callable[[dict[str, list[float]]], bool] | None = None,
) -> MemoryResult:
    """Probe every model `min_pairs`..`max_pairs` times (alternating), within about `budget_s`.

    `stop(observations)` is asked after every complete pair, as the measurements land (the probe
    streams them): True ends the probing there (the sequential rule)."""
    started = time.perf_counter()
    result = MemoryResult(observations={label: [] for label in arms})
    ended = False

    def seen(item: dict[str, Any]) -> bool:
        nonlocal ended
        result.observations[item["arm"]].append(float(item["added_mb"]))
        counts = {len(v) for v in result.observations.values()}
        ended = ended or (stop is not None and len(counts) == 1 and stop(result.observations))
        return ended

    if sys.platform == "win32":
        result.error = "peak_memory_mb is measured on Linux and macOS only"
        return result
    refs = [(label, model.ref) for label, model in arms.items()]
    request: dict[str, Any] = {
        "arms": refs,
        "frame": frame,
        "threads": threads,
        "mode": mode,
        "preload": preload_modules(arms.values()),
        "paths": [p for p in sys.path if p],
        "min_pairs": min_pairs,
        "max_pairs": max_pairs,
        "deadline_s": budget_s,
    }
    with tempfile.TemporaryDirectory(prefix="mlgate-probe-") as tmp:
        answer = _run(request, Path(tmp), timeout=budget_s + 120, seen=seen)
        result.mode = answer.get("mode", mode)
        if answer.get("error") is None and result.mode == "process" and not ended:
            # no peak reset on this platform: one fresh process per measurement
            schedule = [
                item
                for pair in range(max_pairs)
                for item in (refs if pair % 2 == 0 else refs[::-1])
            ]
            for i, (label, ref) in enumerate(schedule[1:], start=1):
                at_pair_start = i % len(refs) == 0
                if (
                    at_pair_start
                    and i // len(refs) >= min_pairs
                    and (time.perf_counter() - started > budget_s)
                ):
                    break
                answer = _run(
                    {**request, "arms": [(label, ref)], "mode": "process"},
                    Path(tmp),
                    timeout=budget_s + 120,
                    seen=seen,
                )
                if answer.get("error") is not None or ended:
                    break
        if answer.get("error") is not None:
            where = arms[answer["error_arm"]].ref.where if answer.get("error_arm") in arms else ""
            result.error = f"{where}: {answer['error']}" if where else str(answer["error"])
    result.elapsed_s = time.perf_counter() - started
    return result


def _run(
    request: dict[str, Any],
    tmp: Path,
    *,
    timeout: float,
    seen: Callable[[dict[str, Any]], bool],
) -> dict[str, Any]:
    """One probe process. Each measurement it streams (a JSON line on a pipe of its own) goes
    to `seen` as it lands; True ends the probe there, its answer the measurements so far."""
    request_path, result_path = tmp / "request.pkl", tmp / "result.json"
    result_path.unlink(missing_ok=True)
    read_end, write_end = os.pipe()
    with request_path.open("wb") as handle:
        pickle.dump({**request, "stream_fd": write_end}, handle)
    package_root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    command = [
        sys.executable,
        "-m",
        "mlgate.measure.performance.probe",
        str(request_path),
        str(result_path),
    ]
    # a session of its own: a terminal's ^C reaches mlgate only, and mlgate ends the probe and
    # its fork children together, whatever stops the wait (an interrupt, the timeout, `seen`)
    with tempfile.TemporaryFile(dir=tmp) as stderr:
        try:
            child = subprocess.Popen(
                command,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                env=env,
                start_new_session=True,
                pass_fds=(write_end,),
            )
        finally:
            os.close(write_end)
        measured: list[dict[str, Any]] = []
        try:
            for item in _stream(read_end, time.monotonic() + timeout):
                measured.append(item)
                if seen(item):
                    return {"mode": item.get("mode"), "measurements": measured, "error": None}
            child.wait(timeout=timeout)
        except (TimeoutError, subprocess.TimeoutExpired):
            return {"error": f"the memory probe did not finish within {timeout:.0f} s"}
        finally:
            os.close(read_end)
            _end_group(child)
        if child.returncode != 0 or not result_path.is_file():
            stderr.seek(0)
            text = stderr.read().decode(errors="replace")
            last = (text.strip().splitlines() or ["no output"])[-1]
            return {"error": f"the memory probe failed (exit {child.returncode}): {last}"}
    answer: dict[str, Any] = json.loads(result_path.read_text())
    return {**answer, "measurements": measured}


def _stream(fd: int, deadline: float) -> Iterator[dict[str, Any]]:
    """The JSON lines written to `fd` until its writers close it (TimeoutError at `deadline`)."""
    pending = b""
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise TimeoutError
        chunk = os.read(fd, 65536)
        if not chunk:
            return
        *lines, pending = (pending + chunk).split(b"\n")
        for line in lines:
            yield json.loads(line)


def _end_group(child: subprocess.Popen[bytes]) -> None:
    """Kill the probe's process group (the probe and any fork of it) and reap the probe."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, signal.SIGKILL)
    child.wait()


def preload_modules(models: Any) -> list[str]:
    """Modules to import in the probe before measuring: the libraries, not the models' data.

    The packages the models' classes come from, in full as far as this process has imported
    them (scikit-learn imports estimator modules on first use), plus their loaders' libraries.
    """
    roots: set[str] = set()
    wanted: list[str] = list(ALWAYS)
    for model in models:
        wanted.extend(BY_FORMAT.get(model.format, ()))
        root = type(model.impl).__module__.split(".")[0]
        if root != "mlgate":
            roots.add(root)
        else:
            wanted.append(type(model.impl).__module__)
    roots.update(name.split(".")[0] for name in wanted if not name.startswith("mlgate"))
    loaded = sorted(
        name
        for name in list(sys.modules)
        if name.split(".")[0] in roots and not name.split(".")[-1].startswith("test")
    )
    return list(dict.fromkeys([*wanted, *loaded]))
