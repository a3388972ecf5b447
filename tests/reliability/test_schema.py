"""Schemathesis over the OpenAPI schema with a key of every role: no input makes the server answer 5xx."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.db import builders as b
from tests.reliability.harness import PRICE_FEN, SHOP, Call, World, record, send, setting

pytestmark = [pytest.mark.reliability, pytest.mark.slow]
EXAMPLES = int(setting("SCHEMA_EXAMPLES", 5))
ROLES = ("platform", "operator", "merchant", "c0000")


@pytest.mark.timeout(900)
def test_generated_requests_of_every_role_get_no_server_error(world: World) -> None:
    st = Path(sys.executable).with_name("st")
    if not st.exists():
        pytest.fail("schemathesis is not installed: pip install -e '.[dev]'")
    world.seed_orders(20, prefix="st")
    failures: dict[str, list[str]] = {}
    for role in ROLES:
        report = world.workdir / f"st-{role}.ndjson"
        # Deterministic generation (fixed seed) so the same code gives the same verdict.
        out = subprocess.run(
            [str(st), "run", f"{world.base}/openapi.json", "--checks", "not_a_server_error",
             "--header", f"Authorization: Bearer {world.keys[role]}", "--max-examples", str(EXAMPLES),
             "--seed", "13", "--no-shrink", "--workers", "1",  # 2+ trip a CPython 3.11 AST race
             "--request-timeout", "30",
             "--phases", "examples,coverage,fuzzing", "--suppress-health-check", "all", "--warnings", "off",
             "--report", "ndjson", "--report-ndjson-path", str(report)],
            capture_output=True, text=True, cwd=world.workdir, timeout=600, check=False)
        failures[role] = _server_errors(report)
        if out.returncode not in (0, 1):
            pytest.fail(f"schemathesis could not run ({out.returncode}):\n{out.stdout[-3000:]}\n{out.stderr[-2000:]}")
    found = {role: len(f) for role, f in failures.items() if f}
    record("schemathesis_operations_with_5xx_by_role", found)
    assert not found, "server errors:\n" + "\n".join(f"{role}: {', '.join(sorted(set(f)))}"
                                                       for role, f in failures.items() if f)


def _server_errors(report: Path) -> list[str]:
    """Operations for which a `not_a_server_error` check failed, from schemathesis' NDJSON events."""
    found: list[str] = []
    if not report.exists():
        return found
    for line in report.read_text().splitlines():
        if "not_a_server_error" not in line:
            continue
        event = json.loads(line)
        found += _failed_labels(event)
    return found


def _failed_labels(node: object, label: str = "") -> list[str]:
    out: list[str] = []
    if isinstance(node, dict):
        label = node.get("label", label) if isinstance(node.get("label"), str) else label
        if node.get("name") == "not_a_server_error" and node.get("status") in ("failure", "FAILURE", "failed"):
            out.append(label or "?")
        for value in node.values():
            out += _failed_labels(value, label)
    elif isinstance(node, list):
        for value in node:
            out += _failed_labels(value, label)
    return out


def test_the_inputs_that_answered_500_before_answer_4xx(world: World) -> None:
    """The server errors the issue found by fuzzing, replayed exactly: each must be a client error now."""
    world.seed_orders(1, prefix="probe")
    k = world.keys

    def events(*evs: dict[str, Any]) -> Call:
        return Call("POST", "/v1/events", k["platform"], {"events": list(evs)})

    far = b.event("order.paid", {"order_id": "o_9999", "consumer_id": "c0001", "shop_id": SHOP,
                                 "items": [b.item("l_rel", 1, PRICE_FEN)], "paid_fen": PRICE_FEN,
                                 "paid_at": "9999-12-31T00:00:00+00:00"}, id="ev-9999")
    probes = {
        "list limit 2^63": Call("GET", "/v1/aftersales/cases?limit=9223372036854775808", k["operator"]),
        "event id with a lone surrogate": events(b.category("cat_x", id="ev-\ud800")),
        "NUL in an event's text": events(b.category("cat_nul", name="a\x00b", id="ev-nul")),
        "NUL in a filing's description": Call("POST", "/v1/aftersales/cases", k["c0000"], {
            "order_id": "probe00000", "type": "refund_only", "reason": "other", "amount_fen": 100,
            "description": "a\x00b"}),
        "risk rule id over 64 characters": Call("POST", "/v1/risk/rules", k["operator"], {
            "id": "K." + "X" * 100, "stage": "claim", "code": "risk.x", "action": "review", "points": 1,
            "message": {"zh-CN": "x", "en": "x"}, "when": {"fact": "claims_90d", "op": "gte", "value": 99}}),
        "order paid in year 9999": events(far),
        "guarantees of that order": Call("GET", "/v1/orders/o_9999/guarantees", k["c0001"]),
        "filing on that order": Call("POST", "/v1/aftersales/cases", k["c0001"], {
            "order_id": "o_9999", "type": "refund_only", "reason": "other", "amount_fen": 100}),
    }
    answers = {name: send(world.base, call).status for name, call in probes.items()}
    errors = {name: status for name, status in answers.items() if status is None or status >= 500}
    record("known_500_inputs_still_5xx", f"{len(errors)} of {len(probes)}: {sorted(errors)}")
    assert errors == {}, answers
