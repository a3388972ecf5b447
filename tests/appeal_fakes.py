"""A fake violation ledger for the appeals tests (the core slice's ledger is not merged yet): violations seeded by the
test, ``reverse`` recorded. Not transactional: a reversal stays even if the caller's transaction rolls back, which the
appeals tests never rely on (only a winning decision reverses)."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import replace
from typing import Any

from anxin.governance.model import LATE_SHIPMENT, SOURCE_OPERATOR, RecordViolation, ViolationView


class FakeLedger:
    def __init__(self) -> None:
        self.violations: dict[str, ViolationView] = {}
        self.reversals: list[tuple[str, str, str, str]] = []  # (violation, cause type, cause id, by)
        self._lock = threading.Lock()
        # A test racing filings on PostgreSQL sets this: every filer then reads the violation before any of them
        # writes, so the race reaches the unique open_key instead of being settled by an earlier commit.
        self.gate: threading.Barrier | None = None

    def seed(self, violation_id: str, *, recorded_at: dt.datetime, shop_id: str | None = "s1",
             creator_id: str | None = None, appealable: bool = True, kind: str = LATE_SHIPMENT,
             state: str = "active") -> ViolationView:
        view = ViolationView(violation_id=violation_id, kind=kind, violation_class="general",
                             subject=f"shop:{shop_id}" if shop_id else f"creator:{creator_id}", shop_id=shop_id,
                             creator_id=creator_id, points_hundredths=200, appealable=appealable, state=state,
                             recorded_at=recorded_at, source_type=SOURCE_OPERATOR, source_id=violation_id)
        self.violations[violation_id] = view
        return view

    def record(self, uow: Any, cmd: RecordViolation) -> tuple[ViolationView, bool]:
        vid = f"{cmd.source_type}:{cmd.source_id}:{cmd.kind}"
        if vid in self.violations:
            return self.violations[vid], False
        return self.seed(vid, recorded_at=cmd.at, shop_id=cmd.shop_id, creator_id=cmd.creator_id,
                         kind=cmd.kind), True

    def get(self, uow: Any, violation_id: str) -> ViolationView | None:
        if self.gate is not None:
            self.gate.wait(timeout=30)
        return self.violations.get(violation_id)

    def reverse(self, uow: Any, violation_id: str, *, cause_type: str, cause_id: str, at: dt.datetime,
                by: str) -> ViolationView:
        with self._lock:
            view = replace(self.violations[violation_id], state="reversed")
            self.violations[violation_id] = view
            self.reversals.append((violation_id, cause_type, cause_id, by))
            return view

    def count(self, uow: Any, *, kind: str, shop_id: str, since: dt.datetime) -> int:
        return sum(1 for v in self.violations.values()
                   if v.kind == kind and v.shop_id == shop_id and v.recorded_at >= since)
