"""The pages under their Content-Security-Policy in headless Chromium: nothing refused, styles applied, a
one-time login link signs in once, a foreign page cannot sign the browser in."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from anxin.aftersales.service import FileCase
from anxin.web.auth import COOKIE
from tests.browser.world import png_bytes

pytestmark = [pytest.mark.browser, pytest.mark.db]


def _watch(page) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    return problems


def test_pages_render_under_their_csp_with_no_violation(anxin, open_as, world) -> None:
    consumer = anxin.access.authenticate(world.consumer)
    sha = anxin.aftersales.upload_evidence(consumer, png_bytes()).sha256
    anxin.aftersales.file_case(consumer, FileCase("o_vase", "return_refund", "quality", 12800, (sha,)))
    for key, path in ((world.consumer, "/hall/orders/o_vase"), (world.merchant, "/merchant/cases"),
                      (world.operator, "/ops/cases")):
        page = open_as(key, path)
        problems = _watch(page)
        page.reload()
        page.wait_for_load_state("networkidle")
        assert [p for p in problems if "Content Security Policy" in p or "Refused" in p] == [], path
        # the stylesheet applied (a CSP refusal of it would leave the default serif, unpadded layout)
        assert page.locator("header.top").evaluate("e => getComputedStyle(e).display") != "inline", path
    hall = open_as(world.consumer, "/hall/orders/o_vase")
    assert hall.locator(".thumbs img").first.evaluate("img => img.naturalWidth") == 32  # from /evidence/{sha}


def test_a_one_time_link_signs_in_once_in_a_browser(anxin, browser, server, world) -> None:
    key_id = anxin.access.authenticate(world.merchant).key_id
    link = anxin.access.create_login_link(key_id=key_id).token
    first = browser.new_context().new_page()
    first.goto(f"{server}/login/link?token={link}&next=/merchant/cases")
    assert first.url == f"{server}/merchant/cases"
    second = browser.new_context().new_page()
    second.goto(f"{server}/login/link?token={link}&next=/merchant/cases")
    assert second.url.startswith(f"{server}/login/link?")  # stays on the refusal: the login form
    assert second.locator('[data-code="access.login_link_invalid"]').count() == 1
    first.context.close()
    second.context.close()


def test_a_foreign_pages_form_cannot_sign_the_browser_in(browser, server, world) -> None:
    """Login CSRF in a real browser: a page of another origin auto-posting the attacker's key to /login gets the
    refusal, and no session cookie is set."""
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(5000)
    form = (f'<form method="post" action="{server}/login"><input name="key" value="{world.consumer}">'
            '<button type="submit">go</button></form>')
    page.goto("data:text/html," + quote(form))
    with page.expect_navigation():
        page.locator("button").click()
    assert page.locator('[data-code="request.form_token_invalid"]').count() == 1
    assert not any(c["name"] == COOKIE for c in context.cookies())
    ours = context.new_page()
    ours.goto(f"{server}/login")
    ours.locator('input[name="key"]').fill(world.consumer)
    with ours.expect_navigation():
        ours.locator('form[action="/login"] button[type="submit"]').click()
    assert any(c["name"] == COOKIE for c in context.cookies())  # our own form still signs in
    context.close()
