"""Time limits and termination for ``framepool verify``, turned into exceptions.

A check of somebody's pool can hang: a lock taken twice on one thread, a wait that never
ends. ``deadline`` ends the check after its time limit, with the place it was stuck, so a
CI gate fails in minutes instead of at the pipeline's own limit. ``stop_on_signals`` turns
SIGTERM (a CI runner cancelling the job) and Ctrl-C into ``Stopped``, so the report of the
checks that did run is still written.

Both exceptions are ``KeyboardInterrupt``s: a pool's ``except Exception`` must not swallow
them, and Hypothesis stops at once on a KeyboardInterrupt, where it takes any other
exception raised inside a test for that test's failure (and reports it as flaky when the
replay does not raise it again). Signals are POSIX and main-thread only; elsewhere (or on
Windows) ``deadline`` sets no limit.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class CheckTimedOut(KeyboardInterrupt):
    """The running check reached its time limit; ``where`` is the line it was running."""

    def __init__(self, seconds: int, where: str) -> None:
        super().__init__(f"still running after {seconds} s, at {where}")
        self.seconds = seconds
        self.where = where


def _place(frame: FrameType | None) -> str:
    if frame is None:
        return "an unknown place"
    return f"{frame.f_code.co_filename}:{frame.f_lineno} in {frame.f_code.co_name}"


class Stopped(KeyboardInterrupt):
    """verify was asked to stop (SIGTERM or SIGINT); ``signal_name`` says which."""

    def __init__(self, signal_name: str) -> None:
        super().__init__(f"stopped by {signal_name}")
        self.signal_name = signal_name


def _can_use_signals() -> bool:
    return threading.current_thread() is threading.main_thread()


GRACE_SECONDS = 2
"""After a check's time limit, how long its clean-up may hang before it is interrupted too."""


@contextmanager
def deadline(seconds: int) -> Iterator[None]:
    """Raise ``CheckTimedOut`` in the body once ``seconds`` have passed (0: no limit).

    The check's clean-up (a ``finally`` releasing frames, a teardown closing the pool) may
    hang on the same lock, so until the body is left the signal comes again every
    ``GRACE_SECONDS``, each time with the place it interrupted."""
    if seconds <= 0 or not hasattr(signal, "setitimer") or not _can_use_signals():
        yield
        return
    armed = True

    def expire(signum: int, frame: FrameType | None) -> None:
        if not armed:  # taken after the body was left: nothing to interrupt
            return
        signal.setitimer(signal.ITIMER_REAL, GRACE_SECONDS)
        raise CheckTimedOut(seconds, _place(frame))

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        # First, with no call before it: CPython runs a signal handler only at a call or a
        # jump, so a handler that runs from here on sees the flag down and does nothing.
        armed = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """Raise ``Stopped`` in the body on SIGTERM or SIGINT."""
    if not _can_use_signals():
        yield
        return

    def stop(signum: int, frame: FrameType | None) -> None:
        raise Stopped(signal.Signals(signum).name)

    previous = {number: signal.signal(number, stop) for number in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
