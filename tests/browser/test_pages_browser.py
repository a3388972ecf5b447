"""The pages in a real headless Chromium: the Hall in both languages, filing with evidence, and the
merchant → consumer → operator journey of a rejected claim."""

from __future__ import annotations

import pytest

from anxin.aftersales.service import FileCase
from tests.browser.world import png_bytes

pytestmark = [pytest.mark.browser, pytest.mark.db]


def test_consumer_sees_instant_refund_and_files_a_refund(expect, open_as, world, artifacts) -> None:
    page = open_as(world.consumer, "/hall/orders/o_cup")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("h1")).to_have_text("服务保障大厅")
    instant = page.locator('[data-guarantee="G.INSTANT_REFUND"]')
    expect(instant).to_have_attribute("data-state", "active")
    expect(instant).to_contain_text("极速退款")
    expect(instant).to_contain_text("5 小时后截止")
    expect(page.get_by_test_id("timeline")).to_contain_text("买家付款 ¥99.00")

    form = page.get_by_test_id("file-form")
    form.locator('select[name="type"]').select_option("refund_only")
    form.locator('select[name="reason"]').select_option("other")
    form.locator('input[name="amount"]').fill("99.00")
    form.locator('button[type="submit"]').click()

    case = page.locator("article.case").first
    expect(case).to_have_attribute("data-state", "refunded")
    expect(case).to_contain_text("申请已提交")
    decision = case.locator(".decision")
    expect(decision).to_contain_text("符合保障条件，已自动同意")
    expect(decision).to_contain_text("G.INSTANT_REFUND")
    expect(decision).to_contain_text("guarantee.approved")
    expect(page.get_by_test_id("timeline")).to_contain_text("规则自动同意")
    page.screenshot(path=str(artifacts / "hall-instant-refund.png"), full_page=True)


def test_language_switch_to_english_sticks(expect, open_as, world) -> None:
    page = open_as(world.consumer, "/hall/orders/o_cup")
    page.get_by_test_id("lang-switch").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Service Guarantee Hall")
    expect(page.locator('[data-guarantee="G.INSTANT_REFUND"]')).to_contain_text("closes in 5 h")
    page.goto(page.url.split("/hall/")[0] + "/hall")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_contain_text("My orders")


def test_fresh_produce_quality_claim_with_photo(expect, open_as, world, tmp_path, artifacts) -> None:
    page = open_as(world.consumer, "/hall/orders/o_mango")
    expect(page.locator('[data-guarantee="G.FRESH_SPOILAGE"]')).to_have_attribute("data-state", "expired")
    not_applicable = page.get_by_test_id("not-applicable")
    seven_day = not_applicable.locator('[data-guarantee="G.SEVEN_DAY"]')
    expect(seven_day).to_be_hidden()  # collapsed until asked for
    not_applicable.locator("summary").click()
    expect(seven_day).to_be_visible()
    expect(seven_day).to_contain_text("依法不适用七天无理由退货")
    expect(seven_day.locator('[data-code="seven_day.exempt_by_law"]')).to_contain_text("G.SEVEN_DAY.EXEMPT_BY_LAW")
    timeline = page.get_by_test_id("timeline")
    for text in ("买家付款 ¥59.90", "商家发货", "派送中", "买家已签收"):
        expect(timeline).to_contain_text(text)

    photo = tmp_path / "mango.png"
    photo.write_bytes(png_bytes())
    form = page.get_by_test_id("file-form")
    form.locator('select[name="type"]').select_option("refund_only")
    form.locator('select[name="reason"]').select_option("quality")
    form.locator('input[name="amount"]').fill("59.90")
    form.locator('textarea[name="description"]').fill("芒果有黑斑")
    form.locator('input[name="evidence"]').set_input_files(str(photo))
    form.locator('button[type="submit"]').click()

    case = page.locator("article.case").first
    expect(case).to_have_attribute("data-state", "pending_merchant")
    expect(case.locator(".deadline")).to_contain_text("商家处理时限")
    expect(case.locator(".deadline")).to_contain_text("2026-11-04 10:00 +08:00")
    expect(case.locator(".decision")).to_contain_text("G.QUALITY")
    expect(case.locator(".thumbs img")).to_have_count(1)
    # served from /evidence; on a loaded machine the picture may still be on its way when the page is read
    loaded = ("img => img.complete && img.naturalWidth ? img.naturalWidth : new Promise(done => "
              "{ img.onload = () => done(img.naturalWidth); img.onerror = () => done(0); })")
    assert case.locator(".thumbs img").evaluate(loaded) == 32
    page.screenshot(path=str(artifacts / "hall-fresh-quality-claim.png"), full_page=True)


def test_reject_escalate_and_arbitrate_for_the_consumer(expect, anxin, open_as, world, artifacts) -> None:
    consumer = anxin.access.authenticate(world.consumer)
    anxin.aftersales.file_case(consumer, FileCase("o_cup", "refund_only", "other", 9900))  # refunded: no deadline
    sha = anxin.aftersales.upload_evidence(consumer, png_bytes()).sha256
    case_id = anxin.aftersales.file_case(consumer, FileCase("o_mango", "refund_only", "quality", 5990, (sha,))
                                         ).case.case_id

    merchant = open_as(world.merchant, "/merchant/cases")
    first = merchant.get_by_test_id("cases").locator("tbody tr").first
    expect(first).to_have_attribute("data-case", case_id)  # nearest deadline first
    first.locator("a").click()
    reject = merchant.locator('form[data-action="reject"]')
    reject.locator("textarea").fill("图片看不出问题")
    reject.locator("button").click()
    expect(merchant.locator("h1 .badge")).to_have_attribute("data-state", "rejected")

    hall = open_as(world.consumer, "/hall/orders/o_mango")
    card = hall.locator(f'article[data-case="{case_id}"]')
    expect(card).to_have_attribute("data-state", "rejected")
    card.locator('button[data-action="escalate"]').click()
    expect(hall.locator(f'article[data-case="{case_id}"]')).to_have_attribute("data-state", "arbitration")

    ops = open_as(world.operator, "/ops/cases")
    row = ops.locator(f'tr[data-case="{case_id}"]')
    expect(row).to_contain_text("平台仲裁时限")
    row.locator("a").click()
    expect(ops.get_by_test_id("trace")).to_contain_text("G.QUALITY.EVIDENCE")
    ruling = ops.locator('form[data-action="arbitrate_for_consumer"]')
    ruling.locator("textarea").fill("照片显示果实变质")
    ruling.locator("button").click()
    expect(ops.locator("h1 .badge")).to_have_attribute("data-state", "refunded")

    hall.reload()
    expect(hall.locator(f'article[data-case="{case_id}"]')).to_have_attribute("data-state", "refunded")
    timeline = hall.get_by_test_id("timeline")
    for text in ("商家拒绝", "图片看不出问题", "申请平台介入", "平台判定支持消费者", "照片显示果实变质"):
        expect(timeline).to_contain_text(text)
    expect(hall.locator(f'article[data-case="{case_id}"]')).to_contain_text("已退款 ¥59.90")
    hall.screenshot(path=str(artifacts / "hall-after-arbitration.png"), full_page=True)
