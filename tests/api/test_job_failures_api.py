"""Operators see what the periodic jobs set aside: GET /v1/ops/job-failures and the /ops/jobs page (zh-CN, en)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

pytestmark = pytest.mark.db


@pytest.fixture
def failing(anxin):
    run = anxin.jobs.start("fulfilment.check")
    with run.item("o_bad"):
        raise OverflowError("date value out of range")
    whole = anxin.jobs.run_job("merchants.settle", lambda: 1 / 0)
    assert whole.failure is not None
    return anxin


def test_operators_read_the_failures_and_others_may_not(client, keys, failing):
    resp = client.get("/v1/ops/job-failures", headers=keys["operator"])
    assert resp.status_code == 200
    body = resp.json()
    assert body["counts"] == {"fulfilment.check": 1, "merchants.settle": 1}
    assert {(f["job"], f["item"], f["error"], f["attempts"]) for f in body["failures"]} == {
        ("fulfilment.check", "o_bad", "OverflowError: date value out of range", 1),
        ("merchants.settle", "*", "ZeroDivisionError: division by zero", 1)}
    only = client.get("/v1/ops/job-failures", params={"job": "merchants.settle"}, headers=keys["operator"]).json()
    assert [f["item"] for f in only["failures"]] == ["*"]
    for who in ("platform", "m1", "c1"):
        assert client.get("/v1/ops/job-failures", headers=keys[who]).status_code == 403
    assert client.get("/v1/ops/job-failures").status_code == 401
    assert client.get("/v1/ops/job-failures", params={"limit": 0}, headers=keys["operator"]).status_code == 422


@pytest.mark.parametrize(("lang", "title", "job"), [("zh-CN", "定时任务异常项", "履约检测"),
                                                    ("en", "Failing items of periodic jobs", "Fulfilment check")])
def test_the_console_page_lists_them(app, anxin, failing, lang, title, job):
    client = TestClient(app, headers={"Accept-Language": lang}, raise_server_exceptions=False)
    key = anxin.access.create_key("operator", "ops")[1]
    assert client.post("/login", data={"key": key}, follow_redirects=False).status_code == 303
    page = client.get("/ops/jobs")
    assert page.status_code == 200
    assert title in page.text and job in page.text and 'data-item="o_bad"' in page.text
    assert "OverflowError: date value out of range" in page.text
    filtered = client.get("/ops/jobs", params={"job": "merchants.settle"})
    assert 'data-item="o_bad"' not in filtered.text and 'data-item="*"' in filtered.text


def test_the_page_is_for_operators(app, anxin):
    client = TestClient(app, raise_server_exceptions=False)
    key = anxin.access.create_key("merchant", "m1")[1]
    client.post("/login", data={"key": key}, follow_redirects=False)
    assert client.get("/ops/jobs", follow_redirects=False).status_code == 403
