"""What the orders context publishes: facts other contexts (care's 30-day companion) may act on. Pure: other
contexts import these to subscribe."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from anxin.core.events import Event, event

BAD_REVIEW_MAX_RATING = 2  # a review rated 1 or 2 (of 5) is a bad one


def is_bad_review(rating: int) -> bool:
    return rating <= BAD_REVIEW_MAX_RATING


@event("orders.bad_review_received")
@dataclass(frozen=True)
class BadReviewReceived(Event):
    """A consumer's review of an order was recorded with a rating of at most ``BAD_REVIEW_MAX_RATING`` (a new
    review, or a newer one replacing the order's earlier review). ``at``: when the review was posted."""

    order_id: str
    shop_id: str
    consumer_id: str
    rating: int
    at: dt.datetime
