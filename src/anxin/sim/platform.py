"""The platform on the receiving end of anxin's webhooks, for simulated runs.

``anxin sim`` delivers the outbox in-process to a ``WebhookSink`` (signature check and exactly-once on
the Idempotency-Key included), so a simulated month ends with its refunds actually received. The demo
serves the same sink over HTTP. Webhooks are signed with the wall clock whatever the simulated time, so the sink
checks them against the wall clock too.
"""

from __future__ import annotations

from anxin.outbox.receiver import WebhookSink


class SinkTransport:
    """A webhook transport that hands the request straight to a sink, without a socket. ``default_url`` names the
    sink as an endpoint: with no ANXIN_WEBHOOK_URL, bootstrap points the default endpoint at it."""

    default_url = "http://simulated-platform.invalid/webhooks/anxin"

    def __init__(self, sink: WebhookSink) -> None:
        self.sink = sink

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        status, _duplicate = self.sink.receive(body, headers)
        return status
