"""The operators' service-report page in a real Chromium, zh-CN and en: reached from the console's navigation, the
month picker shows another month, each figure's change is coloured by whether it moved the better way, the daily
chart is drawn, the figures anxin cannot compute are listed, the PDF and JSON downloads work with the page's
session, and a bad month is a 422 page with its code. The facade is the hand-built sample (tests/report_samples)."""

from __future__ import annotations

import json
import re
from urllib.parse import urljoin

import pytest

from anxin.reports.render_pdf import cjk_font
from tests.browser.page_text import visible_text
from tests.browser.world import seed
from tests.report_samples import SampleReports

pytestmark = [pytest.mark.browser, pytest.mark.db]
UNTRANSLATED = re.compile(r"\b(?:rp|err|reports)\.[a-z_.]+\b")
GREEN, RED = "rgb(0, 115, 86)", "rgb(180, 35, 24)"


@pytest.mark.parametrize(("locale", "words"), [
    ("zh-CN", {"nav": "服务报告", "default": "服务体验报告 · 2026年10月", "title": "服务体验报告 · 2026年11月",
               "periods": "统计周期 2026年11月，对比 2026年10月", "better": "改善", "worse": "变差",
               "scraping": "资质信息爬取", "yuan": "¥12,345.50", "hours": "21.5 小时"}),
    ("en", {"nav": "Service report", "default": "Service-experience report · October 2026",
            "title": "Service-experience report · November 2026",
            "periods": "November 2026, compared with October 2026",
            "better": "better", "worse": "worse", "scraping": "Credential scraping", "yuan": "CN¥12,345.50",
            "hours": "21.5 h"})])
def test_an_operator_reads_the_report_and_downloads_it(open_as, anxin, artifacts, locale, words) -> None:
    world = seed(anxin)
    anxin.reports = SampleReports()
    page = open_as(world.operator, "/ops/cases", locale=locale)
    nav = page.locator('[data-testid="nav-reports"]')
    assert nav.inner_text() == words["nav"]
    with page.expect_navigation():
        nav.click()
    # the last complete month by the clock (2026-11-02 in Beijing), against the one before
    assert page.locator('[data-testid="report-title"]').inner_text() == words["default"]
    assert page.locator('[data-testid="pick-compare"]').input_value() == "2026-09"

    page.locator('[data-testid="pick-period"]').fill("2026-11")
    page.locator('[data-testid="pick-compare"]').fill("2026-10")
    with page.expect_navigation():
        page.locator('[data-testid="show-report"]').click()
    assert page.locator('[data-testid="report-title"]').inner_text() == words["title"]
    assert page.locator('[data-testid="periods"]').inner_text() == words["periods"]
    assert anxin.reports.built[-1] == ("ops1", "2026-11", "2026-10", "duckdb")

    fewer_abusers = page.locator('[data-figure="malicious_aftersales_users"] [data-testid="change"]')
    assert "▼" in fewer_abusers.inner_text() and words["better"] in fewer_abusers.inner_text()
    assert fewer_abusers.evaluate("e => getComputedStyle(e).color") == GREEN
    less_instant = page.locator('[data-figure="instant_refund_coverage"] [data-testid="change"]')
    assert words["worse"] in less_instant.inner_text()
    assert less_instant.evaluate("e => getComputedStyle(e).color") == RED
    assert page.locator('[data-figure="extortion_gang_losses_fen"] [data-testid="value"]').inner_text() == words["yuan"]
    assert page.locator('[data-figure="avg_ship_hours"] [data-testid="value"]').inner_text() == words["hours"]
    chart = page.locator('[data-figure="reply_3min_rate"] svg.rp-chart-daily')
    assert chart.is_visible() and chart.locator(".rp-series-compare circle").count() == 31
    assert chart.bounding_box()["width"] > 300
    assert words["scraping"] in page.locator('[data-testid="unsupported"]').inner_text()
    assert UNTRANSLATED.findall(visible_text(page)) == []
    page.screenshot(path=str(artifacts / f"reports-service-{locale}.png"), full_page=True)

    as_json = page.request.get(urljoin(page.url, page.locator('[data-testid="download-json"]').get_attribute("href")))
    assert as_json.status == 200 and json.loads(as_json.body())["period"] == "2026-11"
    if cjk_font() is not None:
        with page.expect_download(timeout=60000) as got:  # WeasyPrint renders the PDF: seconds on a loaded machine
            page.locator('[data-testid="download-pdf"]').click()
        download = got.value
        assert download.suggested_filename == "anxin-service-report-2026-11-vs-2026-10.pdf"
        with open(download.path(), "rb") as fh:
            assert fh.read(5) == b"%PDF-"

    page.locator('[data-testid="lang-switch"]').click()
    page.wait_for_load_state()
    assert page.locator('[data-testid="report-title"]').inner_text() != words["title"]  # the other language
    assert "2026-11" in page.url and "2026-10" in page.url


def test_a_bad_month_is_a_422_page_with_its_code(open_as, anxin) -> None:
    world = seed(anxin)
    anxin.reports = SampleReports()
    page = open_as(world.operator, "/ops/reports/service?period=2026-13", locale="en")
    response = page.goto(page.url)
    assert response.status == 422
    assert page.locator('[role="alert"]').get_attribute("data-code") == "reports.invalid_period"
    assert page.locator('[data-testid="pick-period"]').input_value() == "2026-13"  # the picker stays, to correct it
    assert page.locator('[data-testid="report-title"]').count() == 0 and anxin.reports.built == []


def test_merchants_do_not_get_the_report(open_as, anxin) -> None:
    world = seed(anxin)
    anxin.reports = SampleReports()
    page = open_as(world.merchant, "/ops/reports/service", locale="en")
    assert page.locator('[data-testid="report-title"]').count() == 0 and anxin.reports.built == []
