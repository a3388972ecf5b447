"""A small in-memory ``ViolationLedger`` for the IP complaint tests until the core slice's ledger is merged (a fake,
not a mock: idempotent per (source_type, source_id, kind) and counting like the contract says). Thread-safe, so the
concurrency tests can share it; it does not roll back with the caller's unit of work."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

from anxin.governance.model import RecordViolation, ViolationView

POINTS = {"minor": 200, "major": 600, "critical": 1200, None: 200}  # hundredths; the catalogue's figures are A's


class FakeLedger:
    def __init__(self) -> None:
        self.recorded: list[tuple[RecordViolation, ViolationView]] = []
        self.count_calls: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def record(self, uow: Any, cmd: RecordViolation) -> tuple[ViolationView, bool]:
        with self._lock:
            for old, view in self.recorded:
                if (old.source_type, old.source_id, old.kind) == (cmd.source_type, cmd.source_id, cmd.kind):
                    return view, False
            view = ViolationView(violation_id=f"vio_{len(self.recorded) + 1}", kind=cmd.kind, violation_class="general",
                                 subject=cmd.subject, shop_id=cmd.shop_id, creator_id=cmd.creator_id,
                                 points_hundredths=POINTS[cmd.severity], appealable=True, state="active",
                                 recorded_at=cmd.at, source_type=cmd.source_type, source_id=cmd.source_id)
            self.recorded.append((cmd, view))
            return view, True

    def get(self, uow: Any, violation_id: str) -> ViolationView | None:
        return next((v for _, v in self.recorded if v.violation_id == violation_id), None)

    def reverse(self, uow: Any, violation_id: str, *, cause_type: str, cause_id: str, at: dt.datetime,
                by: str) -> ViolationView:
        raise NotImplementedError("IP complaints never reverse a violation")

    def count(self, uow: Any, *, kind: str, shop_id: str, since: dt.datetime) -> int:
        with self._lock:
            self.count_calls.append({"kind": kind, "shop_id": shop_id, "since": since})
            return sum(1 for cmd, v in self.recorded
                       if cmd.kind == kind and cmd.shop_id == shop_id and cmd.at >= since and v.state == "active")
