"""The intent classifier: normalisation, deterministic training, the artefact round trip, the shipped model (it is
what `anxin care train --seed 7 --n 6000` gives), inference time, and the metrics."""

from __future__ import annotations

import base64
import gzip
import json
import statistics
import time
from pathlib import Path

import numpy as np
import pytest

from anxin.care.intent_metrics import score
from anxin.care.intents import (
    INTENT_TOPICS,
    MODELS_DIR,
    dump_gz,
    from_payload,
    load_model,
    load_shipped_model,
    ngrams,
    normalise,
    payload_fingerprint,
    read_manifest,
    train,
)
from anxin.sim.consultation_texts import fingerprint, labelled_set
from anxin.sim.intent_training import TRAIN_N, TRAIN_SEED, train_model

TINY = [("到哪了", "where"), ("快递到哪了", "where"), ("我的快递呢", "where"), ("我要退货", "return"),
        ("不想要了退货", "return"), ("怎么退货", "return"), ("账号被盗", "account"), ("账号登录不上", "account")]


def test_normalise_folds_width_case_digits_and_blanks() -> None:
    assert normalise("  ＡＢＣ１２３ 订单  6924  ") == "abc0 订单 0"
    assert ngrams("abc", 1, 2) == {"a": 1, "b": 1, "c": 1, "ab": 1, "bc": 1}
    assert ngrams("aa", 1, 3)["a"] == 2


def test_training_is_deterministic_and_learns_the_examples() -> None:
    texts, labels = [t for t, _ in TINY], [label for _, label in TINY]
    one = train(texts, labels, version="t", classes=("where", "return", "account"))
    two = train(texts, labels, version="t", classes=("where", "return", "account"))
    assert one.fingerprint() == two.fingerprint()
    assert [one.predict(t) for t in texts] == labels
    assert one.predict("快递到了吗") == "where"
    p = one.proba("我要退货")
    assert p.shape == (3,) and abs(float(p.sum()) - 1) < 1e-9
    assert np.allclose(one.proba_many(texts), np.array([one.proba(t) for t in texts]))
    assert one.proba("ÿÿÿ").argmax() >= 0  # no known n-gram: the priors, not an error


def test_training_refuses_bad_input() -> None:
    with pytest.raises(ValueError):
        train(["a"], ["x", "y"], version="t")
    with pytest.raises(ValueError):
        train(["a", "b"], ["x", "z"], version="t", classes=("x",))


def test_the_artefact_round_trips_and_is_checked_against_its_fingerprint(tmp_path: Path) -> None:
    model = train([t for t, _ in TINY], [label for _, label in TINY], version="t").quantised()
    payload = model.payload()
    again = from_payload(json.loads(json.dumps(payload)))
    assert again.fingerprint() == model.fingerprint()
    assert np.array_equal(again.proba("快递到哪了"), model.proba("快递到哪了"))
    path = tmp_path / "m.json.gz"
    path.write_bytes(dump_gz(payload))
    assert dump_gz(payload) == dump_gz(from_payload(payload).payload())  # no time stamp in the gzip
    assert load_model(path, fingerprint=model.fingerprint()).classes == model.classes
    with pytest.raises(ValueError, match="fingerprint"):
        load_model(path, fingerprint="0" * 64)
    with pytest.raises(ValueError, match="format"):
        from_payload({**payload, "format": "other"})


def test_the_shipped_model_is_what_training_on_seed_7_gives() -> None:
    """`anxin care train --seed 7 --n 6000` regenerates the shipped artefact: the same data (exactly), the same
    vocabulary and idf (exactly) and the same weights. Training runs in one thread with a fixed order of additions,
    so on this machine the model document (its sha256 is the manifest's) and the gzip bytes are identical; another
    CPU's exp/log may differ in the last bit, so the weights are allowed a handful of one-step int8 differences
    (`anxin care train --check` is the byte-for-byte check)."""
    manifest = read_manifest()
    assert manifest["training"]["seed"] == TRAIN_SEED and manifest["training"]["n"] == TRAIN_N
    shipped = load_shipped_model()
    assert shipped.classes == tuple(INTENT_TOPICS)
    rows = labelled_set(TRAIN_SEED, TRAIN_N)
    assert fingerprint(rows) == manifest["training"]["data_fingerprint"]
    fresh = train_model(rows, version=manifest["version"]).payload()
    stored = json.loads(gzip.decompress((MODELS_DIR / manifest["model"]).read_bytes()))
    for key in ("format", "version", "classes", "config", "vocabulary", "idf"):
        assert fresh[key] == stored[key], key
    if payload_fingerprint(fresh) != manifest["model_fingerprint"]:
        ours, theirs = (np.frombuffer(base64.b64decode(p["weights"]), dtype=np.int8).astype(int)
                        for p in (fresh, stored))
        off = np.abs(ours - theirs)
        assert off.max() <= 1 and (off > 0).mean() < 1e-3, (int(off.max()), float((off > 0).mean()))
    else:
        assert dump_gz(fresh) == (MODELS_DIR / manifest["model"]).read_bytes()
    assert manifest["held_out"]["classifier_accuracy"] > manifest["held_out"]["keyword_baseline_accuracy"]


def test_one_text_is_classified_well_under_a_millisecond() -> None:
    model = load_shipped_model()
    texts = [t for t, _, _ in labelled_set(31, 400)]
    for t in texts[:50]:
        model.proba(t)
    timings = []
    for t in texts:
        started = time.perf_counter()
        model.top(t, 3)
        timings.append(time.perf_counter() - started)
    assert statistics.median(timings) < 0.5e-3, statistics.median(timings)


def test_scores_count_accuracy_macro_f1_and_confusion() -> None:
    s = score(["a", "a", "b", "b"], ["a", "b", "b", "b"], ["a", "b"])
    assert s.accuracy == 0.75
    assert s.confusion == ((1, 1), (0, 2))
    a, b = s.per_intent
    assert (a.precision, a.recall) == (1.0, 0.5) and (b.precision, b.recall) == (2 / 3, 1.0)
    assert s.macro_f1 == pytest.approx((2 / 3 + 0.8) / 2)
    assert score(["a"], ["c"], ["a", "b"]).labels == ("a", "b", "c")  # b never occurs: not in the macro mean
    assert score(["a"], ["c"], ["a", "b"]).macro_f1 == 0.0
    with pytest.raises(ValueError):
        score([], [], ["a"])
