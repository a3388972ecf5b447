"""Standard Webhooks signatures (https://www.standardwebhooks.com/). Pure: no database, no clock, no I/O.

Every request carries ``webhook-id`` (the message id: the same on every retry and redelivery, so receivers dedup on
it), ``webhook-timestamp`` (unix seconds of sending) and ``webhook-signature``: space-separated ``v1,<base64>``
entries, each the HMAC-SHA256 of ``"{id}.{timestamp}.{body}"`` under one secret. Several entries let an endpoint
rotate its secret: the sender signs with the old and the new one until the old one expires, and a receiver accepts
the request when any entry matches any secret it holds.

Secrets are ``whsec_<base64 of the key bytes>``. A secret without that prefix (a legacy ``ANXIN_WEBHOOK_SECRET``)
is used as its UTF-8 bytes; ``as_whsec`` gives the same key in the standard form for a Standard Webhooks library.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping
from typing import Final

ID_HEADER: Final = "webhook-id"
TIMESTAMP_HEADER: Final = "webhook-timestamp"
SIGNATURE_HEADER: Final = "webhook-signature"
SECRET_PREFIX: Final = "whsec_"
TOLERANCE_SECONDS: Final = 300
SECRET_BYTES: Final = 24


class InvalidSecret(ValueError):
    """A ``whsec_`` secret whose key is not base64, or an empty secret."""


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def secret_key(secret: str) -> bytes:
    """The HMAC key a secret stands for."""
    if secret.startswith(SECRET_PREFIX):
        encoded = secret[len(SECRET_PREFIX):].rstrip("=")
        try:
            # Unpadded base64 is accepted too, as the reference libraries do.
            key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise InvalidSecret("a whsec_ secret must hold base64 after the prefix") from exc
    else:
        key = secret.encode("utf-8")
    if not key:
        raise InvalidSecret("a webhook secret may not be empty")
    return key


def as_whsec(secret: str) -> str:
    """The same key written as ``whsec_<base64>``, for receivers that use a Standard Webhooks library."""
    return secret if secret.startswith(SECRET_PREFIX) else (
        SECRET_PREFIX + base64.b64encode(secret_key(secret)).decode("ascii"))


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """One ``v1,<base64>`` entry."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def sign_headers(secrets_: Iterable[str], message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers, with one signature per secret (current first)."""
    entries = [signature(s, message_id, timestamp, body) for s in secrets_]
    if not entries:
        raise InvalidSecret("at least one secret is needed to sign")
    return {ID_HEADER: message_id, TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: " ".join(entries)}


def verify(secrets_: Iterable[str], headers: Mapping[str, str], body: bytes, *, now_ts: int,
           tolerance_s: int = TOLERANCE_SECONDS) -> bool:
    """True when the timestamp is within ``tolerance_s`` of ``now_ts`` (either way) and some ``v1`` entry of the
    signature header matches some secret. Header names are case-insensitive; unknown versions are ignored."""
    lowered = {k.lower(): v for k, v in headers.items()}
    message_id, stamp, sent = (lowered.get(ID_HEADER), lowered.get(TIMESTAMP_HEADER),
                               lowered.get(SIGNATURE_HEADER))
    if not message_id or not stamp or not sent:
        return False
    try:
        timestamp = int(stamp)
    except ValueError:
        return False
    if abs(now_ts - timestamp) > tolerance_s:
        return False
    offered = [value for version, _, value in (e.partition(",") for e in sent.split(" ")) if version == "v1"]
    matched = False
    for secret in secrets_:
        expected = signature(secret, message_id, timestamp, body).partition(",")[2].encode("ascii")
        # Compare against every entry (no early exit), so timing says nothing about which one matched.
        for candidate in offered:
            matched |= hmac.compare_digest(expected, candidate.encode("ascii", "replace"))
    return matched
