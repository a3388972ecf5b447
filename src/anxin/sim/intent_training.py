"""Training and measuring the intent classifier on simulated consultations (``anxin care train|eval``, the bench).

``train_artefact(seed, n)`` generates ``labelled_set(seed, n)``, trains the classifier, quantises it as it ships,
scores it on a held-out set generated with another seed and returns the artefact's bytes with its manifest:
the same seed and n give the same bytes. ``evaluate(router, rows)`` scores, on the same rows in the same run,
the classifier alone (text only), the router (text, channel and the opener's topic: what production sees) and the
keyword-only baseline (the routing rulebook's keyword rules and intent keywords with the same channel and topic).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from anxin.care.intent_metrics import Scores, score
from anxin.care.intents import (
    INTENT_TOPICS,
    MANIFEST,
    IntentModel,
    TrainConfig,
    dump_gz,
    payload_fingerprint,
    train,
)
from anxin.care.routing import IntentRouter, keyword_intent
from anxin.care.routing_rules import RoutingRules, load_routing_rules
from anxin.sim.consultation_texts import fingerprint, labelled_set

VERSION = "intents-2026.12"
TRAIN_SEED, TRAIN_N = 7, 6000
HOLDOUT_SEED, HOLDOUT_N = 1007, 2000  # the held-out figures the manifest records
Rows = Sequence[tuple[str, str, str | None]]
Progress = Callable[[int], None]


def channel_of(intent: str) -> str:
    """Merchants ask about merchant policy on the merchant channel; everything else comes from consumers."""
    return "merchant" if intent == "merchant.policy" else "consumer"


@dataclass(frozen=True)
class Evaluation:
    n: int
    classifier: Scores  # text only, argmax over all intents
    router: Scores  # text + channel + opener's topic: the intent the router settles on
    keywords: Scores  # the keyword-only baseline with the same inputs as the router
    reasons: dict[str, int]  # how the router settled the intents (intent.classified, intent.keyword_rule …)
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {"n": self.n, "classifier": self.classifier.as_dict(), "router": self.router.as_dict(),
                "keywords": self.keywords.as_dict(), "router_reasons": self.reasons, "seconds": round(self.seconds, 3)}


def evaluate(router: IntentRouter, rows: Rows, *, progress: Progress | None = None) -> Evaluation:
    started = time.perf_counter()
    truth = [intent for _, intent, _ in rows]
    classes = router.model.classes
    by_model, by_router, by_keywords = [], [], []
    reasons: dict[str, int] = {}
    for i, (text, intent, topic) in enumerate(rows):
        channel = channel_of(intent)
        p = router.model.proba(text)
        by_model.append(classes[int(p.argmax())])
        verdict = router.classify(text=text, topic=topic, channel=channel)
        by_router.append(verdict.intent)
        reasons[verdict.reason_code] = reasons.get(verdict.reason_code, 0) + 1
        by_keywords.append(keyword_intent(router.rules, text=text, topic=topic, channel=channel))
        if progress is not None and (i + 1) % 100 == 0:
            progress(100)
    if progress is not None:
        progress(len(rows) % 100)
    labels = tuple(INTENT_TOPICS)
    return Evaluation(len(rows), score(truth, by_model, labels), score(truth, by_router, labels),
                      score(truth, by_keywords, labels), dict(sorted(reasons.items())),
                      time.perf_counter() - started)


def train_model(rows: Rows, *, version: str = VERSION, config: TrainConfig | None = None) -> IntentModel:
    """The classifier trained on ``rows``, quantised as it ships."""
    model = train([t for t, _, _ in rows], [i for _, i, _ in rows], version=version, classes=tuple(INTENT_TOPICS),
                  config=config)
    return model.quantised()


@dataclass(frozen=True)
class Artefact:
    model: IntentModel
    data: bytes  # the .json.gz file
    manifest: dict[str, Any]

    @property
    def filename(self) -> str:
        return f"{self.model.version}.json.gz"

    def write(self, directory: Path) -> list[Path]:
        directory.mkdir(parents=True, exist_ok=True)
        model_path, manifest_path = directory / self.filename, directory / MANIFEST
        model_path.write_bytes(self.data)
        manifest_path.write_text(json.dumps(self.manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        return [model_path, manifest_path]


def train_artefact(seed: int = TRAIN_SEED, n: int = TRAIN_N, *, version: str = VERSION, phrasings: str = "all",
                   rules: RoutingRules | None = None, stage: Callable[[str], None] | None = None,
                   progress: Progress | None = None) -> Artefact:
    """Generate, train, quantise, score on the held-out set: the artefact and its manifest (deterministic)."""
    say = stage or (lambda _: None)
    if seed == HOLDOUT_SEED:
        raise ValueError(f"seed {HOLDOUT_SEED} generates the held-out set; train on another")
    say(f"generating {n} labelled consultations (seed {seed})")
    rows = labelled_set(seed, n, phrasings=phrasings)
    say("training")
    model = train_model(rows, version=version)
    say(f"scoring on {HOLDOUT_N} held-out consultations (seed {HOLDOUT_SEED})")
    rules = rules or load_routing_rules()
    held = evaluate(IntentRouter(rules=rules, model=model), labelled_set(HOLDOUT_SEED, HOLDOUT_N), progress=progress)
    payload = model.payload()
    manifest = {
        "model": f"{version}.json.gz", "version": version, "model_fingerprint": payload_fingerprint(payload),
        "command": f"anxin care train --seed {seed} --n {n}" + (f" --version {version}" if version != VERSION else "")
                   + (f" --phrasings {phrasings}" if phrasings != "all" else ""),
        "training": {"generator": "anxin.sim.consultation_texts.labelled_set", "seed": seed, "n": n,
                     "phrasings": phrasings,
                     "data_fingerprint": fingerprint(rows), "config": payload["config"],
                     "features": len(model.vocabulary), "classes": list(model.classes)},
        "held_out": {"seed": HOLDOUT_SEED, "n": HOLDOUT_N, "rulebook_version": rules.version,
                     "classifier_accuracy": round(held.classifier.accuracy, 4),
                     "classifier_macro_f1": round(held.classifier.macro_f1, 4),
                     "router_accuracy": round(held.router.accuracy, 4),
                     "keyword_baseline_accuracy": round(held.keywords.accuracy, 4)},
    }
    return Artefact(model, dump_gz(payload), manifest)
