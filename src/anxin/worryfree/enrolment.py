"""Enrolling listings in the programme: decided by rule (category, score band, no severe violation in the window, the
shop open), stored with the decision; withdrawn by the shop. One enrolment per listing whatever races: the listing id
is the key, concurrent requests insert once and the others answer the row that won.

A refusal is stored too (state ``refused``, with its reasons) and then raised as ``worryfree.not_eligible`` (422, the
reasons in the problem body), so the merchant page can show why and a later request decides again.

The shops' severe violations come from governance's ``ViolationRecorded`` / ``ViolationReversed`` (subscriptions in
bootstrap; governance sits above this context, so the handlers take the events by their fields).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from anxin.catalog import service as catalog
from anxin.core.clock import Clock
from anxin.core.errors import AnxinError
from anxin.core.principal import Principal, Role
from anxin.db.uow import UnitOfWork, UowFactory
from anxin.shops import service as shops
from anxin.worryfree.tag_error_codes import TagErrorCode as E
from anxin.worryfree.tag_policy import ELIGIBLE, Decision, EnrolmentFacts, enrolment_decision
from anxin.worryfree.tag_rules import TagRulebookSpec
from anxin.worryfree.tag_store import ACTIVE, REFUSED, STATES, WITHDRAWN, TagRepository
from anxin.worryfree.tags import Tags, enrolment_dict, history_dict, state_dict, visible_listing

ENROLLERS = (Role.MERCHANT, Role.PLATFORM, Role.OPERATOR)
MAX_CHAIN = 12  # category levels walked up for the eligible ids


class ViolationFacts(Protocol):
    """governance.events.ViolationRecorded, as far as the read model needs it."""

    @property
    def violation_id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def violation_class(self) -> str: ...
    @property
    def shop_id(self) -> str | None: ...
    @property
    def recorded_at(self) -> dt.datetime: ...


class ReversalFacts(Protocol):
    """governance.events.ViolationReversed, as far as the read model needs it."""

    @property
    def violation_id(self) -> str: ...
    @property
    def shop_id(self) -> str | None: ...
    @property
    def reversed_at(self) -> dt.datetime: ...


def category_chain(uow: UnitOfWork, category_id: str) -> tuple[str, ...]:
    """The category id, then its ancestors' (nearest first)."""
    chain = [category_id]
    while len(chain) < MAX_CHAIN:
        found = catalog.categories_as_of(uow, [chain[-1]]).get(chain[-1])
        parent = found[0].parent_id if found is not None else None
        if parent is None or parent in chain:
            break
        chain.append(parent)
    return tuple(chain)


class Enrolments:
    def __init__(self, *, uow_factory: UowFactory, clock: Clock, tags: Tags) -> None:
        self.uow_factory, self.clock, self.tags = uow_factory, clock, tags

    @property
    def rules(self) -> TagRulebookSpec:
        return self.tags.rules

    def facts(self, uow: UnitOfWork, listing_id: str, shop_id: str, category_id: str,
              at: dt.datetime) -> EnrolmentFacts:
        repo = TagRepository(uow.session)
        since = at - dt.timedelta(days=self.rules.enrolment.severe_violations.within_days)
        severe = tuple((v.violation_id, v.recorded_at) for v in repo.severe_violations(shop_id, since=since, until=at))
        return EnrolmentFacts(listing_id=listing_id, shop_id=shop_id,
                              shop_open=shops.get_shop(uow, shop_id) is not None,
                              category_chain=category_chain(uow, category_id),
                              category_tags=catalog.tags_for_listing(uow, listing_id),
                              score_x100=self.tags.score(uow, shop_id), severe_violations=severe)

    def enrol(self, who: Principal, listing_id: str) -> tuple[dict[str, Any], bool]:
        """Enrol a listing: (the enrolment, whether this request decided it). An active enrolment is answered as
        it is; a refused or withdrawn one is decided again. Refusal: ``worryfree.not_eligible`` with the reasons,
        after the refusal is stored."""
        if who.role not in ENROLLERS:
            raise AnxinError(E.FORBIDDEN, f"role {who.role.value!r} may not enrol listings", role=who.role.value)
        at = self.clock.now()
        with self.uow_factory() as uow:
            listing = catalog.get_listings(uow, [listing_id]).get(listing_id)
            if listing is None:
                raise AnxinError(E.LISTING_NOT_FOUND, f"no listing {listing_id!r}", listing_id=listing_id)
            visible_listing(uow, who, listing.shop_id, listing_id)
            repo = TagRepository(uow.session)
            uow.begin_write()
            current = repo.enrolment(listing_id, lock=True)
            if current is not None and current.state == ACTIVE:
                return enrolment_dict(current) or {}, False
            decision = enrolment_decision(self.rules, self.facts(uow, listing_id, listing.shop_id,
                                                                  listing.category_id, at), at=at)
            state = ACTIVE if decision.outcome == ELIGIBLE else REFUSED
            values = _values(decision, state, who, at)
            if current is None:
                decided = repo.insert_enrolment({"listing_id": listing_id, "shop_id": listing.shop_id,
                                                 "requested_at": at, "version": 1, **values})
            else:
                decided = repo.update_enrolment(listing_id, current.version, values)
            row = repo.enrolment(listing_id)
            assert row is not None
            if decided and row.state == ACTIVE:
                self.tags.evaluate(uow, [listing_id], at=at, trigger="enrolment")
            out = enrolment_dict(row) or {}
            uow.commit()
        if out["state"] == REFUSED:
            raise AnxinError(E.NOT_ELIGIBLE, f"listing {listing_id} does not meet the programme's enrolment rules",
                             listing_id=listing_id, reasons=out["reasons"], failed_rule_ids=out["failed_rule_ids"],
                             rulebook_version=out["rulebook_version"])
        return out, decided

    def withdraw(self, who: Principal, listing_id: str) -> dict[str, Any]:
        """The shop (or staff) takes the listing out: state withdrawn, the tag lost at once."""
        if who.role not in ENROLLERS:
            raise AnxinError(E.FORBIDDEN, f"role {who.role.value!r} may not withdraw listings", role=who.role.value)
        at = self.clock.now()
        with self.uow_factory() as uow:
            repo = TagRepository(uow.session)
            uow.begin_write()
            row = repo.enrolment(listing_id, lock=True)
            if row is None:
                raise AnxinError(E.LISTING_NOT_FOUND, f"no enrolment of {listing_id!r}", listing_id=listing_id)
            visible_listing(uow, who, row.shop_id, listing_id)
            if row.state != ACTIVE:
                raise AnxinError(E.NOT_ENROLLED, f"listing {listing_id!r} is {row.state}", listing_id=listing_id,
                                 state=row.state)
            decision = {**row.decision, "withdrawn_by": _who(who), "withdrawn_at": at.isoformat()}
            repo.update_enrolment(listing_id, row.version, {"state": WITHDRAWN, "decision": decision,
                                                            "updated_at": at})
            self.tags.evaluate(uow, [listing_id], at=at, trigger="withdrawal")
            out = enrolment_dict(repo.enrolment(listing_id)) or {}
            uow.commit()
        return out

    def of_shop(self, who: Principal, shop_id: str, *, state: str | None = None, after: str | None = None,
                limit: int = 50) -> list[dict[str, Any]]:
        if state is not None and state not in STATES:
            raise AnxinError(E.INVALID_FILTER, f"state must be one of {list(STATES)}", field="state")
        with self.uow_factory() as uow:
            shop = shops.get_shop(uow, shop_id)
            if shop is None or not (who.role in (Role.OPERATOR, Role.PLATFORM) or (
                    who.role is Role.MERCHANT and shop.merchant_id == who.subject)):
                raise AnxinError(E.SHOP_NOT_FOUND, f"no shop {shop_id!r} visible to this key", shop_id=shop_id)
            rows = TagRepository(uow.session).enrolments_of(shop_id=shop_id, state=state, after=after, limit=limit)
            return [d for r in rows if (d := enrolment_dict(r)) is not None]

    def overview(self, who: Principal, *, limit: int = 200) -> list[dict[str, Any]]:
        """The merchant's shops, each with its listings (at most ``limit`` a shop): enrolment, tag, stock."""
        if who.role is not Role.MERCHANT:
            raise AnxinError(E.FORBIDDEN, "the worry-free overview is the merchant's", role=who.role.value)
        out = []
        with self.uow_factory() as uow:
            repo = TagRepository(uow.session)
            for shop_id in sorted(shops.shop_ids_of_merchant(uow, who.subject)):
                shop = shops.get_shop(uow, shop_id)
                listings = catalog.listings_of_shop(uow, shop_id, limit=limit)
                ids = [li.listing_id for li in listings]
                states = repo.tag_states(ids)
                available = self.tags.stock(uow, ids)
                rows = []
                for li in listings:
                    history = repo.history(li.listing_id, limit=1)
                    rows.append({"listing_id": li.listing_id, "title": li.title, "category_id": li.category_id,
                                 "enrolment": enrolment_dict(repo.enrolment(li.listing_id)),
                                 "tag": state_dict(states.get(li.listing_id)),
                                 "last_change": history_dict(history[0]) if history else None,
                                 "available": available.get(li.listing_id, 0)})
                out.append({"shop_id": shop_id, "name": shop.name if shop else shop_id,
                            "score_band": self.rules.band_of(self.tags.score(uow, shop_id)), "listings": rows})
        return out

    # --- the shops' violations (governance's events) --------------------------------------------------------

    def on_violation_recorded(self, event: ViolationFacts, uow: UnitOfWork) -> None:
        if event.shop_id is None:
            return
        TagRepository(uow.session).record_violation(
            violation_id=event.violation_id, shop_id=event.shop_id, kind=event.kind,
            violation_class=event.violation_class, recorded_at=event.recorded_at)

    def on_violation_reversed(self, event: ReversalFacts, uow: UnitOfWork) -> None:
        TagRepository(uow.session).reverse_violation(event.violation_id, event.reversed_at)


def _who(who: Principal) -> str:
    return f"{who.role.value}:{who.subject}"


def _values(d: Decision, state: str, who: Principal, at: dt.datetime) -> dict[str, Any]:
    return {"state": state, "decision": d.as_dict(), "rulebook_version": d.rulebook_version,
            "requested_by": _who(who), "decided_at": at, "updated_at": at}

