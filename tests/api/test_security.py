"""Security basics and input limits over HTTP (issue 13): bearer-only API, page sessions from the form or a
one-time login link, failed-attempt limits per address, security headers, bounded and storable input."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from tests.api.problems import code as problem_code
from tests.api.problems import problem
from tests.browser.world import seed

from anxin.bootstrap import bootstrap
from anxin.cli.main import main
from anxin.settings import Settings
from anxin.web.app import create_app
from anxin.web.auth import COOKIE

pytestmark = pytest.mark.db


@pytest.fixture
def world(anxin):
    return seed(anxin)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def code(r) -> str:
    return problem_code(r)


def signed_in(app, key: str) -> TestClient:
    client = TestClient(app)
    assert client.post("/login", data={"key": key}, follow_redirects=False).status_code == 303
    return client


# --- the API takes bearer keys only -----------------------------------------------------------------------------

def test_the_page_cookie_does_not_authenticate_the_api(app, world) -> None:
    client = signed_in(app, world.consumer)
    assert client.get("/hall/orders/o_cup").status_code == 200  # the session works for pages
    r = client.get("/v1/orders/o_cup/guarantees")
    assert r.status_code == 401 and code(r) == "access.unauthenticated"
    assert client.get("/v1/orders/o_cup/guarantees", headers=bearer(world.consumer)).status_code == 200


def test_a_text_plain_post_with_the_cookie_is_refused_and_files_nothing(anxin, app, world) -> None:
    # What a foreign site's form or fetch without preflight can send: a simple request carrying the cookie.
    client = signed_in(app, world.consumer)
    body = '{"order_id": "o_cup", "type": "refund_only", "reason": "other", "amount_fen": 100}'
    r = client.post("/v1/aftersales/cases", content=body, headers={"Content-Type": "text/plain"})
    assert r.status_code == 401 and code(r) == "access.unauthenticated"
    assert anxin.aftersales.list_cases(anxin.access.authenticate(world.consumer)) == []


# --- one-time login links ---------------------------------------------------------------------------------------

def test_a_login_link_works_once_then_fails(anxin, app, world) -> None:
    link = anxin.access.create_login_link(key_id=anxin.access.authenticate(world.consumer).key_id)
    first = TestClient(app)
    r = first.get("/login/link", params={"token": link.token, "next": "/hall/orders/o_cup"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/hall/orders/o_cup"
    assert first.get("/hall/orders/o_cup").status_code == 200
    again = TestClient(app).get("/login/link", params={"token": link.token}, follow_redirects=False)
    assert again.status_code == 401 and "set-cookie" not in again.headers
    assert 'data-code="access.login_link_invalid"' in again.text and 'name="key"' in again.text


def test_a_login_link_expires(anxin, app, clock, world) -> None:
    link = anxin.access.create_login_link(role="operator", subject="ops-late")
    clock.advance(minutes=15, seconds=1)  # the default lifetime is 15 minutes
    r = TestClient(app).get("/login/link", params={"token": link.token}, follow_redirects=False)
    assert r.status_code == 401 and "access.login_link_invalid" in r.text


def test_revoking_the_key_ends_its_links_and_sessions(anxin, app, world) -> None:
    key_id = anxin.access.authenticate(world.merchant).key_id
    link = anxin.access.create_login_link(key_id=key_id)
    client = signed_in(app, world.merchant)
    anxin.access.revoke(key_id)
    assert client.get("/merchant/cases", follow_redirects=False).status_code == 303  # back to the login form
    assert TestClient(app).get("/login/link", params={"token": link.token}).status_code == 401


def test_signing_out_ends_the_session_on_the_server(app, world) -> None:
    client = signed_in(app, world.consumer)
    stolen = client.cookies.get(COOKIE)
    client.post("/logout", follow_redirects=False)
    replay = TestClient(app, cookies={COOKIE: stolen})
    assert replay.get("/hall", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("headers", [
    {"origin": "https://evil.example"}, {"origin": "null", "sec-fetch-site": "cross-site"},
    {"sec-fetch-site": "cross-site"},
    {"sec-fetch-site": "same-site", "origin": "https://shop.testserver"}])
def test_a_foreign_site_cannot_sign_a_browser_in_or_out(app, world, headers) -> None:
    """Login CSRF: a foreign page posting the attacker's key would sign the victim into the attacker's account."""
    client = TestClient(app)
    r = client.post("/login", data={"key": world.consumer}, headers=headers, follow_redirects=False)
    assert r.status_code == 403 and "request.form_token_invalid" in r.text and COOKIE not in r.cookies
    ours = signed_in(app, world.consumer)
    out = ours.post("/logout", headers=headers, follow_redirects=False)
    assert out.status_code == 403 and ours.get("/hall", follow_redirects=False).status_code == 200
    assert ours.get("/logout", follow_redirects=False).status_code == 405  # a link or an image signs no one out


def test_our_own_pages_sign_in_and_out(app, world) -> None:
    client = TestClient(app)
    same = {"origin": "http://testserver", "sec-fetch-site": "same-origin"}
    assert client.post("/login", data={"key": world.consumer}, headers=same, follow_redirects=False).status_code == 303
    assert client.post("/logout", headers=same, follow_redirects=False).status_code == 303
    assert client.get("/hall", follow_redirects=False).status_code == 303


def test_keys_login_link_cli_mints_a_working_link(tmp_path, monkeypatch) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("ANXIN_DATABASE_URL", url)
    runner = CliRunner()
    made = runner.invoke(main, ["keys", "login-link", "--role", "merchant", "--subject", "m9", "--next",
                                "/merchant/cases", "--base-url", "http://testserver"])
    assert made.exit_code == 0, made.output
    link = made.stdout.strip()
    assert link.startswith("http://testserver/login/link?token=axl_") and link.endswith("&next=/merchant/cases")
    key_id = re.search(r"key (key_\S+):", made.stderr).group(1)
    more = runner.invoke(main, ["keys", "login-link", "--key-id", key_id, "--minutes", "5"])
    assert more.exit_code == 0 and "/login/link?token=axl_" in more.stdout
    assert runner.invoke(main, ["keys", "login-link", "--role", "merchant"]).exit_code == 2  # no subject
    assert runner.invoke(main, ["keys", "login-link", "--key-id", "key_nope"]).exit_code == 2
    app = create_app(bootstrap(settings=Settings(database_url=url, evidence_dir=tmp_path / "ev")))
    client = TestClient(app)
    r = client.get(link.removeprefix("http://testserver"), follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/merchant/cases"


# --- failed attempts --------------------------------------------------------------------------------------------

def test_failed_keys_are_limited_per_address_with_retry_after(app, clock, world) -> None:
    attacker = TestClient(app, client=("203.0.113.7", 5000))
    for _ in range(20):  # the default: 20 failures a minute
        assert attacker.get("/v1/aftersales/cases", headers=bearer("ax_guess")).status_code == 401
    r = attacker.get("/v1/aftersales/cases", headers=bearer("ax_guess"))
    assert r.status_code == 429 and code(r) == "access.too_many_attempts"
    assert 1 <= int(r.headers["retry-after"]) <= 60
    blocked = attacker.get("/v1/aftersales/cases", headers=bearer(world.operator))
    assert blocked.status_code == 429  # while blocked, even a right key from that address waits
    form = attacker.post("/login", data={"key": world.operator}, follow_redirects=False)
    assert form.status_code == 429 and "retry-after" in form.headers and "access.too_many_attempts" in form.text
    other = TestClient(app, client=("198.51.100.2", 5000))
    assert other.get("/v1/aftersales/cases", headers=bearer(world.operator)).status_code == 200
    clock.advance(seconds=61)  # the window slides on
    assert attacker.get("/v1/aftersales/cases", headers=bearer(world.operator)).status_code == 200


def test_login_form_and_link_failures_count_too(anxin, app, world) -> None:
    client = TestClient(app, client=("203.0.113.8", 5000))
    for n in range(20):
        r = client.post("/login", data={"key": f"ax_wrong{n}"}) if n % 2 else \
            client.get("/login/link", params={"token": f"axl_wrong{n}"})
        assert r.status_code == 401
    assert client.post("/login", data={"key": world.consumer}, follow_redirects=False).status_code == 429


# --- headers ----------------------------------------------------------------------------------------------------

PAGES = ["/login", "/hall", "/hall/orders/o_cup"]


def test_pages_carry_the_security_headers_and_no_inline_code(app, world) -> None:
    client = signed_in(app, world.consumer)
    for path in PAGES:
        r = client.get(path)
        assert r.status_code == 200, path
        csp = r.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert "script-src" not in csp  # falls back to default-src 'none': no script at all
        assert r.headers["x-frame-options"] == "DENY" and r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"
        assert "<script" not in r.text and " style=" not in r.text and "<style" not in r.text, path


def test_api_and_docs_get_headers_too(app, world) -> None:
    client = TestClient(app)
    api = client.get("/v1/aftersales/cases", headers=bearer(world.operator))
    assert api.headers["x-content-type-options"] == "nosniff" and api.headers["x-frame-options"] == "DENY"
    refused = client.get("/v1/aftersales/cases")
    assert refused.status_code == 401 and refused.headers["x-content-type-options"] == "nosniff"
    docs = client.get("/docs")
    assert docs.status_code == 200 and "swagger-ui-bundle.js" in docs.text
    assert re.search(r"<script>", docs.text) is None  # no inline script: the CSP allows 'self' only
    assert "script-src 'self'" in docs.headers["content-security-policy"]
    assert client.get("/static/swagger-init.js").status_code == 200
    assert client.get("/redoc").status_code == 200 and client.get("/static-offline-docs/redoc.standalone.js").is_success


# --- input limits -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("limit", ["9223372036854775808", "501", "0", "-1"])
def test_limits_beyond_the_bounds_are_422(client, keys, limit) -> None:
    r = client.get("/v1/aftersales/cases", params={"limit": limit}, headers=keys["operator"])
    assert r.status_code == 422 and code(r) == "request.invalid"


def test_an_oversized_cursor_is_422_and_a_forged_one_400(client, keys) -> None:
    r = client.get("/v1/aftersales/cases", params={"cursor": "x" * 513}, headers=keys["operator"])
    assert r.status_code == 422 and code(r) == "request.invalid"
    r = client.get("/v1/aftersales/cases", params={"cursor": "eyJzIjoxfQ"}, headers=keys["operator"])
    assert r.status_code == 400 and code(r) == "request.invalid_cursor"


def test_a_nul_in_any_json_text_is_refused_with_its_path(client, keys) -> None:
    for body in ({"shop_id": "n\x002", "name": "x"}, {"name": "x", "credentials": {"phone\x00": "1"}}):
        r = client.post("/v1/merchants/applications", json=body, headers=keys["m1"])
        assert r.status_code == 422 and code(r) == "request.nul_character", body
    r = client.post("/v1/events", json={"events": [{"id": "e1"}, {"id": "e2", "data": {"text": ["ok", "a\x00"]}}]},
                    headers=keys["platform"])
    assert r.status_code == 422 and code(r) == "request.nul_character"
    assert problem(r)["path"] == "events[1].data.text[1]"


def test_a_lone_surrogate_is_refused(client, keys) -> None:
    raw = b'{"events": [{"id": "\\ud800", "type": "shop.opened"}]}'
    r = client.post("/v1/events", content=raw, headers={**keys["platform"], "Content-Type": "application/json"})
    assert r.status_code == 422 and code(r) == "request.invalid_unicode"
    assert problem(r)["path"] == "events[0].id"
    paired = b'{"events": [{"id": "\\ud83d\\ude00"}]}'  # a surrogate pair is an emoji, fine
    r = client.post("/v1/events", content=paired, headers={**keys["platform"], "Content-Type": "application/json"})
    assert r.status_code == 200


@pytest.fixture
def small(anxin):
    """The app with small body limits: 2 kB for events, 1 kB for anything else."""
    settings = Settings(database_url=anxin.settings.database_url, evidence_dir=anxin.settings.evidence_dir,
                        max_body_bytes=1024, events_max_bytes=2048)
    return TestClient(create_app(bootstrap(settings=settings, clock=anxin.clock, engine=anxin.engine,
                                           run_migrations=False)))


def test_an_oversize_events_body_is_413_whether_declared_or_streamed(small, keys) -> None:
    big = b'{"events": [' + b'{"id": "e"},' * 300 + b'{"id": "z"}]}'
    headers = {**keys["platform"], "Content-Type": "application/json"}
    declared = small.post("/v1/events", content=big, headers=headers)
    assert declared.status_code == 413 and code(declared) == "request.too_large"
    assert problem(declared)["limit"] == 2048
    streamed = small.post("/v1/events", content=iter([big[i:i + 500] for i in range(0, len(big), 500)]),
                          headers=headers)  # chunked: no Content-Length, counted as it arrives
    assert streamed.status_code == 413 and code(streamed) == "request.too_large"
    fits = small.post("/v1/events", content=b'{"events": []}', headers=headers)
    assert fits.status_code == 200
    other = small.post("/v1/merchants/applications", json={"name": "x" * 1500}, headers=keys["m1"])
    assert other.status_code == 413 and problem(other)["limit"] == 1024


def test_body_limit_settings_come_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("ANXIN_EVENTS_MAX_BYTES", "4096")
    monkeypatch.setenv("ANXIN_AUTH_FAILURE_LIMIT", "5")
    settings = Settings()
    assert (settings.events_max_bytes, settings.auth_failure_limit, settings.login_link_minutes) == (4096, 5, 15)
    monkeypatch.setenv("ANXIN_MAX_BODY_BYTES", "0")
    with pytest.raises(ValueError, match="max_body_bytes"):
        Settings()


def test_a_risk_rule_id_longer_than_its_column_is_refused(client, keys) -> None:
    rule = {"id": "K." + "X" * 59, "stage": "claim", "code": "risk.x", "action": "review", "points": 1,
            "message": {"zh-CN": "x", "en": "x"}, "when": {"fact": "shops_claimed_30d", "op": "gte", "value": 5}}
    r = client.post("/v1/risk/rules", json=rule, headers=keys["operator"])
    assert r.status_code == 422 and code(r) == "risk.invalid_rule" and problem(r)["field"] == "id"


def test_a_value_the_database_refuses_is_422_not_500(app, client) -> None:
    import sqlalchemy as sa

    @app.get("/v1/test-data-error")
    def refuse() -> None:  # what PostgreSQL raises for a string longer than its column
        raise sa.exc.DataError("INSERT …", {}, Exception("value too long for type character varying(64)"))

    r = client.get("/v1/test-data-error")
    assert r.status_code == 422 and code(r) == "request.out_of_range"
