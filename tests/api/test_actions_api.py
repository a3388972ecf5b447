"""The actions API: the platform acks (idempotent, conflicts 409, unknown 404), operators list and issue; the
/ops/actions page in zh-CN and en."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient
from tests.api.problems import code as problem_code

pytestmark = pytest.mark.db

HOLD = {"kind": "funds.hold", "target": "shop:s1", "parameters": {"all": True},
        "cause": {"type": "ticket", "id": "T-1"}, "note": "pending investigation"}


@pytest.fixture
def action_id(client, keys) -> str:
    resp = client.post("/v1/actions", json=HOLD, headers=keys["operator"])
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["created"] and body["state"] == "issued" and body["parameters"] == {"all": True}
    return str(body["action_id"])


def _code(resp) -> str:
    return str(problem_code(resp))


def test_the_platform_acks_once_and_the_same_ack_again_answers_the_same(client, keys, action_id):
    url = f"/v1/actions/{action_id}/ack"
    first = client.post(url, json={"status": "failed", "reason": "shop already closed"}, headers=keys["platform"])
    assert first.status_code == 200 and first.json()["state"] == "failed"
    again = client.post(url, json={"status": "failed", "reason": "shop already closed"}, headers=keys["platform"])
    assert again.status_code == 200 and again.json() == first.json()
    conflict = client.post(url, json={"status": "done"}, headers=keys["platform"])
    assert conflict.status_code == 409 and _code(conflict) == "actions.ack_conflict"
    shown = client.get(f"/v1/actions/{action_id}", headers=keys["platform"]).json()
    assert shown["state"] == "failed" and shown["failure_reason"] == "shop already closed"


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"status": "ok"}, 422, "actions.invalid_ack"),
    ({"status": "failed"}, 422, "actions.invalid_ack"),
    ({"status": "done", "reason": "x"}, 422, "actions.invalid_ack"),
    (["done"], 422, "actions.invalid_ack"),
])
def test_bad_acks_are_4xx_with_a_stable_code(client, keys, action_id, body, status, code):
    resp = client.post(f"/v1/actions/{action_id}/ack", json=body, headers=keys["platform"])
    assert resp.status_code == status and _code(resp) == code


def test_acks_are_for_the_platform_and_for_known_actions(client, keys, action_id):
    done = {"status": "done"}
    missing = client.post("/v1/actions/act_nope/ack", json=done, headers=keys["platform"])
    assert missing.status_code == 404 and _code(missing) == "actions.action_not_found"
    long = client.post("/v1/actions/" + "x" * 300 + "/ack", json=done, headers=keys["platform"])
    assert long.status_code == 404
    for who in ("operator", "m1", "c1"):
        assert client.post(f"/v1/actions/{action_id}/ack", json=done, headers=keys[who]).status_code == 403
    assert client.post(f"/v1/actions/{action_id}/ack", json=done).status_code == 401
    bad_json = client.post(f"/v1/actions/{action_id}/ack", content=b"{", headers={
        **keys["platform"], "Content-Type": "application/json"})
    assert bad_json.status_code == 400


def test_operators_list_with_filters_and_paging(client, keys, action_id):
    second = client.post("/v1/actions", json={**HOLD, "kind": "listing.takedown", "target": "listing:L1",
                                              "parameters": {}}, headers=keys["operator"]).json()
    client.post(f"/v1/actions/{second['action_id']}/ack", json={"status": "done"}, headers=keys["platform"])
    listing = client.get("/v1/actions", headers=keys["operator"]).json()
    assert [i["action_id"] for i in listing["items"]] == [action_id, second["action_id"]]  # done last
    assert set(listing) == {"items", "next", "limit"} and listing["next"] is None
    counts = client.get("/v1/actions/counts", headers=keys["operator"]).json()
    assert counts == {"issued": 1, "sent": 0, "unconfirmed": 0, "done": 1, "failed": 0}
    assert client.get("/v1/actions/counts", params={"target": "listing:L1"},
                      headers=keys["operator"]).json()["done"] == 1
    assert listing["items"][0]["reason_codes"] == [] and listing["items"][0]["cause"] == HOLD["cause"]
    done = client.get("/v1/actions", params={"state": "done"}, headers=keys["operator"]).json()
    assert [i["action_id"] for i in done["items"]] == [second["action_id"]]
    shop = client.get("/v1/actions", params={"target": "shop:s1"}, headers=keys["operator"]).json()
    assert [i["action_id"] for i in shop["items"]] == [action_id]
    first = client.get("/v1/actions", params={"limit": 1}, headers=keys["operator"]).json()
    assert [i["action_id"] for i in first["items"]] == [action_id] and first["next"]
    page = client.get("/v1/actions", params={"limit": 1, "cursor": first["next"]}, headers=keys["operator"]).json()
    assert [i["action_id"] for i in page["items"]] == [second["action_id"]] and page["next"] is None
    # a cursor belongs to its list and filters
    other = client.get("/v1/actions", params={"state": "done", "cursor": first["next"]}, headers=keys["operator"])
    assert other.status_code == 400 and _code(other) == "request.invalid_cursor"
    bad = client.get("/v1/actions", params={"state": "lost"}, headers=keys["operator"])
    assert bad.status_code == 422 and _code(bad) == "actions.invalid_filter"
    assert client.get("/v1/actions", params={"limit": 0}, headers=keys["operator"]).status_code == 422
    for who in ("platform", "m1", "c1"):
        assert client.get("/v1/actions", headers=keys[who]).status_code == 403
        assert client.get("/v1/actions/counts", headers=keys[who]).status_code == 403


@pytest.mark.parametrize(("change", "code"), [
    ({"kind": "shop.nuke"}, "actions.unknown_kind"),
    ({"parameters": {"amount_fen": -1}}, "actions.invalid_parameters"),
    ({"target": "shop:"}, "actions.invalid_target"),
    ({"cause": {"type": "ticket"}}, "actions.invalid_cause"),
])
def test_issuing_bad_actions_is_422_with_a_stable_code(client, keys, change, code):
    resp = client.post("/v1/actions", json={**HOLD, **change}, headers=keys["operator"])
    assert resp.status_code == 422 and _code(resp) == code


def test_the_same_cause_with_other_parameters_is_409(client, keys, action_id):
    resp = client.post("/v1/actions", json={**HOLD, "parameters": {"amount_fen": 100}}, headers=keys["operator"])
    assert resp.status_code == 409 and _code(resp) == "actions.cause_conflict"


@pytest.mark.parametrize(("lang", "title", "kind", "state"), [
    ("zh-CN", "发给平台的指令", "冻结资金", "执行失败"),
    ("en", "Actions sent to the platform", "Hold funds", "Failed")])
def test_the_console_page_shows_failed_ones_first(app, anxin, client, keys, action_id, lang, title, kind, state):
    other = client.post("/v1/actions", json={**HOLD, "cause": {"type": "ticket", "id": "T-2"}},
                        headers=keys["operator"]).json()["action_id"]
    client.post(f"/v1/actions/{action_id}/ack", json={"status": "failed", "reason": "账户不存在"},
                headers=keys["platform"])
    page_client = TestClient(app, headers={"Accept-Language": lang}, raise_server_exceptions=False)
    key = anxin.access.create_key("operator", "ops")[1]
    assert page_client.post("/login", data={"key": key}, follow_redirects=False).status_code == 303
    page = page_client.get("/ops/actions")
    assert page.status_code == 200
    assert title in page.text and kind in page.text and state in page.text and "账户不存在" in page.text
    assert page.text.index(f'data-action="{action_id}"') < page.text.index(f'data-action="{other}"')
    only = page_client.get("/ops/actions", params={"state": "issued"})
    assert f'data-action="{action_id}"' not in only.text and f'data-action="{other}"' in only.text
    merchant = TestClient(app, raise_server_exceptions=False)
    merchant.post("/login", data={"key": anxin.access.create_key("merchant", "m1")[1]}, follow_redirects=False)
    assert merchant.get("/ops/actions", follow_redirects=False).status_code == 403


def test_the_console_pages_by_cursor(app, anxin, client, keys, action_id, monkeypatch):
    from anxin.actions import pages

    monkeypatch.setattr(pages, "PAGE_SIZE", 1)
    other = client.post("/v1/actions", json={**HOLD, "cause": {"type": "ticket", "id": "T-2"}},
                        headers=keys["operator"]).json()["action_id"]
    page_client = TestClient(app, raise_server_exceptions=False)
    page_client.post("/login", data={"key": anxin.access.create_key("operator", "ops")[1]}, follow_redirects=False)
    first = page_client.get("/ops/actions")
    shown = {a for a in (action_id, other) if f'data-action="{a}"' in first.text}
    link = re.search(r'href="([^"]+)" rel="next"', first.text)
    assert len(shown) == 1 and link and 'rel="first"' not in first.text
    second = page_client.get(html.unescape(link.group(1)))
    assert second.status_code == 200 and f'data-action="{({action_id, other} - shown).pop()}"' in second.text
    assert 'rel="next"' not in second.text and 'rel="first"' in second.text
    assert page_client.get("/ops/actions", params={"cursor": "forged"}).status_code == 200  # the first page


def test_a_forged_cursor_is_a_400_not_a_500(client, keys, action_id):
    from anxin.web.paging import encode_cursor, scope_of

    forged = encode_cursor((0, "not a time", "act_x"), scope=scope_of("actions", None, None))
    resp = client.get("/v1/actions", params={"cursor": forged}, headers=keys["operator"])
    assert resp.status_code == 400 and _code(resp) == "request.invalid_cursor"
