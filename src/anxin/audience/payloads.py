"""The audience as the platform reports it: pure parsers of ``consumer.registered`` and ``content.feedback`` data.

They raise ``anxin.core.fields.FieldInvalid``; ingestion turns it into its error code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from anxin.audience.model import SENTIMENTS, Consumer, ContentFeedback
from anxin.core import fields as f

# Validates the consumer's attributes in ``data[name]`` for risk control (injected: risk owns what they may be).
AttributeCheck = Callable[[Mapping[str, Any], str], object]


def parse_consumer(d: Mapping[str, Any], *, check_risk: AttributeCheck) -> Consumer:
    consumer = Consumer(f.text(d, "consumer_id"), f.instant(d, "registered_at"))
    check_risk(d, "risk")
    return consumer


def parse_content_feedback(d: Mapping[str, Any]) -> ContentFeedback:
    return ContentFeedback(f.text(d, "feedback_id"), f.text(d, "creator_id"), f.text(d, "content_id"),
                           f.choice(d, "sentiment", SENTIMENTS), f.instant(d, "at"))
