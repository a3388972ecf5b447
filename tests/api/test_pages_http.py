"""Server-rendered pages over HTTP: login cookie, languages, isolation, form errors, money parsing."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from tests import catalogs
from tests.api.problems import code as problem_code
from tests.browser.world import png_bytes, seed

from anxin.access.error_codes import AccessErrorCode
from anxin.aftersales import model as m
from anxin.aftersales.error_codes import AfterSalesErrorCode
from anxin.aftersales.pages import parse_yuan
from anxin.aftersales.rulebook import CASE_TYPES, REASONS
from anxin.aftersales.service import FileCase
from anxin.core.errors import AnxinError
from anxin.core.principal import Role
from anxin.web.auth import COOKIE
from anxin.web.error_codes import WebErrorCode
from anxin.web.render import csrf_token

pytestmark = pytest.mark.db


@pytest.fixture
def world(anxin):
    return seed(anxin)



def signed_in(app, key: str) -> TestClient:
    client = TestClient(app)
    assert client.post("/login", data={"key": key}, follow_redirects=False).status_code == 303
    return client


def csrf(client: TestClient) -> str:
    """The form token of a signed-in client's session (pages embed the same value in their forms)."""
    return csrf_token(client.cookies.get(COOKIE))


def code_of(html: str) -> str | None:
    found = re.search(r'class="error" role="alert" data-code="([^"]+)"', html)
    return found.group(1) if found else None


def cases_of(anxin, key: str):
    return anxin.aftersales.list_cases(anxin.access.authenticate(key))


# --- session -------------------------------------------------------------------------------------

def test_login_sets_an_httponly_lax_session_cookie_and_goes_to_next(app, world) -> None:
    client = TestClient(app)
    r = client.post("/login", data={"key": world.consumer, "next": "/hall/orders/o_cup"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/hall/orders/o_cup"
    cookie = r.headers["set-cookie"].lower()
    assert f"{COOKIE}=axs_" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    assert world.consumer.lower() not in cookie  # the cookie is a session, never the key
    page = client.get("/hall/orders/o_cup")
    assert page.status_code == 200 and "陶瓷马克杯" in page.text


def test_a_key_in_the_address_signs_nobody_in(app, world) -> None:
    client = TestClient(app)
    r = client.get("/login", params={"key": world.consumer, "next": "/hall"}, follow_redirects=False)
    assert r.status_code == 200 and "set-cookie" not in r.headers and 'name="key"' in r.text
    assert client.get("/hall", follow_redirects=False).status_code == 303


def test_a_login_link_can_carry_the_language(anxin, app, world) -> None:
    key_id = anxin.access.authenticate(world.consumer).key_id
    token = anxin.access.create_login_link(key_id=key_id).token
    client = TestClient(app, headers={"Accept-Language": "zh-CN"})
    r = client.get("/login/link", params={"token": token, "next": "/hall/orders/o_cup", "lang": "en"},
                   follow_redirects=False)
    assert r.status_code == 303
    page = client.get("/hall/orders/o_cup")
    assert '<html lang="en"' in page.text  # the link's choice beats the browser's Accept-Language


@pytest.mark.parametrize("target", ["https://evil.example/x", "//evil.example/x", "/\\evil.example", "javascript:x"])
def test_login_only_redirects_to_local_paths(app, world, target: str) -> None:
    r = TestClient(app).post("/login", data={"key": world.consumer, "next": target}, follow_redirects=False)
    assert r.headers["location"] == "/hall"  # the consumer's landing page


def test_login_form_and_bad_key(app, world) -> None:
    client = TestClient(app)
    assert 'name="key"' in client.get("/login").text
    r = client.post("/login", data={"key": "ax_nope", "next": "/"}, follow_redirects=False)
    assert r.status_code == 401 and "set-cookie" not in r.headers and "access.unauthenticated" in r.text
    r = client.post("/login", data={"key": world.merchant, "next": "/"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/merchant/cases"


def test_pages_redirect_to_login_while_the_api_answers_401(app, world) -> None:
    client = TestClient(app)
    for path in ("/", "/hall", "/hall/orders/o_cup", "/merchant/cases", "/ops/cases/x"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next=%2F"), path
    r = client.post("/hall/orders/o_cup/cases", data={"amount": "1"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    api = client.get("/v1/aftersales/cases")
    assert api.status_code == 401 and problem_code(api) == "access.unauthenticated"


def test_logout_forgets_the_key(app, world) -> None:
    client = signed_in(app, world.consumer)
    assert client.get("/").status_code == 200
    client.post("/logout", follow_redirects=False)
    assert client.get("/", follow_redirects=False).status_code == 303


def test_a_role_outside_its_pages_gets_403(app, world) -> None:
    client = signed_in(app, world.merchant)
    for path in ("/ops/cases", "/hall", "/hall/orders/o_cup"):
        r = client.get(path)
        assert r.status_code == 403 and code_of(r.text) == "access.forbidden_role", path


def test_home_links_to_each_roles_pages(app, world) -> None:
    for key, link in ((world.consumer, "/hall"), (world.merchant, "/merchant/cases"), (world.operator, "/ops/cases")):
        page = signed_in(app, key).get("/")
        assert page.status_code == 200 and f'href="{link}"' in page.text and 'href="/docs"' in page.text


# --- language ------------------------------------------------------------------------------------

def test_both_languages_render_and_the_choice_sticks(app, world) -> None:
    client = signed_in(app, world.consumer)
    zh = client.get("/hall/orders/o_cup")  # no Accept-Language: zh-CN
    assert '<html lang="zh-CN">' in zh.text and "服务保障大厅" in zh.text and "极速退款" in zh.text
    en = client.get("/hall/orders/o_cup", headers={"accept-language": "en-GB,en;q=0.9"})
    assert '<html lang="en">' in en.text and "Service Guarantee Hall" in en.text and "Instant refund" in en.text
    assert "closes in 5 h" in en.text and "¥99.00" in en.text and "+08:00" in en.text
    chosen = client.get("/hall/orders/o_cup", params={"lang": "zh-CN"}, headers={"accept-language": "en"})
    assert "anxin_lang=zh-CN" in chosen.headers["set-cookie"] and '<html lang="zh-CN">' in chosen.text
    assert '<html lang="zh-CN">' in client.get("/hall", headers={"accept-language": "en"}).text
    assert 'href="/hall/orders/o_cup?lang=en"' in chosen.text  # the switcher


def test_catalogs_cover_every_domain_code(anxin) -> None:
    # Both languages carry the same keys, translated, with the same placeholders: tests/unit/test_i18n.py.
    rb = anxin.rulebooks.in_force(anxin.clock.now())
    codes = {c.code for g in rb.guarantees for c in (*g.exemptions, *g.requires)} | {r.code for r in rb.review_rules}
    codes |= {"guarantee.approved", "guarantee.pending_merchant", "guarantee.review", "guarantee.not_offered",
              "guarantee.none_handles_claim", "window.not_open", "window.closed"}
    wanted = ([f"code.{c}" for c in codes] + [f"state.{s}" for s in m.CaseState]
              + [f"action.{a}" for a in m.Action] + ["action.auto_approve"]
              + [f"type.{t}" for t in CASE_TYPES] + [f"reason.{r}" for r in REASONS]
              + [f"deadline.{k}" for k in (*m.TIMEOUTS, "arbitration_sla")] + [f"role.{r}" for r in Role]
              + [f"outcome.{o}" for o in ("approved", "rejected", "pending_merchant", "review")]
              # every code a page can show (ingest and outbox codes never reach a page)
              + [f"err.{c.value}" for enum in (AccessErrorCode, AfterSalesErrorCode, WebErrorCode) for c in enum]
              + [f"btn.{a}" for a, (role, _) in m.RULES.items() if role != "system" and a is not m.Action.SHIP_RETURN])
    assert sorted(k for k in wanted if k not in catalogs.ZH) == []


# --- isolation -----------------------------------------------------------------------------------

def test_a_consumer_cannot_see_another_consumers_hall(app, world) -> None:
    client = signed_in(app, world.consumer)
    r = client.get("/hall/orders/o_towel")
    assert r.status_code == 404 and code_of(r.text) == "aftersales.order_not_found" and "Towel" not in r.text
    r = client.post("/hall/orders/o_towel/cases", data={"csrf": csrf(client), "type": "refund_only",
                                                      "reason": "other", "amount": "1.00"})
    assert r.status_code == 404
    assert client.get("/hall/orders/no-such-order").status_code == 404
    assert "o_towel" not in client.get("/hall").text


def test_a_merchant_cannot_see_another_merchants_case(anxin, app, world) -> None:
    view = anxin.aftersales.file_case(anxin.access.authenticate(world.consumer),
                                      FileCase("o_vase", "return_refund", "no_reason", 12800))
    other = signed_in(app, world.other_merchant)
    r = other.get(f"/merchant/cases/{view.case.case_id}")
    assert r.status_code == 404 and code_of(r.text) == "aftersales.case_not_found"
    r = other.post(f"/merchant/cases/{view.case.case_id}/act",
                   data={"csrf": csrf(other), "action": "approve"})
    assert r.status_code == 404
    assert view.case.case_id not in other.get("/merchant/cases").text
    assert cases_of(anxin, world.consumer)[0].case.state is m.CaseState.PENDING_MERCHANT
    mine = signed_in(app, world.merchant)
    assert mine.get(f"/merchant/cases/{view.case.case_id}").status_code == 200
    assert view.case.case_id in mine.get("/merchant/cases").text


# --- forms ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "fen"), [("12.30", 1230), ("12.3", 1230), ("0.01", 1), ("12.340", 1234),
                                           (" 7 ", 700), ("1000000.00", 100_000_000)])
def test_yuan_to_fen_is_exact(text: str, fen: int) -> None:
    assert parse_yuan(text) == fen


@pytest.mark.parametrize("text", ["12.345", "0.001", "0", "0.00", "-1", "1e3", "NaN", "Infinity", "", " ", "1,000",
                                  "１２", "12.", ".5", "99999999999"])
def test_yuan_refuses_what_is_not_whole_fen(text: str) -> None:
    with pytest.raises(AnxinError) as exc:
        parse_yuan(text)
    assert exc.value.code.value == "aftersales.invalid_amount"


def test_filing_redirects_and_shows_the_decision(anxin, app, world) -> None:
    client = signed_in(app, world.consumer)
    r = client.post("/hall/orders/o_cup/cases", data={"csrf": csrf(client), "type": "refund_only",
                                                    "reason": "other", "amount": "99.00"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/hall/orders/o_cup?filed=as_")
    page = client.get(r.headers["location"])
    assert 'data-state="refunded"' in page.text and "guarantee.approved" in page.text
    assert "G.INSTANT_REFUND" in page.text and "规则自动同意" in page.text


def test_amount_in_yuan_becomes_exact_fen(anxin, app, world) -> None:
    client = signed_in(app, world.consumer)
    r = client.post("/hall/orders/o_mango/cases",
                    data={"csrf": csrf(client), "type": "refund_only", "reason": "quality",
                          "amount": "12.30", "description": "两个坏了"},
                    files={"evidence": ("mango.png", png_bytes(), "image/png")}, follow_redirects=False)
    assert r.status_code == 303
    [view] = cases_of(anxin, world.consumer)
    assert view.case.amount_fen == 1230 and len(view.evidence) == 1 and view.description == "两个坏了"
    assert view.case.state is m.CaseState.PENDING_MERCHANT


@pytest.mark.parametrize(("fields", "status", "code"), [
    ({"amount": "12.345"}, 422, "aftersales.invalid_amount"),
    ({"amount": "abc"}, 422, "aftersales.invalid_amount"),
    ({"amount": "0"}, 422, "aftersales.invalid_amount"),
    ({"amount": "99.01"}, 422, "aftersales.amount_exceeds_refundable"),
    ({"type": "refund_everything"}, 422, "aftersales.invalid_case_type"),
    ({"reason": "<script>"}, 422, "aftersales.invalid_reason"),
    ({"csrf": "forged"}, 403, "request.form_token_invalid"),
    ({"csrf": ""}, 403, "request.form_token_invalid"),
])
def test_form_errors_show_their_code_with_4xx_and_write_nothing(anxin, app, world, fields, status, code) -> None:
    client = signed_in(app, world.consumer)
    data = {"csrf": csrf(client), "type": "refund_only", "reason": "other", "amount": "50.00",
            "description": "keep me", **fields}
    r = client.post("/hall/orders/o_cup/cases", data=data, files={"evidence": ("x.png", png_bytes(), "image/png")})
    assert r.status_code == status and code_of(r.text) == code
    assert cases_of(anxin, world.consumer) == []
    if status == 422:
        assert "keep me" in r.text and 'data-testid="file-form"' in r.text  # the form comes back filled in
    if code == "aftersales.invalid_amount":
        assert not list((anxin.settings.evidence_dir).rglob("*.png"))  # nothing stored before the amount is good


def test_bad_evidence_and_odd_requests_are_4xx_not_500(anxin, app, world) -> None:
    client = signed_in(app, world.consumer)
    token = csrf(client)
    data = {"csrf": token, "type": "refund_only", "reason": "quality", "amount": "1"}
    r = client.post("/hall/orders/o_mango/cases", data=data, files={"evidence": ("a.png", b"GIF89a", "image/png")})
    assert r.status_code == 415 and code_of(r.text) == "aftersales.evidence_not_image"
    assert client.post("/hall/orders/o_cup/cases", content=b"\x00\xff", headers={
        "content-type": "multipart/form-data; boundary=x"}).status_code in (400, 403, 422)
    assert client.post("/hall/cases/nope/act", data={"csrf": token, "action": "escalate"}).status_code == 404
    assert client.get("/merchant/cases?state=<bad>").status_code == 403  # a consumer; never a 500
    assert cases_of(anxin, world.consumer) == []


def test_return_journey_through_the_forms(anxin, app, world) -> None:
    consumer, merchant = signed_in(app, world.consumer), signed_in(app, world.merchant)
    c_token, m_token = csrf(consumer), csrf(merchant)
    consumer.post("/hall/orders/o_vase/cases", data={"csrf": c_token, "type": "return_refund", "reason": "no_reason",
                                                     "amount": "128"})
    [view] = cases_of(anxin, world.consumer)
    case_id = view.case.case_id
    r = merchant.post(f"/merchant/cases/{case_id}/act", data={"csrf": m_token, "action": "reject"})
    assert r.status_code == 422 and code_of(r.text) == "aftersales.note_required"
    r = merchant.post(f"/merchant/cases/{case_id}/act", data={"csrf": m_token, "action": "approve"})
    assert r.status_code == 200 and 'data-state="awaiting_return"' in r.text
    r = consumer.post(f"/hall/cases/{case_id}/act", data={"csrf": c_token, "action": "ship_return", "method": "self",
                                                          "carrier": "SF", "tracking_no": "", "freight": "12.50"})
    assert r.status_code == 422 and code_of(r.text) == "aftersales.tracking_required"
    r = consumer.post(f"/hall/cases/{case_id}/act", data={"csrf": c_token, "action": "ship_return", "method": "self",
                                                          "carrier": "SF", "tracking_no": "SF9", "freight": "12.505"})
    assert r.status_code == 422 and code_of(r.text) == "aftersales.invalid_amount"
    r = consumer.post(f"/hall/cases/{case_id}/act", data={"csrf": c_token, "action": "ship_return", "method": "self",
                                                          "carrier": "SF", "tracking_no": "SF9", "freight": "12.50"})
    assert r.status_code == 200 and 'data-state="return_shipped"' in r.text
    r = merchant.post(f"/merchant/cases/{case_id}/act", data={"csrf": m_token, "action": "confirm_receipt"})
    assert r.status_code == 200 and 'data-state="refunded"' in r.text
    [done] = cases_of(anxin, world.consumer)
    assert (done.case.refunded_fen, done.case.return_freight_fen, done.case.freight_paid_fen) == (12800, 1250, 1250)


def test_operator_views_any_hall_and_works_the_review_queue(anxin, app, world) -> None:
    operator = signed_in(app, world.operator)
    hall = operator.get("/hall/orders/o_towel")
    assert hall.status_code == 200 and "Towel" in hall.text and 'data-testid="file-form"' not in hall.text
    consumer = anxin.access.authenticate(world.consumer)
    sha = anxin.aftersales.upload_evidence(consumer, png_bytes()).sha256
    case_id = anxin.aftersales.file_case(consumer, FileCase("o_vase", "return_refund", "counterfeit", 12800, (sha,))
                                         ).case.case_id
    queue = operator.get("/ops/cases")
    assert f'data-case="{case_id}" data-state="under_review"' in queue.text
    token = csrf(operator)
    r = operator.post(f"/ops/cases/{case_id}/act", data={"csrf": token, "action": "review_approve"})
    assert r.status_code == 422 and code_of(r.text) == "aftersales.note_required"
    r = operator.post(f"/ops/cases/{case_id}/act", data={"csrf": token, "action": "approve", "note": "x"})
    assert r.status_code == 422 and code_of(r.text) == "aftersales.invalid_action"  # a merchant's action
    r = operator.post(f"/ops/cases/{case_id}/act", data={"csrf": token, "action": "review_approve", "note": "假货"})
    assert r.status_code == 200 and 'data-state="awaiting_return"' in r.text
    assert case_id not in operator.get("/ops/cases").text
