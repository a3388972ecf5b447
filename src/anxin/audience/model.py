"""Pure audience objects."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum


class Sentiment(StrEnum):
    POSITIVE = "positive"
    NEUTRAL = "neutral"
    NEGATIVE = "negative"


SENTIMENTS = tuple(s.value for s in Sentiment)


@dataclass(frozen=True)
class Consumer:
    consumer_id: str
    registered_at: dt.datetime  # the account's age is what scores read


@dataclass(frozen=True)
class ContentFeedback:
    """One viewer's reaction to a creator's promotional content."""

    feedback_id: str
    creator_id: str
    content_id: str
    sentiment: str  # one of SENTIMENTS
    at: dt.datetime
