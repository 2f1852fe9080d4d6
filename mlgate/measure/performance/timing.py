"""Timing harness: warm-up, then candidate and baseline interleaved in short pairs of turns.

A pair is one turn of each model, back to back, on the same input frames and in alternating
order (A B, then B A), so whatever the machine does meanwhile (another job, CPU frequency,
caches) hits both models alike. Turns are short (about TURN_MS of calls) so that a burst of
load rarely covers one model's turn and not the other's; the statistics then group consecutive
pairs into blocks with enough calls (stats). Tasks take turns so that they gather
blocks at the same pace (a p95 needs more calls per block than a reload). Both models run
under the same thread limits and with the garbage collector paused during turns (it runs
between them, on new objects only), as `timeit` does.
"""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlgate.load.models import Model

TURN_MS = 10.0  # calls per turn are sized to take about this long
MAX_CALLS = 200  # per model per turn
THREADS = 1  # BLAS/OpenMP pools while timing: the same for both models, calmer on shared runners
SMOOTHING = 0.3  # weight of the latest turn when re-estimating the cost of a call
GC_EVERY_S = 0.5  # collect garbage between turns at most this often


@dataclass
class Task:
    """One kind of timed call: `predict` on frames of `rows` rows, or `load` of the artifact."""

    key: str
    action: str  # predict | load
    rows: int = 1
    frames: list[Any] = field(default_factory=list)  # ≥ 2 distinct objects, cycled per model
    min_calls: int = 1  # per model per block of pairs, for the statistics


@dataclass
class TaskResult:
    """Call durations in ms, per model: one list per pair (that turn's calls), pairs aligned."""

    task: Task
    observations: dict[str, list[list[float]]]
    error: str | None = None
    spent_s: float = 0.0
    blocks: int = 0  # complete blocks so far, grouped as stats.blocks does
    pending: int = 0  # calls per model since the last complete block

    @property
    def pairs(self) -> int:
        return min((len(r) for r in self.observations.values()), default=0)

    def record(self, turns: dict[str, list[float]]) -> None:
        """Add one pair of turns (both models made the same number of calls)."""
        for label, durations in turns.items():
            self.observations[label].append(durations)
        self.pending += len(next(iter(turns.values())))
        if self.pending >= self.task.min_calls:
            self.blocks += 1
            self.pending = 0


@dataclass
class Timings:
    results: dict[str, TaskResult]
    elapsed_s: float
    threads: int | None


class _CallFailed(Exception):
    pass


def time_tasks(
    tasks: list[Task],
    arms: dict[str, Model],
    *,
    warmup: int,
    deadline: float,
    stop: Callable[[dict[str, TaskResult]], bool] | None = None,
) -> Timings:
    """Warm up, then run pairs of turns, the task with the fewest blocks first, until
    `deadline` (a perf_counter time) or until `stop` (asked after every pair: the sequential
    rule's look) says every budget is decided. Every task gets at least one pair, so it has a
    value even when that overruns the deadline."""
    started = time.perf_counter()
    results = {t.key: TaskResult(t, {label: [] for label in arms}) for t in tasks}
    cursors = {(t.key, label): 0 for t in tasks for label in arms}
    labels = list(arms)
    with _thread_limits() as threads, _gc_paused():
        cost: dict[tuple[str, str], float] = {}  # ms of one call, per task and model
        for task in tasks:
            try:
                for label, model in arms.items():
                    cost[task.key, label] = _warm_up(task, label, model, warmup, cursors)
            except _CallFailed as exc:
                results[task.key].error = str(exc)
        live = [t for t in tasks if results[t.key].error is None]
        collected = time.perf_counter()
        while live:
            # the task with the fewest blocks of calls so far: all reach enough blocks together
            result = min((results[t.key] for t in live), key=lambda r: (r.blocks, r.spent_s))
            task = result.task
            # the same calls for both models, so both see the same rows; sized by the slower one
            calls = _calls(task, max(cost[task.key, label] for label in labels))
            expected = calls * sum(cost[task.key, label] for label in labels) / 1000
            now = time.perf_counter()
            if result.pairs > 0 and now + expected > deadline:
                break
            if now - collected > GC_EVERY_S:
                gc.collect()
                collected = time.perf_counter()
            order = labels if result.pairs % 2 == 0 else labels[::-1]
            begun = time.perf_counter()
            try:
                turns = {label: _turn(task, label, arms[label], calls, cursors) for label in order}
            except _CallFailed as exc:
                result.error = str(exc)
                live.remove(task)
                continue
            result.spent_s += time.perf_counter() - begun
            result.record(turns)
            for label, durations in turns.items():
                seen = sum(durations) / len(durations)
                cost[task.key, label] = SMOOTHING * seen + (1 - SMOOTHING) * cost[task.key, label]
            if stop is not None and stop(results):
                break
    return Timings(results, time.perf_counter() - started, threads)


def _calls(task: Task, cost_ms: float) -> int:
    """Calls per turn: about TURN_MS worth of the slower model (reloads: one)."""
    if task.action == "load":
        return 1
    return max(1, min(MAX_CALLS, int(TURN_MS // max(cost_ms, 1e-3))))


def _warm_up(task: Task, label: str, model: Model, warmup: int, cursors: dict[Any, int]) -> float:
    """Check the call works (right number of predictions), warm caches; ms of one call."""
    durations = [_call(task, label, model, cursors, check=True)]
    for _ in range(warmup):
        durations.append(_call(task, label, model, cursors, check=False))
    tail = sorted(durations[1:] or durations)
    return tail[len(tail) // 2]


def _turn(task: Task, label: str, model: Model, calls: int, cursors: dict[Any, int]) -> list[float]:
    return [_call(task, label, model, cursors, check=False) for _ in range(calls)]


def _call(task: Task, label: str, model: Model, cursors: dict[Any, int], *, check: bool) -> float:
    """One timed call in ms. Each model cycles through the frames on its own cursor, so two
    consecutive calls never see the same frame object (no result caching by identity)."""
    from mlgate.errors import MlgateError
    from mlgate.load.models import load

    where = model.ref.where
    if task.action == "load":
        start = time.perf_counter_ns()
        try:
            load(model.ref)
        except MlgateError as exc:
            raise _CallFailed(f"{where}: cannot be reloaded for timing: {exc.lines()[0]}") from None
        except Exception as exc:
            raise _CallFailed(f"{where}: cannot be reloaded for timing: {_reason(exc)}") from None
        return (time.perf_counter_ns() - start) / 1e6

    position = cursors[task.key, label]
    cursors[task.key, label] = position + 1
    frame = task.frames[position % len(task.frames)]
    start = time.perf_counter_ns()
    try:
        out = model.predict_raw(frame)
    except Exception as exc:
        what = (
            "cannot predict a single row"
            if task.rows == 1
            else (f"cannot predict a batch of {task.rows} rows")
        )
        reason = exc.lines()[0] if isinstance(exc, MlgateError) else _reason(exc)
        raise _CallFailed(f"{where}: {what}: {reason}") from None
    elapsed = (time.perf_counter_ns() - start) / 1e6
    if check:
        count = _length(out)
        if count != task.rows:
            raise _CallFailed(
                f"{where}: returned {count} predictions for {task.rows} row"
                + ("s" if task.rows != 1 else "")
            )
    return elapsed


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _length(out: Any) -> int | None:
    try:
        return len(out)
    except TypeError:
        return None


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """No collection during turns; between them only the objects made since (a full collection
    of a process with pandas and scikit-learn loaded takes ~0.1 s, so the rest is frozen)."""
    enabled = gc.isenabled()
    gc.disable()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
        if enabled:
            gc.enable()


@contextlib.contextmanager
def _thread_limits() -> Iterator[int | None]:
    """Limit BLAS/OpenMP pools to THREADS (threadpoolctl comes with scikit-learn)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - scikit-learn depends on it
        yield None
        return
    with threadpool_limits(limits=THREADS):
        yield THREADS
