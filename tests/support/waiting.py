"""Waiting in the tests for what no event announces: a condition polled briefly until a deadline.

Prefer an event where there is one (a `threading.Event`, a line a process prints, a
Playwright `expect`); this is the one place a test waits by polling.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

__all__ = ["wait_until"]

T = TypeVar("T")

POLL_S = 0.02  # seconds between looks: brief, so a test waits hardly longer than it must


def wait_until(condition: Callable[[], T], timeout: float) -> T:
    """The first truthy value of `condition()`, asked every POLL_S seconds; once `timeout`
    seconds have passed, its last value, whatever it is (the caller asserts on it)."""
    deadline = time.monotonic() + timeout
    while not (value := condition()) and time.monotonic() < deadline:
        time.sleep(POLL_S)  # nothing to wait on but time: the condition has no event
    return value
