"""How signed webhooks leave the process. The service only sees ``post(url, body, headers) -> status``."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

import httpx


class WebhookTransport(Protocol):
    def post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        """Send one request; return the HTTP status. Raising counts as a failed attempt."""
        ...


class HttpxTransport:
    """One pooled client for every endpoint. Redirects are not followed: a 3xx is not a receipt."""

    def __init__(self, timeout: float = 5.0) -> None:
        self._client = httpx.Client(timeout=timeout, follow_redirects=False)

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        return self._client.post(url, content=body, headers=headers).status_code

    def close(self) -> None:
        self._client.close()


@dataclass(frozen=True)
class RecordedCall:
    url: str
    body: bytes
    headers: dict[str, str]


class RecordingTransport:
    """A fake receiver for tests and the simulator. Scripted outcomes are consumed in order (an int is
    returned as the status, an exception is raised); then ``handler`` decides, else ``default_status``.
    ``by_url`` scripts a fixed outcome per URL (an endpoint that is down), checked before the rest.
    Injected into bootstrap with no ANXIN_WEBHOOK_URL, it is the default endpoint, at ``default_url``."""

    default_url = "http://recorder.invalid/webhooks/anxin"

    def __init__(self, outcomes: Iterable[int | Exception] = (), *, default_status: int = 200,
                 handler: Callable[[str, bytes, dict[str, str]], int] | None = None,
                 by_url: dict[str, int | Exception] | None = None) -> None:
        self._outcomes = list(outcomes)
        self._default = default_status
        self._handler = handler
        self._lock = threading.Lock()
        self.by_url = dict(by_url or {})
        self.calls: list[RecordedCall] = []

    def script(self, *outcomes: int | Exception) -> None:
        with self._lock:
            self._outcomes.extend(outcomes)

    def to(self, url: str) -> list[RecordedCall]:
        return [c for c in self.calls if c.url == url]

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        with self._lock:
            self.calls.append(RecordedCall(url, body, dict(headers)))
            outcome = self.by_url[url] if url in self.by_url else (self._outcomes.pop(0) if self._outcomes else None)
        if isinstance(outcome, Exception):
            raise outcome
        if outcome is not None:
            return outcome
        if self._handler is not None:
            return self._handler(url, body, headers)
        return self._default
