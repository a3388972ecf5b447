"""The creator's pages and the operators' worry-free page over HTTP (no browser): who may open them, the pool's
filter form and badges, the metrics table, bad filters shown on the page (never a 500), in both languages."""

from __future__ import annotations

import pytest
from tests.api.test_wf_pool_api import world
from tests.db import builders as b

pytestmark = pytest.mark.db


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
@pytest.mark.parametrize("path", ["/creator", "/creator/pool", "/creator/score"])
def test_creator_pages_render(anxin, client, keys, path, lang):
    world(anxin)
    r = client.get(f"{path}?lang={lang}", headers=keys["creator"])
    assert r.status_code == 200, r.text
    assert "wfp." not in r.text and "err." not in r.text


def test_pool_page_shows_badges_and_metrics(anxin, client, keys):
    world(anxin)
    r = client.get("/creator/pool?lang=en&min_commission=19.99&sort=commission", headers=keys["creator"])
    assert r.status_code == 200
    assert r.text.index('data-listing="l_nuts"') < r.text.index('data-listing="l_snack"')
    assert 'data-listing="l_food"' not in r.text
    assert 'data-badge="commission"' in r.text and "Commission 20%" in r.text
    assert 'data-testid="wf-metrics"' in r.text and "24-hour ship rate" in r.text


def test_pool_page_price_bounds_in_yuan_are_inclusive(anxin, client, keys):
    world(anxin)
    r = client.get("/creator/pool?price_min=50&price_max=99.99", headers=keys["creator"])
    assert 'data-listing="l_nuts"' in r.text and 'data-listing="l_snack"' in r.text
    assert 'data-listing="l_food"' not in r.text and 'data-listing="l_home"' not in r.text


@pytest.mark.parametrize("query", ["price_min=abc", "price_min=9&price_max=1", "min_commission=101",
                                   "category_id=nowhere", "cursor=zzz"])
def test_bad_filters_show_on_the_page(anxin, client, keys, query):
    world(anxin)
    r = client.get(f"/creator/pool?lang=en&{query}", headers=keys["creator"])
    assert r.status_code == 200 and 'data-testid="pool-error"' in r.text


@pytest.mark.parametrize("who", ["m1", "c1"])
@pytest.mark.parametrize("path", ["/creator", "/creator/pool", "/creator/score", "/ops/worry-free"])
def test_merchants_and_consumers_cannot_open_creator_pages(client, keys, who, path):
    assert client.get(path, headers=keys[who]).status_code == 403


def test_ops_page(anxin, client, keys):
    r = client.get("/ops/worry-free?lang=zh-CN", headers=keys["operator"])
    assert r.status_code == 200 and "24 小时发货率" in r.text
    assert client.get("/ops/worry-free", headers=keys["creator"]).status_code == 403


def test_creator_login_link_lands_on_the_creator_home(anxin, client):
    link = anxin.access.create_login_link(role="creator", subject="cr9")
    r = client.get(f"/login/link?token={link.token}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/creator"
    home = client.get("/creator")
    assert home.status_code == 200 and "cr9" in home.text and 'href="/creator/pool"' in home.text


def test_creator_score_page_without_a_score_says_so(anxin, client, keys):
    r = client.get("/creator/score?lang=en", headers=keys["creator"])
    assert r.status_code == 200 and 'data-testid="no-score"' in r.text
    assert b.T0  # the world's clock
