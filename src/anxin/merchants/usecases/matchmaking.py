"""Matchmaking use cases (issue 18 §7): a new shop's creator matches (each run stored with its reasons), invitations
(shop invites → creator accepts or declines, or the invitation expires: job ``merchants.expire_invitations``), the live
session an accepted invitation schedules and its outcome (orders, GMV, after-sale cases, late shipments).

Who sees what: a merchant its own shops' matches and invitations, a creator the invitations addressed to them,
operators and the platform everything; anyone else's invitation is simply not found. A merchant (own shop) or the
platform invites; the creator (or the platform for them) accepts or declines.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy.exc import IntegrityError

from anxin.aftersales import service as aftersales
from anxin.catalog import service as catalog
from anxin.core.clock import Clock
from anxin.core.errors import AnxinError
from anxin.core.ids import new_id
from anxin.core.principal import Principal, Role
from anxin.db.uow import UnitOfWork, UowFactory
from anxin.fulfilment import service as fulfilment
from anxin.merchants import matchmaking as mm
from anxin.merchants import programmes
from anxin.merchants.match_error_codes import MatchErrorCode as E
from anxin.merchants.match_store import InvitationRow, LiveSessionRow, MatchRepository, MatchRunRow
from anxin.merchants.rulebook import MerchantRulebook
from anxin.merchants.store import LifecycleRepository
from anxin.merchants.usecases.programmes import shop_facts
from anxin.merchants.usecases.shared import visible_shop
from anxin.orders import service as orders
from anxin.scoring import service as scoring

EXPIRE_JOB = "merchants.expire_invitations"
BATCH = 200


def _actor(who: Principal) -> str:
    return f"{who.role.value}:{who.subject}"


class Matchmaking:
    def __init__(self, *, uow_factory: UowFactory, clock: Clock, rulebook: MerchantRulebook) -> None:
        self.uow_factory, self.clock, self.rulebook = uow_factory, clock, rulebook

    @property
    def rules(self) -> mm.MatchRules:
        return self.rulebook.matchmaking

    # --- facts ----------------------------------------------------------------------------------------------------

    def _profile_and_creators(self, uow: UnitOfWork, shop_id: str, *, now: dt.datetime, week: dt.date,
                              only: str | None = None) -> tuple[mm.ShopProfile, list[mm.CreatorFacts]]:
        """The shop's categories and every creator with sales in the window (or just ``only``), with their scores
        and the slots they have used in ``week``."""
        sales = [s for s in orders.creator_sales(uow, since=mm.sales_since(now, self.rules), until=now)
                 if only is None or s[0] == only]
        category_of = catalog.listing_categories(uow, sorted({listing for _, listing, _ in sales}))
        by_creator: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for creator, listing, n in sales:
            category = category_of.get(listing)
            if category is not None:
                by_creator[creator][category] += n
        if only is not None and only not in by_creator:
            by_creator[only] = defaultdict(int)
        shop_categories = frozenset(catalog.shop_category_ids(uow, shop_id))
        every = sorted(shop_categories | {c for cats in by_creator.values() for c in cats})
        lineage = catalog.category_lineage(uow, every)
        roots = {c: (ancestors[-1] if ancestors else c) for c, (ancestors, _) in lineage.items()}
        creators = sorted(by_creator)
        scores = scoring.creator_scores(uow, creators)
        used = MatchRepository(uow.session).slots_used(creators, week)
        facts = [mm.CreatorFacts(c, dict(by_creator[c]), scores.get(c), used.get(c, 0)) for c in creators]
        return mm.ShopProfile(shop_id, shop_categories, roots), facts

    # --- matches ----------------------------------------------------------------------------------------------------

    def matches(self, who: Principal, shop_id: str, *, week_of: dt.date | None = None) -> dict[str, Any]:
        """The gate's decision and, when it admits the shop, the best creators for it with their reasons, the
        capacity judged for the week holding ``week_of`` (default: this week). The run is stored."""
        self._may_manage(who)
        now = self.clock.now()
        week = mm.week_start(now) if week_of is None else week_of - dt.timedelta(days=week_of.weekday())
        with self.uow_factory() as uow:
            row = visible_shop(uow, who, shop_id, now=now, rulebook=self.rulebook)
            gate = programmes.creator_offer(shop_facts(uow, row, now=now), now, self.rulebook.programmes)
            proposals: list[mm.Proposal] = []
            considered = 0
            if gate.eligible:
                profile, creators = self._profile_and_creators(uow, shop_id, now=now, week=week)
                considered = len(creators)
                proposals = mm.propose(creators, profile, self.rules)
            run = MatchRunRow(run_id=new_id("mrun"), shop_id=shop_id, at=now, week_start=week,
                              rulebook_version=self.rulebook.version, eligible=gate.eligible, gate=gate.as_dict(),
                              proposals=[p.as_dict() for p in proposals], considered=considered)
            MatchRepository(uow.session).add_run(run)
            uow.commit()
        return {"run_id": run.run_id, "shop_id": shop_id, "at": now, "week_start": week,
                "rulebook_version": self.rulebook.version, "eligible": gate.eligible, "gate": gate.as_dict(),
                "considered": considered, "proposals": run.proposals}

    # --- invitations --------------------------------------------------------------------------------------------

    def invite(self, who: Principal, shop_id: str, *, creator_id: str, session_start: dt.datetime,
               session_end: dt.datetime, note: str = "") -> dict[str, Any]:
        """Invite a creator the rules match with the shop to a live session; the invitation takes one of the
        creator's slots of the session's week, or fails with ``merchants.creator_full``."""
        if who.role not in (Role.MERCHANT, Role.PLATFORM):
            raise AnxinError(E.FORBIDDEN_ROLE, "only the shop's merchant or the platform invites creators")
        now = self.clock.now()
        rules = self.rules
        with self.uow_factory() as uow:
            uow.begin_write()
            row = visible_shop(uow, who, shop_id, now=now, rulebook=self.rulebook, for_update=True)
            gate = programmes.creator_offer(shop_facts(uow, row, now=now), now, self.rulebook.programmes)
            if not gate.eligible:
                raise AnxinError(E.NOT_ELIGIBLE, "the shop is not in creator matching",
                                 reasons=[r.as_dict() for r in gate.reasons])
            problems = mm.session_problems(session_start, session_end, now, rules)
            if problems:
                raise AnxinError(E.INVALID_SESSION, "the session window breaks the rulebook",
                                 reasons=[r.as_dict() for r in problems])
            repo = MatchRepository(uow.session)
            if repo.pending_to(shop_id, creator_id) is not None:
                raise AnxinError(E.ALREADY_INVITED, f"an invitation to {creator_id!r} is waiting already",
                                 creator_id=creator_id)
            if repo.pending_of_shop(shop_id) >= rules.max_open_per_shop:
                raise AnxinError(E.TOO_MANY_OPEN, "too many invitations waiting", max=rules.max_open_per_shop)
            week = mm.week_start(session_start)
            profile, creators = self._profile_and_creators(uow, shop_id, now=now, week=week, only=creator_id)
            judged = mm.judge(creators[0], profile, rules)
            if not judged.proposed:
                full = all(r.code == "match.no_capacity" for r in judged.reasons)
                raise AnxinError(E.CREATOR_FULL if full else E.CREATOR_NOT_MATCHED,
                                 f"creator {creator_id!r} cannot be invited", creator_id=creator_id,
                                 reasons=[r.as_dict() for r in judged.reasons])
            if not repo.take_slot(creator_id, week, rules.per_creator_per_week):
                raise AnxinError(E.CREATOR_FULL, f"creator {creator_id!r} has no slot left that week",
                                 creator_id=creator_id, week_start=week.isoformat())
            inv = InvitationRow(
                invitation_id=new_id("inv"), shop_id=shop_id, creator_id=creator_id, state="pending",
                created_at=now, created_by=_actor(who), expires_at=mm.expires_at(now, session_start, rules),
                session_start=session_start, session_end=session_end, week_start=week, note=note,
                match=judged.as_dict(), rulebook_version=self.rulebook.version, decided_at=None, decided_by=None)
            try:
                with uow.savepoint():
                    repo.add_invitation(inv)
            except IntegrityError:  # the unique index: a concurrent invitation to the same creator won
                raise AnxinError(E.ALREADY_INVITED, f"an invitation to {creator_id!r} is waiting already",
                                 creator_id=creator_id) from None
            uow.commit()
            return self._view(uow, inv, now)

    def accept(self, who: Principal, invitation_id: str) -> dict[str, Any]:
        return self._answer(who, invitation_id, "accepted")

    def decline(self, who: Principal, invitation_id: str) -> dict[str, Any]:
        return self._answer(who, invitation_id, "declined")

    def withdraw(self, who: Principal, invitation_id: str) -> dict[str, Any]:
        """The shop takes a pending invitation back before the creator answers: the creator's slot is freed. Racing
        an answer, one of them wins (the state moves only from pending)."""
        return self._answer(who, invitation_id, "withdrawn")

    def _answer(self, who: Principal, invitation_id: str, to: str) -> dict[str, Any]:
        now = self.clock.now()
        with self.uow_factory() as uow:
            uow.begin_write()
            repo = MatchRepository(uow.session)
            inv = self._visible(uow, who, invitation_id)
            if to == "withdrawn" and who.role not in (Role.MERCHANT, Role.OPERATOR, Role.PLATFORM):
                raise AnxinError(E.FORBIDDEN_ROLE, "only the shop's merchant (or staff) withdraws an invitation")
            if to != "withdrawn" and who.role not in (Role.CREATOR, Role.PLATFORM):
                raise AnxinError(E.FORBIDDEN_ROLE, "only the creator (or the platform for them) answers")
            if mm.is_expired(inv.state, inv.expires_at, now) and repo.move(
                    invitation_id, to="expired", at=now, by="system", not_expired=False):
                repo.give_slot(inv.creator_id, inv.week_start)
                uow.commit()
            elif repo.move(invitation_id, to=to, at=now, by=_actor(who), not_expired=True):
                if to == "accepted":
                    repo.add_session(LiveSessionRow(session_id=inv.invitation_id, shop_id=inv.shop_id,
                                                    creator_id=inv.creator_id, starts_at=inv.session_start,
                                                    ends_at=inv.session_end, scheduled_at=now))
                else:
                    repo.give_slot(inv.creator_id, inv.week_start)
                uow.commit()
                return self._view(uow, repo.refresh(inv), now)
            state = repo.refresh(inv).state
            raise AnxinError(E.INVITATION_CLOSED, f"the invitation is {state} already", state=state,
                             invitation_id=invitation_id)

    def expire_due(self, at: dt.datetime | None = None) -> int:
        """Pending invitations past their expiry become expired and give their slot back (job
        ``merchants.expire_invitations``); how many."""
        now = at or self.clock.now()
        done = 0
        while True:
            with self.uow_factory() as uow:
                uow.begin_write()
                repo = MatchRepository(uow.session)
                due = repo.due_to_expire(now, BATCH)
                for invitation_id, creator_id, week in due:
                    if repo.move(invitation_id, to="expired", at=now, by="system", not_expired=False):
                        repo.give_slot(creator_id, week)
                        done += 1
                uow.commit()
            if len(due) < BATCH:
                return done

    # --- reads ------------------------------------------------------------------------------------------------------

    def invitation(self, who: Principal, invitation_id: str) -> dict[str, Any]:
        now = self.clock.now()
        with self.uow_factory() as uow:
            return self._view(uow, self._visible(uow, who, invitation_id), now, outcome=True)

    def shop_invitations(self, who: Principal, shop_id: str, *, state: str | None = None,
                         after: tuple[dt.datetime, str] | None = None, limit: int = 50,
                         outcome: bool = False) -> list[dict[str, Any]]:
        self._may_manage(who)
        now = self.clock.now()
        with self.uow_factory() as uow:
            visible_shop(uow, who, shop_id, now=now, rulebook=self.rulebook)
            rows = MatchRepository(uow.session).invitations(shop_id=shop_id, state=state, after=after, limit=limit)
            return [self._view(uow, r, now, outcome=outcome) for r in rows]

    def my_invitations(self, who: Principal, *, state: str | None = None,
                       after: tuple[dt.datetime, str] | None = None, limit: int = 50,
                       outcome: bool = False) -> list[dict[str, Any]]:
        if who.role is not Role.CREATOR:
            raise AnxinError(E.FORBIDDEN_ROLE, "only creators have invitations of their own")
        now = self.clock.now()
        with self.uow_factory() as uow:
            rows = MatchRepository(uow.session).invitations(creator_id=who.subject, state=state, after=after,
                                                            limit=limit)
            return [self._view(uow, r, now, outcome=outcome) for r in rows]

    # --- helpers ----------------------------------------------------------------------------------------------------

    @staticmethod
    def _may_manage(who: Principal) -> None:
        if who.role not in (Role.MERCHANT, Role.OPERATOR, Role.PLATFORM):
            raise AnxinError(E.FORBIDDEN_ROLE, "only merchants, operators and the platform see a shop's matches")

    def _visible(self, uow: UnitOfWork, who: Principal, invitation_id: str) -> InvitationRow:
        inv = MatchRepository(uow.session).invitation(invitation_id)
        seen = inv is not None and (
            who.role in (Role.OPERATOR, Role.PLATFORM)
            or (who.role is Role.CREATOR and inv.creator_id == who.subject)
            or (who.role is Role.MERCHANT and self._merchant_of(uow, inv.shop_id) == who.subject))
        if not seen or inv is None:
            raise AnxinError(E.INVITATION_NOT_FOUND, f"no invitation {invitation_id!r} visible to this key",
                             invitation_id=invitation_id)
        return inv

    @staticmethod
    def _merchant_of(uow: UnitOfWork, shop_id: str) -> str | None:
        row = LifecycleRepository(uow.session).get(shop_id)
        return row.merchant_id if row is not None else None

    def _view(self, uow: UnitOfWork, inv: InvitationRow, now: dt.datetime, *, outcome: bool = False) -> dict[str, Any]:
        state = "expired" if mm.is_expired(inv.state, inv.expires_at, now) else inv.state
        out: dict[str, Any] = {
            "invitation_id": inv.invitation_id, "shop_id": inv.shop_id, "creator_id": inv.creator_id, "state": state,
            "created_at": inv.created_at, "created_by": inv.created_by, "expires_at": inv.expires_at,
            "decided_at": inv.decided_at, "decided_by": inv.decided_by, "note": inv.note,
            "week_start": inv.week_start, "rulebook_version": inv.rulebook_version, "match": inv.match,
            "session": {"start": inv.session_start, "end": inv.session_end,
                        "phase": mm.session_phase(inv.session_start, inv.session_end, now)
                        if state == "accepted" else None},
            "outcome": None}
        if outcome and state == "accepted":
            out["outcome"] = {**self._outcome(uow, inv).as_dict(), "as_of": now}
        return out

    def _outcome(self, uow: UnitOfWork, inv: InvitationRow) -> mm.Outcome:
        found = orders.creator_orders_in_shop(uow, inv.creator_id, inv.shop_id, start=inv.session_start,
                                              end=inv.session_end)
        paid = [mm.SessionOrder(o.order_id, o.paid_fen, o.paid_at) for o in found if o.cancelled_at is None]
        ids = [o.order_id for o in paid]
        return mm.outcome_of(paid, inv.session_start, inv.session_end, aftersales.cases_per_order(uow, ids),
                             fulfilment.late_orders(uow, ids))
