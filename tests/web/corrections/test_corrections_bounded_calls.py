"""`bounded.BoundedCalls`, what keeps a slow or hung database from holding the server: a call
answers or raises like the function, is abandoned at its timeout, and the threads are bounded."""

from __future__ import annotations

import threading
import time

import pytest

from drawadigit.web.corrections import bounded
from tests.support import run_program, wait_until


def test_bounded_calls_answer_and_raise_like_the_function():
    calls = bounded.BoundedCalls(2, 1.0)
    assert calls.run(lambda a, b=0: a + b, 2, b=3) == 5
    with pytest.raises(ZeroDivisionError):
        calls.run(lambda: 1 / 0)
    assert calls.busy() == 0


def test_a_hung_call_is_abandoned_at_the_timeout_and_the_threads_are_bounded():
    # A long slot_wait: only the timeouts seen tell it the "database" hangs.
    calls = bounded.BoundedCalls(2, 0.2, slot_wait=5.0)
    release = threading.Event()
    for _ in range(2):
        started = time.monotonic()
        with pytest.raises(bounded.TimedOut):
            calls.run(release.wait)
        assert time.monotonic() - started < 0.5
    assert calls.busy() == 2  # both still waiting on the "database"
    started = time.monotonic()
    with pytest.raises(bounded.Saturated):
        calls.run(lambda: "never runs")
    assert time.monotonic() - started < 0.2  # refused, not queued: the behaviour under test
    release.set()
    assert wait_until(lambda: calls.busy() == 0, 5)  # the two hung calls end on their own threads
    assert calls.busy() == 0 and calls.run(lambda: "again") == "again"


def test_a_call_waits_briefly_for_a_thread_a_healthy_call_frees():
    calls = bounded.BoundedCalls(1, 1.0, slot_wait=1.0)
    results, holding = [], threading.Event()

    def healthy_call() -> None:
        holding.set()
        time.sleep(0.05)  # the behaviour under test: a healthy "database" answers in 50 ms

    threads = [threading.Thread(target=lambda: results.append(calls.run(healthy_call)))]
    threads[0].start()
    assert holding.wait(5)  # the first call holds the one thread
    assert calls.run(lambda: "served") == "served"  # it waited for the first, not refused
    threads[0].join()
    assert results == [None]


def test_after_a_slow_call_a_call_finding_no_thread_is_refused_at_once():
    calls = bounded.BoundedCalls(1, 1.0, slot_wait=0.5)
    calls.run(time.sleep, 0.6)  # the behaviour under test: answered, but slowly (it struggles)
    release, holding = threading.Event(), threading.Event()

    def held() -> None:
        holding.set()
        release.wait(0.5)

    holder = threading.Thread(target=lambda: calls.run(held))
    holder.start()
    assert holding.wait(5)  # the young holder has the one thread
    started = time.monotonic()
    with pytest.raises(bounded.Saturated):
        calls.run(lambda: "never runs")
    assert time.monotonic() - started < 0.1  # no waiting for the young holder this time
    release.set()
    holder.join()


def test_hung_calls_never_keep_the_process_from_exiting():
    done = run_program("hung_call.py", timeout=20)
    assert done.returncode == 0 and done.stdout == "ok\n", done.stderr
