"""SIGINT and SIGTERM stop a run at once: exit 128 + the signal's number (130, 143).

`install` (the CLI does it) makes both signals raise `Interrupted` in the main thread, and
remembers the first one: an interrupt that a library swallows (an `except BaseException`) still
ends the run, at the next `check()` or at the error boundary, with the same exit code. Writes
that must not be cut in two (a set of report files, a baseline swap) run inside `deferred()`:
a signal that arrives meanwhile takes effect when the block ends. When the process has not
ended GRACE_S after the first signal (code that keeps swallowing it, a thread that never
returns), a watchdog ends it — never inside a deferred block.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator

SIGNALS = (signal.SIGINT, signal.SIGTERM)
GRACE_S = 10.0  # after the first signal, the watchdog's patience
WRITE_GRACE_S = 30.0  # more patience while a deferred write is finishing

_received: int | None = None
_depth = 0  # nesting of deferred() blocks
_lock = threading.Lock()


class Interrupted(KeyboardInterrupt):
    """A SIGINT or SIGTERM arrived: the run stops; exit 128 + the signal number."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal_name(signum))
        self.signum = signum


def signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def install() -> None:
    """Route SIGINT and SIGTERM to `Interrupted` (main thread only; an ignored SIGINT, as in a
    background job of a shell, stays ignored)."""
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in SIGNALS:
        if signum == signal.SIGINT and signal.getsignal(signum) == signal.SIG_IGN:
            continue
        signal.signal(signum, _handle)


def _handle(signum: int, _frame: object) -> None:
    global _received
    if _received is None:
        _received = signum
        threading.Thread(target=_watchdog, name="mlgate-interrupt-watchdog", daemon=True).start()
    if _depth == 0:
        raise Interrupted(signum)


def received() -> int | None:
    """The first signal received since `install`, or None."""
    return _received


def exit_code() -> int:
    """128 + the first signal's number (130 for SIGINT, also when none was recorded)."""
    return 128 + (_received or signal.SIGINT)


def message() -> str:
    """What the interrupted run's report says."""
    name = signal_name(_received or signal.SIGINT)
    return f"interrupted by {name}: the run stopped before the evaluation finished"


def check() -> None:
    """A checkpoint: raise `Interrupted` if a signal arrived (and was swallowed somewhere)."""
    if _received is not None and _depth == 0:
        raise Interrupted(_received)


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Hold SIGINT/SIGTERM off while the block runs; a signal received meanwhile (or before)
    raises `Interrupted` when it ends (unless the block raised)."""
    global _depth
    with _lock:
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
    check()


def _watchdog() -> None:
    """End the process if it is still alive GRACE_S after the first signal (not mid-write)."""
    time.sleep(GRACE_S)
    waited = 0.0
    while _depth and waited < WRITE_GRACE_S:
        time.sleep(0.05)
        waited += 0.05
    with contextlib.suppress(Exception):
        sys.stdout.flush()
    with contextlib.suppress(Exception):
        sys.stderr.write(
            f"mlgate: interrupted (the run did not stop within {GRACE_S:.0f} s; ended)\n"
        )
        sys.stderr.flush()
    os._exit(exit_code())


def settle() -> None:
    """The run is over: further signals are only recorded (the boundary is printing)."""
    if threading.current_thread() is threading.main_thread():
        for signum in SIGNALS:
            if signal.getsignal(signum) is _handle:
                signal.signal(signum, _record)


def _record(signum: int, _frame: object) -> None:
    global _received
    if _received is None:
        _received = signum


def end_now_if_threads_linger(code: int) -> None:
    """After an interrupt, a worker thread still running (a thread pool's task) would hold the
    interpreter's exit until it returns: leave at once instead."""
    main = threading.main_thread()
    lingering = [
        t for t in threading.enumerate() if t is not main and t.is_alive() and not t.daemon
    ]
    if lingering:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)
