"""The platform on the receiving end of anxin's webhooks, for simulated runs.

``anxin sim`` delivers the outbox in-process to a ``WebhookSink`` (signature check and exactly-once on
the Idempotency-Key included), so a simulated month ends with its refunds actually received. The demo
serves the same sink over HTTP; its clock follows the simulated clock while the simulation runs and the
wall clock afterwards, so signatures stamped with either time verify.
"""

from __future__ import annotations

import datetime as dt

from anxin.core.clock import Clock
from anxin.outbox.receiver import WebhookSink


class FollowClock:
    """Reads whichever clock it currently follows."""

    def __init__(self, inner: Clock) -> None:
        self.inner = inner

    def follow(self, inner: Clock) -> None:
        self.inner = inner

    def now(self) -> dt.datetime:
        return self.inner.now()


class SinkTransport:
    """A webhook transport that hands the request straight to a sink, without a socket."""

    def __init__(self, sink: WebhookSink) -> None:
        self.sink = sink

    def post(self, body: bytes, headers: dict[str, str]) -> int:
        status, _duplicate = self.sink.receive(body, headers)
        return status
