"""Webhook endpoints: create, change, enable or disable, rotate secrets; the configured default endpoint.

A secret is shown once, in the answer that creates or rotates it. After a rotation the old secret keeps signing
(a second ``v1`` entry) for ``ROTATION_GRACE``, so receivers can switch without dropping a request.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass

from anxin.core.clock import Clock
from anxin.core.errors import AnxinError
from anxin.core.ids import new_id
from anxin.db.uow import UnitOfWork, UowFactory
from anxin.outbox import signing
from anxin.outbox.delivery_store import EndpointRepository, EndpointRow, to_endpoint
from anxin.outbox.error_codes import OutboxErrorCode as E
from anxin.outbox.model import (
    ALL_KINDS,
    DEFAULT_ENDPOINT_ID,
    MAX_DESCRIPTION,
    ROTATION_GRACE,
    Endpoint,
    event_type_problems,
    normalise_event_types,
    url_problem,
)


@dataclass(frozen=True)
class EndpointSecret:
    """An endpoint with its signing secret: only ever returned by create and rotate."""

    endpoint: Endpoint
    secret: str


def _check(url: str | None, event_types: list[str] | None, description: str | None) -> None:
    problems = []
    if url is not None and (p := url_problem(url)):
        problems.append(p)
    if event_types is not None:
        problems += event_type_problems(event_types)
    if description is not None and len(description) > MAX_DESCRIPTION:
        problems.append(f"the description must be at most {MAX_DESCRIPTION} characters")
    if problems:
        raise AnxinError(E.INVALID_ENDPOINT, "; ".join(problems), problems=problems)


def _not_found(endpoint_id: str) -> AnxinError:
    return AnxinError(E.ENDPOINT_NOT_FOUND, f"no webhook endpoint {endpoint_id!r}", endpoint_id=endpoint_id)


class WebhookEndpoints:
    def __init__(self, *, uow_factory: UowFactory, clock: Clock) -> None:
        self._uow_factory = uow_factory
        self._clock = clock

    def list(self) -> list[Endpoint]:
        with self._uow_factory() as uow:
            return [to_endpoint(r) for r in EndpointRepository(uow.session).all()]

    def get(self, endpoint_id: str) -> Endpoint:
        with self._uow_factory() as uow:
            row = EndpointRepository(uow.session).get(endpoint_id)
            if row is None:
                raise _not_found(endpoint_id)
            return to_endpoint(row)

    # builtins.list below: inside this class ``list`` is the method above.
    def create(self, *, url: str, event_types: builtins.list[str], description: str = "",
               enabled: bool = True) -> EndpointSecret:
        _check(url, event_types, description)
        now, secret = self._clock.now(), signing.new_secret()
        row = EndpointRow(endpoint_id=new_id("ep"), url=url, description=description, secret=secret,
                          previous_secret=None, previous_secret_until=None,
                          event_types=list(normalise_event_types(event_types)), enabled=enabled, created_at=now,
                          updated_at=now)
        with self._uow_factory() as uow:
            EndpointRepository(uow.session).add(row)
            endpoint = to_endpoint(row)
            uow.commit()
        return EndpointSecret(endpoint, secret)

    def update(self, endpoint_id: str, *, url: str | None = None, event_types: builtins.list[str] | None = None,
               description: str | None = None, enabled: bool | None = None) -> Endpoint:
        _check(url, event_types, description)
        with self._uow_factory() as uow:
            row = self._locked(uow, endpoint_id)
            if url is not None and url != row.url and row.endpoint_id == DEFAULT_ENDPOINT_ID:
                raise AnxinError(E.ENDPOINT_CONFIGURED, "the default endpoint's URL is ANXIN_WEBHOOK_URL: "
                                 "change it there and restart", endpoint_id=endpoint_id)
            if url is not None:
                row.url = url
            if event_types is not None:
                row.event_types = list(normalise_event_types(event_types))
            if description is not None:
                row.description = description
            if enabled is not None:
                row.enabled = enabled
            row.updated_at = self._clock.now()
            endpoint = to_endpoint(row)
            uow.commit()
        return endpoint

    def rotate_secret(self, endpoint_id: str) -> EndpointSecret:
        with self._uow_factory() as uow:
            row = self._locked(uow, endpoint_id)
            if row.endpoint_id == DEFAULT_ENDPOINT_ID:
                raise AnxinError(E.ENDPOINT_CONFIGURED, "the default endpoint's secret is ANXIN_WEBHOOK_SECRET: "
                                 "change it there and restart (the old one keeps signing for a day)",
                                 endpoint_id=endpoint_id)
            secret = signing.new_secret()
            self._rotate(row, secret)
            result = EndpointSecret(to_endpoint(row), secret)
            uow.commit()
        return result

    def ensure_configured(self, url: str, secret: str) -> Endpoint:
        """The default endpoint from ANXIN_WEBHOOK_URL and ANXIN_WEBHOOK_SECRET, on every start: created
        subscribed to every kind; later starts set its URL and secret (a changed secret rotates, so the old one
        still signs for a day) and leave what operators chose (enabled, kinds, description) alone."""
        _check(url, None, None)
        signing.secret_key(secret)  # refuse a malformed whsec_ secret at start, not at the first send
        now = self._clock.now()
        with self._uow_factory() as uow:
            repo = EndpointRepository(uow.session)
            repo.insert_if_absent({"endpoint_id": DEFAULT_ENDPOINT_ID, "url": url, "secret": secret,
                                   "description": "ANXIN_WEBHOOK_URL", "previous_secret": None,
                                   "previous_secret_until": None, "event_types": [ALL_KINDS], "enabled": True,
                                   "created_at": now, "updated_at": now})
            row = repo.get_for_update(DEFAULT_ENDPOINT_ID)
            assert row is not None
            if row.url != url:
                row.url, row.updated_at = url, now
            if row.secret != secret:
                self._rotate(row, secret)
            endpoint = to_endpoint(row)
            uow.commit()
        return endpoint

    def _rotate(self, row: EndpointRow, secret: str) -> None:
        now = self._clock.now()
        row.previous_secret, row.previous_secret_until = row.secret, now + ROTATION_GRACE
        row.secret, row.updated_at = secret, now

    def _locked(self, uow: UnitOfWork, endpoint_id: str) -> EndpointRow:
        row = EndpointRepository(uow.session).get_for_update(endpoint_id)
        if row is None:
            raise _not_found(endpoint_id)
        return row
