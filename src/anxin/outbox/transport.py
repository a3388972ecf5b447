"""How signed webhooks leave the process. The service only sees ``post(body, headers) -> status``."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

import httpx


class WebhookTransport(Protocol):
    def post(self, body: bytes, headers: dict[str, str]) -> int:
        """Send one request; return the HTTP status. Raising counts as a failed attempt."""
        ...


class TransportUnavailable(RuntimeError):
    """No receiver is configured: the service leaves messages pending without spending an attempt."""


class HttpxTransport:
    def __init__(self, url: str, timeout: float = 5.0) -> None:
        self.url = url
        self._client = httpx.Client(timeout=timeout, follow_redirects=False)

    def post(self, body: bytes, headers: dict[str, str]) -> int:
        return self._client.post(self.url, content=body, headers=headers).status_code

    def close(self) -> None:
        self._client.close()


class NullTransport:
    """Used when no webhook URL is configured. It never reports success: a money-moving message must not
    be marked delivered when nobody received it."""

    def post(self, body: bytes, headers: dict[str, str]) -> int:
        raise TransportUnavailable("no webhook URL configured (set ANXIN_WEBHOOK_URL)")


@dataclass(frozen=True)
class RecordedCall:
    body: bytes
    headers: dict[str, str]


class RecordingTransport:
    """A fake receiver for tests and the simulator. Scripted outcomes are consumed in order (an int is
    returned as the status, an exception is raised); then ``handler`` decides, else ``default_status``."""

    def __init__(self, outcomes: Iterable[int | Exception] = (), *, default_status: int = 200,
                 handler: Callable[[bytes, dict[str, str]], int] | None = None) -> None:
        self._outcomes = list(outcomes)
        self._default = default_status
        self._handler = handler
        self._lock = threading.Lock()
        self.calls: list[RecordedCall] = []

    def script(self, *outcomes: int | Exception) -> None:
        with self._lock:
            self._outcomes.extend(outcomes)

    def post(self, body: bytes, headers: dict[str, str]) -> int:
        with self._lock:
            self.calls.append(RecordedCall(body, dict(headers)))
            outcome = self._outcomes.pop(0) if self._outcomes else None
        if isinstance(outcome, Exception):
            raise outcome
        if outcome is not None:
            return outcome
        if self._handler is not None:
            return self._handler(body, headers)
        return self._default
