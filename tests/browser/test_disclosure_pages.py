"""Risk internals stay internal, in a real headless Chromium, in zh-CN and en: c2 filed c1's photo re-saved and risk
blocked the request. c2's Service Guarantee Hall and m2's case page, case list and merchant centre read "under
platform review" with the expected time and the guarantee's own reasons, and carry no risk code, risk rule id,
credit band, verdict or risk message anywhere in the page; the operator's case page shows all of them. A request the
guarantee rules refused reads as refused by the rules, not by the merchant."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest

from anxin.aftersales.service import FileCase
from tests.api.test_risk_api import build_world
from tests.db.builders import T0, D, seed_order

pytestmark = [pytest.mark.browser, pytest.mark.db]

BANDS = {"zh-CN": ("信用良好", "信用一般", "信用存疑", "信用分"), "en": ("Trusted", "Doubtful", "Unscored", "unscored")}
EXPECTED = {"zh-CN": ("平台审核中，预计 2026-11-05 10:00 +08:00 前完成", "该申请需平台审核"),
            "en": ("Under platform review; expected by 2026-11-05 10:00 +08:00",
                   "This request needs a platform review")}


@dataclass(frozen=True)
class Keys:
    consumer: str  # c2, whose request risk holds
    merchant: str  # m2, the merchant of c2's shop s2
    operator: str
    case_id: str  # the held request
    refused_id: str  # c2's request the guarantee rules refused
    risk_rules: tuple[str, ...]  # every rule id and code of the risk rulebook
    risk_messages: tuple[str, ...]


@pytest.fixture
def keys(anxin, clock) -> Keys:
    world = build_world(anxin, clock)  # c2's request at s2 is blocked for review at T0 + 2 days
    seed_order(anxin, order_id="o4", consumer_id="c2", shop_id="s2", merchant_id="m2", signed_at=T0 + D)
    c2 = anxin.access.create_key("consumer", "c2")
    refused = anxin.aftersales.file_case(c2[0], FileCase("o4", "refund_only", "allergy", 9900))
    assert refused.case.state.value == "rejected" and refused.decision["outcome"] == "rejected"
    rules = anxin.risk.rulebook.rules
    return Keys(consumer=c2[1], merchant=anxin.access.create_key("merchant", "m2")[1], operator=world.operator_key,
                case_id=world.case_id, refused_id=refused.case.case_id,
                risk_rules=tuple(r.id for r in rules) + tuple(r.code for r in rules),
                risk_messages=tuple(text for r in rules for text in r.message.values()))


@pytest.fixture
def sign_in(browser, server) -> Iterator[Callable[..., object]]:
    """A page signed in through the login form (the key is posted, never put in the address)."""
    contexts = []

    def _open(key: str, path: str, *, locale: str = "zh-CN") -> object:
        context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(5000)
        page.goto(f"{server}/login?{urlencode({'next': path})}")
        page.locator('input[name="key"]').fill(key)
        page.locator('form[action="/login"] button[type="submit"]').click()
        page.wait_for_url(re.compile(re.escape(server + path.split("#")[0]) + r"([?#].*)?$"))
        return page

    yield _open
    for context in contexts:
        context.close()


def internals(html: str, keys: Keys, lang: str) -> list[str]:
    """Whatever in the page (text and markup alike) would tell its reader what risk or credit said."""
    found = [m.group(0) for m in re.finditer(r"risk[._][a-z_]+|\bK\.[A-Z_]+", html)]
    found += [w for w in ("consumer_credit", "risk_verdict", "route_without_risk", "evidence_reuse", "拦截",
                          *BANDS[lang], *keys.risk_messages) if w in html]
    found += [r for r in keys.risk_rules if re.search(rf"(?<![\w.]){re.escape(r)}(?![\w])", html)]
    # A blocking verdict shown as a value ("pass" is also how the rule trace words a check that held).
    return found + re.findall(r">\s*block\s*<", html)


def test_the_consumer_s_hall_reads_platform_review_in_both_languages(sign_in, keys, artifacts) -> None:
    from playwright.sync_api import expect

    for lang in ("zh-CN", "en"):
        page = sign_in(keys.consumer, "/hall/orders/o2", locale=lang)
        expect(page.locator("html")).to_have_attribute("lang", lang)
        case = page.locator(f'article[data-case="{keys.case_id}"]')
        expect(case.get_by_test_id("platform-review")).to_contain_text(EXPECTED[lang][0])
        expect(case.locator('.reasons li[data-code="platform.review_required"]')).to_contain_text(EXPECTED[lang][1])
        expect(case.locator('.reasons li[data-code="guarantee.pending_merchant"]')).to_have_count(1)
        timeline = page.get_by_test_id("timeline")
        expect(timeline.locator('li[data-case] .reasons li[data-code="platform.review_required"]')).to_have_count(1)
        assert internals(page.content(), keys, lang) == []
        page.screenshot(path=str(artifacts / f"hall-held-{lang}.png"), full_page=True)

        page.goto(page.url.split("/hall/")[0] + "/hall")
        expect(page.locator('a[data-order="o2"] .badge-under_review')).to_have_count(1)
        assert internals(page.content(), keys, lang) == []


def test_a_request_the_rules_refused_is_not_labelled_as_the_merchant_s(sign_in, keys) -> None:
    from playwright.sync_api import expect

    for lang, words, wrong in (("zh-CN", "不在保障范围", "商家已拒绝"),
                               ("en", "Not covered", "Rejected by the merchant")):
        page = sign_in(keys.consumer, "/hall/orders/o4", locale=lang)
        badge = page.locator(f'article[data-case="{keys.refused_id}"] .row-between .badge')
        expect(badge).to_have_text(words)
        expect(badge).to_have_attribute("data-state", "rejected")
        expect(page.get_by_test_id("timeline").locator('.tl-states .badge[data-state="rejected"]')).to_have_text(words)
        assert wrong not in page.content()
        merchant = sign_in(keys.merchant, f"/merchant/cases/{keys.refused_id}", locale=lang)
        expect(merchant.locator("h1 .badge")).to_have_text(words)


def test_the_merchant_reads_the_same_neutral_words_and_no_consumer_credit(sign_in, keys, artifacts) -> None:
    from playwright.sync_api import expect

    for lang in ("zh-CN", "en"):
        page = sign_in(keys.merchant, f"/merchant/cases/{keys.case_id}", locale=lang)
        expect(page.get_by_test_id("platform-review")).to_contain_text(EXPECTED[lang][0])
        expect(page.locator('.decision .reasons li[data-code="platform.review_required"]')).to_have_count(1)
        facts = page.get_by_test_id("facts")
        expect(facts).to_contain_text("consumer_cases_30d")  # the guarantee's facts stay: they explain the rules
        assert internals(page.content(), keys, lang) == []
        page.screenshot(path=str(artifacts / f"merchant-case-held-{lang}.png"), full_page=True)

        page.goto(page.url.split("/merchant/")[0] + "/merchant/cases")
        row = page.locator(f'tr[data-case="{keys.case_id}"]')
        expect(row.get_by_test_id("platform-review")).to_contain_text(EXPECTED[lang][0])
        expect(row).to_contain_text(EXPECTED[lang][1])
        assert internals(page.content(), keys, lang) == []

        page.goto(page.url.split("/merchant/")[0] + "/merchant/shops/s2")
        row = page.get_by_test_id("open-cases").locator(f'tr[data-case="{keys.case_id}"]')
        expect(row.get_by_test_id("platform-review")).to_have_text(
            {"zh-CN": "平台审核中", "en": "Under platform review"}[lang])
        # Financing names the shop's own standing (its own verdict, its own open reviews): the merchant's, not c2's.
        own = {"risk_outcome", "risk_outcomes", "risk_reviews"}
        assert [w for w in internals(page.content(), keys, lang) if w not in own] == []


def test_the_operator_reads_every_risk_reason_the_band_and_the_verdict(sign_in, keys, artifacts) -> None:
    from playwright.sync_api import expect

    for lang in ("zh-CN", "en"):
        page = sign_in(keys.operator, f"/ops/cases/{keys.case_id}", locale=lang)
        reasons = page.locator(".decision .reasons").first
        expect(reasons.locator('li[data-code="risk.evidence_reused_across_accounts"]')).to_contain_text(
            "K.EVIDENCE_OTHER_ACCOUNT")
        facts = page.get_by_test_id("facts")
        expect(facts).to_contain_text("consumer_credit")
        expect(facts).to_contain_text("risk_verdict")
        expect(facts).to_contain_text("block")
        expect(page.get_by_test_id("trace")).to_contain_text("R.CREDIT_DOUBTFUL")
        expect(page.get_by_test_id("platform-review")).to_contain_text(EXPECTED[lang][0])
        assert internals(page.content(), keys, lang) != []  # the same scan finds them here
        page.screenshot(path=str(artifacts / f"ops-case-held-{lang}.png"), full_page=True)
        hall = sign_in(keys.operator, "/hall/orders/o2", locale=lang)
        expect(hall.locator(f'article[data-case="{keys.case_id}"] li[data-code="risk.evidence_reused_across_accounts"]')
               ).to_have_count(1)
