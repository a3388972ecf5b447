"""Inbound inspection use cases: sample plans, per-unit results, lot verdicts."""

from __future__ import annotations
