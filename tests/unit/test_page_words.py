"""Words pages build from codes: every risk reason code and carrier scan status has a label in both languages, an
unknown scan or actor reads neutrally with the raw value as code, English never uses the Chinese full-width colon,
and diagnosis advice names a reason by its label."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from tests.catalogs import entries

import anxin
from anxin.aftersales.page_views import scan_title
from anxin.scoring.model import Suggestion
from anxin.scoring.pages import suggestion_text
from anxin.web.i18n import translator

RULEBOOKS = Path(anxin.__file__).parent / "rulebooks"


def _risk_codes() -> set[str]:
    book = yaml.safe_load((RULEBOOKS / "risk.yaml").read_text(encoding="utf-8"))
    found: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("code"), str) and str(node["code"]).startswith("risk."):
                found.add(node["code"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(book)
    return found


def _scan_statuses() -> set[str]:
    book = yaml.safe_load((RULEBOOKS / "fulfilment.yaml").read_text(encoding="utf-8"))
    return {s for statuses in book["scan_statuses"].values() for s in statuses}


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_every_risk_reason_code_and_scan_status_has_a_label(lang: str) -> None:
    assert len(_risk_codes()) > 10 and len(_scan_statuses()) > 8
    keys = entries(lang)
    missing = sorted(({f"code.{c}" for c in _risk_codes()} | {f"scan.{s}" for s in _scan_statuses()}) - set(keys))
    assert missing == []


def test_english_words_use_an_english_colon() -> None:
    assert sorted(k for k, forms in entries("en").items() if any("：" in f for f in forms)) == []


@pytest.mark.parametrize(("lang", "known", "unknown"), [
    ("zh-CN", "物流：已揽收", '物流更新 <code class="id">Handed to &lt;depot&gt;</code>'),
    ("en", "Parcel: Collected by the carrier", 'Parcel update <code class="id">Handed to &lt;depot&gt;</code>')])
def test_a_scan_status_reads_by_its_label_and_an_unknown_one_as_sent(lang: str, known: str, unknown: str) -> None:
    t = translator(lang)
    assert scan_title(t, " Collected ") == known
    assert scan_title(t, "Handed to <depot>") == unknown


def test_an_actor_reads_by_role_with_the_id_as_code() -> None:
    zh, en = translator("zh-CN"), translator("en")
    assert zh.actor("operator:op-7") == '平台客服 <code class="id">op-7</code>'
    assert en.actor("platform") == "Platform"
    assert zh.actor("robot:x<y") == '<code class="id">robot:x&lt;y</code>'
    assert en.actor(None) == "—"


@pytest.mark.parametrize(("lang", "words"), [("zh-CN", "原因为「质量问题」"), ("en", "were for “Quality problem”")])
def test_diagnosis_advice_names_the_reason_by_its_label(lang: str, words: str) -> None:
    s = Suggestion("quality_return_rate.reason", {"zh-CN": "…「quality」…", "en": "… were 'quality' …"},
                   {"reason": "quality", "n": 2, "of": 3})
    text = suggestion_text(s, translator(lang))
    assert words in text and "quality'" not in text and "「quality」" not in text
