"""Calls that may hang on something slow, such as a database, held to a few threads and a deadline.

    calls = BoundedCalls(threads=2, timeout=3.0)
    calls.run(store.add, correction)  # its answer, or raises Saturated or TimedOut

Each call runs on a thread of its own (a daemon, so a hung one never keeps a process from
exiting) and is waited for at most `timeout` seconds. A call that misses its deadline keeps its
thread until the slow thing answers or its own bounds end it; while `threads` calls are so held,
a new one waits at most `slot_wait` seconds for a thread (a healthy database frees one in
milliseconds, a hung one does not) and is then refused (`Saturated`) rather than queued, because
a queue would only turn a hanging database into hanging requests. A caller's thread is never
held longer than `slot_wait + timeout`. Nothing here knows about Flask.
"""

from __future__ import annotations

import os
import threading
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
        self._busy = 0
        self._pid = os.getpid()

    def busy(self) -> int:
        """How many calls hold a thread right now."""
        return self._busy

    def run(self, function: Callable[..., T], *args, **kwargs) -> T:
        """`function(*args, **kwargs)` on a thread of its own: its result, or its exception."""
        self._take()
        future: Future = Future()

        def call() -> None:
            try:
                future.set_result(function(*args, **kwargs))
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                future.set_exception(exc)
            finally:
                self._give_back()

        try:
            threading.Thread(target=call, name=f"{self.name}-call", daemon=True).start()
        except BaseException:
            self._give_back()
            raise
        try:
            return future.result(self.timeout)
        except TimeoutError:
            raise TimedOut(
                f"A {self.name} call took longer than {self.timeout:g} s; it was abandoned."
            ) from None

    def _take(self) -> None:
        """Claim a thread, waiting at most `slot_wait` for one; else refuse."""
        with self._freed:
            if self._pid != os.getpid():  # a forked worker does not inherit its parent's calls
                self._busy, self._pid = 0, os.getpid()
            if not self._freed.wait_for(lambda: self._busy < self.threads, self.slot_wait):
                raise Saturated(f"All {self.threads} {self.name} threads are waiting already.")
            self._busy += 1

    def _give_back(self) -> None:
        """A call has ended: its thread may be claimed again."""
        with self._freed:
            self._busy = max(0, self._busy - 1)
            self._freed.notify()
