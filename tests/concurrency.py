"""Real concurrent callers for the race tests: every call starts at the same moment on its own thread (a barrier),
and each one's result or the error it raised comes back in order; the test says which errors are allowed."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


def at_once(n: int, work: Callable[[int], Any]) -> list[Any]:
    """``work(0) … work(n - 1)`` started together; their results or exceptions, by index."""
    barrier = threading.Barrier(n)
    out: list[Any] = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        try:
            out[i] = work(i)
        except Exception as exc:  # collected, not raised: the caller asserts on it
            out[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return out


def all_at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    """Each call started together; their results or exceptions, in order."""
    return at_once(len(calls), lambda i: calls[i]())
