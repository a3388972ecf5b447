"""Operators see the periodic jobs, their workers and what they set aside: GET /v1/ops/jobs, GET /v1/ops/job-failures
and the /ops/jobs page (zh-CN, en)."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient

from anxin.worker.service import Leases

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
    assert body["next"] is None
    assert {(f["job"], f["item"], f["error"], f["attempts"]) for f in body["items"]} == {
        ("fulfilment.check", "o_bad", "OverflowError: date value out of range", 1),
        ("merchants.settle", "*", "ZeroDivisionError: division by zero", 1)}
    only = client.get("/v1/ops/job-failures", params={"job": "merchants.settle"}, headers=keys["operator"]).json()
    assert [f["item"] for f in only["items"]] == ["*"]
    first = client.get("/v1/ops/job-failures", params={"limit": 1}, headers=keys["operator"]).json()
    rest = client.get("/v1/ops/job-failures", params={"limit": 1, "cursor": first["next"]},
                      headers=keys["operator"]).json()
    assert rest["next"] is None and {f["job"] for f in first["items"] + rest["items"]} == {"fulfilment.check",
                                                                                            "merchants.settle"}
    counts = client.get("/v1/ops/jobs", headers=keys["operator"]).json()["failure_counts"]
    assert counts == {"fulfilment.check": 1, "merchants.settle": 1}
    for who in ("platform", "m1", "c1"):
        assert client.get("/v1/ops/job-failures", headers=keys[who]).status_code == 403
    assert client.get("/v1/ops/job-failures").status_code == 401
    assert client.get("/v1/ops/job-failures", params={"limit": 0}, headers=keys["operator"]).status_code == 422


@pytest.fixture
def worked(anxin, clock):
    """A worker "host:7:ab" holds the settlement lease; the fulfilment check ran and failed; delivery ran."""
    leases = Leases(uow_factory=anxin.uow_factory, clock=clock, holder="host:7:ab", ttl=dt.timedelta(seconds=30))
    leases.ensure([("merchants.settle", True), ("fulfilment.check", True), ("outbox.deliver", False)])
    held = leases.claim("fulfilment.check")
    leases.release(held, next_due_at=clock.now() + dt.timedelta(seconds=5), outcome="failed",
                   summary={"error": "OverflowError: date value out of range"})
    leases.record_run("outbox.deliver", started=clock.now(), outcome="ok", summary={"delivered": 3})
    leases.claim("merchants.settle")
    return anxin


def test_operators_see_each_job_with_its_worker_and_lease(client, keys, failing, worked, clock):
    resp = client.get("/v1/ops/jobs", headers=keys["operator"])
    assert resp.status_code == 200
    jobs = {j["job"]: j for j in resp.json()["jobs"]}
    assert set(jobs) == {"merchants.settle", "fulfilment.check", "outbox.deliver"}
    settle = jobs["merchants.settle"]
    assert (settle["state"], settle["holder"], settle["failures"]) == ("running", "host:7:ab", 1)
    assert settle["lease_until"] == (clock.now() + dt.timedelta(seconds=30)).isoformat()
    check = jobs["fulfilment.check"]
    assert (check["state"], check["holder"], check["last_holder"], check["last_outcome"]) == (
        "idle", None, "host:7:ab", "failed")
    assert check["next_due_at"] == (clock.now() + dt.timedelta(seconds=5)).isoformat()
    assert jobs["outbox.deliver"]["state"] == "shared" and jobs["outbox.deliver"]["last_summary"] == {"delivered": 3}
    assert resp.json()["failure_counts"] == {"fulfilment.check": 1, "merchants.settle": 1}
    for who in ("platform", "m1", "c1"):
        assert client.get("/v1/ops/jobs", headers=keys[who]).status_code == 403
    assert client.get("/v1/ops/jobs").status_code == 401


def test_no_worker_yet_is_said_plainly(client, keys):
    assert client.get("/v1/ops/jobs", headers=keys["operator"]).json()["jobs"] == []


@pytest.mark.parametrize(("lang", "title", "job", "running"), [("zh-CN", "定时任务", "履约检测", "运行中"),
                                                               ("en", "Periodic jobs", "Fulfilment check", "running")])
def test_the_console_page_lists_them(app, anxin, failing, worked, lang, title, job, running):
    client = TestClient(app, headers={"Accept-Language": lang}, raise_server_exceptions=False)
    key = anxin.access.create_key("operator", "ops")[1]
    assert client.post("/login", data={"key": key}, follow_redirects=False).status_code == 303
    page = client.get("/ops/jobs")
    assert page.status_code == 200
    assert title in page.text and job in page.text and 'data-item="o_bad"' in page.text
    assert "OverflowError: date value out of range" in page.text
    assert 'data-job="merchants.settle" data-state="running"' in page.text and "host:7:ab" in page.text
    assert running in page.text
    filtered = client.get("/ops/jobs", params={"job": "merchants.settle"})
    assert 'data-item="o_bad"' not in filtered.text and 'data-item="*"' in filtered.text


def test_the_page_says_when_no_worker_has_run(app, anxin):
    client = TestClient(app, raise_server_exceptions=False)
    client.post("/login", data={"key": anxin.access.create_key("operator", "ops")[1]}, follow_redirects=False)
    assert 'data-testid="no-workers"' in client.get("/ops/jobs").text


def test_the_page_is_for_operators(app, anxin):
    client = TestClient(app, raise_server_exceptions=False)
    key = anxin.access.create_key("merchant", "m1")[1]
    client.post("/login", data={"key": key}, follow_redirects=False)
    assert client.get("/ops/jobs", follow_redirects=False).status_code == 403
