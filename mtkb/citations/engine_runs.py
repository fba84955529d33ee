"""Running the citation engine as a child process under limits: a time limit per run, a bound on runs at
once in this process, and a pause after a run that timed out or an engine that could not be started.

Builds run under BUILD_LIMITS (a long time limit, nothing else); the API puts each request's engine runs
under its own limits (`ENGINE_LIMITS`, a context variable, so each thread or greenlet has its own). Every
way the engine can fail to answer that is not the request's fault raises EngineUnavailable.
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from mtkb.errors import EngineUnavailable

TIMEOUT = 120
"""Seconds one pandoc run may take in a build (a batch of hundreds of items takes a few seconds)."""


@dataclass(frozen=True)
class EngineLimits:
    """How the engine may be run: seconds per run; at most `concurrent` runs at once in this process (0: no
    bound), a caller waiting at most `queue_wait` seconds for a free slot; after a run that timed out or
    an engine that could not be started, `pause` seconds in which every call fails at once (so that a
    slow or missing engine costs one wait, not one per request); `before_run` is called before each run
    (the API counts engine work against its own rate limit there)."""

    timeout: float = TIMEOUT
    concurrent: int = 0
    queue_wait: float = 0.0
    pause: float = 0.0
    before_run: Callable[[], None] | None = None


BUILD_LIMITS = EngineLimits()
"""Builds: the long time limit, no bound, no pause."""
ENGINE_LIMITS: ContextVar[EngineLimits] = ContextVar("mtkb_engine_limits", default=BUILD_LIMITS)
"""The limits engine runs in this context (thread, greenlet) are made under."""


@contextmanager
def engine_limits(limits: EngineLimits) -> Iterator[None]:
    """Run the block's engine calls (in this thread, greenlet or task) under `limits`."""
    token = ENGINE_LIMITS.set(limits)
    try:
        yield
    finally:
        ENGINE_LIMITS.reset(token)


class _EngineState:
    """This process's view of the engine: until when it is paused and why, and its run slots (made after
    a fork, in the process that uses them, so that gevent's patched semaphore is the one made)."""

    def __init__(self) -> None:
        self.paused_until = 0.0
        self.reason = ""
        self._slots: tuple[int, int, threading.BoundedSemaphore] | None = None

    def slots(self, count: int) -> threading.BoundedSemaphore:
        if self._slots is None or self._slots[:2] != (os.getpid(), count):
            self._slots = (os.getpid(), count, threading.BoundedSemaphore(count))
        return self._slots[2]

    def pause(self, seconds: float, reason: str) -> None:
        if seconds > 0:
            self.paused_until, self.reason = time.monotonic() + seconds, reason


_state = _EngineState()


def run_engine(
    command: list[str], payload: bytes | None = None, charge: bool = True
) -> subprocess.CompletedProcess[bytes]:
    """Run the engine's `command` under the current limits (see EngineLimits; `charge=False`: not counted
    by `before_run`). Raises EngineUnavailable when it is paused, busy, cannot be started, is killed or
    runs past its time limit."""
    limits = ENGINE_LIMITS.get()
    wait = _state.paused_until - time.monotonic()
    if limits.pause > 0 and wait > 0:
        raise EngineUnavailable(f"the citation engine is unavailable ({_state.reason})", math.ceil(wait))
    slots = _state.slots(limits.concurrent) if limits.concurrent > 0 else None
    if slots is not None and not slots.acquire(timeout=limits.queue_wait):
        raise EngineUnavailable("the citation engine is busy with other requests", math.ceil(limits.timeout))
    try:
        if charge and limits.before_run is not None:
            limits.before_run()
        done = _run(command, payload, limits.timeout)
    except subprocess.TimeoutExpired:
        reason = f"a run took longer than {limits.timeout:g} s"
        _state.pause(limits.pause, reason)
        raise EngineUnavailable(f"the citation engine is unavailable ({reason})", _retry(limits)) from None
    except OSError:
        reason = "it cannot be started"
        _state.pause(limits.pause, reason)
        raise EngineUnavailable(f"the citation engine is unavailable ({reason})", _retry(limits)) from None
    finally:
        if slots is not None:
            slots.release()
    if done.returncode < 0:  # killed by a signal (out of memory, an operator): not the request's fault
        raise EngineUnavailable("the citation engine was stopped", _retry(limits))
    return done


def _run(command: list[str], payload: bytes | None, timeout: float) -> subprocess.CompletedProcess[bytes]:
    """subprocess.run, but the engine runs in a process group of its own and the whole group is killed at
    the time limit (subprocess.run kills only the process it started, not what that one started)."""
    with subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    ) as process:
        try:
            out, err = process.communicate(payload, timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise
    return subprocess.CompletedProcess(command, process.returncode, out, err)


def _retry(limits: EngineLimits) -> int:
    return max(1, math.ceil(limits.pause or limits.timeout))


def reset() -> None:
    """Forget a pause (a new engine was chosen)."""
    _state.paused_until = 0.0
