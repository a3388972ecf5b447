"""The agenda of the simulation and the platform's event feed.

The agenda runs callbacks in (time, sequence) order, so two things due at the same moment always run
in the order they were scheduled: that is what makes a seed reproducible. The feed turns world facts
into platform events and decides when each *reaches* anxin: usually within minutes, sometimes hours
late (so a scan can arrive before its shipment and gets parked), and sometimes twice (a replay).
"""

from __future__ import annotations

import datetime as dt
import heapq
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

CST = dt.timezone(dt.timedelta(hours=8))


def iso(at: dt.datetime) -> str:
    """Platform timestamps carry the local offset, as a Chinese platform would send them."""
    return at.astimezone(CST).isoformat()


@dataclass(frozen=True)
class Arrival:
    """A platform event reaching anxin's ingestion endpoint."""

    event: dict[str, Any]
    replay: bool = False


class Agenda:
    def __init__(self) -> None:
        self._heap: list[tuple[dt.datetime, int, Any, tuple[Any, ...]]] = []
        self._seq = 0

    def call(self, at: dt.datetime, fn: Callable[..., None] | Arrival, *args: Any) -> None:
        heapq.heappush(self._heap, (at, self._seq, fn, args))
        self._seq += 1

    def pop_before(self, limit: dt.datetime) -> tuple[dt.datetime, Any, tuple[Any, ...]] | None:
        if self._heap and self._heap[0][0] < limit:
            at, _, fn, args = heapq.heappop(self._heap)
            return at, fn, args
        return None

    def __len__(self) -> int:
        return len(self._heap)


@dataclass
class FeedStats:
    generated: int = 0
    late: int = 0
    replayed: int = 0


class Feed:
    def __init__(self, rng: random.Random, agenda: Agenda, *, late_share: float, replay_share: float) -> None:
        self.rng = rng
        self.agenda = agenda
        self.late_share = late_share
        self.replay_share = replay_share
        self.stats = FeedStats()
        self._n = 0

    def emit(self, etype: str, at: dt.datetime, data: dict[str, Any], *, prompt: bool = False,
             rng: random.Random | None = None, sent_at: dt.datetime | None = None) -> dict[str, Any]:
        """Create an event that happened at ``at`` and schedule its arrival (``prompt``: no lateness).

        ``rng``: the stream that decides its lateness and replay (behaviour added later draws from its own
        stream, so the older draws stay where they were); ``sent_at``: when the platform sends it, if not
        when it happened (an account registered years ago is sent with the buyer's first order)."""
        self._n += 1
        event = {"id": f"ev-{self._n:08d}", "type": etype, "occurred_at": iso(at), "data": data}
        self.stats.generated += 1
        rng = rng or self.rng
        at = sent_at or at
        if not prompt and rng.random() < self.late_share:
            delay = dt.timedelta(minutes=rng.uniform(15, 150))
            self.stats.late += 1
        else:
            delay = dt.timedelta(seconds=rng.uniform(1, 240))
        arrival = at + delay
        self.agenda.call(arrival, Arrival(event))
        if not prompt and rng.random() < self.replay_share:
            self.replay(event, arrival + dt.timedelta(hours=rng.uniform(1, 12)))
        return event

    def replay(self, event: dict[str, Any], at: dt.datetime) -> None:
        self.stats.replayed += 1
        self.agenda.call(at, Arrival(event, replay=True))
