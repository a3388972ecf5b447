"""Money rows: deposit-ledger postings and their legs, frozen fee entries, operators' fee campaigns, offers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from anxin.db.base import Base, table
from anxin.merchants.ledger import Leg, Posting, PostingKind


class PostingRow(Base):
    __tablename__ = "ledger_postings"
    key: Mapped[str] = mapped_column(sa.String(160), primary_key=True)  # the idempotency key
    kind: Mapped[str] = mapped_column(sa.String(32))
    shop_id: Mapped[str] = mapped_column(sa.String(64))
    at: Mapped[dt.datetime]
    memo: Mapped[str] = mapped_column(sa.String(400), default="")
    actor: Mapped[str] = mapped_column(sa.String(64))
    __table_args__ = (sa.Index("ix_ledger_postings_shop_at", "shop_id", "at"),)


class LegRow(Base):
    __tablename__ = "ledger_legs"
    posting_key: Mapped[str] = mapped_column(sa.String(160), primary_key=True)
    account: Mapped[str] = mapped_column(sa.String(96), primary_key=True)
    fen: Mapped[int] = mapped_column(sa.BigInteger)


# Balances are kept for the shops' own accounts; shared ones (outside, platform penalties, consumers payable) are
# summed from the legs when needed, so no single hot row serialises every writer.
SHOP_ACCOUNTS = ("deposit:", "debt:", "goods:")


class BalanceRow(Base):
    """A shop account's balance, kept with every posting (the legs are the record; this is their running sum)."""

    __tablename__ = "ledger_balances"
    account: Mapped[str] = mapped_column(sa.String(96), primary_key=True)
    fen: Mapped[int] = mapped_column(sa.BigInteger)


class FeeEntryRow(Base):
    """A fee frozen at sale or reversed on refund; never recomputed."""

    __tablename__ = "fee_entries"
    key: Mapped[str] = mapped_column(sa.String(160), primary_key=True)  # sale:<order> | refund:<case> | cancel:<order>
    order_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    shop_id: Mapped[str] = mapped_column(sa.String(64))
    kind: Mapped[str] = mapped_column(sa.String(16))
    at: Mapped[dt.datetime]
    base_fen: Mapped[int] = mapped_column(sa.BigInteger)
    fee_fen: Mapped[int] = mapped_column(sa.BigInteger)
    receivable_fen: Mapped[int] = mapped_column(sa.BigInteger)
    version: Mapped[str] = mapped_column(sa.String(40))
    entry: Mapped[dict[str, Any]] = mapped_column(sa.JSON)  # the whole statement entry (lines, waivers, reasons)
    __table_args__ = (sa.Index("ix_fee_entries_shop_at", "shop_id", "at"),)


class FeeCampaignRow(Base):
    """A time-boxed waiver or rebate an operator added on top of the rulebook's."""

    __tablename__ = "fee_campaigns"
    waiver_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    spec: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    created_at: Mapped[dt.datetime]
    created_by: Mapped[str] = mapped_column(sa.String(64))


class OfferRow(Base):
    """A financing or payout decision as it was made, with its reasons and the facts it read."""

    __tablename__ = "merchant_offers"
    offer_id: Mapped[str] = mapped_column(sa.String(160), primary_key=True)  # <shop>:<kind>:<local date>
    shop_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    kind: Mapped[str] = mapped_column(sa.String(24))
    eligible: Mapped[bool] = mapped_column(sa.Boolean)
    amount_fen: Mapped[int | None] = mapped_column(sa.BigInteger)
    term_days: Mapped[int | None]
    valid_until: Mapped[dt.datetime | None]
    decided_at: Mapped[dt.datetime]
    version: Mapped[str] = mapped_column(sa.String(40))
    decision: Mapped[dict[str, Any]] = mapped_column(sa.JSON)


class MoneyRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # --- ledger ----------------------------------------------------------------------------------------------

    def posting(self, key: str) -> Posting | None:
        return self.postings([key]).get(key)

    def postings(self, keys: list[str]) -> dict[str, Posting]:
        """The stored postings among ``keys`` (a replay is recognised by its key)."""
        if not keys:
            return {}
        rows = {r.key: r for r in self.session.scalars(sa.select(PostingRow).where(PostingRow.key.in_(keys)))}
        legs: dict[str, list[Leg]] = {}
        if rows:
            for leg in self.session.scalars(sa.select(LegRow).where(LegRow.posting_key.in_(list(rows)))
                                            .order_by(LegRow.posting_key, LegRow.account)):
                legs.setdefault(leg.posting_key, []).append(Leg(leg.account, leg.fen))
        return {k: Posting(r.key, PostingKind(r.kind), tuple(legs.get(k, ())), r.at, r.memo) for k, r in rows.items()}

    def balances(self, accounts: list[str]) -> dict[str, int]:
        rows = self.session.execute(sa.select(BalanceRow.account, BalanceRow.fen).where(
            BalanceRow.account.in_(accounts)))
        return {a: 0 for a in accounts} | {a: int(fen) for a, fen in rows}

    def add_posting(self, posting: Posting, *, shop_id: str, actor: str) -> None:
        self.add_postings([(posting, shop_id, actor)])

    def add_postings(self, postings: list[tuple[Posting, str, str]]) -> None:
        """Store postings already checked against the balances, their legs, and move the balances (``fen = fen +
        change`` in the database, so two writers on one account add up rather than overwrite)."""
        if not postings:
            return
        self.session.flush()
        self.session.execute(sa.insert(table(PostingRow)), [
            {"key": p.key, "kind": p.kind.value, "shop_id": shop, "at": p.at, "memo": p.memo, "actor": actor}
            for p, shop, actor in postings])
        self.session.execute(sa.insert(table(LegRow)), [
            {"posting_key": p.key, "account": leg.account, "fen": leg.fen} for p, _, _ in postings for leg in p.legs])
        change: dict[str, int] = {}
        for p, _, _ in postings:
            for leg in p.legs:
                if leg.account.startswith(SHOP_ACCOUNTS):
                    change[leg.account] = change.get(leg.account, 0) + leg.fen
        if not change:
            return
        t = table(BalanceRow)
        known = set(self.session.scalars(sa.select(t.c.account).where(t.c.account.in_(list(change)))))
        if missing := [a for a in change if a not in known]:
            self.session.execute(sa.insert(t), [{"account": a, "fen": 0} for a in missing])
        self.session.execute(sa.update(t).where(t.c.account == sa.bindparam("_a")).values(
            fen=t.c.fen + sa.bindparam("_d")), [{"_a": a, "_d": d} for a, d in change.items()])

    def postings_of(self, shop_id: str, limit: int = 500, *,
                    after: tuple[dt.datetime, str] | None = None) -> list[tuple[PostingRow, list[LegRow]]]:
        """The shop's postings with their legs, latest first; ``after`` the (at, key) of the last one shown."""
        p = PostingRow
        q = sa.select(p).where(p.shop_id == shop_id)
        if after is not None:
            q = q.where(sa.or_(p.at < after[0], sa.and_(p.at == after[0], p.key < after[1])))
        rows = list(self.session.scalars(q.order_by(p.at.desc(), p.key.desc()).limit(limit)))
        legs: dict[str, list[LegRow]] = {}
        if rows:
            for leg in self.session.scalars(sa.select(LegRow).where(LegRow.posting_key.in_([r.key for r in rows]))):
                legs.setdefault(leg.posting_key, []).append(leg)
        return [(r, sorted(legs.get(r.key, []), key=lambda leg: leg.account)) for r in rows]

    def last_posting_at(self, shop_id: str, kind: PostingKind) -> dt.datetime | None:
        return self.session.scalar(sa.select(sa.func.max(PostingRow.at)).where(
            PostingRow.shop_id == shop_id, PostingRow.kind == kind.value))

    # --- fees ------------------------------------------------------------------------------------------------

    def fee_keys(self, keys: list[str]) -> set[str]:
        if not keys:
            return set()
        return set(self.session.scalars(sa.select(FeeEntryRow.key).where(FeeEntryRow.key.in_(keys))))

    def add_fee_entries(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.session.execute(sa.insert(table(FeeEntryRow)), rows)

    def fee_entries_of_order(self, order_id: str) -> list[FeeEntryRow]:
        return list(self.session.scalars(sa.select(FeeEntryRow).where(FeeEntryRow.order_id == order_id)
                                         .order_by(FeeEntryRow.at, FeeEntryRow.key)))

    def fee_entries(self, shop_id: str, start: dt.datetime, end: dt.datetime, *,
                    after: tuple[dt.datetime, str] | None = None, limit: int | None = None) -> list[FeeEntryRow]:
        """The shop's fee entries in [start, end), oldest first; ``after`` the (at, key) of the last one shown."""
        f = FeeEntryRow
        q = sa.select(f).where(f.shop_id == shop_id, f.at >= start, f.at < end)
        if after is not None:
            q = q.where(sa.or_(f.at > after[0], sa.and_(f.at == after[0], f.key > after[1])))
        return list(self.session.scalars(q.order_by(f.at, f.key).limit(limit)))

    def campaigns(self) -> list[FeeCampaignRow]:
        return list(self.session.scalars(sa.select(FeeCampaignRow).order_by(FeeCampaignRow.created_at)))

    def add_campaign(self, row: FeeCampaignRow) -> None:
        self.session.add(row)

    # --- offers ----------------------------------------------------------------------------------------------

    def offer(self, offer_id: str) -> OfferRow | None:
        return self.session.get(OfferRow, offer_id)

    def add_offer(self, row: OfferRow) -> None:
        self.session.add(row)

    def offers_of(self, shop_id: str, limit: int = 50) -> list[OfferRow]:
        return list(self.session.scalars(sa.select(OfferRow).where(OfferRow.shop_id == shop_id)
                                         .order_by(OfferRow.decided_at.desc()).limit(limit)))


class CursorRow(Base):
    """Where the settlement job stopped reading each feed (paid orders, refunds, cancellations)."""

    __tablename__ = "settlement_cursors"
    name: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(sa.JSON)


class CursorRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, name: str) -> dict[str, Any] | None:
        row = self.session.get(CursorRow, name)
        return dict(row.value) if row else None

    def set(self, name: str, value: dict[str, Any]) -> None:
        row = self.session.get(CursorRow, name)
        if row is None:
            self.session.add(CursorRow(name=name, value=value))
        else:
            row.value = value
