"""Roles, principals, key and token material, the failed-attempt window. Pure: no database, no clock."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import threading
from collections import OrderedDict, deque

from anxin.core.ids import new_secret
from anxin.core.principal import Principal, Role

__all__ = ["Principal", "Role"]  # the shared kernel, re-exported for access's own callers

KEY_PREFIX = "ax_"


def new_raw_key() -> str:
    # The prefix makes leaked keys easy to spot in logs and secret scanners.
    return KEY_PREFIX + new_secret()


def hash_key(raw: str) -> str:
    """Only the hash is stored; keys are long random secrets, so a fast unsalted hash is enough."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def parse_role(value: str) -> Role | None:
    try:
        return Role(value)
    except ValueError:
        return None


LINK_PREFIX = "axl_"
SESSION_PREFIX = "axs_"


def new_token(prefix: str) -> str:
    """A one-time login link token or a page session token: random, shown once, stored hashed like keys."""
    return prefix + new_secret()


class FailureWindow:
    """Failed key attempts per client address over a sliding window.

    In memory: each server process counts on its own, so N processes allow up to N × ``limit`` failures per
    window. ``max_clients`` bounds the memory a flood of addresses can take (the oldest address is dropped).
    A correct key does not clear the count, so a caller holding one key cannot keep guessing others.
    """

    def __init__(self, *, limit: int, window: dt.timedelta, max_clients: int = 10_000) -> None:
        if limit < 1 or window <= dt.timedelta(0):
            raise ValueError("the failure limit and window must be positive")
        self.limit, self.window, self.max_clients = limit, window, max_clients
        self._seen: OrderedDict[str, deque[dt.datetime]] = OrderedDict()
        self._lock = threading.Lock()

    def retry_after(self, client: str, now: dt.datetime) -> int | None:
        """Whole seconds until ``client`` may try again, or None when it is not blocked."""
        with self._lock:
            times = self._seen.get(client)
            if times is None or len(times) < self.limit or times[0] <= now - self.window:
                return None
            return max(1, math.ceil((times[0] + self.window - now).total_seconds()))

    def fail(self, client: str, now: dt.datetime) -> None:
        with self._lock:
            times = self._seen.pop(client, None) or deque(maxlen=self.limit)
            times.append(now)  # only the last `limit` failures matter: the oldest of them decides
            self._seen[client] = times
            while len(self._seen) > self.max_clients:
                self._seen.popitem(last=False)
