"""Memory probe child process: `python -m mlgate.measure.performance.probe REQUEST.pkl RESULT.json`.

A fresh interpreter first imports the libraries the models need (so library code is not counted
as the model's), then measures each model in a process of its own: on Linux a fork whose peak-RSS
counter is reset (/proc/self/clear_refs), elsewhere this whole process (`ru_maxrss`). A
measurement loads the model from its artifact and predicts one batch; the figure is the peak
resident memory of that minus the resident memory before loading, in MB (10^6 bytes).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import pickle
import signal
import sys
import time
import warnings
from pathlib import Path
from typing import Any

MB = 1e6
CLEAR_REFS = Path("/proc/self/clear_refs")
STATUS = Path("/proc/self/status")


def main(argv: list[str]) -> int:
    """Read the request, measure, write the result JSON. Exit 0 unless the request is unreadable."""
    request_path, result_path = Path(argv[0]), Path(argv[1])
    with request_path.open("rb") as handle:
        request: dict[str, Any] = pickle.load(handle)
    started = time.monotonic()
    for entry in request.get("paths", []):
        if entry not in sys.path:
            sys.path.append(entry)
    _preload(request.get("preload", []))
    result: dict[str, Any] = {
        "measurements": [],
        "error": None,
        "import_s": round(time.monotonic() - started, 3),
    }
    stream = os.fdopen(request["stream_fd"], "w") if "stream_fd" in request else None
    with _thread_limits(request.get("threads")):
        if request.get("mode", "auto") == "auto" and _can_reset_peak():
            result["mode"] = "fork"
            _forked(request, result, started, stream)
        else:
            result["mode"] = "process"
            _inline(request, result, stream)
    result_path.write_text(json.dumps(result))
    return 0


def _measured(result: dict[str, Any], item: dict[str, Any], stream: Any) -> None:
    """Keep a measurement, and stream it to mlgate at once (one JSON line): mlgate stops the
    probe as soon as every memory budget is decided."""
    result["measurements"].append(item)
    if stream is not None:
        stream.write(json.dumps({**item, "mode": result["mode"]}) + "\n")
        stream.flush()


def _forked(request: dict[str, Any], result: dict[str, Any], started: float, stream: Any) -> None:
    """Pairs of measurements (alternating order), each in a fork, until the deadline."""
    arms: list[tuple[str, Any]] = request["arms"]
    deadline = started + float(request["deadline_s"])
    pair = 0
    while pair < request["max_pairs"]:
        if pair >= request["min_pairs"] and time.monotonic() > deadline:
            break
        order = arms if pair % 2 == 0 else arms[::-1]
        for label, ref in order:
            doc = _in_fork(ref, request["frame"])
            if "error" in doc:
                result.update(error=doc["error"], error_arm=label)
                return
            _measured(result, {"arm": label, **doc}, stream)
        pair += 1


def _in_fork(ref: Any, frame: Any) -> dict[str, Any]:
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: measure, report through the pipe, leave without cleanup
        status = 1  # interrupted: no answer, and never back into the parent's code
        try:
            os.close(read_end)
            try:
                CLEAR_REFS.write_text("5")  # reset the peak (VmHWM) to the current RSS
                doc: dict[str, Any] = _load_and_predict(ref, frame, _status_kb)
            except Exception as exc:  # the model's failure is the answer
                doc = {"error": _reason(exc)}
            os.write(write_end, json.dumps(doc).encode())
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    chunks = []
    reaped = False
    try:
        while chunk := os.read(read_end, 65536):
            chunks.append(chunk)
        _, status = os.waitpid(pid, 0)
        reaped = True
    finally:
        os.close(read_end)
        if not reaped:  # interrupted: the measurement dies with its parent
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    if not chunks:
        return {"error": f"the probe process died (status {status}) while loading or predicting"}
    answer: dict[str, Any] = json.loads(b"".join(chunks))
    return answer


def _inline(request: dict[str, Any], result: dict[str, Any], stream: Any) -> None:
    """One measurement in this very process (no way to reset the peak counter here)."""
    label, ref = request["arms"][0]
    try:
        doc = _load_and_predict(ref, request["frame"], _rusage_kb)
    except Exception as exc:  # the model's failure is the answer; an interrupt stops the probe
        result.update(error=_reason(exc), error_arm=label)
        return
    _measured(result, {"arm": label, **doc}, stream)


def _load_and_predict(ref: Any, frame: Any, memory: Any) -> dict[str, Any]:
    from mlgate.errors import MlgateError
    from mlgate.load.models import load

    before_kb, _ = memory()
    try:
        model = load(ref)
    except MlgateError as exc:
        raise RuntimeError(exc.lines()[0]) from None
    out = model.predict_raw(frame)
    _, peak_kb = memory()
    del out, model
    return {
        "added_mb": max(peak_kb - before_kb, 0) * 1024 / MB,
        "before_mb": before_kb * 1024 / MB,
        "peak_mb": peak_kb * 1024 / MB,
    }


def _status_kb() -> tuple[int, int]:
    """(current RSS, peak RSS since the last reset) in KiB, from /proc/self/status."""
    values = {}
    for line in STATUS.read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values["VmRSS"], values["VmHWM"]


def _rusage_kb() -> tuple[int, int]:
    """(peak RSS so far, peak RSS so far) in KiB: without a reset the peak is all we have."""
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    peak = peak // 1024 if sys.platform == "darwin" else peak  # bytes on macOS, KiB on Linux
    return peak, peak


def _can_reset_peak() -> bool:
    if not hasattr(os, "fork") or not STATUS.is_file():
        return False
    try:
        CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return True


def _preload(modules: list[str]) -> None:
    """Import what the models' code needs, so that it is not counted as the model's memory."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in modules:
            with contextlib.suppress(Exception):
                importlib.import_module(name)


@contextlib.contextmanager
def _thread_limits(threads: int | None) -> Any:
    if not threads:
        yield
        return
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        yield
        return
    with threadpool_limits(limits=threads):
        yield


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
