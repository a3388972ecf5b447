"""Findings, late-shipment consequences, notices and ETAs: rows and repositories."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from anxin.db.base import Base, table
from anxin.fulfilment.consequences import PointsAward, PointsEntry
from anxin.fulfilment.detectors import Finding


class FindingRow(Base):
    __tablename__ = "fulfilment_findings"
    finding_id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(48), index=True)
    subject_type: Mapped[str] = mapped_column(sa.String(16))
    subject_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    shop_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    at: Mapped[dt.datetime]
    evidence: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    rule_id: Mapped[str] = mapped_column(sa.String(48))
    rulebook_version: Mapped[str] = mapped_column(sa.String(32))
    detected_at: Mapped[dt.datetime]

    def to_model(self) -> Finding:
        return Finding(self.finding_id, self.kind, self.subject_type, self.subject_id, self.shop_id, self.at,
                       self.evidence, self.rule_id, self.rulebook_version)


class LateConsequenceRow(Base):
    """One row per late order: the consumer's coupon and the shop's points (0 once a cap binds)."""

    __tablename__ = "late_shipment_consequences"
    order_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    shop_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    consumer_id: Mapped[str] = mapped_column(sa.String(64))
    finding_id: Mapped[str] = mapped_column(sa.String(40))
    at: Mapped[dt.datetime]
    paid_fen: Mapped[int] = mapped_column(sa.BigInteger)
    coupon_fen: Mapped[int] = mapped_column(sa.BigInteger)
    points: Mapped[int]  # hundredths of a point
    local_day: Mapped[dt.date] = mapped_column(sa.Date)
    week_start: Mapped[dt.date] = mapped_column(sa.Date)
    capped_by: Mapped[str | None] = mapped_column(sa.String(8))
    compensation_rule_id: Mapped[str] = mapped_column(sa.String(48))
    points_rule_id: Mapped[str] = mapped_column(sa.String(48))
    rulebook_version: Mapped[str] = mapped_column(sa.String(32))
    recorded_at: Mapped[dt.datetime]
    __table_args__ = (sa.Index("ix_late_consequences_shop_week", "shop_id", "week_start"),)


class NoticeRow(Base):
    __tablename__ = "fulfilment_notices"
    notice_id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    consumer_id: Mapped[str] = mapped_column(sa.String(64))
    shop_id: Mapped[str] = mapped_column(sa.String(64))
    kind: Mapped[str] = mapped_column(sa.String(24))
    reason: Mapped[str] = mapped_column(sa.String(48))
    since: Mapped[dt.datetime]
    created_at: Mapped[dt.datetime]
    rule_id: Mapped[str] = mapped_column(sa.String(48))
    rulebook_version: Mapped[str | None] = mapped_column(sa.String(32))
    eta: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)  # the estimate when the notice was made


class EtaRow(Base):
    __tablename__ = "order_etas"
    order_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    shown: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)  # the first estimate after collection
    current: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    revised_at: Mapped[dt.datetime]


class FulfilmentRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def late_orders(self, order_ids: list[str]) -> frozenset[str]:
        """Those of these orders with a late-shipment finding."""
        if not order_ids:
            return frozenset()
        return frozenset(self.session.scalars(sa.select(FindingRow.subject_id).where(
            FindingRow.kind == "late_shipment", FindingRow.subject_type == "order",
            FindingRow.subject_id.in_(order_ids))))

    def existing_findings(self, ids: list[str]) -> set[str]:
        t = table(FindingRow)
        found: set[str] = set()
        for lo in range(0, len(ids), 1000):
            found.update(self.session.scalars(sa.select(t.c.finding_id).where(t.c.finding_id.in_(ids[lo:lo + 1000]))))
        return found

    def add_findings(self, findings: list[Finding], now: dt.datetime) -> None:
        if findings:
            self.session.execute(sa.insert(table(FindingRow)), [{
                "finding_id": f.finding_id, "kind": f.kind, "subject_type": f.subject_type,
                "subject_id": f.subject_id, "shop_id": f.shop_id, "at": f.at, "evidence": dict(f.evidence),
                "rule_id": f.rule_id, "rulebook_version": f.rulebook_version, "detected_at": now}
                for f in findings])

    def findings(self, *, shop_id: str | None = None, subject_ids: Iterable[str] | None = None,
                 kinds: Iterable[str] | None = None, start: dt.datetime | None = None,
                 end: dt.datetime | None = None, limit: int | None = None) -> list[Finding]:
        stmt = sa.select(FindingRow).order_by(FindingRow.at.desc(), FindingRow.finding_id)
        if shop_id is not None:
            stmt = stmt.where(FindingRow.shop_id == shop_id)
        if subject_ids is not None:
            stmt = stmt.where(FindingRow.subject_id.in_(list(subject_ids)))
        if kinds is not None:
            stmt = stmt.where(FindingRow.kind.in_(list(kinds)))
        if start is not None:
            stmt = stmt.where(FindingRow.at >= start)
        if end is not None:
            stmt = stmt.where(FindingRow.at < end)
        if limit is not None:
            stmt = stmt.limit(limit)
        return [r.to_model() for r in self.session.scalars(stmt)]

    def count_by_kind(self, shop_id: str | None, start: dt.datetime, end: dt.datetime) -> dict[str, int]:
        t = table(FindingRow)
        stmt = sa.select(t.c.kind, sa.func.count()).where(t.c.at >= start, t.c.at < end).group_by(t.c.kind)
        if shop_id is not None:
            stmt = stmt.where(t.c.shop_id == shop_id)
        return {k: int(n) for k, n in self.session.execute(stmt)}

    def points_entries(self, shop_id: str, since: dt.datetime) -> list[PointsEntry]:
        t = table(LateConsequenceRow)
        rows = self.session.execute(sa.select(t.c.order_id, t.c.at, t.c.points).where(
            t.c.shop_id == shop_id, t.c.at >= since))
        return [PointsEntry(r.order_id, r.at, r.points) for r in rows]

    def consequences_for(self, order_ids: list[str]) -> set[str]:
        t = table(LateConsequenceRow)
        return set(self.session.scalars(sa.select(t.c.order_id).where(t.c.order_id.in_(order_ids))))

    def add_consequence(self, award: PointsAward, *, shop_id: str, consumer_id: str, finding_id: str,
                        paid_fen: int, coupon_fen: int, compensation_rule_id: str, now: dt.datetime) -> None:
        self.session.add(LateConsequenceRow(
            order_id=award.order_id, shop_id=shop_id, consumer_id=consumer_id, finding_id=finding_id, at=award.at,
            paid_fen=paid_fen, coupon_fen=coupon_fen, points=award.points, local_day=award.local_day,
            week_start=award.week_start, capped_by=award.capped_by, compensation_rule_id=compensation_rule_id,
            points_rule_id=award.rule_id, rulebook_version=award.rulebook_version, recorded_at=now))

    def consequences(self, *, shop_id: str | None = None, order_id: str | None = None,
                     start: dt.datetime | None = None, end: dt.datetime | None = None) -> list[LateConsequenceRow]:
        stmt = sa.select(LateConsequenceRow).order_by(LateConsequenceRow.at, LateConsequenceRow.order_id)
        if shop_id is not None:
            stmt = stmt.where(LateConsequenceRow.shop_id == shop_id)
        if order_id is not None:
            stmt = stmt.where(LateConsequenceRow.order_id == order_id)
        if start is not None:
            stmt = stmt.where(LateConsequenceRow.at >= start)
        if end is not None:
            stmt = stmt.where(LateConsequenceRow.at < end)
        return list(self.session.scalars(stmt))

    def etas(self, order_ids: list[str]) -> dict[str, EtaRow]:
        return {r.order_id: r for r in self.session.scalars(sa.select(EtaRow).where(EtaRow.order_id.in_(order_ids)))}

    def put_eta(self, row: EtaRow | None, order_id: str, current: dict[str, Any], shown: dict[str, Any] | None,
                now: dt.datetime) -> None:
        if row is None:
            self.session.add(EtaRow(order_id=order_id, shown=shown, current=current, revised_at=now))
        else:
            row.current, row.revised_at = current, now
            if row.shown is None and shown is not None:
                row.shown = shown

    def existing_notices(self, ids: list[str]) -> set[str]:
        if not ids:
            return set()
        t = table(NoticeRow)
        return set(self.session.scalars(sa.select(t.c.notice_id).where(t.c.notice_id.in_(ids))))

    def add_notice(self, row: NoticeRow) -> None:
        self.session.add(row)

    def notices(self, order_id: str) -> list[NoticeRow]:
        return list(self.session.scalars(sa.select(NoticeRow).where(NoticeRow.order_id == order_id)
                                         .order_by(NoticeRow.since, NoticeRow.notice_id)))


def export_findings_query(*, since: dt.datetime, until: dt.datetime) -> sa.Select[*tuple[Any, ...]]:
    """Findings about what happened in ``[since, until)`` and known before ``until``, for the service-experience
    report (``anxin.reports``): the order a finding is about, when the subject is an order."""
    f = FindingRow
    order_id = sa.case((f.subject_type == "order", f.subject_id))
    return (sa.select(f.finding_id, f.kind, order_id.label("order_id"), f.shop_id, f.at.label("found_at"))
            .where(f.at >= since, f.at < until, f.detected_at < until)
            .order_by(f.finding_id))
