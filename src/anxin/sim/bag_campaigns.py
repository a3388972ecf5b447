"""Lucky-bag campaigns (无忧福袋) in a simulated livestream: what a creator gives away, and who enters.

During a stream a host opens a lucky bag: one or two worry-free listings as prizes, a few units each, an entry window
of 5–15 minutes inside the stream. Viewers enter (most once, some tap twice: the second entry is a duplicate the
service must refuse), a few after the window closed (refused too), and the entrants come from the stream's
audience: buyers of the host's shops are more likely to be watching. Pure: the campaign and its entrants as values,
from the ``random.Random`` given.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass

DUPLICATE_SHARE = 0.06  # entrants who tap "enter" twice
LATE_SHARE = 0.02  # entries that arrive after the window closed


@dataclass(frozen=True)
class Prize:
    listing_id: str
    quantity: int


@dataclass(frozen=True)
class Campaign:
    bag_id: str  # the simulator's own handle (the service names the bag)
    creator_id: str
    shop_id: str
    live_room_id: str
    prizes: tuple[Prize, ...]
    opens_at: dt.datetime
    closes_at: dt.datetime

    @property
    def units(self) -> int:
        return sum(p.quantity for p in self.prizes)


@dataclass(frozen=True)
class Entry:
    consumer_id: str
    region: str
    entered_at: dt.datetime
    duplicate: bool = False  # a second tap by someone already in
    late: bool = False  # after the window


def campaign(rng: random.Random, *, bag_id: str, creator_id: str, shop_id: str, live_room_id: str,
             listings: Sequence[tuple[str, int]], stream_start: dt.datetime, stream_minutes: float = 120.0,
             max_units: int = 10) -> Campaign | None:
    """A bag from ``listings`` ((listing_id, units available) of tagged listings with stock): one or two of them,
    1–5 units each, never more than available or ``max_units`` in all; the window opens 10–60 % into the stream
    and lasts 5–15 minutes. None when nothing is available."""
    stocked = [(li, n) for li, n in listings if n > 0]
    if not stocked:
        return None
    picks = rng.sample(stocked, min(len(stocked), 2 if rng.random() < 0.3 else 1))
    prizes, left = [], max_units
    for li, n in picks:
        q = min(n, left, rng.randint(1, 5))
        if q > 0:
            prizes.append(Prize(li, q))
            left -= q
    if not prizes:
        return None
    opens = stream_start + dt.timedelta(minutes=stream_minutes * rng.uniform(0.1, 0.6))
    closes = opens + dt.timedelta(minutes=rng.uniform(5, 15))
    return Campaign(bag_id, creator_id, shop_id, live_room_id, tuple(prizes), opens, closes)


def entrants(rng: random.Random, bag: Campaign, audience: Sequence[tuple[str, str]], n: int) -> list[Entry]:
    """``n`` distinct viewers from ``audience`` ((consumer_id, region) each) enter inside the window; duplicates and
    late entries come on top. Sorted by time."""
    people = rng.sample(list(audience), min(n, len(audience)))
    window = (bag.closes_at - bag.opens_at).total_seconds()
    out: list[Entry] = []
    for consumer_id, region in people:
        # most enter in the first minutes after the host announces it
        at = bag.opens_at + dt.timedelta(seconds=min(window - 1e-3, rng.expovariate(3.0 / window)))
        out.append(Entry(consumer_id, region, at))
        if rng.random() < DUPLICATE_SHARE:
            again = at + dt.timedelta(seconds=rng.uniform(1, 30))
            out.append(Entry(consumer_id, region, min(again, bag.closes_at - dt.timedelta(milliseconds=1)),
                             duplicate=True))
    inside = {c for c, _ in people}
    others = [p for p in audience if p[0] not in inside]
    for consumer_id, region in others[: round(LATE_SHARE * len(people))]:  # viewers who were too slow
        out.append(Entry(consumer_id, region, bag.closes_at + dt.timedelta(seconds=rng.uniform(1, 120)), late=True))
    out.sort(key=lambda e: (e.entered_at, e.consumer_id))
    return out
