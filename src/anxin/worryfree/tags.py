"""The worry-free tag: evaluated per listing by rule, gained and lost with the reason, kept with its history.

A listing carries the tag while it is enrolled, has passed warehouse stock available and its shop meets the
programme's thresholds (24-hour ship rate and complaint rate over the window, score band). The ``worryfree.tags``
job re-evaluates every enrolled listing; a lot passing inspection, stock reaching zero, an enrolment or a withdrawal
re-evaluate that listing at once (in the caller's unit of work). Every evaluation stores the decision (outcome,
reasons, rule ids, rulebook version, facts); every change adds a history entry (gained | lost).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from anxin.care import service as care
from anxin.catalog import service as catalog
from anxin.core.clock import Clock
from anxin.core.errors import AnxinError
from anxin.core.principal import Principal, Role
from anxin.db.uow import UnitOfWork, UowFactory
from anxin.orders import service as orders
from anxin.scoring import service as scoring
from anxin.shops import service as shops
from anxin.worryfree import service
from anxin.worryfree.tag_error_codes import TagErrorCode as E
from anxin.worryfree.tag_policy import TAGGED, Decision, TagFacts, change_of, tag_decision
from anxin.worryfree.tag_rules import TagRulebookSpec, load_tag_rules
from anxin.worryfree.tag_store import ACTIVE, EnrolmentRow, TagHistoryRow, TagRepository, TagStateRow

READERS = (Role.MERCHANT, Role.OPERATOR, Role.PLATFORM, Role.CREATOR)


class StockSource(Protocol):
    """Units available in passed lots per listing (0 for one without): ``worryfree.service.available_of``."""

    def __call__(self, uow: UnitOfWork, listing_ids: Sequence[str]) -> dict[str, int]: ...


class StockSummary(Protocol):
    """The listing's stock level as a plain dict for the listing view (``worryfree.service.stock_of``)."""

    def __call__(self, uow: UnitOfWork, listing_id: str) -> dict[str, Any] | None: ...


class ScoreSource(Protocol):
    """The shop's latest experience score in hundredths, None while unscored: ``scoring.latest_shop_score``."""

    def __call__(self, uow: UnitOfWork, shop_id: str) -> int | None: ...


@dataclass(frozen=True)
class ShopFigures:
    orders: int  # paid in the window, their ship-within hours passed, not cancelled unshipped
    shipped_within: int
    paid_orders: int
    complaints: int
    score_x100: int | None


def shop_figures(uow: UnitOfWork, rb: TagRulebookSpec, shop_id: str, at: dt.datetime,
                 score: ScoreSource = scoring.latest_shop_score) -> ShopFigures:
    """The shop's figures over the rulebook's window ending at ``at``."""
    t = rb.tag
    start = at - dt.timedelta(days=t.window.days)
    within = dt.timedelta(hours=t.ship_rate.within_hours)
    matured = shipped = 0
    for order, collected_at in orders.orders_paid_between(uow, shop_id, start, at - within):
        shipped_at = collected_at or order.shipped_at
        if order.status is orders.OrderStatus.CANCELLED and shipped_at is None:
            continue  # cancelled before shipping: not an order the shop had to ship
        matured += 1
        if shipped_at is not None and shipped_at <= order.paid_at + within:
            shipped += 1
    paid = orders.paid_counts_by_shop(uow, [shop_id], since=start, until=at)[shop_id]
    complaints = care.complaint_counts(uow, [shop_id], since=start, until=at)[shop_id]
    return ShopFigures(matured, shipped, paid, complaints, score(uow, shop_id))


def state_dict(row: TagStateRow | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {"tagged": row.tagged, "since": _iso(row.since), "reasons": list(row.reasons),
            "rule_ids": list(row.rule_ids), "failed_rule_ids": list(row.facts.get("failed_rule_ids", [])),
            "rulebook_version": row.rulebook_version,
            "facts": {k: v for k, v in row.facts.items() if k != "failed_rule_ids"}, "trigger": row.trigger,
            "evaluated_at": row.evaluated_at.isoformat()}


def history_dict(row: TagHistoryRow) -> dict[str, Any]:
    return {"change": row.change, "at": row.at.isoformat(), "reasons": list(row.reasons),
            "rule_ids": list(row.rule_ids),
            "rulebook_version": row.rulebook_version, "trigger": row.trigger, "facts": row.facts}


def enrolment_dict(row: EnrolmentRow | None) -> dict[str, Any] | None:
    if row is None:
        return None
    d = row.decision
    return {"listing_id": row.listing_id, "shop_id": row.shop_id, "state": row.state,
            "outcome": d.get("outcome"), "reasons": list(d.get("reasons", [])),
            "rule_ids": list(d.get("rule_ids", [])), "failed_rule_ids": list(d.get("failed_rule_ids", [])),
            "rulebook_version": row.rulebook_version, "facts": d.get("facts", {}), "requested_by": row.requested_by,
            "requested_at": row.requested_at.isoformat(), "decided_at": row.decided_at.isoformat(),
            "version": row.version}


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


@dataclass
class _Run:
    figures: dict[str, ShopFigures] = field(default_factory=dict)


class Tags:
    def __init__(self, *, uow_factory: UowFactory, clock: Clock, rules: TagRulebookSpec | None = None,
                 stock: StockSource | None = None, stock_summary: StockSummary | None = None,
                 score: ScoreSource | None = None) -> None:
        self.uow_factory, self.clock = uow_factory, clock
        self.rules = rules or load_tag_rules()
        self.stock: StockSource = stock or service.available_of
        self.stock_summary: StockSummary = stock_summary or _stock_summary
        self.score: ScoreSource = score or scoring.latest_shop_score

    # --- evaluation (in the caller's unit of work) -----------------------------------------------------------

    def evaluate(self, uow: UnitOfWork, listing_ids: Iterable[str], *, at: dt.datetime, trigger: str,
                 run: _Run | None = None) -> dict[str, Decision]:
        """Re-evaluate the tag of each listing that is enrolled or tagged; the decisions by listing."""
        run = run or _Run()
        ids = sorted(set(listing_ids))
        repo = TagRepository(uow.session)
        enrolments = {lid: repo.enrolment(lid) for lid in ids}
        states = repo.tag_states(ids)
        todo = [lid for lid in ids if (e := enrolments[lid]) is not None and (e.state == ACTIVE or (
            lid in states and states[lid].tagged))]
        if not todo:
            return {}
        available = self.stock(uow, todo)
        out: dict[str, Decision] = {}
        uow.begin_write()
        for lid in todo:
            e = enrolments[lid]
            assert e is not None
            if e.shop_id not in run.figures:
                run.figures[e.shop_id] = shop_figures(uow, self.rules, e.shop_id, at, self.score)
            fig = run.figures[e.shop_id]
            decision = tag_decision(self.rules, TagFacts(
                listing_id=lid, shop_id=e.shop_id, enrolled=e.state == ACTIVE,
                available_units=available.get(lid, 0), orders=fig.orders, shipped_within=fig.shipped_within,
                paid_orders=fig.paid_orders, complaints=fig.complaints, score_x100=fig.score_x100))
            self._store(repo, e.shop_id, decision, at=at, trigger=trigger)
            out[lid] = decision
        return out

    def _store(self, repo: TagRepository, shop_id: str, d: Decision, *, at: dt.datetime, trigger: str) -> None:
        lid = d.facts["listing_id"]
        values = {"shop_id": shop_id, "tagged": d.outcome == TAGGED, "reasons": list(d.reasons),
                  "rule_ids": list(d.rule_ids), "rulebook_version": d.rulebook_version,
                  "facts": {**d.facts, "failed_rule_ids": list(d.failed)}, "trigger": trigger, "evaluated_at": at}
        row = repo.tag_state(lid, lock=True)
        if row is None and repo.insert_tag_state({"listing_id": lid, "since": at, **values}):
            change = change_of(None, d)
        else:
            row = row or repo.tag_state(lid, lock=True)
            assert row is not None
            change = change_of(row.tagged, d)
            if change is not None:
                row.since = at
            for k, v in values.items():
                setattr(row, k, v)
        if change is not None:
            repo.add_history({"listing_id": lid, "shop_id": shop_id, "change": change, "at": at,
                              "reasons": list(d.reasons), "rule_ids": list(d.failed or d.rule_ids),
                              "rulebook_version": d.rulebook_version, "facts": d.facts, "trigger": trigger})

    # --- the job and the event handlers ---------------------------------------------------------------------

    def run_due(self, now: dt.datetime | None = None) -> int:
        """``worryfree.tags``: re-evaluate every enrolled listing, a batch per transaction. How many listings were
        evaluated."""
        at, run, after, done = now or self.clock.now(), _Run(), None, 0
        while True:
            with self.uow_factory() as uow:
                ids = TagRepository(uow.session).active_listing_ids(after=after, limit=self.rules.job.batch)
                if not ids:
                    return done
                done += len(self.evaluate(uow, ids, at=at, trigger="job", run=run))
                uow.commit()
            after = ids[-1]

    def on_stock_changed(self, event: _ListingEvent, uow: UnitOfWork) -> None:
        """A lot passed inspection or a listing's stock reached zero: re-evaluate that listing now."""
        self.evaluate(uow, [event.listing_id], at=event.at, trigger=_trigger_of(event))

    # --- reads ------------------------------------------------------------------------------------------------

    def listing_view(self, who: Principal, listing_id: str) -> dict[str, Any]:
        """The listing's enrolment, tag (with reasons), history and stock summary."""
        with self.uow_factory() as uow:
            listing = catalog.get_listings(uow, [listing_id]).get(listing_id)
            if listing is None:
                raise AnxinError(E.LISTING_NOT_FOUND, f"no listing {listing_id!r}", listing_id=listing_id)
            visible_listing(uow, who, listing.shop_id, listing_id)
            repo = TagRepository(uow.session)
            state = repo.tag_state(listing_id)
            return {"listing_id": listing_id, "shop_id": listing.shop_id, "title": listing.title,
                    "enrolment": enrolment_dict(repo.enrolment(listing_id)), "tag": state_dict(state),
                    "history": [history_dict(h) for h in repo.history(listing_id)],
                    "stock": self.stock_summary(uow, listing_id),
                    "upgrades": [{"rule_id": u.rule_id, "zh-CN": u.text.zh_cn, "en": u.text.en}
                                 for u in self.rules.upgrades] if state is not None and state.tagged else []}


class _ListingEvent(Protocol):
    @property
    def listing_id(self) -> str: ...

    @property
    def at(self) -> dt.datetime: ...


def _trigger_of(event: object) -> str:
    name = type(event).__name__
    return {"LotPassed": "lot_passed", "StockDepleted": "stock_depleted"}.get(name, "stock")


def visible_listing(uow: UnitOfWork, who: Principal, shop_id: str, listing_id: str) -> None:
    """Operators, the platform and creators see any listing's programme state; a merchant only their shops'."""
    if who.role in (Role.OPERATOR, Role.PLATFORM, Role.CREATOR):
        return
    if who.role is Role.MERCHANT:
        shop = shops.get_shop(uow, shop_id)
        if shop is not None and shop.merchant_id == who.subject:
            return
    raise AnxinError(E.LISTING_NOT_FOUND, f"no listing {listing_id!r} visible to this key", listing_id=listing_id)


def _stock_summary(uow: UnitOfWork, listing_id: str) -> dict[str, Any] | None:
    return dict(service.stock_of(uow, listing_id).as_dict())

