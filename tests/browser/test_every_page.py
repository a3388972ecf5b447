"""Every page, in zh-CN and in English, read by a real Chromium: no message id left untranslated and no raw code
(a rule id, a reason code, a status, a category id) shown where a person reads.

A small simulated marketplace (a few days, three merchants, many abusers) gives every page something to show. Each
role starts at its home page and follows the links it is offered (two of each kind of page, at most), in both
languages; the visible text of each page, outside ``<code>``/``<pre>``/``<kbd>`` (where an id is shown as an id, on
purpose), is checked. Every page route the app serves must have been reached by some role.
"""

from __future__ import annotations

import datetime as dt
import enum
import importlib
import pkgutil
import re
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import yaml

import anxin
from anxin.shops.service import shop_ids_of_merchant
from anxin.sim import SimConfig, simulate
from anxin.web.render import PageRoute
from tests.governance_world import listings_of, seed_governance

pytestmark = [pytest.mark.browser, pytest.mark.db]

RULEBOOKS = Path(anxin.__file__).parent / "rulebooks"
SMALL = {"days": 5, "merchants": 3, "consumers": 40, "seed": 3, "orders_per_shop_day": 12.0, "abuser_share": 0.35,
         "replay_share": 0.03, "olist_dir": Path("/nonexistent/olist")}
NOT_WALKED = ("/logout", "/login", "/v1/", "/static/", "/evidence/", "/docs", "/redoc", "/openapi.json", "/problems/",
              "/ops/reports/service/download")  # files (PDF, HTML, JSON) saved, not pages read
# Reached by no link on purpose, or not a page a person reads in two languages.
UNREACHED_OK = {"/login", "/login/link", "/docs", "/redoc", "/evidence/{sha256}", "/problems/{code}", "/",
                "/ops/reports/service/download"}
PER_KIND = 2
MAX_PAGES = 90

VISIBLE_TEXT = """() => {
  const skip = new Set(['CODE', 'PRE', 'KBD', 'SAMP', 'SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE']);
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    let shown = true;
    for (let e = n.parentElement; e; e = e.parentElement) {
      if (skip.has(e.tagName.toUpperCase())) { shown = false; break; }
    }
    if (!shown || !n.parentElement.checkVisibility()) continue;
    const text = n.textContent.trim();
    if (text) out.push(text);
  }
  return out;
}"""
SNAKE = re.compile(r"(?<![\w.\-/:@#])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w\-/@])")
DOTTED = re.compile(r"(?<![\w.\-/:@#])[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+(?![\w\-/@])")
WORD = re.compile(r"(?<![\w.\-/:@#])[a-z]{3,}(?![\w.\-/@])")


def _all_modules() -> Iterator[Any]:
    for info in pkgutil.walk_packages(anxin.__path__, "anxin."):
        if ".sim" in info.name or info.name.endswith("__main__"):
            continue
        try:
            yield importlib.import_module(info.name)
        except Exception:  # an optional extra (pyspark) missing: its codes are elsewhere too
            continue


def _yaml_codes(node: Any, into: set[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in {"id", "code", "reason", "reason_code", "category", "category_id", "kind"} and \
                    isinstance(value, str):
                into.add(value)
            if key in {"reason_codes", "categories", "category_ids"} and isinstance(value, list):
                into.update(v for v in value if isinstance(v, str))
            _yaml_codes(value, into)
    elif isinstance(node, list):
        for item in node:
            _yaml_codes(item, into)


def known_codes() -> set[str]:
    """The domain's codes: every StrEnum value in the package, every id and reason code in the shipped rulebooks."""
    codes: set[str] = set()
    for module in _all_modules():
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, enum.Enum) and value.__module__ == module.__name__:
                codes.update(m.value for m in value if isinstance(m.value, str))
    for path in RULEBOOKS.rglob("*.yaml"):
        _yaml_codes(yaml.safe_load(path.read_text(encoding="utf-8")), codes)
    return {c for c in codes if re.fullmatch(r"[a-z][a-z0-9_.]*", c)}


def message_ids() -> set[str]:
    from tests.catalogs import entries

    return set(entries("zh-CN")) | set(entries("en"))


def page_patterns(app: Any) -> dict[str, re.Pattern[str]]:
    out = {}
    for route in app.routes:
        if isinstance(route, PageRoute) and "GET" in (route.methods or ()):
            rx = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(route.path_format))
            out[route.path_format] = re.compile(f"^{rx}$")
    return out


def kind_of(url: str, patterns: dict[str, re.Pattern[str]]) -> str:
    parts = urlsplit(url)
    route = next((p for p, rx in patterns.items() if rx.match(parts.path)), parts.path)
    names = sorted({k for k, _ in parse_qsl(parts.query) if k != "lang"})
    return route + ("?" + "&".join(names) if names else "")


def without_lang(url: str) -> str:
    parts = urlsplit(url)
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "lang"])
    return parts.path + ("?" + query if query else "")


def with_lang(url: str, lang: str) -> str:
    return url + ("&" if "?" in url else "?") + urlencode({"lang": lang})


def problems_in(texts: list[str], lang: str, codes: set[str], ids: set[str]) -> list[str]:
    found = []
    singles = {c for c in codes if "_" not in c and "." not in c}
    for text in texts:
        for rx in (DOTTED, SNAKE):
            for token in rx.findall(text):
                if token in ids:
                    found.append(f"untranslated message id {token!r} in {text[:80]!r}")
                elif token in codes:
                    found.append(f"raw code {token!r} in {text[:80]!r}")
        if lang == "zh-CN":  # an English code word inside Chinese prose
            found += [f"raw code {w!r} in {text[:80]!r}" for w in WORD.findall(text) if w in singles]
    return found


@pytest.fixture
def marketplace(anxin, clock):
    sim = simulate(anxin, SimConfig(start=clock.now() - dt.timedelta(days=SMALL["days"]), **SMALL))
    anxin.scoring.run(anxin.scoring.today())
    key = lambda role, subject: anxin.access.create_key(role, subject)[1]  # noqa: E731
    claimed = [k for k in sim.cases.claims if k.case_id]
    consumer = claimed[-1].order.consumer.consumer_id if claimed else sim.orders.all[-1].consumer.consumer_id
    counts: dict[str, int] = {}
    for claim in sim.cases.claims:
        counts[claim.order.shop.merchant.merchant_id] = counts.get(claim.order.shop.merchant.merchant_id, 0) + 1
    merchant = min(counts, key=lambda m: (-counts[m], m))
    with anxin.uow_factory() as uow:  # governance on one of the merchant's shops, so its pages show real content
        owned = shop_ids_of_merchant(uow, merchant)
    shop_id = next(s for s in owned if len(listings_of(anxin, s)) >= 2)
    seed_governance(anxin, shop_id=shop_id, merchant_id=merchant)
    open_consultations(anxin, sim, consumer, merchant)
    staff = anxin.access.authenticate(key("operator", "ops-rank"))
    ranked = anxin.scoring.ranking(staff, "creator")["rows"]  # a scored creator, so the score pages have content
    creator = next((r["subject_id"] for r in ranked if r["score_x100"] is not None), "creator-walk")
    return {"consumer": key("consumer", consumer), "merchant": key("merchant", merchant),
            "operator": key("operator", "ops-walk"), "creator": key("creator", creator)}


def open_consultations(anxin, sim, consumer: str, merchant: str) -> None:
    """Customer care: one consultation of the consumer walking and one at the merchant's shop (a deterministic router:
    the simulator asks nothing), so the conversation, inbox-ticket and console-ticket pages have one each."""
    from anxin.care.service import OpenConsultation
    from anxin.core.principal import Principal, Role
    from anxin.orders import service as orders
    from tests.care_fakes import FakeRouter

    with anxin.uow_factory() as uow:
        placed = [o for o in sim.orders.all if orders.get_order(uow, o.order_id) is not None]
    mine = next(o for o in placed if o.consumer.consumer_id == consumer)
    theirs = next(o for o in placed if o.shop.merchant.merchant_id == merchant)
    for n, order in enumerate((mine, theirs)):
        who = Principal("walk", Role.CONSUMER, order.consumer.consumer_id)
        anxin.care.consultations.open(who, OpenConsultation(f"walk-{n}", "consumer", "这个什么时候发货？",
                                                            order_id=order.order_id), router=FakeRouter())


def walk(page: Any, server: str, start: str, patterns: dict[str, re.Pattern[str]]) -> list[str]:
    """The pages one role reaches from ``start`` by following links, at most PER_KIND of each kind."""
    seen_kinds: dict[str, int] = {}
    queue, seen, visited = deque([start]), {start}, []
    while queue and len(visited) < MAX_PAGES:
        url = queue.popleft()
        kind = kind_of(url, patterns)
        if seen_kinds.get(kind, 0) >= PER_KIND:
            continue
        seen_kinds[kind] = seen_kinds.get(kind, 0) + 1
        response = page.goto(server + with_lang(url, "zh-CN"))
        assert response is not None and response.status < 400, f"{url}: {response and response.status}"
        visited.append(url)
        hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
        for href in hrefs:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith(NOT_WALKED):
                continue
            link = without_lang(href.split("#")[0])
            if link not in seen:
                seen.add(link)
                queue.append(link)
    return visited


def test_every_page_in_both_languages_shows_no_raw_code_or_message_id(browser, server, anxin, marketplace) -> None:
    from anxin.web.app import create_app

    patterns = page_patterns(create_app(anxin))
    codes, ids = known_codes(), message_ids()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    reached: set[str] = set()
    try:
        for role, key in marketplace.items():
            context.clear_cookies()
            page = context.new_page()
            page.set_default_timeout(15000)
            page.goto(f"{server}/login")
            page.locator('input[name="key"]').fill(key)
            with page.expect_navigation():
                page.locator('form[action="/login"] button[type="submit"]').click()
            start = without_lang(urlsplit(page.url).path)
            for url in walk(page, server, start, patterns):
                reached.add(kind_of(url, patterns).split("?")[0])
                for lang in ("zh-CN", "en"):
                    page.goto(server + with_lang(url, lang))
                    texts = page.evaluate(VISIBLE_TEXT)
                    problems += [f"{role} {lang} {url}: {p}" for p in problems_in(texts, lang, codes, ids)]
            page.close()
    finally:
        context.close()
    unreached = sorted(set(patterns) - reached - UNREACHED_OK)
    report = sorted(set(problems))
    assert not unreached, f"pages no role reached by a link: {unreached}"
    assert not report, f"{len(report)} problems:\n" + "\n".join(report[:200])
