"""Lucky-bag campaigns, entries, draws and prize orders (无忧福袋).

- A creator (for the live room they stream in) or a merchant (for their own shop) creates a bag: prizes must be the
  shop's listings carrying the worry-free tag; their stock is reserved to the holder ``bag:<id>`` at once (all or
  nothing, ``worryfree.out_of_stock``); a random server seed is drawn and only its SHA-256 is shown.
- The platform posts entries: one per consumer and bag (a second answers the first), each with its eligibility
  decision (window, region, account age) stored with reasons, rule ids, the rulebook version and the facts.
- The owner draws after the window closed (an operator too, after the owner's time ran out; the platform any time
  after the close). Under the bag's row lock: the permutation (``draw.draw``), one prize order per winner recorded
  through the orders service in the same transaction (a zero-price order, ``prize_of`` the bag, shipped from the
  warehouse under the warehouse promise, worry-free: the same guarantees and after-sales as a paid order), the stock
  moved bag → order, the platform told to ship each prize (outbox ``prize.ship``), the units nobody won released.
  A second draw, concurrent or later, answers the first one's result.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from anxin.access.service import require_role
from anxin.audience import service as audience
from anxin.catalog import service as catalog
from anxin.core.clock import Clock
from anxin.core.errors import AnxinError
from anxin.core.ids import new_id
from anxin.core.principal import Principal, Role
from anxin.db.uow import UnitOfWork, UowFactory
from anxin.orders import service as orders
from anxin.orders.service import OrderItem
from anxin.outbox import service as outbox
from anxin.shops import service as shops
from anxin.worryfree import service as wf
from anxin.worryfree import tag_store
from anxin.worryfree.draw import SEED_BYTES, draw, seed_hash
from anxin.worryfree.lucky_bag_error_codes import LuckyBagErrorCode as E
from anxin.worryfree.lucky_bag_rules import (
    EntryFacts,
    LuckyBagRulebookSpec,
    campaign_problems,
    decide_entry,
    load_lucky_bag_rules,
)
from anxin.worryfree.lucky_bag_store import (
    CANCELLED,
    DRAWN,
    OPEN,
    LuckyBagEntryRow,
    LuckyBagPrizeRow,
    LuckyBagRepository,
    LuckyBagRow,
)

PRIZE_SHIP = outbox.PRIZE_SHIP
WAREHOUSE = "warehouse"
Tagged = Callable[[UnitOfWork, Sequence[str]], frozenset[str]]


def _tagged(uow: UnitOfWork, listing_ids: Sequence[str]) -> frozenset[str]:
    return tag_store.tagged(uow.session, listing_ids)


@dataclass(frozen=True)
class NewBag:
    live_room_id: str
    shop_id: str
    prizes: tuple[tuple[str, int], ...]
    opens_at: dt.datetime
    closes_at: dt.datetime
    creator_id: str | None = None
    title: str = ""


@dataclass(frozen=True)
class NewEntry:
    consumer_id: str
    region: str
    entered_at: dt.datetime


def prize_order_id(bag_id: str, position: int) -> str:
    return f"{bag_id}-p{position:04d}"


def ship_key(order_id: str) -> str:
    return f"lucky-bag-prize:{order_id}"


def who_of(who: Principal) -> str:
    return f"{who.role.value}:{who.subject}"


class LuckyBags:
    def __init__(self, *, uow_factory: UowFactory, clock: Clock, rules: LuckyBagRulebookSpec | None = None,
                 fulfilment: orders.FulfilmentRulebook, stock_rules: wf.WorryFreeRules | None = None,
                 tagged: Tagged = _tagged, seeds: Callable[[], str] | None = None) -> None:
        self.uow_factory, self.clock = uow_factory, clock
        self.rules = rules or load_lucky_bag_rules()
        self.fulfilment = fulfilment
        self.terms = wf.Terms(stock_rules or wf.load_worryfree_rules(), wf.warehouse_window(fulfilment))
        self.tagged = tagged
        self.seeds = seeds or (lambda: secrets.token_hex(SEED_BYTES))

    # --- permissions ---------------------------------------------------------------------------------------------

    def _owns(self, uow: UnitOfWork, who: Principal, row: LuckyBagRow) -> bool:
        if who.role is Role.CREATOR:
            return row.creator_id == who.subject
        if who.role is Role.MERCHANT:
            shop = shops.get_shop(uow, row.shop_id)
            return shop is not None and shop.merchant_id == who.subject
        return False

    def _open_or_done(self, uow: UnitOfWork, who: Principal, bag_id: str, *, done: str) -> tuple[LuckyBagRow, bool]:
        """The bag under its row lock, in a write transaction: (row, False) while open, (row, True) when it is
        already ``done`` (the use case answers it again); any other state is ``…not_open``."""
        uow.begin_write()
        row = self._visible(uow, who, bag_id, lock=True)
        if row.state == done:
            return row, True
        if row.state != OPEN:
            raise AnxinError(E.NOT_OPEN, f"lucky bag {bag_id} is {row.state}", bag_id=bag_id, state=row.state)
        return row, False

    def _visible(self, uow: UnitOfWork, who: Principal, bag_id: str, *, lock: bool = False) -> LuckyBagRow:
        row = LuckyBagRepository(uow.session).get(bag_id, lock=lock)
        if row is None or not (who.role in (Role.OPERATOR, Role.PLATFORM) or self._owns(uow, who, row)):
            raise AnxinError(E.NOT_FOUND, f"no lucky bag {bag_id} you may see", bag_id=bag_id)
        return row

    # --- campaigns -----------------------------------------------------------------------------------------------

    def create(self, who: Principal, cmd: NewBag) -> dict[str, Any]:
        """A new bag with its prize stock reserved; the answer shows ``seed_hash``, never the seed."""
        require_role(who, Role.CREATOR, Role.MERCHANT, Role.PLATFORM)
        creator_id = who.subject if who.role is Role.CREATOR else cmd.creator_id
        rb = self.rules
        now = self.clock.now()
        found = campaign_problems(rb, now=now, opens_at=cmd.opens_at, closes_at=cmd.closes_at, prizes=cmd.prizes)
        if found:
            raise AnxinError(E.INVALID, "; ".join(m for _, m in found), field=found[0][0],
                             problems=[{"field": f, "message": m} for f, m in found], rule_id=rb.campaign.id)
        with self.uow_factory() as uow:
            uow.begin_write()
            shop = shops.get_shop(uow, cmd.shop_id)
            if shop is None or (who.role is Role.MERCHANT and shop.merchant_id != who.subject):
                raise AnxinError(E.FORBIDDEN, f"shop {cmd.shop_id} is not one you may give prizes of",
                                 shop_id=cmd.shop_id)
            ids = [lid for lid, _ in cmd.prizes]
            listings = catalog.get_listings(uow, ids)
            wrong = sorted(lid for lid in ids if lid not in listings or listings[lid].shop_id != cmd.shop_id)
            if wrong:
                raise AnxinError(E.WRONG_SHOP, f"not listings of shop {cmd.shop_id}: {', '.join(wrong)}",
                                 listing_ids=wrong, shop_id=cmd.shop_id)
            tagged = self.tagged(uow, ids)
            untagged = sorted(set(ids) - tagged)
            if rb.campaign.require_tagged and untagged:
                raise AnxinError(E.NOT_TAGGED, f"prizes must carry the worry-free tag: {', '.join(untagged)}",
                                 listing_ids=untagged, rule_id=rb.campaign.id)
            bag_id = new_id("bag")
            seed = self.seeds()
            reserved = wf.reserve(uow, holder=wf.bag_holder(bag_id), items=list(cmd.prizes), at=now,
                                  source=wf.Source.LUCKY_BAG, terms=self.terms)
            row = LuckyBagRow(
                bag_id=bag_id, live_room_id=cmd.live_room_id, creator_id=creator_id, shop_id=cmd.shop_id,
                created_by=who_of(who), title=cmd.title.strip(),
                prizes=[{"listing_id": lid, "quantity": q} for lid, q in cmd.prizes],
                opens_at=cmd.opens_at, closes_at=cmd.closes_at, seed_hash=seed_hash(seed), server_seed=seed,
                state=OPEN, rulebook_version=rb.version, created_at=now, drawn_at=None, drawn_by=None, draw=None,
                released=None, updated_at=now,
                decision={"outcome": "created", "reason_codes": ["prizes_tagged", "stock_reserved"],
                          "rule_ids": [rb.campaign.id], "rulebook_version": rb.version,
                          "facts": {"tagged": sorted(tagged), "units": sum(q for _, q in cmd.prizes),
                                    "reservations": [{"listing_id": r.listing_id, "lot_id": r.lot_id,
                                                      "quantity": r.quantity} for r in reserved]}})
            LuckyBagRepository(uow.session).add(row)
            uow.commit()
            return self._bag_dict(uow, row)

    # --- entries -------------------------------------------------------------------------------------------------

    def enter(self, who: Principal, bag_id: str, cmd: NewEntry) -> tuple[dict[str, Any], bool]:
        """Record a consumer's entry with its eligibility decision; (entry, created). A second entry of the same
        consumer answers the first (created False)."""
        require_role(who, Role.PLATFORM)
        rb = self.rules
        now = self.clock.now()
        if cmd.entered_at > now:
            raise AnxinError(E.INVALID, "entered_at is in the future", field="entered_at")
        with self.uow_factory() as uow:
            repo = LuckyBagRepository(uow.session)
            bag = repo.get(bag_id)
            if bag is None:
                raise AnxinError(E.NOT_FOUND, f"no lucky bag {bag_id}", bag_id=bag_id)
            existing = repo.entry_of(bag_id, cmd.consumer_id)
            if existing is not None:
                return _entry_dict(existing), False
            if bag.state != OPEN:
                raise AnxinError(E.NOT_OPEN, f"lucky bag {bag_id} is {bag.state}", bag_id=bag_id, state=bag.state)
            consumer = audience.get_consumer(uow, cmd.consumer_id)
            registered = consumer.registered_at if consumer is not None else None
            d = decide_entry(rb, EntryFacts(cmd.entered_at, bag.opens_at, bag.closes_at, cmd.region, registered))
            row = LuckyBagEntryRow(entry_id=new_id("lbe"), bag_id=bag_id, consumer_id=cmd.consumer_id,
                                   region=cmd.region, entered_at=cmd.entered_at, eligible=d.eligible,
                                   reasons=list(d.reasons), rule_ids=list(d.rule_ids), facts=d.facts,
                                   rulebook_version=rb.version, recorded_at=now)
            if not repo.add_entry(row):
                first = repo.entry_of(bag_id, cmd.consumer_id)
                assert first is not None
                return _entry_dict(first), False
            uow.commit()
            return _entry_dict(row), True

    def entries(self, who: Principal, bag_id: str, *, limit: int = 50, after: str | None = None
                ) -> list[dict[str, Any]]:
        with self.uow_factory() as uow:
            self._visible(uow, who, bag_id)
            return [_entry_dict(r) for r in LuckyBagRepository(uow.session).entries(bag_id, limit=limit, after=after)]

    # --- the draw ------------------------------------------------------------------------------------------------

    def draw(self, who: Principal, bag_id: str) -> tuple[dict[str, Any], bool]:
        """Draw the bag (idempotent): (bag with its audit, drawn now). Concurrent draws: one result."""
        require_role(who, Role.CREATOR, Role.MERCHANT, Role.OPERATOR, Role.PLATFORM)
        rb = self.rules
        with self.uow_factory() as uow:
            row, replay = self._open_or_done(uow, who, bag_id, done=DRAWN)
            if replay:
                return self._bag_dict(uow, row), False
            now = self.clock.now()
            if now < row.closes_at:
                raise AnxinError(E.WINDOW_NOT_CLOSED, "the entry window has not closed yet", bag_id=bag_id,
                                 closes_at=row.closes_at.isoformat())
            owner_until = row.closes_at + dt.timedelta(hours=rb.draw.owner_within_hours)
            if who.role in (Role.CREATOR, Role.MERCHANT) and now >= owner_until:
                raise AnxinError(E.OWNER_WINDOW_PASSED, "the owner's time to draw has passed; an operator draws",
                                 bag_id=bag_id, owner_until=owner_until.isoformat(), rule_id=rb.draw.id)
            if who.role is Role.OPERATOR and now < owner_until:
                raise AnxinError(E.FORBIDDEN, "the owner draws until their time has passed", bag_id=bag_id,
                                 owner_until=owner_until.isoformat(), rule_id=rb.draw.id)
            self._draw(uow, row, who, now)
            uow.commit()
            return self._bag_dict(uow, row), True

    def _draw(self, uow: UnitOfWork, row: LuckyBagRow, who: Principal, now: dt.datetime) -> None:
        repo = LuckyBagRepository(uow.session)
        eligible = {e.consumer_id: e for e in repo.entries(row.bag_id, eligible=True)}
        prizes = [(p["listing_id"], int(p["quantity"])) for p in row.prizes]
        result = draw(bag_id=row.bag_id, seed=row.server_seed, committed_hash=row.seed_hash,
                      entrant_ids=list(eligible), prizes=prizes)
        listings = catalog.get_listings(uow, [lid for lid, _ in prizes])
        holder = wf.bag_holder(row.bag_id)
        made: list[LuckyBagPrizeRow] = []
        for w in result.winners:
            order_id = prize_order_id(row.bag_id, w.position)
            entry = eligible[w.entrant_id]
            order = orders.Order(
                order_id=order_id, consumer_id=w.entrant_id, shop_id=row.shop_id,
                items=(OrderItem(listing_id=w.listing_id, qty=1, price_fen=0),), paid_fen=0, paid_at=now,
                ship_to_region=entry.region, creator_id=row.creator_id, channel="live", fulfilled_from=WAREHOUSE,
                worry_free=True, prize_of=row.bag_id)
            order = replace(order, promise=orders.promise_of(order, listings, self.fulfilment))
            wf.transfer(uow, from_holder=holder, to_holder=wf.order_holder(order_id), listing_id=w.listing_id,
                        qty=1, at=now, source=wf.Source.PRIZE)
            orders.record_paid(uow, order)
            ship_by = order.promise.ship_by if order.promise else None
            outbox.enqueue(uow, clock=self.clock, kind=PRIZE_SHIP, idempotency_key=ship_key(order_id),
                           amount_fen=None, subject_ref=f"order:{order_id}", payload={
                               "order_id": order_id, "bag_id": row.bag_id, "live_room_id": row.live_room_id,
                               "consumer_id": w.entrant_id, "shop_id": row.shop_id, "creator_id": row.creator_id,
                               "listing_id": w.listing_id, "quantity": 1, "ship_to_region": entry.region,
                               "fulfilled_from": WAREHOUSE, "paid_fen": 0,
                               "ship_by": ship_by.isoformat() if ship_by else None})
            made.append(LuckyBagPrizeRow(bag_id=row.bag_id, position=w.position, consumer_id=w.entrant_id,
                                         listing_id=w.listing_id, unit_no=w.unit_no, order_id=order_id,
                                         created_at=now))
        repo.add_prizes(made)
        released = wf.release(uow, holder=holder, at=now, reason="lucky_bag_drawn")
        row.state, row.drawn_at, row.drawn_by, row.updated_at = DRAWN, now, who_of(who), now
        row.draw = {**result.as_dict(), "rulebook_version": self.rules.version, "rule_ids": [self.rules.draw.id,
                    self.rules.prize.id], "drawn_at": now.isoformat()}
        row.released = [{"listing_id": r.listing_id, "lot_id": r.lot_id, "quantity": r.quantity} for r in released]

    # --- cancelling ----------------------------------------------------------------------------------------------

    def cancel(self, who: Principal, bag_id: str, reason: str) -> tuple[dict[str, Any], bool]:
        """Cancel an open bag (idempotent): its prize stock goes back to the lots. The owner until the rulebook's
        ``cancel.owner_until`` (the window's opening, by default: nobody has entered), an operator until the draw;
        (bag, cancelled now)."""
        require_role(who, Role.CREATOR, Role.MERCHANT, Role.OPERATOR)
        reason = reason.strip()
        if not reason or len(reason) > 200:
            raise AnxinError(E.INVALID, "give a reason of 1 to 200 characters", field="reason")
        rule = self.rules.cancel
        with self.uow_factory() as uow:
            row, replay = self._open_or_done(uow, who, bag_id, done=CANCELLED)
            if replay:
                return self._bag_dict(uow, row), False
            now = self.clock.now()
            owner_until = row.opens_at if rule.owner_until == "opens" else row.closes_at
            if who.role is not Role.OPERATOR and now >= owner_until:
                raise AnxinError(E.CANCEL_WINDOW_PASSED, "the owner may cancel only before the entry window "
                                 + ("opens" if rule.owner_until == "opens" else "closes") + "; an operator may "
                                 "cancel until the draw", bag_id=bag_id, owner_until=owner_until.isoformat(),
                                 rule_id=rule.id)
            released = wf.release(uow, holder=wf.bag_holder(row.bag_id), at=now, reason="lucky_bag_cancelled")
            row.state, row.updated_at = CANCELLED, now
            row.cancelled_at, row.cancelled_by, row.cancel_reason = now, who_of(who), reason
            row.released = [{"listing_id": r.listing_id, "lot_id": r.lot_id, "quantity": r.quantity} for r in released]
            uow.commit()
            return self._bag_dict(uow, row), True

    # --- reads ---------------------------------------------------------------------------------------------------

    def get(self, who: Principal, bag_id: str) -> dict[str, Any]:
        with self.uow_factory() as uow:
            return self._bag_dict(uow, self._visible(uow, who, bag_id))

    def list(self, who: Principal, *, state: str | None = None, limit: int = 50,
             after: tuple[dt.datetime, str] | None = None) -> list[dict[str, Any]]:
        """Newest first: a creator's own bags, a merchant's shops' bags, every bag for staff and the platform."""
        require_role(who, Role.CREATOR, Role.MERCHANT, Role.OPERATOR, Role.PLATFORM)
        if state is not None and state not in ("open", "drawn", "cancelled"):
            raise AnxinError(E.INVALID, "state must be open, drawn or cancelled", field="state")
        with self.uow_factory() as uow:
            repo = LuckyBagRepository(uow.session)
            if who.role is Role.CREATOR:
                rows = repo.find(creator_id=who.subject, state=state, limit=limit, after=after)
            elif who.role is Role.MERCHANT:
                rows = repo.find(shop_ids=shops.shop_ids_of_merchant(uow, who.subject), state=state, limit=limit,
                                 after=after)
            else:
                rows = repo.find(state=state, limit=limit, after=after)
            counts = repo.entry_counts([r.bag_id for r in rows])
            return [self._bag_dict(uow, r, counts=counts.get(r.bag_id, (0, 0)), detail=False) for r in rows]

    def _bag_dict(self, uow: UnitOfWork, row: LuckyBagRow, *, counts: tuple[int, int] | None = None,
                  detail: bool = True) -> dict[str, Any]:
        repo = LuckyBagRepository(uow.session)
        if counts is None:
            counts = repo.entry_counts([row.bag_id]).get(row.bag_id, (0, 0))
        out: dict[str, Any] = {
            "bag_id": row.bag_id, "live_room_id": row.live_room_id, "creator_id": row.creator_id,
            "shop_id": row.shop_id, "title": row.title, "created_by": row.created_by, "state": row.state,
            "prizes": row.prizes, "prize_units": sum(int(p["quantity"]) for p in row.prizes),
            "opens_at": _iso(row.opens_at), "closes_at": _iso(row.closes_at), "seed_hash": row.seed_hash,
            "seed": row.server_seed if row.state == DRAWN else None, "entries": counts[0],
            "eligible_entries": counts[1], "created_at": _iso(row.created_at), "drawn_at": _iso(row.drawn_at),
            "drawn_by": row.drawn_by, "cancelled_at": _iso(row.cancelled_at), "cancelled_by": row.cancelled_by,
            "cancel_reason": row.cancel_reason, "decision": row.decision, "rulebook_version": row.rulebook_version}
        if detail:
            out["audit"] = row.draw
            out["released"] = row.released or []
            out["winners"] = [{"position": p.position, "consumer_id": p.consumer_id, "listing_id": p.listing_id,
                               "unit_no": p.unit_no, "order_id": p.order_id} for p in repo.prizes(row.bag_id)]
        return out


def _entry_dict(r: LuckyBagEntryRow) -> dict[str, Any]:
    return {"entry_id": r.entry_id, "bag_id": r.bag_id, "consumer_id": r.consumer_id, "region": r.region,
            "entered_at": _iso(r.entered_at), "eligible": r.eligible, "reasons": list(r.reasons),
            "rule_ids": list(r.rule_ids), "facts": r.facts, "rulebook_version": r.rulebook_version,
            "recorded_at": _iso(r.recorded_at)}


def _iso(at: dt.datetime | None) -> str | None:
    return None if at is None else at.isoformat()
