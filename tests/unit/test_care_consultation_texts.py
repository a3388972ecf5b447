"""The simulator's consultation texts: deterministic by seed, every intent, noisy topics, ambiguous messages, and
phrasings split so unseen sentences can be measured."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from anxin.care.intents import INTENT_TOPICS
from anxin.sim.consultation_phrases import CORE, VAGUE
from anxin.sim.consultation_texts import (
    INTENTS,
    SPLIT,
    consultation_text,
    fingerprint,
    labelled_set,
)


def test_the_same_seed_gives_the_same_set_and_another_seed_another() -> None:
    first = labelled_set(3, 300)
    assert first == labelled_set(3, 300)
    assert fingerprint(first) == fingerprint(labelled_set(3, 300))
    assert fingerprint(first) != fingerprint(labelled_set(4, 300))
    rng_a, rng_b = random.Random(11), random.Random(11)
    assert [consultation_text(rng_a, "logistics.where") for _ in range(20)] == \
        [consultation_text(rng_b, "logistics.where") for _ in range(20)]


def test_every_intent_is_drawn_with_varied_short_and_long_texts() -> None:
    rows = labelled_set(5, 4000)
    counts = Counter(intent for _, intent, _ in rows)
    assert set(counts) == set(INTENT_TOPICS) == set(INTENTS)
    assert counts["logistics.where"] > counts["account.security"]  # frequencies are not uniform
    texts = [t for t, _, _ in rows]
    assert all(texts)
    assert len(set(texts)) > 0.7 * len(texts)
    lengths = sorted(len(t) for t in texts)
    assert lengths[len(lengths) // 10] <= 8 and lengths[-len(lengths) // 10] >= 30
    assert any(c in "".join(texts) for c in "😭🙏😡")
    assert any(typo in "".join(texts) for typo in ("咋", "帐号", "登陆", "快第"))
    assert sum(t.count("69") > 0 and any(ch.isdigit() for ch in t) for t in texts) > 100  # order ids


def test_the_topic_the_opener_picked_is_mostly_right_sometimes_wrong_or_missing() -> None:
    rows = labelled_set(9, 5000)
    right = sum(topic == INTENT_TOPICS[intent] for _, intent, topic in rows) / len(rows)
    missing = sum(topic is None for _, _, topic in rows) / len(rows)
    assert 0.76 < right < 0.84 and 0.07 < missing < 0.13


def test_a_given_product_is_named_and_ambiguous_messages_exist() -> None:
    rng = random.Random(1)
    texts = [consultation_text(rng, "after_sale.quality", product="阳光玫瑰葡萄") for _ in range(300)]
    assert sum("阳光玫瑰葡萄" in t for t in texts) > 30
    assert "东西坏了还没发货怎么回事" in CORE["logistics.where"]  # quality words, a logistics question
    assert "支持七天无理由吗" in CORE["pre_sale.product_info"]  # return words, a pre-sale question
    assert "在吗" in VAGUE


def test_phrasings_split_the_core_sentences_in_two() -> None:
    for intent in INTENTS:
        train, held = set(SPLIT["train"][intent]), set(SPLIT["held_out"][intent])
        assert train and held and not train & held
        assert train | held == set(CORE[intent])
    rng = random.Random(2)
    assert consultation_text(rng, "order.cancel", phrasings="held_out")


@pytest.mark.parametrize(("intent", "phrasings"), [("order.refund", "all"), ("order.cancel", "some")])
def test_unknown_intents_and_phrasings_are_refused(intent: str, phrasings: str) -> None:
    with pytest.raises(ValueError):
        consultation_text(random.Random(0), intent, phrasings=phrasings)
