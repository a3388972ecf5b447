"""`anxin outbox …`: webhook messages, their deliveries, redelivery, and the endpoints they go to.

Every command prints JSON; bad input prints ``error [code]: message`` and exits 2, with nothing written.
"""

from __future__ import annotations

from typing import Any

import click

from anxin.cli.output import emit

KIND_HELP = "Message kind to subscribe to (repeat the option); * for every kind."


def _outbox() -> Any:
    from anxin.bootstrap import bootstrap

    return bootstrap().outbox


@click.group()
def outbox() -> None:
    """Webhooks: messages and their deliveries to each endpoint, redelivery, endpoints and their secrets."""


@outbox.command("list")
@click.option("--status", type=click.Choice(["pending", "delivered", "dead"]), default=None,
              help="Only messages in this status (dead: some endpoint gave up).")
@click.option("--kind", default=None, help="Only this kind, e.g. refund.issue.")
@click.option("--subject", default=None, help="Only messages about this case or order id.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--offset", default=0, show_default=True, type=click.IntRange(0))
def list_messages(status: str | None, kind: str | None, subject: str | None, limit: int, offset: int) -> None:
    """List messages, newest first."""
    from anxin.outbox.service import message_dict

    def run() -> Any:
        svc = _outbox()
        return {"messages": [message_dict(m) for m in svc.list_messages(
            subject_ref=subject, status=status, kind=kind, limit=limit, offset=offset, newest_first=True)],
            "counts": svc.stats()}
    emit(run)


@outbox.command("show")
@click.argument("message_id")
def show(message_id: str) -> None:
    """One message with its deliveries (one per endpoint) and their recent attempts."""
    emit(lambda: _outbox().message_detail(message_id).as_dict())


@outbox.command("redeliver")
@click.argument("item_id", metavar="ID")
def redeliver(item_id: str) -> None:
    """Start a dead or failing message (msg_…: all its dead or failing deliveries) or one delivery (dlv_…) over
    from now. The webhook-id and Idempotency-Key stay the same, so receivers that already applied it dedup."""
    def run() -> Any:
        svc = _outbox()
        if item_id.startswith("dlv_"):
            return {"delivery": svc.redeliver_delivery(item_id).as_dict()}
        svc.redeliver(item_id)
        return svc.message_detail(item_id).as_dict()
    emit(run)


@outbox.group()
def endpoints() -> None:
    """Receivers of webhooks: URL, kinds subscribed, enabled, signing secret."""


@endpoints.command("list")
def endpoints_list() -> None:
    """Every endpoint with its deliveries by status (secrets are never shown)."""
    def run() -> Any:
        svc = _outbox()
        counts = svc.delivery_counts()
        return [{**e.as_dict(), "deliveries": counts.get(e.endpoint_id, {})} for e in svc.endpoints.list()]
    emit(run)


def _with_secret(created: Any) -> dict[str, Any]:
    return {"endpoint": created.endpoint.as_dict(), "secret": created.secret,
            "note": "the secret is shown only now: give it to the receiver (Standard Webhooks, whsec_…)"}


@endpoints.command("add")
@click.argument("url")
@click.option("--kind", "kinds", multiple=True, default=("*",), show_default=True, help=KIND_HELP)
@click.option("--description", default="", help="What the endpoint is, for operators.")
@click.option("--disabled", is_flag=True, help="Create it disabled (nothing is sent until enabled).")
def endpoints_add(url: str, kinds: tuple[str, ...], description: str, disabled: bool) -> None:
    """Add an endpoint at URL; prints its signing secret once. Messages waiting for a subscriber go to it."""
    emit(lambda: _with_secret(_outbox().endpoints.create(url=url, event_types=list(kinds),
                                                          description=description, enabled=not disabled)))


@endpoints.command("disable")
@click.argument("endpoint_id")
def endpoints_disable(endpoint_id: str) -> None:
    """Stop sending to an endpoint; its deliveries wait (no attempt spent) until it is enabled again."""
    emit(lambda: _outbox().endpoints.update(endpoint_id, enabled=False).as_dict())


@endpoints.command("enable")
@click.argument("endpoint_id")
@click.option("--kind", "kinds", multiple=True, help="Also replace the kinds subscribed to. " + KIND_HELP)
def endpoints_enable(endpoint_id: str, kinds: tuple[str, ...]) -> None:
    """Send to an endpoint again (what waited goes out on the next delivery run)."""
    emit(lambda: _outbox().endpoints.update(endpoint_id, enabled=True,
                                             event_types=list(kinds) if kinds else None).as_dict())


@endpoints.command("rotate")
@click.argument("endpoint_id")
def endpoints_rotate(endpoint_id: str) -> None:
    """New signing secret, printed once; the old one keeps signing too for 24 hours, so the receiver can switch."""
    emit(lambda: _with_secret(_outbox().endpoints.rotate_secret(endpoint_id)))
