"""The intent classifier: which of the twelve care intents a consultation's text is about, with probabilities.

Character n-grams (1–3) of the normalised text (NFKC, case-folded, each run of digits one ``0``, blanks one space),
a vocabulary of the n-grams seen in at least ``min_df`` training texts (the ``max_features`` most frequent), TF-IDF
weights (sublinear term frequency, smoothed idf, unit length) and a multinomial logistic regression with an L2
penalty fitted by L-BFGS from zero: the same texts give the same model. Numpy and scipy only.

The shipped model (``care/models``) stores its weights as int8 with one scale per intent (a quarter of the size of
float32; the accuracy it reports is measured on the quantised weights it ships). One text is classified with a
few dictionary look-ups and a (features × 12) product: tens of microseconds.

Pure: imports only the standard library, numpy and scipy.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

# The care vocabulary (docs/care.md): each intent belongs to one topic, the topics the opener picks from.
TOPICS: tuple[str, ...] = ("pre_sale", "order", "logistics", "after_sale", "account", "merchant_policy")
INTENT_TOPICS: dict[str, str] = {
    "pre_sale.product_info": "pre_sale", "pre_sale.price": "pre_sale",
    "order.modify": "order", "order.cancel": "order",
    "logistics.where": "logistics", "logistics.problem": "logistics",
    "after_sale.return": "after_sale", "after_sale.progress": "after_sale", "after_sale.quality": "after_sale",
    "complaint.service": "account", "account.security": "account",
    "merchant.policy": "merchant_policy",
}
FORMAT = "anxin.care.intents/1"
MODELS_DIR = Path(__file__).resolve().parent / "models"
MANIFEST = "manifest.json"  # in MODELS_DIR: which artefact ships, how it was trained, its held-out figures
Floats = npt.NDArray[np.float64]
_DIGITS = re.compile(r"[0-9]+")
_BLANKS = re.compile(r"\s+")


def fold(text: str) -> str:
    """NFKC (full-width to half-width) and case-folded: how keyword rules compare texts."""
    return unicodedata.normalize("NFKC", text).casefold()


def normalise(text: str) -> str:
    """The classifier's view of a text: folded, each run of digits one ``0``, blanks one space."""
    return _BLANKS.sub(" ", _DIGITS.sub("0", fold(text))).strip()


def ngrams(text: str, low: int = 1, high: int = 3) -> Counter[str]:
    """Character n-grams of the normalised text, ``low`` to ``high`` long, with their counts."""
    found: Counter[str] = Counter()
    for size in range(low, high + 1):
        for i in range(len(text) - size + 1):
            found[text[i:i + size]] += 1
    return found


@dataclass(frozen=True)
class TrainConfig:
    ngram_low: int = 1
    ngram_high: int = 3
    min_df: int = 2  # an n-gram seen in fewer training texts is not a feature
    max_features: int = 12_000
    l2: float = 1e-4  # the penalty on the weights (alpha/2 · ‖W‖²); the intercepts are free
    max_iter: int = 400


class IntentModel:
    """A trained classifier: ``proba`` / ``top`` for one text, ``proba_many`` for a batch."""

    def __init__(self, *, version: str, classes: Sequence[str], vocabulary: Sequence[str], idf: Floats,
                 weights: Floats, bias: Floats, config: TrainConfig) -> None:
        if weights.shape != (len(vocabulary), len(classes)) or idf.shape != (len(vocabulary),) \
                or bias.shape != (len(classes),):
            raise ValueError("weights must be (features, classes), idf (features,) and bias (classes,)")
        self.version = version
        self.classes: tuple[str, ...] = tuple(classes)
        self.vocabulary: tuple[str, ...] = tuple(vocabulary)
        self.index = {gram: i for i, gram in enumerate(self.vocabulary)}
        self.idf = idf.astype(np.float64)
        self.weights = weights.astype(np.float64)
        self.bias = bias.astype(np.float64)
        self.config = config

    def features(self, text: str) -> tuple[npt.NDArray[np.intp], Floats]:
        """The text's feature indices and TF-IDF values (unit length); empty when no n-gram is known."""
        counts = ngrams(normalise(text), self.config.ngram_low, self.config.ngram_high)
        idx = [(self.index[g], c) for g, c in counts.items() if g in self.index]
        if not idx:
            return np.zeros(0, dtype=np.intp), np.zeros(0)
        cols = np.fromiter((i for i, _ in idx), dtype=np.intp, count=len(idx))
        tf = np.fromiter((c for _, c in idx), dtype=np.float64, count=len(idx))
        values = (1.0 + np.log(tf)) * self.idf[cols]
        return cols, values / math.sqrt(float(values @ values))

    def proba(self, text: str) -> Floats:
        """The probability of each of ``classes`` for one text."""
        cols, values = self.features(text)
        return _softmax(values @ self.weights[cols] + self.bias)

    def top(self, text: str, k: int = 3) -> list[tuple[str, float]]:
        p = self.proba(text)
        order = sorted(range(len(p)), key=lambda j: (-p[j], j))[:k]
        return [(self.classes[j], float(p[j])) for j in order]

    def predict(self, text: str) -> str:
        return self.top(text, 1)[0][0]

    def proba_many(self, texts: Sequence[str]) -> Floats:
        """Probabilities for a batch, one row per text: ``proba`` one by one, to the last bits of rounding."""
        return _softmax_rows(_matrix(texts, self.index, self.idf, self.config) @ self.weights + self.bias)

    # --- the artefact ----------------------------------------------------------------------------------------

    def payload(self) -> dict[str, Any]:
        """The model as a JSON document; the weights int8 with one scale per class, as the artefact ships them."""
        scales = np.abs(self.weights).max(axis=0) / 127.0
        scales[scales == 0] = 1.0
        quantised = np.round(self.weights / scales).astype(np.int8)
        return {"format": FORMAT, "version": self.version, "classes": list(self.classes),
                "config": asdict(self.config), "vocabulary": list(self.vocabulary),
                "idf": _b64(self.idf.astype("<f4")), "scales": _b64(scales.astype("<f4")),
                "weights": _b64(quantised), "bias": _b64(self.bias.astype("<f4"))}

    def quantised(self) -> IntentModel:
        """The model as the artefact holds it (int8 weights, float32 idf, scales and bias)."""
        return from_payload(self.payload())

    def fingerprint(self) -> str:
        return payload_fingerprint(self.payload())


def payload_fingerprint(payload: dict[str, Any]) -> str:
    """sha256 of the model document's canonical JSON (not of its gzip bytes, which depend on zlib)."""
    return hashlib.sha256(canonical_json(payload)).hexdigest()


def canonical_json(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def dump_gz(payload: dict[str, Any]) -> bytes:
    """The artefact's bytes: canonical JSON, gzip with no name and no time stamp, so a retrain is byte-identical."""
    return gzip.compress(canonical_json(payload), compresslevel=9, mtime=0)


def from_payload(payload: dict[str, Any]) -> IntentModel:
    if payload.get("format") != FORMAT:
        raise ValueError(f"not an intent model ({FORMAT}): format {payload.get('format')!r}")
    classes, vocabulary = payload["classes"], payload["vocabulary"]
    scales = _unb64(payload["scales"], "<f4", len(classes))
    quantised = np.frombuffer(base64.b64decode(payload["weights"]), dtype=np.int8)
    weights = quantised.reshape(len(vocabulary), len(classes)).astype(np.float64) * scales.astype(np.float64)
    return IntentModel(version=payload["version"], classes=classes, vocabulary=vocabulary,
                       idf=_unb64(payload["idf"], "<f4", len(vocabulary)), weights=weights,
                       bias=_unb64(payload["bias"], "<f4", len(classes)), config=TrainConfig(**payload["config"]))


def load_model(path: Path, *, fingerprint: str | None = None) -> IntentModel:
    """A model artefact; with ``fingerprint``, refused unless its document has exactly that sha256."""
    payload = json.loads(gzip.decompress(path.read_bytes()))
    if fingerprint is not None and payload_fingerprint(payload) != fingerprint:
        raise ValueError(f"{path}: the model is not the one the manifest names (fingerprint differs)")
    return from_payload(payload)


def read_manifest(directory: Path = MODELS_DIR) -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    return manifest


def load_shipped_model(directory: Path = MODELS_DIR) -> IntentModel:
    """The model the manifest in ``directory`` names (default: the one shipped in the package), checked against
    the manifest's fingerprint."""
    manifest = read_manifest(directory)
    return load_model(directory / manifest["model"], fingerprint=manifest["model_fingerprint"])


# --- training ------------------------------------------------------------------------------------------------

def train(texts: Sequence[str], labels: Sequence[str], *, version: str, classes: Sequence[str] | None = None,
          config: TrainConfig | None = None) -> IntentModel:
    """Fit the classifier on labelled texts. Deterministic: the same texts, labels and config give the same model
    (the vocabulary is ordered, L-BFGS starts from zero). Returns the float model; ``.quantised()`` is what ships."""
    config = config or TrainConfig()
    if len(texts) != len(labels) or not texts:
        raise ValueError("texts and labels must be non-empty and as many")
    classes = tuple(classes or sorted(set(labels)))
    unknown = sorted(set(labels) - set(classes))
    if unknown:
        raise ValueError(f"labels outside the classes: {unknown}")
    docs = [ngrams(normalise(t), config.ngram_low, config.ngram_high) for t in texts]
    df: Counter[str] = Counter()
    for doc in docs:
        df.update(doc.keys())
    frequent = sorted((g for g, c in df.items() if c >= config.min_df), key=lambda g: (-df[g], g))
    vocabulary = sorted(frequent[:config.max_features])
    index = {g: i for i, g in enumerate(vocabulary)}
    n = len(texts)
    idf = np.array([math.log((1 + n) / (1 + df[g])) + 1.0 for g in vocabulary])
    x = _matrix(texts, index, idf, config, docs)
    y = np.zeros((n, len(classes)))
    y[np.arange(n), [classes.index(label) for label in labels]] = 1.0
    v, k = len(vocabulary), len(classes)

    def loss(theta: Floats) -> tuple[float, Floats]:
        w, b = theta[:v * k].reshape(v, k), theta[v * k:]
        z = x @ w + b
        z -= z.max(axis=1, keepdims=True)
        log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        p = np.exp(log_p)
        value = -float((y * log_p).sum()) / n + 0.5 * config.l2 * float((w * w).sum())
        residual = (p - y) / n
        grad_w = np.asarray(x.T @ residual) + config.l2 * w
        return value, np.concatenate([grad_w.ravel(), residual.sum(axis=0)])

    theta = _lbfgs(loss, np.zeros(v * k + k), max_iter=config.max_iter)
    return IntentModel(version=version, classes=classes, vocabulary=vocabulary, idf=idf,
                       weights=theta[:v * k].reshape(v, k), bias=theta[v * k:], config=config)


def _dot(a: Floats, b: Floats) -> float:
    """A dot product by numpy's pairwise sum, not BLAS: no threads, the same order of additions on every run."""
    return float(np.sum(a * b))


def _lbfgs(fun: Any, x: Floats, *, max_iter: int, memory: int = 10, gtol: float = 1e-6,
           ftol: float = 1e-10) -> Floats:
    """Minimise a smooth ``fun(x) -> (value, gradient)`` by L-BFGS (two-loop recursion, backtracking Armijo line
    search). Written here rather than scipy's L-BFGS-B so that training runs in one thread and adds in one
    order: OpenBLAS threads inside L-BFGS-B slowed training by 4× on a shared 2-core machine."""
    fx, g = fun(x)
    pairs: list[tuple[Floats, Floats, float]] = []  # (s, y, 1 / s·y), oldest first
    for _ in range(max_iter):
        if float(np.abs(g).max()) < gtol:
            break
        q = g.copy()
        alphas = []
        for s, y, rho in reversed(pairs):
            a = rho * _dot(s, q)
            q -= a * y
            alphas.append(a)
        if pairs:
            s, y, _ = pairs[-1]
            q *= _dot(s, y) / _dot(y, y)
        else:
            q /= max(1.0, math.sqrt(_dot(g, g)))
        for (s, y, rho), a in zip(pairs, reversed(alphas), strict=True):
            q += (a - rho * _dot(y, q)) * s
        direction = -q
        slope = _dot(g, direction)
        if slope >= 0:  # not a descent direction: forget the curvature pairs, go down the gradient
            pairs.clear()
            direction, slope = -g, -_dot(g, g)
        step = 1.0
        while True:
            x_new = x + step * direction
            f_new, g_new = fun(x_new)
            if f_new <= fx + 1e-4 * step * slope or step < 1e-12:
                break
            step *= 0.5
        s, y = x_new - x, g_new - g
        sy = _dot(s, y)
        if sy > 1e-12:
            pairs.append((s, y, 1.0 / sy))
            del pairs[:-memory]
        done = fx - f_new <= ftol * max(abs(fx), abs(f_new), 1.0)
        x, fx, g = x_new, f_new, g_new
        if done:
            break
    return x


def _matrix(texts: Sequence[str], index: dict[str, int], idf: Floats, config: TrainConfig,
            docs: Sequence[Counter[str]] | None = None) -> Any:
    """The texts' TF-IDF rows as a scipy CSR matrix (unit-length rows; a text with no known n-gram is all zero)."""
    from scipy.sparse import csr_matrix

    indptr, cols, values = [0], [], []
    for i, text in enumerate(texts):
        counts = docs[i] if docs is not None else ngrams(normalise(text), config.ngram_low, config.ngram_high)
        row = sorted((index[g], c) for g, c in counts.items() if g in index)
        weights = [(1.0 + math.log(c)) * float(idf[j]) for j, c in row]
        norm = math.sqrt(sum(w * w for w in weights)) or 1.0
        cols += [j for j, _ in row]
        values += [w / norm for w in weights]
        indptr.append(len(cols))
    return csr_matrix((np.array(values), np.array(cols, dtype=np.int64), np.array(indptr, dtype=np.int64)),
                      shape=(len(texts), len(index)))


def _softmax(z: Floats) -> Floats:
    e = np.exp(z - z.max())
    out: Floats = e / e.sum()
    return out


def _softmax_rows(z: Floats) -> Floats:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    out: Floats = e / e.sum(axis=1, keepdims=True)
    return out


def _b64(array: npt.NDArray[Any]) -> str:
    return base64.b64encode(np.ascontiguousarray(array).tobytes()).decode("ascii")


def _unb64(text: str, dtype: str, count: int) -> Floats:
    array = np.frombuffer(base64.b64decode(text), dtype=dtype)
    if array.shape != (count,):
        raise ValueError(f"expected {count} values, got {array.shape}")
    return array.astype(np.float64)
