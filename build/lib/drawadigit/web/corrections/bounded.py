"""Calls that may hang on something slow, such as a database, held to a few threads and a deadline.

    calls = BoundedCalls(threads=2, timeout=3.0)
    calls.run(store.add, correction)  # its answer, or raises Saturated or TimedOut

Each call runs on a thread of its own (a daemon, so a hung one never keeps a process from
exiting) and is waited for at most `timeout` seconds. A call that misses its deadline keeps its
thread until the slow thing answers or its own bounds end it. While all `threads` are taken, a
new call waits for one only as long as some call holding one is younger than `slot_wait` seconds
(a healthy database frees a thread in milliseconds: a burst is served); once every holder is
older, or a call took longer than `slot_wait` within the last `timeout` seconds (timed out, or
failed or answered slowly), the slow thing is taken to hang
and new calls are refused at once (`Saturated`) rather than queued, because a queue would only
turn a hanging database into hanging requests. A caller's thread is never held longer than
`slot_wait + timeout`. Nothing here knows about Flask.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import TypeVar

T = TypeVar("T")


class Unavailable(RuntimeError):
    """The call could not be answered in time; `retry_after` says when to try again (seconds)."""

    retry_after = 5


class Saturated(Unavailable):
    """Every thread allowed is already waiting on earlier calls."""


class TimedOut(Unavailable):
    """The call did not finish within the timeout (it may still finish later)."""


class BoundedCalls:
    """At most `threads` calls at once, each waited for at most `timeout` seconds."""

    def __init__(
        self, threads: int, timeout: float, *, slot_wait: float = 0.0, name: str = "bounded"
    ) -> None:
        if threads < 1 or timeout <= 0:
            received = f"received {threads} and {timeout}"
            raise ValueError(f"Expected threads >= 1 and a timeout > 0 s; {received}.")
        self.threads = threads
        self.timeout = timeout
        self.slot_wait = slot_wait
        self.name = name
        self._freed = threading.Condition()
        self._started: dict[int, float] = {}  # the calls holding a thread: when each started
        self._numbers = itertools.count()
        self._stalled_until = 0.0  # monotonic: until then a call has lately timed out
        self._pid = os.getpid()

    def busy(self) -> int:
        """How many calls hold a thread right now."""
        return len(self._started)

    def run(self, function: Callable[..., T], *args, **kwargs) -> T:
        """`function(*args, **kwargs)` on a thread of its own: its result, or its exception."""
        number = self._take()
        future: Future = Future()

        def call() -> None:
            try:
                future.set_result(function(*args, **kwargs))
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                future.set_exception(exc)
            finally:
                self._give_back(number)

        try:
            threading.Thread(target=call, name=f"{self.name}-call", daemon=True).start()
        except BaseException:
            self._give_back(number)
            raise
        try:
            return future.result(self.timeout)
        except TimeoutError:
            self._stalled()
            raise TimedOut(
                f"A {self.name} call took longer than {self.timeout:g} s; it was abandoned."
            ) from None

    def _take(self) -> int:
        """Claim a thread (its number), waiting while a holder is young; else refuse."""
        with self._freed:
            if self._pid != os.getpid():  # a forked worker does not inherit its parent's calls
                self._started, self._pid = {}, os.getpid()
            if len(self._started) >= self.threads:
                now = time.monotonic()
                youngest = max(self._started.values())
                patience = min(self.slot_wait, youngest + self.slot_wait - now)
                if now < self._stalled_until:
                    patience = 0.0
                if patience <= 0 or not self._freed.wait_for(self._has_a_free_thread, patience):
                    raise Saturated(f"All {self.threads} {self.name} threads are waiting already.")
            number = next(self._numbers)
            self._started[number] = time.monotonic()
            return number

    def _has_a_free_thread(self) -> bool:
        return len(self._started) < self.threads

    def _stalled(self) -> None:
        """A call was slow: for `timeout` seconds, a call finding no free thread is refused."""
        with self._freed:
            self._stalled_until = time.monotonic() + self.timeout

    def _give_back(self, number: int) -> None:
        """A call has ended: its thread may be claimed again."""
        with self._freed:
            started = self._started.pop(number, None)
            if started is not None and time.monotonic() - started > self.slot_wait:
                self._stalled_until = time.monotonic() + self.timeout
            self._freed.notify()
