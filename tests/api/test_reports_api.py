"""GET /v1/reports/service: operators only; JSON is the report's value, HTML a standalone document in the asked
language, PDF an attachment; a bad month or format is a 422 with its stable code; the comparison defaults to the
month before. The reports facade is the hand-built sample here (tests/report_samples.py)."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from tests.api.problems import code
from tests.api.test_openapi import documented_codes
from tests.report_samples import SampleReports, sample_report

from anxin.reports.render_pdf import cjk_font

pytestmark = pytest.mark.db
URL = "/v1/reports/service"


@pytest.fixture
def reports(anxin) -> SampleReports:
    anxin.reports = SampleReports()
    return anxin.reports


def test_json_is_the_reports_value(client, keys, reports) -> None:
    resp = client.get(URL, params={"period": "2026-11", "compare": "2026-10"}, headers=keys["operator"])
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"] == "application/json"
    assert resp.json() == sample_report("2026-11", "2026-10").as_dict() | {"computed_at": "2026-12-01T02:00:00+00:00"}
    assert reports.built == [("ops", "2026-11", "2026-10", "duckdb")]


def test_the_comparison_defaults_to_the_month_before(client, keys, reports) -> None:
    resp = client.get(URL, params={"period": "2026-01"}, headers=keys["operator"])
    assert resp.status_code == 200 and resp.json()["compare"] == "2025-12"


@pytest.mark.parametrize(("lang", "accept", "title"), [
    ("en", None, "Service-experience report · November 2026"),
    (None, "zh-CN,zh;q=0.9", "服务体验报告 · 2026年11月"),
    (None, "en-GB", "Service-experience report · November 2026")])
def test_html_is_one_standalone_document_in_the_asked_language(client, keys, reports, lang, accept, title) -> None:
    params = {"period": "2026-11", "format": "html"} | ({"lang": lang} if lang else {})
    headers = keys["operator"] | ({"Accept-Language": accept} if accept else {})
    resp = client.get(URL, params=params, headers=headers)
    assert resp.status_code == 200 and resp.headers["content-type"] == "text/html; charset=utf-8"
    assert f"<title>{title}</title>" in resp.text and "<link" not in resp.text and "<script" not in resp.text
    assert 'filename="anxin-service-report-2026-11-vs-2026-10.html"' in resp.headers["content-disposition"]
    # the pages allow no inline style: this document's own, by its hash, and nothing else loads or runs
    style = re.search(r"<style>(.*?)</style>", resp.text, re.DOTALL)[1]
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    policy = resp.headers["content-security-policy"]
    assert f"style-src 'sha256-{digest}';" in policy and "default-src 'none'" in policy and "unsafe" not in policy


def test_pdf_is_an_attachment(client, keys, reports) -> None:
    if cjk_font() is None:
        pytest.skip("no Noto CJK font (make browser)")
    resp = client.get(URL, params={"period": "2026-11", "format": "pdf"}, headers=keys["operator"])
    assert resp.status_code == 200 and resp.headers["content-type"] == "application/pdf"
    assert resp.content.startswith(b"%PDF-")
    assert resp.headers["content-disposition"].startswith("attachment;")


@pytest.mark.parametrize(("params", "expected"), [
    ({"period": "2026-13"}, "reports.invalid_period"),
    ({"period": "November"}, "reports.invalid_period"),
    ({"period": "2026-11", "compare": "2026-11"}, "reports.invalid_compare"),
    ({"period": "2026-11", "compare": "2026-1"}, "reports.invalid_compare"),
    ({"period": "2026-11", "format": "docx"}, "reports.invalid_format"),
    ({}, "request.invalid"),
])
def test_a_bad_month_or_format_is_422_with_its_code(client, keys, reports, params, expected) -> None:
    resp = client.get(URL, params=params, headers=keys["operator"])
    assert resp.status_code == 422 and code(resp) == expected
    assert reports.built == []


@pytest.mark.parametrize("who", ["m1", "c1", "platform"])
def test_only_operators_read_the_report(client, keys, reports, who) -> None:
    resp = client.get(URL, params={"period": "2026-11"}, headers=keys[who])
    assert resp.status_code == 403 and code(resp) == "access.forbidden_role"
    assert client.get(URL, params={"period": "2026-11"}).status_code == 401


def test_the_operation_documents_its_codes_and_formats(client) -> None:
    spec = client.get("/openapi.json").json()
    op = spec["paths"][URL]["get"]
    assert set(op["responses"]["200"]["content"]) == {"application/json", "text/html", "application/pdf"}
    assert {"reports.invalid_period", "reports.invalid_format", "request.invalid", "access.forbidden_role"} <= \
        documented_codes(spec, URL, "get")
