"""Graph anomaly detection: gradient-boosted trees on node features plus their neighbourhood means.

GADBench (Tang et al., NeurIPS 2023) found that a tree ensemble fed ``[x, mean of 1-hop, mean of 2-hop]`` beats
GNNs built for the task. This is that detector (their XGBGraph), with its evaluation protocol: stratified random
40/20/40 train/validation/test splits, AUROC and AUPRC on the test part. It scores any node graph — the account
graph of the risk engine as well as the Reddit benchmark graph.

Pure: numpy, scipy and xgboost only. Metrics are our own (no scikit-learn): ``auroc`` is the Mann–Whitney
statistic with tied scores ranked on average, ``auprc`` is average precision as scikit-learn defines it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Self

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
import xgboost as xgb
from scipy.stats import rankdata

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

FRACTIONS = (0.4, 0.2, 0.4)  # GADBench's fully-supervised split: 40% train, 20% validation, 40% test
HOPS = 2


def mean_adjacency(src: npt.ArrayLike, dst: npt.ArrayLike, n_nodes: int, *, undirected: bool = True) -> sp.csr_matrix:
    """Row-normalised adjacency Ā: row v averages over v's neighbours (the u of every edge u→v).

    Self-loops are dropped (a node is not its own neighbour), a duplicated edge counts once, and an isolated
    node gets an all-zero row, so its neighbour means are 0 — what DGL's mean aggregator gives GADBench.
    ``undirected`` adds every edge's reverse, for edge lists that list an undirected edge once.
    """
    s = np.asarray(src, dtype=np.int64).ravel()
    d = np.asarray(dst, dtype=np.int64).ravel()
    if s.shape != d.shape:
        raise ValueError(f"src and dst differ in length: {s.size} and {d.size}")
    if s.size and (min(s.min(), d.min()) < 0 or max(s.max(), d.max()) >= n_nodes):
        raise ValueError(f"edge endpoints must lie in [0, {n_nodes})")
    keep = s != d
    s, d = s[keep], d[keep]
    if undirected:
        s, d = np.concatenate([s, d]), np.concatenate([d, s])
    adj = sp.csr_matrix((np.ones(s.size), (d, s)), shape=(n_nodes, n_nodes))
    adj.sum_duplicates()
    adj.data[:] = 1.0  # duplicates were summed above; an edge counts once however often it is listed
    degree = np.asarray(adj.sum(axis=1)).ravel()
    inverse = np.divide(1.0, degree, out=np.zeros_like(degree), where=degree > 0)
    return sp.csr_matrix(sp.diags(inverse) @ adj)


def neighbour_features(x: npt.ArrayLike, src: npt.ArrayLike, dst: npt.ArrayLike, *, hops: int = HOPS,
                       undirected: bool = True) -> FloatArray:
    """``[x, Ā x, Ā (Ā x)]`` for ``hops=2``: the node's own features, then the means over 1 and 2 hops.

    This is GADBench's ``GIN_noparam`` (models/gnn.py, used by XGBGraph and RFGraph): GINConv with
    ``init_eps=-1`` and the ``mean`` aggregator repeated ``num_layers=2`` times, each layer's output concatenated.
    With eps = -1 the self term (1 + eps)·h vanishes, so layer k is Ā applied to layer k-1 — the 2-hop block is
    the mean of the neighbours' 1-hop means, Ā(Āx), not a mean over the set of nodes two hops away.
    """
    features = np.asarray(x, dtype=np.float64)
    if features.ndim != 2:
        raise ValueError(f"x must be 2-D [nodes, features], got shape {features.shape}")
    adj = mean_adjacency(src, dst, features.shape[0], undirected=undirected)
    blocks = [features]
    for _ in range(hops):
        blocks.append(np.asarray(adj @ blocks[-1]))
    return np.hstack(blocks)


def stratified_split(y: npt.ArrayLike, seed: int, fractions: tuple[float, ...] = FRACTIONS) -> tuple[IntArray, ...]:
    """Node indices of each part (train, validation, test by default), sorted; same seed, same split.

    Each class is shuffled and cut in the given proportions on its own, so every part keeps the anomaly rate.
    """
    labels = np.asarray(y).ravel()
    if not math.isclose(sum(fractions), 1.0) or any(f < 0 for f in fractions):
        raise ValueError(f"fractions must be non-negative and sum to 1, got {fractions}")
    rng = np.random.default_rng(seed)
    parts: list[list[IntArray]] = [[] for _ in fractions]
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        cuts = np.round(np.cumsum(fractions)[:-1] * members.size).astype(np.int64)
        for part, chunk in zip(parts, np.split(members, cuts), strict=True):
            part.append(chunk)
    return tuple(np.sort(np.concatenate(part)).astype(np.int64) for part in parts)


def _binary(y: npt.ArrayLike, score: npt.ArrayLike) -> tuple[npt.NDArray[np.bool_], FloatArray]:
    labels = np.asarray(y).ravel()
    scores = np.asarray(score, dtype=np.float64).ravel()
    if labels.shape != scores.shape:
        raise ValueError(f"y and score differ in length: {labels.size} and {scores.size}")
    if not np.isin(labels, (0, 1)).all():
        raise ValueError("y must hold only 0 and 1")
    positive = labels == 1
    if positive.all() or not positive.any():
        raise ValueError("y needs both classes")
    return positive, scores


def auroc(y: npt.ArrayLike, score: npt.ArrayLike) -> float:
    """Area under the ROC curve: P(an anomaly outscores a normal node), a tie counting one half."""
    positive, scores = _binary(y, score)
    n_pos = int(positive.sum())
    n_neg = positive.size - n_pos
    ranks = rankdata(scores)  # ties get the average of the ranks they span
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def auprc(y: npt.ArrayLike, score: npt.ArrayLike) -> float:
    """Average precision: Σ (Rₖ − Rₖ₋₁)·Pₖ over the distinct score thresholds, highest first.

    The step-wise sum of scikit-learn's ``average_precision_score`` (no interpolation); tied scores form one
    threshold, so their order does not matter.
    """
    positive, scores = _binary(y, score)
    order = np.argsort(-scores, kind="mergesort")
    ranked, hits = scores[order], positive[order]
    last_of_tie = np.r_[np.flatnonzero(np.diff(ranked)), ranked.size - 1]
    true_pos = np.cumsum(hits)[last_of_tie]
    precision = true_pos / (last_of_tie + 1)
    recall = true_pos / true_pos[-1]
    return float(np.sum(np.diff(recall, prepend=0.0) * precision))


class GraphAnomalyDetector:
    """Gradient-boosted trees (xgboost) giving each node a probability of being anomalous.

    Settings follow GADBench's XGBGraph run with default hyperparameters: xgboost's defaults (learning rate
    0.3, depth 6, 100 rounds) and each anomaly weighted by normal/anomalous in the training labels.
    GADBench passes the validation part as ``eval_set`` with ``early_stopping_rounds=20`` commented out; we do
    turn it on, on the validation AUCPR, so the validation part picks the number of rounds. Without an
    evaluation set all ``n_estimators`` rounds are kept.
    """

    def __init__(self, *, seed: int = 0, n_estimators: int = 100, learning_rate: float = 0.3, max_depth: int = 6,
                 early_stopping_rounds: int | None = 20, n_jobs: int = 2) -> None:
        self.seed = seed
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.max_depth = max_depth
        self.early_stopping_rounds = early_stopping_rounds
        self.n_jobs = n_jobs
        self._booster: xgb.Booster | None = None
        self.rounds = 0

    def fit(self, features: npt.ArrayLike, y: npt.ArrayLike, *, eval_features: npt.ArrayLike | None = None,
            eval_y: npt.ArrayLike | None = None) -> Self:
        data = np.asarray(features, dtype=np.float32)
        labels = np.asarray(y).ravel().astype(np.float32)
        n_pos = int(labels.sum())
        if n_pos == 0 or n_pos == labels.size:
            raise ValueError("training labels need both classes")
        weight = np.where(labels == 1, (labels.size - n_pos) / n_pos, 1.0)
        train = xgb.DMatrix(data, label=labels, weight=weight, nthread=self.n_jobs)
        params: dict[str, Any] = {
            "objective": "binary:logistic", "eval_metric": "aucpr", "tree_method": "hist",
            "eta": self.learning_rate, "max_depth": self.max_depth, "nthread": self.n_jobs, "seed": self.seed,
        }
        evals: list[tuple[xgb.DMatrix, str]] = []
        stop = None
        if eval_features is not None and eval_y is not None:
            evals = [(xgb.DMatrix(np.asarray(eval_features, dtype=np.float32),
                                  label=np.asarray(eval_y).ravel().astype(np.float32), nthread=self.n_jobs), "val")]
            stop = self.early_stopping_rounds
        booster = xgb.train(params, train, num_boost_round=self.n_estimators, evals=evals,
                            early_stopping_rounds=stop, verbose_eval=False)
        self.rounds = booster.best_iteration + 1 if stop is not None else self.n_estimators
        self._booster = booster
        return self

    def score(self, features: npt.ArrayLike) -> FloatArray:
        if self._booster is None:
            raise RuntimeError("fit the detector before scoring")
        data = xgb.DMatrix(np.asarray(features, dtype=np.float32), nthread=self.n_jobs)
        return np.asarray(self._booster.predict(data, iteration_range=(0, self.rounds)), dtype=np.float64)


@dataclass
class VariantResult:
    """One feature set's test figures, one entry per split."""

    name: str
    auroc: list[float] = field(default_factory=list)
    auprc: list[float] = field(default_factory=list)
    rounds: list[int] = field(default_factory=list)
    seconds: float = 0.0  # fitting and scoring, all splits

    # Population standard deviation (np.std, ddof=0), as GADBench's benchmark.py reports it.
    @property
    def auroc_mean(self) -> float:
        return float(np.mean(self.auroc))

    @property
    def auroc_std(self) -> float:
        return float(np.std(self.auroc))

    @property
    def auprc_mean(self) -> float:
        return float(np.mean(self.auprc))

    @property
    def auprc_std(self) -> float:
        return float(np.std(self.auprc))

    def as_dict(self) -> dict[str, Any]:
        return {"auroc": self.auroc, "auprc": self.auprc, "rounds": self.rounds, "seconds": round(self.seconds, 3),
                "auroc_mean": self.auroc_mean, "auroc_std": self.auroc_std,
                "auprc_mean": self.auprc_mean, "auprc_std": self.auprc_std}


@dataclass
class Evaluation:
    seeds: list[int]
    n_nodes: int
    n_edges: int  # undirected, self-loops and duplicates left out
    n_anomalies: int
    variants: dict[str, VariantResult]
    wall_seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {"seeds": self.seeds, "nodes": self.n_nodes, "edges": self.n_edges, "anomalies": self.n_anomalies,
                "wall_seconds": round(self.wall_seconds, 3),
                "variants": {name: v.as_dict() for name, v in self.variants.items()}}


RAW = "raw [x]"
AGGREGATED = "graph [x, Āx, Ā²x]"


def evaluate(x: npt.ArrayLike, edge_index: npt.ArrayLike, y: npt.ArrayLike, *, seeds: Iterable[int] = range(10),
             fractions: tuple[float, float, float] = FRACTIONS, hops: int = HOPS,
             progress: Callable[[int], None] | None = None, **detector: Any) -> Evaluation:
    """Train on each seed's stratified split, score its test part; the raw-feature variant shares the split.

    ``progress`` is called with the seed after each split; ``detector`` options go to GraphAnomalyDetector.
    """
    started = time.perf_counter()
    edges = np.asarray(edge_index, dtype=np.int64)
    if edges.ndim != 2 or edges.shape[0] != 2:
        raise ValueError(f"edge_index must have shape [2, edges], got {edges.shape}")
    labels = np.asarray(y).ravel().astype(np.int64)
    raw = np.asarray(x, dtype=np.float64)
    if raw.ndim != 2 or raw.shape[0] != labels.size:
        raise ValueError(f"x must be [nodes, features] with one row per label; got {raw.shape} for {labels.size}")
    feature_sets = {RAW: raw, AGGREGATED: neighbour_features(raw, edges[0], edges[1], hops=hops)}
    adjacency = mean_adjacency(edges[0], edges[1], labels.size)
    results = {name: VariantResult(name) for name in feature_sets}
    seed_list = list(seeds)
    for seed in seed_list:
        train, val, test = stratified_split(labels, seed, fractions)
        for name, feats in feature_sets.items():
            t0 = time.perf_counter()
            model = GraphAnomalyDetector(seed=seed, **detector)
            model.fit(feats[train], labels[train], eval_features=feats[val], eval_y=labels[val])
            scores = model.score(feats[test])
            result = results[name]
            result.seconds += time.perf_counter() - t0
            result.auroc.append(auroc(labels[test], scores))
            result.auprc.append(auprc(labels[test], scores))
            result.rounds.append(model.rounds)
        if progress is not None:
            progress(seed)
    return Evaluation(seeds=seed_list, n_nodes=int(labels.size), n_edges=int(adjacency.nnz // 2),
                      n_anomalies=int(labels.sum()), variants=results, wall_seconds=time.perf_counter() - started)
