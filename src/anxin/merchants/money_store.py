"""Money rows: deposit-ledger postings and their legs, frozen fee entries, operators' fee campaigns, offers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from anxin.db.base import Base
from anxin.merchants.ledger import Leg, Posting, PostingKind


class PostingRow(Base):
    __tablename__ = "ledger_postings"
    key: Mapped[str] = mapped_column(sa.String(160), primary_key=True)  # the idempotency key
    kind: Mapped[str] = mapped_column(sa.String(32))
    shop_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    at: Mapped[dt.datetime]
    memo: Mapped[str] = mapped_column(sa.String(400), default="")
    actor: Mapped[str] = mapped_column(sa.String(64))
    seq: Mapped[int] = mapped_column(sa.Integer, unique=True)  # the order postings were applied in


class LegRow(Base):
    __tablename__ = "ledger_legs"
    posting_key: Mapped[str] = mapped_column(sa.String(160), primary_key=True)
    account: Mapped[str] = mapped_column(sa.String(96), primary_key=True)
    fen: Mapped[int] = mapped_column(sa.BigInteger)
    __table_args__ = (sa.Index("ix_ledger_legs_account", "account"),)


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
        row = self.session.get(PostingRow, key)
        if row is None:
            return None
        legs = self.session.scalars(sa.select(LegRow).where(LegRow.posting_key == key).order_by(LegRow.account))
        return Posting(row.key, PostingKind(row.kind), tuple(Leg(leg.account, leg.fen) for leg in legs), row.at,
                       row.memo)

    def balances(self, accounts: list[str]) -> dict[str, int]:
        rows = self.session.execute(sa.select(LegRow.account, sa.func.sum(LegRow.fen)).where(
            LegRow.account.in_(accounts)).group_by(LegRow.account))
        return {a: 0 for a in accounts} | {a: int(total or 0) for a, total in rows}

    def add_posting(self, posting: Posting, *, shop_id: str, actor: str) -> None:
        seq = (self.session.scalar(sa.select(sa.func.max(PostingRow.seq))) or 0) + 1
        self.session.add(PostingRow(key=posting.key, kind=posting.kind.value, shop_id=shop_id, at=posting.at,
                                    memo=posting.memo, actor=actor, seq=seq))
        self.session.flush()  # the posting row first: legs refer to it by key
        self.session.add_all([LegRow(posting_key=posting.key, account=leg.account, fen=leg.fen)
                              for leg in posting.legs])

    def postings_of(self, shop_id: str, limit: int = 500) -> list[tuple[PostingRow, list[LegRow]]]:
        rows = list(self.session.scalars(sa.select(PostingRow).where(PostingRow.shop_id == shop_id)
                                         .order_by(PostingRow.seq.desc()).limit(limit)))
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
            self.session.execute(sa.insert(FeeEntryRow.__table__), rows)

    def fee_entries_of_order(self, order_id: str) -> list[FeeEntryRow]:
        return list(self.session.scalars(sa.select(FeeEntryRow).where(FeeEntryRow.order_id == order_id)
                                         .order_by(FeeEntryRow.at, FeeEntryRow.key)))

    def fee_entries(self, shop_id: str, start: dt.datetime, end: dt.datetime) -> list[FeeEntryRow]:
        return list(self.session.scalars(sa.select(FeeEntryRow).where(
            FeeEntryRow.shop_id == shop_id, FeeEntryRow.at >= start, FeeEntryRow.at < end)
            .order_by(FeeEntryRow.at, FeeEntryRow.key)))

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
