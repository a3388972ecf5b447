"""The merchant centre over HTTP: the shop list, one shop's centre (status, novice tasks, deposit with its chart and
ledger, fee statement, offers, open cases) and an order's settlement, in zh-CN and en; isolation between merchants
(another merchant's shop or order is the 404 page), the top-up form (CSRF, refusals re-rendered, the held amount
changing, a replay charging nothing twice), and the catalog entries the pages need. Data comes through the real
services: events ingested, then settled."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from tests import catalogs
from tests.db.builders import (
    T0,
    D,
    H,
    cancelled,
    category,
    delivered,
    ingest_ok,
    item,
    listing,
    order_paid,
    shipped,
    shop,
)

from anxin.aftersales.service import FileCase
from anxin.core.errors import AnxinError
from anxin.merchants import centre_view as cv
from anxin.merchants.error_codes import MerchantErrorCode
from anxin.merchants.fee_rules import CHANNELS
from anxin.merchants.ledger import PostingKind
from anxin.merchants.lifecycle import ShopState
from anxin.shops.model import STORE_TYPES
from anxin.web.auth import COOKIE
from anxin.web.render import csrf_token

pytestmark = pytest.mark.db

FRESH = {"zh-CN": "生鲜类目免佣", "en": "Fresh produce commission-free"}
CARD = {"zh-CN": "商品卡订单免佣", "en": "Product-card orders commission-free"}


@dataclass(frozen=True)
class World:
    merchant_key: str  # m1, owns s1
    other_key: str  # m2, owns s2
    operator_key: str
    case_id: str  # open on s1's order o3
    version: str


def build_world(anxin, clock) -> World:
    """s1 (m1, open 200 days, so only category and channel waivers apply): o1 fresh produce, o2 through the product
    card, o3 signed for with an open return, o5 cancelled; s2 (m2) sells o4. Everything settled a day later."""
    ingest_ok(anxin, [
        category("fresh", tags=["fresh"]), category("cat_general"),
        shop("s1", "m1", name="Orchard", opened_at=T0 - 200 * D, at=T0 - 200 * D), shop("s2", "m2", name="Other"),
        listing("l1", "s1", "fresh", price_fen=5000), listing("l2", "s1", "cat_general", price_fen=9900),
        listing("l3", "s2", "cat_general"),
        order_paid("o1", "c1", "s1", items=[item("l1", 2, 5000)], paid_at=T0),
        order_paid("o2", "c1", "s1", items=[item("l2", 1, 9900)], channel="product_card", paid_at=T0 + H),
        order_paid("o3", "c2", "s1", items=[item("l2", 1, 9900)], paid_at=T0 + H),
        shipped("o3", shipped_at=T0 + 2 * H), delivered("o3", signed_at=T0 + 5 * H),
        order_paid("o4", "c1", "s2", items=[item("l3", 1, 9900)], paid_at=T0),
        order_paid("o5", "c1", "s1", items=[item("l2", 1, 9900)], paid_at=T0 + 2 * H),
        cancelled("o5", at=T0 + 3 * H),
    ])
    clock.set(T0 + D)
    anxin.merchants.settlement.settle_pending()
    consumer = anxin.access.create_key("consumer", "c2")[0]
    case = anxin.aftersales.file_case(consumer, FileCase("o3", "return_refund", "no_reason", 9900))
    assert case.case.state.value == "pending_merchant"
    merchant, raw = anxin.access.create_key("merchant", "m1")
    anxin.merchants.centre.status(merchant, "s1")  # the shop's lifecycle row exists, so operators list it
    return World(merchant_key=raw, other_key=anxin.access.create_key("merchant", "m2")[1],
                 operator_key=anxin.access.create_key("operator", "ops1")[1], case_id=case.case.case_id,
                 version=anxin.merchants.rulebook.version)


@pytest.fixture
def world(anxin, clock) -> World:
    return build_world(anxin, clock)


def signed_in(app, key: str, lang: str = "zh-CN") -> TestClient:
    client = TestClient(app, headers={"Accept-Language": lang}, raise_server_exceptions=False)
    assert client.post("/login", data={"key": key}, follow_redirects=False).status_code == 303
    return client


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert found, "the page should carry a form token"
    return found.group(1)


def pay_key_of(html: str) -> str:
    found = re.search(r'name="key" value="([0-9a-f]+)"', html)
    assert found, "the top-up form should carry its posting key"
    return found.group(1)


def code_of(html: str) -> str | None:
    found = re.search(r'class="error" role="alert" data-code="([^"]+)"', html)
    return found.group(1) if found else None


def missing(page: str, words) -> list[str]:
    return [w for w in words if w not in page]


# --- the shop list ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("lang", "words"), [
    ("zh-CN", ("商家中心", "我的店铺", "正常经营", "企业店", "待补缴", "¥0.00", "¥500.00")),
    ("en", ("Merchant centre", "My shops", "Active", "Enterprise", "Top-up due", "¥0.00", "¥500.00")),
])
def test_the_shop_list_shows_only_the_merchants_own_shops(app, world, lang, words) -> None:
    for path in ("/merchant", "/merchant/shops"):
        r = signed_in(app, world.merchant_key, lang).get(path)
        assert r.status_code == 200 and f'<html lang="{lang}">' in r.text
        assert missing(r.text, words) == []
        assert 'data-shop="s1"' in r.text and 'href="/merchant/shops/s1"' in r.text and "Orchard" in r.text
        assert 'data-shop="s2"' not in r.text
        assert re.search(r'data-col="open_cases">1<', r.text)


def test_the_home_page_links_to_the_centre(app, world) -> None:
    page = signed_in(app, world.merchant_key, "en").get("/").text
    assert 'href="/merchant/shops" data-testid="home-merchant-centre"' in page and "Merchant centre" in page


# --- one shop's centre -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("lang", "words"), [
    ("zh-CN", ("店铺 Orchard", "店铺状态", "状态记录", "新手任务与扶持", "发布10个商品", "经验值", "起步",
               "达人合作（精选联盟）",
               "流量扶持", "保证金", "已缴保证金", "应缴保证金", "应缴金额的依据", "缴纳保证金", "资金流水", "销售货款",
               "费用账单", "佣金减免", FRESH["zh-CN"], CARD["zh-CN"], "订单取消", "金融服务", "经营贷款",
               "进行中的售后", "退货退款", "七天无理由", "商家处理时限")),
    ("en", ("Shop Orchard", "Shop status", "History", "Novice tasks and support", "Publish 10 listings", "XP",
            "Starter", "Creator matching", "Traffic support", "Deposit held", "Deposit required", "Why this amount",
            "Pay into the deposit", "Ledger postings", "Sale proceeds", "Fee statement", "Commission waived",
            FRESH["en"], CARD["en"], "Order cancelled", "Financing offers", "Business loan", "Open after-sale cases",
            "Return and refund", "No reason (7-day)")),
])
def test_the_shop_centre_in_both_languages(app, world, lang, words) -> None:
    r = signed_in(app, world.merchant_key, lang).get("/merchant/shops/s1")
    assert r.status_code == 200 and f'<html lang="{lang}">' in r.text
    page = r.text
    assert missing(page, words) == []
    for section in ("status", "novice", "deposit", "statement", "offers", "cases"):
        assert f'id="{section}"' in page, section
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in page and 'role="img"' in page  # the balance chart, inline
    assert 'data-testid="balances"' in page and 'data-posting="proceeds:o1"' in page
    assert 'data-testid="held" data-fen="0"' in page and 'data-testid="required" data-fen="50000"' in page
    assert f'href="/merchant/cases/{world.case_id}"' in page and 'data-waiver="waiver.fresh_2024"' in page
    assert 'href="/merchant/orders/o1/statement"' in page and f"<code class=\"rule\">{world.version}</code>" in page
    assert page.count('name="csrf"') == 1 and "<script" not in page  # the top-up form; no scripts
    assert 'data-code="deposit.gmv_tier"' in page and 'data-code="deposit.below_requirement"' in page


def test_another_merchants_shop_and_orders_are_not_found(app, world) -> None:
    other = signed_in(app, world.other_key, "en")
    for path in ("/merchant/shops/s1", "/merchant/orders/o1/statement", "/merchant/shops/nope",
                 "/merchant/orders/nope/statement"):
        r = other.get(path)
        assert r.status_code == 404 and code_of(r.text) == "merchants.shop_not_found", path
        assert "Shop not found." in r.text and "Orchard" not in r.text
    token = csrf_of(other.get("/merchant/shops/s2").text)
    r = other.post("/merchant/shops/s1/deposit/top-ups", data={"csrf": token, "amount": "500", "key": "k1"})
    assert r.status_code == 404 and code_of(r.text) == "merchants.shop_not_found"
    assert other.get("/merchant/shops/s2").status_code == 200  # their own shop is fine
    anonymous = TestClient(app).get("/merchant/shops/s1", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")


def test_consumers_are_refused(app, anxin, world) -> None:
    consumer = signed_in(app, anxin.access.create_key("consumer", "c1")[1], "en")
    for path in ("/merchant/shops", "/merchant/shops/s1", "/merchant/orders/o1/statement"):
        r = consumer.get(path)
        assert r.status_code == 403 and code_of(r.text) == "access.forbidden_role", path


def test_topping_up_through_the_form(app, anxin, world) -> None:
    client = signed_in(app, world.merchant_key, "en")
    page = client.get("/merchant/shops/s1").text
    token, key = csrf_of(page), pay_key_of(page)
    url = "/merchant/shops/s1/deposit/top-ups"
    no_token = client.post(url, data={"amount": "500", "key": key})
    assert no_token.status_code == 403 and code_of(no_token.text) == "request.form_token_invalid"
    for bad in ("abc", "0", "1.234", "-5", "１２"):
        r = client.post(url, data={"csrf": token, "amount": bad, "key": key})
        assert r.status_code == 422 and code_of(r.text) == "merchants.invalid_amount", bad
    done = client.post(url, data={"csrf": token, "amount": "500.50", "key": key}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/merchant/shops/s1?topped_up=50050#deposit"
    after = client.get(done.headers["location"]).text
    assert 'data-testid="topped"' in after and "¥500.50 paid in" in after
    assert 'data-testid="held" data-fen="50050"' in after and 'data-kind="top_up"' in after
    assert 'data-state="ok"' in after and "Fully paid" in after
    merchant = anxin.access.authenticate(world.merchant_key)
    assert anxin.merchants.money.deposit(merchant, "s1")["held_fen"] == 50050
    again = client.post(url, data={"csrf": token, "amount": "500.50", "key": key}, follow_redirects=False)
    assert again.status_code == 303 and "replayed=1" in again.headers["location"]
    assert "nothing was charged twice" in client.get(again.headers["location"]).text
    assert anxin.merchants.money.deposit(merchant, "s1")["held_fen"] == 50050
    conflict = client.post(url, data={"csrf": token, "amount": "7", "key": key})
    assert conflict.status_code == 409 and code_of(conflict.text) == "merchants.idempotency_conflict"
    assert 'value="7"' in conflict.text  # the form keeps what was typed


def test_operators_see_any_shop_but_do_not_pay_in(app, world) -> None:
    ops = signed_in(app, world.operator_key, "en")
    listing_page = ops.get("/merchant/shops").text
    assert "Recent shops" in listing_page and 'data-shop="s1"' in listing_page
    page = ops.get("/merchant/shops/s1").text
    assert f'href="/ops/cases/{world.case_id}"' in page and 'data-testid="top-up"' not in page
    token = csrf_token(ops.cookies.get(COOKIE))
    r = ops.post("/merchant/shops/s1/deposit/top-ups", data={"csrf": token, "amount": "1", "key": "k"})
    assert r.status_code == 403 and code_of(r.text) == "access.forbidden_role"


# --- statements ------------------------------------------------------------------------------------------------

def test_the_period_statement_follows_its_dates(app, world) -> None:
    client = signed_in(app, world.merchant_key, "en")
    month = client.get("/merchant/shops/s1").text
    assert 'value="2026-11-01"' in month and 'value="2026-11-30"' in month
    assert 'data-entry="sale:o1"' in month and 'data-entry="cancel:o5"' in month
    before = client.get("/merchant/shops/s1", params={"start": "2026-10-01", "end": "2026-10-31"}).text
    assert "No fee entries in this period." in before and 'data-entry="sale:o1"' not in before
    bad = client.get("/merchant/shops/s1", params={"start": "2026-11-30", "end": "2026-11-01"})
    assert bad.status_code == 422 and code_of(bad.text) == "merchants.invalid_period"
    assert 'data-testid="deposit"' in bad.text  # the rest of the centre still shows
    junk = client.get("/merchant/shops/s1", params={"start": "yesterday"})
    assert junk.status_code == 422 and code_of(junk.text) == "merchants.invalid_period"


@pytest.mark.parametrize(("order_id", "waiver", "lang", "words"), [
    ("o1", "waiver.fresh_2024", "zh-CN", ("订单结算单 o1", '第1行 商品金额 · 类目 <code class="id">fresh</code>',
                                          "佣金：按类目费率 2%",
                                          "佣金减免：" + FRESH["zh-CN"], "保留支付通道费 0.6%", "商家应收净额",
                                          "¥99.40")),
    ("o1", "waiver.fresh_2024", "en", ("Settlement of order o1",
                                       'Line 1: goods · category <code class="id">fresh</code>',
                                       "commission at the category rate of 2%", "commission waived: " + FRESH["en"],
                                       "payment-channel fee of 0.6% kept", "Net receivable", "¥99.40")),
    ("o2", "waiver.product_card_2025", "en", ("Product card", "commission at the category rate of 5%",
                                              "commission waived: " + CARD["en"], "¥98.41")),
])
def test_an_order_statement_shows_every_line_with_the_rulebook_version(app, world, order_id, waiver, lang,
                                                                       words) -> None:
    r = signed_in(app, world.merchant_key, lang).get(f"/merchant/orders/{order_id}/statement")
    assert r.status_code == 200 and missing(r.text, words) == []
    assert f'<code data-testid="version">{world.version}</code>' in r.text
    assert f'data-version="{world.version}"' in r.text and f'<code class="rule">{waiver}</code>' in r.text
    counted = [int(f) for f in re.findall(r'data-counts="true" data-fen="(-?\d+)"', r.text)]
    net = int(re.search(r'data-line="net" data-counts="false" data-fen="(-?\d+)"', r.text).group(1))
    assert sum(counted) == net


def test_a_cancelled_order_reverses_its_fee_line_by_line(app, world) -> None:
    page = signed_in(app, world.merchant_key, "en").get("/merchant/orders/o5/statement").text
    assert "Order cancelled: goods money taken back" in page and "Order cancelled: service fee reversed" in page
    assert 'data-line="net" data-counts="false" data-fen="0"' in page


# --- formatting and the catalog --------------------------------------------------------------------------------

def test_yuan_are_parsed_exactly() -> None:
    assert [cv.parse_yuan(s) for s in ("1", "0.01", "120.5", "120.50", " 7 ")] == [100, 1, 12050, 12050, 700]
    for bad in ("", "0", "0.00", "1.001", "1e3", "NaN", "-1", "１"):
        with pytest.raises(AnxinError):
            cv.parse_yuan(bad)


def test_balances_walk_back_from_today() -> None:
    postings = [{"key": "b", "legs": {"deposit": 500}}, {"key": "a", "legs": {"goods": 300, "debt": -100}}]
    steps = cv.balances_after(postings, {"deposit": 500, "goods": 300, "debt": 100})
    assert [(s["posting"]["key"], s["deposit"], s["goods"], s["debt"]) for s in steps] == [
        ("a", 0, 300, 100), ("b", 500, 300, 100)]


def test_the_catalogs_cover_every_merchant_code() -> None:
    wanted = ([f"err.{c.value}" for c in MerchantErrorCode] + [f"mc.state.{s.value}" for s in ShopState]
              + [f"mc.posting.{k.value}" for k in PostingKind] + [f"mc.channel.{c}" for c in CHANNELS]
              + [f"mc.store_type.{s}" for s in STORE_TYPES]
              + [f"mc.dstate.{s}" for s in ("ok", "top_up_due", "in_debt")]
              + [f"mc.entry.{k}" for k in ("sale", "refund", "cancel")]
              + [f"mc.offer.{k}" for k in ("loan", "early_payout", "instalment")])
    assert sorted(k for k in wanted if k not in catalogs.ZH) == []
