"""Creator keys and login links from the command line, end to end: `anxin keys create --role creator` prints a key
that authenticates as the creator; `anxin keys login-link --role creator` prints a one-time link that signs a browser
in on the creator centre, where the creator reads the pool and their own score page, once."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from tests.api.test_cli import app_on, env, run  # noqa: F401 (the env fixture)

from anxin.web.app import create_app

pytestmark = pytest.mark.db


def test_a_creator_key_from_the_cli_reads_the_pool(env):  # noqa: F811
    result = run("keys", "create", "--role", "creator", "--subject", "cr_007")
    assert result.exit_code == 0, result.output
    raw = result.stdout.strip()
    anxin = app_on(env)
    who = anxin.access.authenticate(raw)
    assert (who.role.value, who.subject) == ("creator", "cr_007")
    with TestClient(create_app(anxin)) as client:
        pool = client.get("/v1/selection-pool", headers={"Authorization": f"Bearer {raw}"})
        assert pool.status_code == 200 and pool.json()["items"] == []
        mine = client.get("/v1/creators/me/score", headers={"Authorization": f"Bearer {raw}"})
        assert mine.status_code == 404 and mine.json()["code"] == "scoring.subject_not_found"


def test_a_creator_login_link_from_the_cli_signs_in_once_on_the_creator_centre(env):  # noqa: F811
    result = run("keys", "login-link", "--role", "creator", "--subject", "cr_008")
    assert result.exit_code == 0, result.output
    link = urlsplit(result.stdout.strip())
    token = parse_qs(link.query)["token"][0]
    anxin = app_on(env)
    with TestClient(create_app(anxin)) as client:
        first = client.get(f"/login/link?token={token}", follow_redirects=False)
        assert first.status_code == 303 and first.headers["location"] == "/creator"
        home = client.get("/creator?lang=en")
        assert home.status_code == 200 and "cr_008" in home.text and 'href="/creator/pool"' in home.text
        assert client.get("/creator/score").status_code == 200
        assert client.get("/merchant/cases").status_code == 403  # a creator is not a merchant
    with TestClient(create_app(anxin)) as again:
        assert again.get(f"/login/link?token={token}", follow_redirects=False).status_code != 303  # used once
