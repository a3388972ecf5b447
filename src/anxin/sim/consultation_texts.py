"""What people write when they open a consultation: labelled Chinese texts for the twelve care intents.

``consultation_text(rng, intent)`` writes one message the way consumers (and, for ``merchant.policy``, merchants)
write to customer care: a core sentence of the intent (``consultation_phrases.CORE``, many per intent, with product
names, sizes, order ids, amounts, couriers and cities filled in), sometimes a greeting, something about the order,
a second sentence, an ending, an emoji; typos and homophones (咋, 帐号, 登陆, tk); short and long. Many core
sentences borrow another intent's words, and a share of messages is ``VAGUE`` ("在吗", "帮我查一下"): the label
then follows the intent the writer had in mind, which the text alone does not show. A keyword rule (or a
classifier) cannot get those right, so the accuracies measured on this set are honestly below 100 %.

``labelled_set(seed, n)`` draws intents with the frequencies below and adds the topic the opener picked in the
consultation form: usually the intent's topic, sometimes another one or none (people pick the wrong box).

Deterministic: the same ``random.Random`` state (or seed) gives the same texts, on every platform.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence

from anxin.care.intents import INTENT_TOPICS, TOPICS
from anxin.sim.consultation_phrases import (
    CITIES,
    COLORS,
    CORE,
    COURIERS,
    DAYS,
    EMOJI,
    ENDINGS,
    EXTRA_PRODUCTS,
    GREETINGS,
    MERCHANT_GREETINGS,
    ORDER_CONTEXT,
    PRE_SALE_CONTEXT,
    SHOPS,
    SIZES,
    SYNONYMS,
    TYPOS,
    VAGUE,
    WHEN,
)
from anxin.sim.listing_texts import NOUNS

INTENTS: tuple[str, ...] = tuple(INTENT_TOPICS)
# How often each intent is asked (INF: shaped after the seed reports, where logistics and after-sales dominate).
FREQUENCY: dict[str, int] = {
    "pre_sale.product_info": 10, "pre_sale.price": 6, "order.modify": 6, "order.cancel": 6, "logistics.where": 16,
    "logistics.problem": 9, "after_sale.return": 12, "after_sale.progress": 10, "after_sale.quality": 10,
    "complaint.service": 5, "account.security": 4, "merchant.policy": 6,
}
PRODUCTS: tuple[str, ...] = (*(name for names in NOUNS.values() for name in names), *EXTRA_PRODUCTS)
VAGUE_SHARE = 0.07  # messages that say nothing about their intent
TOPIC_RIGHT, TOPIC_NONE = 0.80, 0.10  # the opener picked the intent's topic / no topic; the rest a wrong one

PHRASINGS = ("all", "train", "held_out")
assert set(CORE) == set(INTENTS) == set(FREQUENCY), "every intent needs phrases and a frequency"


def _held_out(template: str) -> bool:
    """About one core sentence in five, fixed by its text: never in a ``train`` set, the whole of a ``held_out``
    one; how unseen phrasings are measured (a model trained on the others meets them for the first time)."""
    return hashlib.sha256(template.encode()).digest()[0] % 5 == 0


SPLIT: dict[str, dict[str, tuple[str, ...]]] = {
    "all": CORE,
    "train": {i: tuple(t for t in ts if not _held_out(t)) for i, ts in CORE.items()},
    "held_out": {i: tuple(t for t in ts if _held_out(t)) for i, ts in CORE.items()},
}
assert all(SPLIT[s][i] for s in PHRASINGS for i in INTENTS), "every intent needs sentences on both sides"


def _order_id(rng: random.Random) -> str:
    return "69" + "".join(rng.choice("0123456789") for _ in range(17))


def _tracking(rng: random.Random) -> str:
    prefix = rng.choice(("YT", "SF", "JT", "75", "43", "JD"))
    return prefix + "".join(rng.choice("0123456789") for _ in range(12))


def _fill(rng: random.Random, template: str, product: str) -> str:
    if "{" not in template:
        return template
    slots = {
        "p": product if rng.random() < 0.7 else rng.choice(("这个", "宝贝", "东西", "这款", product)),
        "p2": rng.choice(PRODUCTS), "oid": _order_id(rng), "tn": _tracking(rng),
        "d": rng.choice(DAYS), "n": str(rng.choice((2, 3, 4, 5, 6, 10))),
        "amt": str(rng.choice((9.9, 19, 29, 39.9, 50, 59, 88, 99, 128, 199, 299, 300, 599, 1299))).removesuffix(".0"),
        "size": rng.choice(SIZES), "color": rng.choice(COLORS), "city": rng.choice(CITIES),
        "courier": rng.choice(COURIERS), "t": rng.choice(WHEN), "h": str(rng.randint(150, 188)),
        "w": str(rng.randint(85, 190)), "shop": rng.choice(SHOPS), "sid": str(rng.randint(100000, 999999)),
    }
    return template.format(**slots)


def _typos(rng: random.Random, text: str) -> str:
    """One or two common misspellings, where the text has the word (about a third of messages)."""
    if rng.random() >= 0.35:
        return text
    candidates = [(right, wrong) for right, wrong in TYPOS if right in text]
    rng.shuffle(candidates)
    for right, wrong in candidates[:rng.choice((1, 1, 2))]:
        text = text.replace(right, wrong, 1)
    return text


def _synonyms(rng: random.Random, text: str) -> str:
    """Say a word another way (a word at a time, about every other message that has one)."""
    for word, others in SYNONYMS:
        if word in text and rng.random() < 0.3:
            text = text.replace(word, rng.choice(others), 1)
    return text


def _join(rng: random.Random, parts: Sequence[str]) -> str:
    out = parts[0]
    for part in parts[1:]:
        out += rng.choice(("，", "，", "。", " ", "", ",", "！")) + part
    return out


def consultation_text(rng: random.Random, intent: str, *, product: str | None = None,
                      phrasings: str = "all") -> str:
    """One message a consumer (a merchant for ``merchant.policy``) writes to care with ``intent`` in mind.

    ``phrasings``: ``all`` core sentences (the simulator), or only the ``train`` or ``held_out`` side of them."""
    if intent not in CORE:
        raise ValueError(f"intent must be one of {INTENTS}, got {intent!r}")
    if phrasings not in SPLIT:
        raise ValueError(f"phrasings must be one of {PHRASINGS}, got {phrasings!r}")
    core = SPLIT[phrasings][intent]
    product = product or rng.choice(PRODUCTS)
    merchant = intent == "merchant.policy"
    if rng.random() < VAGUE_SHARE:
        parts = [_fill(rng, rng.choice(VAGUE), product)]
        if rng.random() < 0.3:
            parts.insert(0, rng.choice(MERCHANT_GREETINGS if merchant else GREETINGS))
    else:
        parts = [_fill(rng, rng.choice(core), product)]
        if rng.random() < 0.22:  # a second sentence about the same thing
            parts.append(_fill(rng, rng.choice(core), product))
        if not merchant and rng.random() < 0.35:
            context = PRE_SALE_CONTEXT if intent.startswith("pre_sale.") else ORDER_CONTEXT
            parts.insert(0, _fill(rng, rng.choice(context), product))
        if rng.random() < (0.6 if merchant else 0.4):
            parts.insert(0, _fill(rng, rng.choice(MERCHANT_GREETINGS if merchant else GREETINGS), product))
    if rng.random() < 0.3:
        parts.append(rng.choice(ENDINGS))
    text = _typos(rng, _synonyms(rng, _join(rng, parts)))
    roll = rng.random()
    if roll < 0.15:
        text += rng.choice(EMOJI)
    elif roll < 0.25:
        text += rng.choice(("？", "?", "。", "！", "!!", "…"))
    return text


def topic_hint(rng: random.Random, intent: str) -> str | None:
    """The topic the opener picked in the form: the intent's own mostly, sometimes none or a wrong one."""
    roll = rng.random()
    if roll < TOPIC_RIGHT:
        return INTENT_TOPICS[intent]
    if roll < TOPIC_RIGHT + TOPIC_NONE:
        return None
    return rng.choice([t for t in TOPICS if t != INTENT_TOPICS[intent]])


def draw_intent(rng: random.Random) -> str:
    return rng.choices(INTENTS, weights=[FREQUENCY[i] for i in INTENTS])[0]


def labelled_set(seed: int, n: int, *, phrasings: str = "all") -> list[tuple[str, str, str | None]]:
    """``n`` (text, intent, topic the opener picked) from ``seed``: the same seed gives the same list."""
    rng = random.Random(f"anxin-consultations:{seed}")
    out: list[tuple[str, str, str | None]] = []
    for _ in range(n):
        intent = draw_intent(rng)
        out.append((consultation_text(rng, intent, phrasings=phrasings), intent, topic_hint(rng, intent)))
    return out


def fingerprint(rows: Sequence[tuple[str, str, str | None]]) -> str:
    """sha256 over the rows (text, intent, topic), one per line: what a model was trained on."""
    digest = hashlib.sha256()
    for text, intent, topic in rows:
        digest.update(f"{text}\t{intent}\t{topic or ''}\n".encode())
    return digest.hexdigest()
