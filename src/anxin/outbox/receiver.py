"""A reference webhook receiver: verifies Standard Webhooks signatures and applies each Idempotency-Key once.

It shows platform integrators the contract (docs/webhooks.md), and lets the demo and tests prove the exactly-once
effect: the outbox may send a message more than once (a lost response is indistinguishable from a lost request,
and operators may redeliver), so the receiver must dedup on the key (``webhook-id``, the message id, is as stable).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from anxin.core.clock import Clock, SystemClock
from anxin.outbox.model import IDEMPOTENCY_HEADER
from anxin.outbox.signing import ID_HEADER, TOLERANCE_SECONDS, verify


@dataclass(frozen=True)
class Received:
    idempotency_key: str
    message: dict[str, Any]


class WebhookSink:
    """Keeps applied messages in memory. ``lose_next_responses(n)`` applies the next n new messages but
    answers 500, as if the response were lost on the way back, to exercise the sender's retry."""

    def __init__(self, secret: str | list[str], *, clock: Clock | None = None,
                 tolerance_s: int = TOLERANCE_SECONDS) -> None:
        # Several secrets: the receiver's side of a rotation (accept the old and the new one for a while).
        self._secrets = [secret] if isinstance(secret, str) else list(secret)
        self._clock = clock or SystemClock()
        self._tolerance_s = tolerance_s
        self._lock = threading.Lock()
        self._by_key: dict[str, Received] = {}
        self._lose = 0
        self.applied: list[Received] = []  # one entry per effect, in order
        self.deliveries = 0  # every authentic request, duplicates included
        self.duplicates = 0
        self.redelivered: dict[str, int] = {}  # idempotency key -> requests after the first (acknowledged, not applied)

    def lose_next_responses(self, n: int = 1) -> None:
        with self._lock:
            self._lose += n

    def receive(self, body: bytes, headers: Mapping[str, str]) -> tuple[int, bool]:
        """Returns (HTTP status, duplicate)."""
        lowered = {k.lower(): v for k, v in headers.items()}
        now_ts = int(self._clock.now().timestamp())
        if not verify(self._secrets, lowered, body, now_ts=now_ts, tolerance_s=self._tolerance_s):
            return 401, False
        key = lowered.get(IDEMPOTENCY_HEADER.lower())
        try:
            message = json.loads(body)
        except ValueError:
            return 400, False
        if (not key or not isinstance(message, dict) or message.get("idempotency_key") != key
                or message.get("message_id") != lowered.get(ID_HEADER)):
            return 400, False
        with self._lock:
            self.deliveries += 1
            if key in self._by_key:
                self.duplicates += 1
                self.redelivered[key] = self.redelivered.get(key, 0) + 1
                return 200, True
            received = Received(key, message)
            self._by_key[key] = received
            self.applied.append(received)
            if self._lose > 0:
                self._lose -= 1
                return 500, False
            return 200, False

    def get(self, idempotency_key: str) -> Received | None:
        with self._lock:
            return self._by_key.get(idempotency_key)


def serve_sink(sink: WebhookSink, host: str = "127.0.0.1", port: int = 0) -> tuple[ThreadingHTTPServer, str]:
    """Run the sink behind a real HTTP server in a daemon thread; returns (server, url). Call
    ``server.shutdown(); server.server_close()`` to stop it."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            status, duplicate = sink.receive(body, dict(self.headers.items()))
            reply = json.dumps({"ok": 200 <= status < 300, "duplicate": duplicate}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: Any) -> None:  # keep test and demo output quiet
            pass

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="webhook-sink", daemon=True).start()
    return server, f"http://{host}:{server.server_port}/webhooks/anxin"
