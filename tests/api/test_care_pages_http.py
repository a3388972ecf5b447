"""The care pages over HTTP with a signed-in session (no browser): every page renders in both languages with the
security headers and no script; forms need the session's CSRF token; someone else's consultation or ticket is a 404
page; a refused form re-renders with the error's code; a double-posted form (the same client id) acts once; the
Service Guarantee Hall links to the consumer's consultations."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.browser.world import seed
from tests.care_fakes import FakeRouter

from anxin.bootstrap import bootstrap
from anxin.settings import Settings
from anxin.web.auth import COOKIE
from anxin.web.render import csrf_token

pytestmark = pytest.mark.db


@pytest.fixture
def anxin(engine, clock, transport, tmp_path: Path):
    settings = Settings(database_url=str(engine.url), evidence_dir=tmp_path / "evidence",
                        webhook_url="http://127.0.0.1:9/unused", webhook_secret="test-secret")
    return bootstrap(settings=settings, clock=clock, engine=engine, transport=transport, run_migrations=False,
                     care_router=FakeRouter())


def signed_in(app, key: str) -> TestClient:
    client = TestClient(app, raise_server_exceptions=False)
    assert client.post("/login", data={"key": key}, follow_redirects=False).status_code == 303
    return client


def csrf(client: TestClient) -> str:
    return csrf_token(client.cookies.get(COOKIE))


def error_code(html: str) -> str | None:
    found = re.search(r'role="alert" data-code="([^"]+)"', html) or re.search(r'data-code="([^"]+)"', html)
    return found.group(1) if found else None


def ask(client: TestClient, cid: str, order_id: str = "o_cup", text: str = "这个杯子是什么材质的") -> str:
    r = client.post("/care/consultations", data={"csrf": csrf(client), "consultation_id": cid, "order_id": order_id,
                                                 "topic": "", "text": text}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return str(r.headers["location"])


def ticket_of(anxin, cid: str) -> str:
    from anxin.core.principal import Principal, Role

    found = anxin.care.consultations.get(Principal("k", Role.OPERATOR, "ops"), cid)
    return str(found["ticket"]["ticket_id"])


def test_every_care_page_renders_in_both_languages_without_script(app, anxin) -> None:
    world = seed(anxin)
    consumer, merchant, ops = (signed_in(app, k) for k in (world.consumer, world.merchant, world.operator))
    ask(consumer, "cq1")
    tid = ticket_of(anxin, "cq1")
    pages = [(consumer, "/care"), (consumer, "/care?order_id=o_cup"), (consumer, "/care/consultations/cq1"),
             (merchant, "/merchant/care"), (merchant, "/merchant/care?state=open&breached=1"),
             (merchant, f"/merchant/care/tickets/{tid}"), (ops, "/ops/care"), (ops, "/ops/care/breaches"),
             (ops, "/ops/care/escalated"), (ops, "/ops/care/report"), (ops, "/ops/care/report?days=30&by=merchant"),
             (ops, f"/ops/care/tickets/{tid}")]
    for client, path in pages:
        for lang, word in (("zh-CN", "客服"), ("en", "ustomer")):
            r = client.get(path + ("&" if "?" in path else "?") + f"lang={lang}")
            assert r.status_code == 200, (path, lang, r.text[:300])
            assert word in r.text, (path, lang)
            assert "<script" not in r.text and " style=" not in r.text, path
            assert "script-src" not in r.headers["content-security-policy"]
            assert not re.search(r">\s*cw\.[a-z_.]+\s*<", r.text), (path, lang)  # no message id left untranslated


def test_the_hall_links_to_care_and_the_form_preselects_the_order(app, anxin) -> None:
    world = seed(anxin)
    consumer = signed_in(app, world.consumer)
    hall = consumer.get("/hall/orders/o_cup").text
    assert 'href="/care?order_id=o_cup#new"' in hall and 'href="/care"' in hall
    form = consumer.get("/care?order_id=o_cup").text
    assert re.search(r'<option value="o_cup"\s+selected', form)
    assert 'name="consultation_id" value="cn_' in form  # the client id that makes a double post harmless


def test_forms_need_the_csrf_token_and_act_once(app, anxin) -> None:
    world = seed(anxin)
    consumer = signed_in(app, world.consumer)
    r = consumer.post("/care/consultations", data={"consultation_id": "cq1", "order_id": "o_cup", "text": "在吗"})
    assert r.status_code == 403 and error_code(r.text) == "request.form_token_invalid"
    first, again = ask(consumer, "cq1"), ask(consumer, "cq1")  # posted twice: one consultation
    assert first == again == "/care/consultations/cq1?opened=1"
    assert consumer.get("/care").text.count('data-consultation="cq1"') == 1
    merchant = signed_in(app, world.merchant)
    tid = ticket_of(anxin, "cq1")
    for _ in range(2):
        r = merchant.post(f"/merchant/care/tickets/{tid}/messages",
                          data={"csrf": csrf(merchant), "message_id": "msg_1", "text": "您好，是陶瓷的"},
                          follow_redirects=False)
        assert r.status_code == 303, r.text
    page = consumer.get("/care/consultations/cq1").text
    assert page.count('data-role="merchant"') == 1


def test_someone_elses_consultation_or_ticket_is_not_found(app, anxin) -> None:
    world = seed(anxin)
    ask(signed_in(app, world.consumer), "cq1")
    tid = ticket_of(anxin, "cq1")
    other = signed_in(app, world.other_consumer)
    r = other.get("/care/consultations/cq1")
    assert r.status_code == 404 and error_code(r.text) == "care.not_found"
    r = other.post("/care/consultations/cq1/messages", data={"csrf": csrf(other), "message_id": "x", "text": "hi"})
    assert r.status_code == 404
    stranger = signed_in(app, world.other_merchant)
    assert stranger.get(f"/merchant/care/tickets/{tid}").status_code == 404
    assert f'data-ticket="{tid}"' not in stranger.get("/merchant/care").text
    # another consumer's order cannot be asked about, and the form says why
    r = other.post("/care/consultations", data={"csrf": csrf(other), "consultation_id": "cq2", "order_id": "o_cup",
                                                "text": "在吗"})
    assert r.status_code == 422 and error_code(r.text) == "care.order_not_found"
    # roles: a consumer has no inbox, a merchant no console
    assert signed_in(app, world.consumer).get("/merchant/care").status_code == 403
    assert signed_in(app, world.merchant).get("/ops/care").status_code == 403


def test_refusals_re_render_with_their_code(app, anxin) -> None:
    world = seed(anxin)
    consumer = signed_in(app, world.consumer)
    r = consumer.post("/care/consultations", data={"csrf": csrf(consumer), "consultation_id": "cq1",
                                                   "order_id": "o_cup", "text": "   "})
    assert r.status_code == 422 and error_code(r.text) == "care.invalid"
    ask(consumer, "cq1")
    r = consumer.post("/care/consultations/cq1/satisfaction", data={"csrf": csrf(consumer), "rating": "5"})
    assert r.status_code == 409 and error_code(r.text) == "care.not_rateable"
    r = consumer.post("/care/consultations/cq1/transitions", data={"csrf": csrf(consumer), "to_state": "closed"})
    assert r.status_code == 409 and error_code(r.text) == "care.illegal_transition"
    merchant = signed_in(app, world.merchant)
    tid = ticket_of(anxin, "cq1")
    r = merchant.post(f"/merchant/care/tickets/{tid}/transitions", data={"csrf": csrf(merchant), "to_state": "limbo"})
    assert r.status_code in (409, 422) and error_code(r.text), r.text[:300]


def test_a_case_answer_links_the_case_and_a_follow_up_opens_a_ticket(app, anxin) -> None:
    world = seed(anxin)
    consumer = signed_in(app, world.consumer)
    filed = consumer.post("/hall/orders/o_vase/cases", data={"csrf": csrf(consumer), "type": "refund_only",
                                                             "reason": "quality", "amount": "10.00"},
                          follow_redirects=False)
    assert filed.status_code == 303, filed.text
    page = consumer.get(ask(consumer, "cq1", order_id="o_vase", text="退款什么时候到")).text
    assert 'data-testid="answer" data-kind="case"' in page
    assert re.search(r'href="/hall/orders/o_vase#case-[^"]+" data-testid="answer-link"', page)
    r = consumer.post("/care/consultations/cq1/messages", data={"csrf": csrf(consumer), "message_id": "f1",
                                                                "text": "还是没到账"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    page = consumer.get("/care/consultations/cq1").text
    assert 'data-role="bot"' in page and 'data-testid="owner"' in page
