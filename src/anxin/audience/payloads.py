"""The audience as the platform reports it: the models of `consumer.registered` and `content.feedback` data
and their thin parsers.

They raise `anxin.core.fields.FieldInvalid` (`anxin.core.payload.parse`); ingestion turns it into its error code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pydantic import Field

from anxin.audience.model import Consumer, ContentFeedback, Sentiment
from anxin.core.payload import Attributes, Id, Instant, Payload, parse

# Validates the consumer's attributes in `data[name]` for risk control (injected: risk owns what they may be).
AttributeCheck = Callable[[Mapping[str, Any], str], object]


class ConsumerRegistered(Payload):
    """`consumer.registered`: a consumer account (its age is what scores read) and its attributes."""

    consumer_id: Id
    registered_at: Instant
    risk: Attributes | None = Field(None, description="device, phone, address, payment, ip, return_address")


class ContentFeedbackPosted(Payload):
    """`content.feedback`: a viewer's reaction to a creator's promotional content."""

    feedback_id: Id
    creator_id: Id
    content_id: Id
    sentiment: Sentiment
    at: Instant


def parse_consumer(d: Mapping[str, Any], *, check_risk: AttributeCheck) -> Consumer:
    check_risk(d, "risk")  # risk's own check first: it names the attribute that is wrong
    m = parse(ConsumerRegistered, d)
    return Consumer(m.consumer_id, m.registered_at)


def parse_content_feedback(d: Mapping[str, Any]) -> ContentFeedback:
    m = parse(ContentFeedbackPosted, d)
    return ContentFeedback(m.feedback_id, m.creator_id, m.content_id, m.sentiment.value, m.at)


# The model of each event type's data (published as JSON Schema).
PAYLOADS: dict[str, type[Payload]] = {
    "consumer.registered": ConsumerRegistered, "content.feedback": ContentFeedbackPosted}
