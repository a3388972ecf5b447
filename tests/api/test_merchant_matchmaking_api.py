"""Matchmaking over HTTP: the creator matches of a new shop, an invitation (201) and its refusals with stable codes
and reasons, the creator's invitations (cursor pages), accept and decline, one invitation with its live session's
outcome; the pages (merchant centre section, the shop's creator page, /creator/invitations) in zh-CN and en."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from tests.api.problems import code as problem_code
from tests.api.test_merchant_pages import csrf_of, signed_in
from tests.db.builders import T0, D, H, ingest_ok, item, order_paid
from tests.db.test_merchant_matchmaking_flow import MatchWorld, build_match_world

pytestmark = pytest.mark.db


@pytest.fixture
def world(anxin) -> MatchWorld:
    return build_match_world(anxin)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def body(creator: str, start: dt.datetime = T0 + D, hours: int = 2) -> dict[str, str]:
    return {"creator_id": creator, "session_start": start.isoformat(), "session_end": (start + hours * H).isoformat()}


def test_matches_invite_answer_and_outcome(client: TestClient, world: MatchWorld, clock, anxin) -> None:
    m = bearer(world.merchant_key)
    got = client.get("/v1/shops/s1/creator-matches", headers=m)
    assert got.status_code == 200, got.text
    assert [p["creator_id"] for p in got.json()["proposals"]] == ["cr1", "cr2", "cr3", "cr0"]
    assert got.json()["proposals"][0]["rule_ids"] == ["matchmaking.weights.category_fit",
                                                      "matchmaking.weights.reputation", "matchmaking.weights.capacity"]
    made = client.post("/v1/shops/s1/invitations", json=body("cr1"), headers=m)
    assert made.status_code == 201, made.text
    iid = made.json()["invitation_id"]
    assert made.json()["state"] == "pending" and made.json()["match"]["creator_id"] == "cr1"
    again = client.post("/v1/shops/s1/invitations", json=body("cr1"), headers=m)
    assert (again.status_code, problem_code(again)) == (409, "merchants.already_invited")
    for creator, n in (("cr2", 1), ("cr3", 2)):
        assert client.post("/v1/shops/s1/invitations", json=body(creator, T0 + D + n * 3 * H), headers=m
                           ).status_code == 201
    c = bearer(world.creator_keys["cr1"])
    mine = client.get("/v1/creators/me/invitations", headers=c)
    assert [i["invitation_id"] for i in mine.json()["items"]] == [iid]
    page = client.get("/v1/shops/s1/invitations?limit=2", headers=m).json()
    rest = client.get(f"/v1/shops/s1/invitations?limit=2&cursor={page['next']}", headers=m).json()
    assert len(page["items"]) == 2 and len(rest["items"]) == 1 and rest["next"] is None
    assert client.get(f"/v1/invitations/{iid}", headers=bearer(world.creator_keys["cr2"])).status_code == 404
    assert client.post(f"/v1/invitations/{iid}/accept", headers=m).status_code == 403
    ok = client.post(f"/v1/invitations/{iid}/accept", headers=c)
    assert ok.status_code == 200 and ok.json()["state"] == "accepted"
    closed = client.post(f"/v1/invitations/{iid}/decline", headers=c)
    assert (closed.status_code, problem_code(closed)) == (409, "merchants.invitation_closed")
    clock.set(T0 + D + 3 * H)
    ingest_ok(anxin, [
        order_paid("s-1", "b1", "s1", items=[item("l10", 1, 2500)], creator_id="cr1", paid_at=T0 + D + H)])
    one = client.get(f"/v1/invitations/{iid}", headers=m).json()
    assert one["session"]["phase"] == "ended"
    assert {k: one["outcome"][k] for k in ("orders", "gmv_fen", "cases", "late_shipments")} == {
        "orders": 1, "gmv_fen": 2500, "cases": 0, "late_shipments": 0}


@pytest.mark.parametrize(("payload", "status", "code"), [
    (body("shoes"), 422, "merchants.creator_not_matched"),
    (body("cr1", T0 - H), 422, "merchants.invalid_session"),
    (body("cr1", T0 + D, 13), 422, "merchants.invalid_session"),
    ({"creator_id": "cr1", "session_start": "2026-11-03T10:00:00", "session_end": "2026-11-03T12:00:00"}, 422,
     None),  # no zone: not an instant
])
def test_refusals_have_stable_codes(client, world, payload, status, code) -> None:
    got = client.post("/v1/shops/s1/invitations", json=payload, headers=bearer(world.merchant_key))
    assert got.status_code == status, got.text
    if code is not None:
        assert problem_code(got) == code
        assert got.json()["reasons"]


def test_roles(client, world) -> None:
    assert client.get("/v1/creators/me/invitations", headers=bearer(world.merchant_key)).status_code == 403
    assert client.get("/v1/shops/s1/creator-matches", headers=bearer(world.other_merchant_key)).status_code == 404
    assert client.get("/v1/shops/s1/creator-matches", headers=bearer(world.creator_keys["cr1"])).status_code == 403
    assert client.post("/v1/shops/s1/invitations", json=body("cr1"),
                       headers=bearer(world.operator_key)).status_code == 403


# --- pages ----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("lang", "words"), [
    ("zh-CN", ["达人匹配", "推荐达人", "类目契合度", "邀约与直播场次"]),
    ("en", ["Creator matchmaking", "Proposed creators", "Category fit", "Invitations and live sessions"]),
])
def test_the_pages_in_both_languages(app, world, lang, words) -> None:
    merchant = signed_in(app, world.merchant_key, lang)
    centre = merchant.get("/merchant/shops/s1")
    assert centre.status_code == 200 and 'data-testid="creators"' in centre.text
    page = merchant.get("/merchant/shops/s1/creators")
    assert page.status_code == 200, page.text
    assert all(w in page.text for w in words), [w for w in words if w not in page.text]
    assert "mc.mm." not in page.text and "mc.reason." not in page.text
    sent = merchant.post("/merchant/shops/s1/creators/invitations", data={
        "csrf": csrf_of(page.text), "creator_id": "cr1", "start": "2026-11-03T20:00", "end": "2026-11-03T22:00"},
        follow_redirects=False)
    assert sent.status_code == 303, sent.text
    bad = merchant.post("/merchant/shops/s1/creators/invitations", data={
        "csrf": csrf_of(page.text), "creator_id": "shoes", "start": "2026-11-03T20:00", "end": "2026-11-03T22:00"})
    assert bad.status_code == 422 and 'data-code="merchants.creator_not_matched"' in bad.text
    assert "match.fit_below" in bad.text
    creator = signed_in(app, world.creator_keys["cr1"], lang)
    mine = creator.get("/creator/invitations")
    assert mine.status_code == 200 and 'data-state="pending"' in mine.text
    assert "mc.mm." not in mine.text
    iid = mine.text.split('data-invitation="')[1].split('"')[0]
    done = creator.post(f"/creator/invitations/{iid}/accept", data={"csrf": csrf_of(mine.text)},
                        follow_redirects=True)
    assert done.status_code == 200 and 'data-state="accepted"' in done.text
    assert ("已接受" if lang == "zh-CN" else "Accepted") in done.text
    assert creator.get("/merchant/shops/s1/creators").status_code == 403
