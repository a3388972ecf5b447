"""A request the guarantee rules refused reads as the rule's own reason on the consumer's hall and the merchant's
case page, in both languages — "Not covered: a photo is required as evidence" — never as the merchant's rejection nor
only as "refused under the rules"."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from tests.db.builders import T0, D, H, seed_order

from anxin.aftersales.service import FileCase

pytestmark = pytest.mark.db

WORDS = {"zh-CN": ("不在保障范围：需要上传凭证图片", "商家已拒绝"),
         "en": ("Not covered: a photo is required as evidence", "Rejected by the merchant")}


def signed_in(app, key: str, lang: str) -> TestClient:
    client = TestClient(app)
    assert client.post("/login", data={"key": key}, follow_redirects=False).status_code == 303
    client.cookies.set("anxin_lang", lang)
    return client


def refusal_of(html: str) -> str:
    found = re.search(r'<p class="refusal" data-testid="refusal"><strong>([^<]*)</strong></p>', html)
    assert found, "no refusal line on the page"
    return found.group(1)


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_a_spoilage_claim_without_a_photo_reads_not_covered_with_the_reason(anxin, app, clock, lang) -> None:
    seed_order(anxin, order_id="o1", services=["anxin_gou"], tags=["fresh"], signed_at=T0 + D)
    clock.set(T0 + D + 3 * H)
    consumer, consumer_key = anxin.access.create_key("consumer", "c1")
    view = anxin.aftersales.file_case(consumer, FileCase("o1", "refund_only", "spoiled", 5990))
    assert view.case.state.value == "rejected"
    assert "evidence.required" in {r["code"] for r in view.decision["reasons"]}
    said, wrong = WORDS[lang]

    hall = signed_in(app, consumer_key, lang).get("/hall/orders/o1")
    assert hall.status_code == 200 and refusal_of(hall.text) == said and wrong not in hall.text

    merchant = signed_in(app, anxin.access.create_key("merchant", "m1")[1], lang)
    page = merchant.get(f"/merchant/cases/{view.case.case_id}")
    assert page.status_code == 200 and refusal_of(page.text) == said and wrong not in page.text
    listed = merchant.get("/merchant/cases")
    assert said in listed.text and wrong not in listed.text
