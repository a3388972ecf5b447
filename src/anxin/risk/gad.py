"""Graph anomaly detection: gradient-boosted trees on node features plus their neighbourhood means.

GADBench (Tang et al., NeurIPS 2023) found that a tree ensemble fed ``[x, mean of 1-hop, mean of 2-hop]`` beats
GNNs built for the task. This is that detector (their XGBGraph), with its evaluation protocol: stratified random
40/20/40 train/validation/test splits, AUROC and AUPRC on the test part. It scores any node graph — the account
graph of the risk engine as well as the Reddit benchmark graph.

On top of GADBench's default configuration, ``evaluate`` runs a **tuned** variant: degree columns (and optionally
the spread of the neighbours' features) next to the neighbour means, and the xgboost settings picked per split by a
random search scored on the validation part only (``search``: it is handed the training and validation labels and
nothing else). The best few candidates are refitted on training + validation with the rounds the search kept, and
their test scores averaged as ranks. The test part is scored once per split, by that ensemble.

A :class:`Graph` also carries edge weights (weighted neighbour means), unlabelled nodes (label −1: in the graph,
never in a split) and bipartite graphs (nodes with features on one side, feature-less entities such as devices on
the other; the means go node → entity → node).

Pure: numpy, scipy and xgboost only. Metrics are our own (no scikit-learn): ``auroc`` is the Mann–Whitney
statistic with tied scores ranked on average, ``auprc`` is average precision as scikit-learn defines it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
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
UNLABELLED = -1
TRAIN, VALIDATION, TEST = 0, 1, 2


# --- the graph ----------------------------------------------------------------------------------------------------

def _weights(weight: npt.ArrayLike | None, size: int) -> FloatArray | None:
    if weight is None:
        return None
    w = np.asarray(weight, dtype=np.float64).ravel()
    if w.size != size:
        raise ValueError(f"weight and the edges differ in length: {w.size} and {size}")
    if not np.isfinite(w).all() or (w < 0).any():
        raise ValueError("edge weights must be finite and non-negative")
    return w


def _edges(src: npt.ArrayLike, dst: npt.ArrayLike, n_src: int, n_dst: int) -> tuple[IntArray, IntArray]:
    s = np.asarray(src, dtype=np.int64).ravel()
    d = np.asarray(dst, dtype=np.int64).ravel()
    if s.shape != d.shape:
        raise ValueError(f"src and dst differ in length: {s.size} and {d.size}")
    if s.size and (s.min() < 0 or s.max() >= n_src or d.min() < 0 or d.max() >= n_dst):
        raise ValueError(f"edge endpoints must lie in [0, {n_src})" if n_src == n_dst
                         else f"edge endpoints must lie in [0, {n_src}) and [0, {n_dst})")
    return s, d


def _row_normalised(matrix: sp.csr_matrix) -> sp.csr_matrix:
    total = np.asarray(matrix.sum(axis=1)).ravel()
    inverse = np.divide(1.0, total, out=np.zeros_like(total), where=total > 0)
    return sp.csr_matrix(sp.diags(inverse) @ matrix)


def _link_matrix(rows: IntArray, cols: IntArray, w: FloatArray | None, shape: tuple[int, int]) -> sp.csr_matrix:
    """Summed weights per (row, col); unweighted, a pair counts once however often it is listed."""
    matrix = sp.csr_matrix((np.ones(rows.size) if w is None else w, (rows, cols)), shape=shape)
    matrix.sum_duplicates()
    if w is None:
        matrix.data[:] = 1.0
    matrix.eliminate_zeros()  # a zero-weight edge links nothing
    return matrix


def mean_adjacency(src: npt.ArrayLike, dst: npt.ArrayLike, n_nodes: int, *, undirected: bool = True,
                   weight: npt.ArrayLike | None = None) -> sp.csr_matrix:
    """Row-normalised adjacency Ā: row v averages over v's neighbours (the u of every edge u→v).

    Self-loops are dropped (a node is not its own neighbour) and an isolated node gets an all-zero row, so its
    neighbour means are 0 — what DGL's mean aggregator gives GADBench. Unweighted, a duplicated edge counts once;
    with ``weight``, row v is Σ w(u→v)·x_u / Σ w(u→v) and the weights of a duplicated edge add up. ``undirected``
    adds every edge's reverse (with its weight), for edge lists that list an undirected edge once.
    """
    s, d = _edges(src, dst, n_nodes, n_nodes)
    w = _weights(weight, s.size)
    keep = s != d
    s, d = s[keep], d[keep]
    w = None if w is None else w[keep]
    if undirected:
        s, d = np.concatenate([s, d]), np.concatenate([d, s])
        w = None if w is None else np.concatenate([w, w])
    return _row_normalised(_link_matrix(d, s, w, (n_nodes, n_nodes)))


@dataclass(frozen=True, eq=False)
class Graph:
    """Nodes with features, an edge list, and labels where known.

    ``y``: 1 anomalous, 0 normal, −1 unlabelled (the node is in the graph, its features feed its neighbours' means,
    but it is in no train/validation/test part). ``split``: optional fixed parts (0 train, 1 validation, 2 test,
    −1 none) instead of random stratified splits. ``n_entities``: a bipartite graph — ``dst`` then indexes
    feature-less entities ``0..n_entities-1`` (devices, addresses …) and ``src`` the nodes; the neighbour means go
    node → entity → node. ``undirected`` (one-mode graphs only) adds each edge's reverse.
    """

    x: FloatArray
    src: IntArray
    dst: IntArray
    y: IntArray
    weight: FloatArray | None = None
    split: IntArray | None = None
    n_entities: int | None = None
    undirected: bool = True

    @classmethod
    def build(cls, x: npt.ArrayLike, src: npt.ArrayLike, dst: npt.ArrayLike, y: npt.ArrayLike | None = None, *,
              weight: npt.ArrayLike | None = None, split: npt.ArrayLike | None = None,
              n_entities: int | None = None, undirected: bool = True) -> Graph:
        features = np.asarray(x, dtype=np.float64)
        if features.ndim != 2:
            raise ValueError(f"x must be 2-D [nodes, features], got shape {features.shape}")
        if not np.isfinite(features).all():
            raise ValueError("x must be finite (no NaN or infinity)")
        n = features.shape[0]
        labels = np.full(n, UNLABELLED, dtype=np.int64) if y is None else np.asarray(y).ravel().astype(np.int64)
        if labels.size != n:
            raise ValueError(f"x must be [nodes, features] with one row per label; got {features.shape} for "
                             f"{labels.size}")
        if not np.isin(labels, (UNLABELLED, 0, 1)).all():
            raise ValueError("labels must be 0, 1 or -1 (unlabelled)")
        s, d = _edges(src, dst, n, n if n_entities is None else n_entities)
        parts = None
        if split is not None:
            parts = np.asarray(split).ravel().astype(np.int64)
            if parts.size != n or not np.isin(parts, (UNLABELLED, TRAIN, VALIDATION, TEST)).all():
                raise ValueError("split must give each node 0 (train), 1 (validation), 2 (test) or -1 (none)")
            if ((parts != UNLABELLED) & (labels == UNLABELLED)).any():
                raise ValueError("an unlabelled node cannot be in a train/validation/test part")
        return cls(features, s, d, labels, _weights(weight, s.size), parts, n_entities, undirected)

    @property
    def n_nodes(self) -> int:
        return int(self.x.shape[0])

    @property
    def bipartite(self) -> bool:
        return self.n_entities is not None

    @property
    def labelled(self) -> IntArray:
        return np.flatnonzero(self.y != UNLABELLED).astype(np.int64)

    def parts(self, seed: int,
              fractions: tuple[float, float, float] = FRACTIONS) -> tuple[IntArray, IntArray, IntArray]:
        """Train, validation and test node indices: the fixed split if there is one, else a stratified draw
        over the labelled nodes."""
        if self.split is not None:
            train, val, test = (np.flatnonzero(self.split == p).astype(np.int64) for p in (TRAIN, VALIDATION, TEST))
        else:
            labelled = self.labelled
            train, val, test = (labelled[p] for p in stratified_split(self.y[labelled], seed, fractions))
        for name, part in (("train", train), ("validation", val), ("test", test)):
            classes = set(np.unique(self.y[part]).tolist())
            if classes != {0, 1}:
                raise ValueError(f"the {name} part needs both anomalous and normal nodes "
                                 f"({len(part)} nodes, {int(self.y[part].sum()) if len(part) else 0} anomalous)")
        return train, val, test

    def n_links(self) -> int:
        """Undirected edges without self-loops or duplicates (one-mode), or distinct node–entity pairs."""
        if self.bipartite:
            return int(_link_matrix(self.src, self.dst, None, (self.n_nodes, self.n_entities or 0)).nnz)
        adj = mean_adjacency(self.src, self.dst, self.n_nodes, undirected=self.undirected)
        return int(adj.nnz // 2) if self.undirected else int(adj.nnz)


# --- features -----------------------------------------------------------------------------------------------------

BASE = "base"  # [x, Āx, Ā²x]
DEGREE = "degree"  # + degree columns
SPREAD = "degree+spread"  # + degree columns + per-feature std and max over the neighbours
FEATURE_SETS = (BASE, DEGREE, SPREAD)


def _row_max(matrix: sp.csr_matrix, values: FloatArray) -> FloatArray:
    """Per row of ``matrix``, the column-wise max of ``values`` over the row's non-zero columns (0 if none)."""
    out = np.zeros((matrix.shape[0], values.shape[1]))
    lengths = np.diff(matrix.indptr)
    rows = lengths > 0
    if rows.any():
        out[rows] = np.maximum.reduceat(values[matrix.indices], matrix.indptr[:-1][rows], axis=0)
    return out


def graph_features(graph: Graph, feature_set: str = DEGREE, *, hops: int = HOPS) -> tuple[FloatArray, list[str]]:
    """The detector's input for ``graph``, and a name per column.

    ``base`` is GADBench's ``[x, Ā x, Ā(Ā x)]`` for ``hops=2``; ``degree`` adds the number of distinct neighbours
    and its log (with weights, also the log of the summed weight); ``degree+spread`` adds, per feature, the
    standard deviation and the maximum over the neighbours. In a bipartite graph the mean operator is
    ``Ā = P·Q`` (P: each node's mean over its entities, Q: each entity's mean over its nodes, the node itself
    included), the degree is the number of entities, plus the mean and max number of nodes per entity; the spread
    is taken over the entities' means.
    """
    if feature_set not in FEATURE_SETS:
        raise ValueError(f"feature_set must be one of {FEATURE_SETS}, got {feature_set!r}")
    x = graph.x
    names = [f"x{j}" for j in range(x.shape[1])]
    if graph.bipartite:
        links = _link_matrix(graph.src, graph.dst, graph.weight, (graph.n_nodes, graph.n_entities or 0))
        node_to_entity, entity_to_node = _row_normalised(links), _row_normalised(sp.csr_matrix(links.T))

        def mean(values: FloatArray) -> FloatArray:
            return np.asarray(node_to_entity @ (entity_to_node @ values))
    else:
        links = _link_matrix(*_directed(graph), (graph.n_nodes, graph.n_nodes))
        adjacency = _row_normalised(links)

        def mean(values: FloatArray) -> FloatArray:
            return np.asarray(adjacency @ values)

    blocks = [x]
    for hop in range(1, hops + 1):
        blocks.append(mean(blocks[-1]))
        names += [f"mean{hop}:x{j}" for j in range(x.shape[1])]
    if feature_set == BASE:
        return np.hstack(blocks), names
    degree = np.diff(links.indptr).astype(np.float64)
    blocks += [degree[:, None], np.log1p(degree)[:, None]]
    names += ["degree", "log_degree"]
    if graph.weight is not None:
        blocks.append(np.log1p(np.asarray(links.sum(axis=1)))[:, :1].reshape(-1, 1))
        names.append("log_strength")
    if graph.bipartite:
        entity_size = np.diff(sp.csr_matrix(links.T).indptr).astype(np.float64)[:, None]
        blocks += [np.asarray(node_to_entity @ entity_size), _row_max(links, entity_size)]
        names += ["entity_size_mean", "entity_size_max"]
    if feature_set == SPREAD:
        if graph.bipartite:
            over, spread_of = node_to_entity, np.asarray(entity_to_node @ x)
        else:
            over, spread_of = adjacency, x
        first = np.asarray(over @ spread_of)
        blocks += [np.sqrt(np.maximum(np.asarray(over @ (spread_of * spread_of)) - first * first, 0.0)),
                   _row_max(links, spread_of)]
        names += [f"std1:x{j}" for j in range(x.shape[1])] + [f"max1:x{j}" for j in range(x.shape[1])]
    return np.hstack(blocks), names


def _directed(graph: Graph) -> tuple[IntArray, IntArray, FloatArray | None]:
    """Rows (receivers) and columns (senders) of the one-mode adjacency, self-loops dropped, reverses added."""
    keep = graph.src != graph.dst
    s, d = graph.src[keep], graph.dst[keep]
    w = None if graph.weight is None else graph.weight[keep]
    if graph.undirected:
        s, d = np.concatenate([s, d]), np.concatenate([d, s])
        w = None if w is None else np.concatenate([w, w])
    return d, s, w


def neighbour_features(x: npt.ArrayLike, src: npt.ArrayLike, dst: npt.ArrayLike, *, hops: int = HOPS,
                       undirected: bool = True, weight: npt.ArrayLike | None = None) -> FloatArray:
    """``[x, Ā x, Ā (Ā x)]`` for ``hops=2``: the node's own features, then the means over 1 and 2 hops.

    This is GADBench's ``GIN_noparam`` (models/gnn.py, used by XGBGraph and RFGraph): GINConv with
    ``init_eps=-1`` and the ``mean`` aggregator repeated ``num_layers=2`` times, each layer's output concatenated.
    With eps = -1 the self term (1 + eps)·h vanishes, so layer k is Ā applied to layer k-1 — the 2-hop block is
    the mean of the neighbours' 1-hop means, Ā(Āx), not a mean over the set of nodes two hops away.
    """
    features = np.asarray(x, dtype=np.float64)
    if features.ndim != 2:
        raise ValueError(f"x must be 2-D [nodes, features], got shape {features.shape}")
    adj = mean_adjacency(src, dst, features.shape[0], undirected=undirected, weight=weight)
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


# --- metrics ------------------------------------------------------------------------------------------------------

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


# --- the detector -------------------------------------------------------------------------------------------------

POSITIVE_WEIGHTS = ("balanced", "sqrt", "none")


class GraphAnomalyDetector:
    """Gradient-boosted trees (xgboost) giving each node a probability of being anomalous.

    Defaults follow GADBench's XGBGraph run with default hyperparameters: xgboost's defaults (learning rate
    0.3, depth 6, 100 rounds) and each anomaly weighted by normal/anomalous in the training labels
    (``positive_weight="balanced"``; ``"sqrt"`` takes the square root of that ratio, ``"none"`` weights 1).
    GADBench passes the validation part as ``eval_set`` with ``early_stopping_rounds=20`` commented out; we do
    turn it on, on the validation ``eval_metric`` (AUCPR by default), so the validation part picks the number of
    rounds. Without an evaluation set all ``n_estimators`` rounds are kept.
    """

    def __init__(self, *, seed: int = 0, n_estimators: int = 100, learning_rate: float = 0.3, max_depth: int = 6,
                 early_stopping_rounds: int | None = 20, n_jobs: int = 1, min_child_weight: float = 1.0,
                 subsample: float = 1.0, colsample_bytree: float = 1.0, positive_weight: str = "balanced",
                 max_bin: int = 256, eval_metric: str = "aucpr") -> None:
        if positive_weight not in POSITIVE_WEIGHTS:
            raise ValueError(f"positive_weight must be one of {POSITIVE_WEIGHTS}, got {positive_weight!r}")
        self.seed = seed
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.max_depth = max_depth
        self.early_stopping_rounds = early_stopping_rounds
        self.n_jobs = n_jobs
        self.min_child_weight = min_child_weight
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.positive_weight = positive_weight
        self.max_bin = max_bin
        self.eval_metric = eval_metric
        self._booster: xgb.Booster | None = None
        self.rounds = 0

    def fit(self, features: npt.ArrayLike, y: npt.ArrayLike, *, eval_features: npt.ArrayLike | None = None,
            eval_y: npt.ArrayLike | None = None) -> Self:
        data = np.asarray(features, dtype=np.float32)
        labels = np.asarray(y).ravel().astype(np.float32)
        n_pos = int(labels.sum())
        if n_pos == 0 or n_pos == labels.size:
            raise ValueError("training labels need both classes")
        ratio = (labels.size - n_pos) / n_pos
        up = {"balanced": ratio, "sqrt": math.sqrt(ratio), "none": 1.0}[self.positive_weight]
        weight = np.where(labels == 1, up, 1.0)
        train = xgb.DMatrix(data, label=labels, weight=weight, nthread=self.n_jobs)
        params: dict[str, Any] = {
            "objective": "binary:logistic", "eval_metric": self.eval_metric, "tree_method": "hist",
            "eta": self.learning_rate, "max_depth": self.max_depth, "nthread": self.n_jobs, "seed": self.seed,
            "min_child_weight": self.min_child_weight, "subsample": self.subsample,
            "colsample_bytree": self.colsample_bytree, "max_bin": self.max_bin,
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


# --- hyper-parameters chosen on the validation part ------------------------------------------------------------------

@dataclass(frozen=True)
class Candidate:
    """One point of the search space: the feature set and the xgboost settings it is fitted with."""

    features: str = DEGREE
    learning_rate: float = 0.3
    max_depth: int = 6
    min_child_weight: float = 1.0
    subsample: float = 1.0
    colsample_bytree: float = 1.0
    positive_weight: str = "balanced"

    def detector(self, seed: int, *, n_jobs: int = 1) -> GraphAnomalyDetector:
        return GraphAnomalyDetector(
            seed=seed, n_estimators=SEARCH_ROUNDS, early_stopping_rounds=SEARCH_PATIENCE, n_jobs=n_jobs,
            learning_rate=self.learning_rate, max_depth=self.max_depth, min_child_weight=self.min_child_weight,
            subsample=self.subsample, colsample_bytree=self.colsample_bytree, positive_weight=self.positive_weight,
            max_bin=SEARCH_MAX_BIN, eval_metric="auc")


# The search space: every candidate is one value per key. The first candidate is always GADBench's default
# settings on the degree features; the others are drawn at random (without repeats) from the product.
SEARCH_SPACE: dict[str, tuple[Any, ...]] = {
    "features": (DEGREE, SPREAD),
    "learning_rate": (0.01, 0.02, 0.05, 0.1, 0.3),
    "max_depth": (2, 3, 4, 5, 6),
    "min_child_weight": (1.0, 3.0, 5.0, 10.0),
    "subsample": (0.6, 0.8, 1.0),
    "colsample_bytree": (0.3, 0.5, 0.8, 1.0),
    "positive_weight": POSITIVE_WEIGHTS,
}
SEARCH_ROUNDS = 2000  # at most; early stopping on the validation AUROC ends every candidate long before
SEARCH_PATIENCE = 50  # rounds without a better validation AUROC before a candidate stops
SEARCH_MAX_BIN = 64  # histogram bins: half the time of xgboost's 256 for the candidates
CANDIDATES = 32
ENSEMBLE = 10  # the best candidates by validation AUROC whose test scores are averaged (as ranks)


def candidates(seed: int, k: int = CANDIDATES, space: Mapping[str, Sequence[Any]] = SEARCH_SPACE) -> list[Candidate]:
    """``k`` distinct candidates: GADBench's default settings first, then random draws from ``space``."""
    if k < 1:
        raise ValueError("the search needs at least one candidate")
    rng = np.random.default_rng(seed)
    size = math.prod(len(v) for v in space.values())
    chosen = [Candidate()]
    seen = {chosen[0]}
    while len(chosen) < min(k, size + 1):
        pick = Candidate(**{key: values[int(rng.integers(len(values)))] for key, values in space.items()})
        if pick not in seen:
            seen.add(pick)
            chosen.append(pick)
    return chosen


@dataclass
class Trial:
    candidate: Candidate
    val_auroc: float
    val_auprc: float
    rounds: int

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self.candidate), "val_auroc": self.val_auroc, "val_auprc": self.val_auprc,
                "rounds": self.rounds}


@dataclass
class Selection:
    """The search's trials, best first by validation AUROC (then AUPRC), and the fitted models of the best."""

    trials: list[Trial]
    models: list[GraphAnomalyDetector]

    @property
    def best(self) -> Trial:
        return self.trials[0]

    def refit(self, features: Mapping[str, FloatArray], nodes: IntArray, y_nodes: npt.ArrayLike, *, seed: int,
              n_jobs: int = 1) -> Selection:
        """The same chosen candidates refitted on ``nodes`` (training and validation together), each for the number
        of rounds early stopping kept in the search; no evaluation set, so nothing more is chosen."""
        labels = np.asarray(y_nodes).ravel()
        models = []
        for trial in self.trials[:len(self.models)]:
            model = trial.candidate.detector(seed, n_jobs=n_jobs)
            model.n_estimators, model.early_stopping_rounds = max(trial.rounds, 1), None
            models.append(model.fit(features[trial.candidate.features][nodes], labels))
        return Selection(self.trials, models)

    def score(self, features: Mapping[str, FloatArray], nodes: IntArray) -> FloatArray:
        """The chosen models' scores of ``nodes``, averaged as ranks (one model: its probabilities)."""
        if len(self.models) == 1:
            return self.models[0].score(features[self.trials[0].candidate.features][nodes])
        ranks = [rankdata(model.score(features[trial.candidate.features][nodes]))
                 for trial, model in zip(self.trials, self.models, strict=False)]
        return np.asarray(np.mean(ranks, axis=0) / len(nodes), dtype=np.float64)


def search(features: Mapping[str, FloatArray], train: IntArray, y_train: npt.ArrayLike, val: IntArray,
           y_val: npt.ArrayLike, *, seed: int, k: int = CANDIDATES, ensemble: int = ENSEMBLE,
           n_jobs: int = 1, space: Mapping[str, Sequence[Any]] = SEARCH_SPACE) -> Selection:
    """Fit every candidate on the training nodes, stopping early on the validation AUROC; rank them by validation
    AUROC (ties by AUPRC) and keep the best ``ensemble`` models.

    Only the training and validation labels come in: whatever the test labels are, the choice is the same.
    ``features`` maps each feature set to the feature matrix of every node (features carry no labels).
    """
    ytr, yva = np.asarray(y_train).ravel(), np.asarray(y_val).ravel()
    if ytr.size != len(train) or yva.size != len(val):
        raise ValueError("y_train and y_val must give one label per training and validation node")
    fitted: list[tuple[Trial, GraphAnomalyDetector]] = []
    for candidate in candidates(seed, k, space):
        if candidate.features not in features:
            raise ValueError(f"no features computed for feature set {candidate.features!r}")
        feats = features[candidate.features]
        model = candidate.detector(seed, n_jobs=n_jobs).fit(feats[train], ytr, eval_features=feats[val], eval_y=yva)
        val_scores = model.score(feats[val])
        fitted.append((Trial(candidate, auroc(yva, val_scores), auprc(yva, val_scores), model.rounds), model))
    fitted.sort(key=lambda tm: (-tm[0].val_auroc, -tm[0].val_auprc))
    return Selection([t for t, _ in fitted], [m for _, m in fitted[:max(1, ensemble)]])


# --- evaluation ---------------------------------------------------------------------------------------------------

@dataclass
class VariantResult:
    """One variant's test figures, one entry per split."""

    name: str
    auroc: list[float] = field(default_factory=list)
    auprc: list[float] = field(default_factory=list)
    rounds: list[int] = field(default_factory=list)
    seconds: float = 0.0  # fitting (and searching) and scoring, all splits
    chosen: list[dict[str, Any]] = field(default_factory=list)  # tuned variant: per split, the best candidate

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
        out = {"auroc": self.auroc, "auprc": self.auprc, "rounds": self.rounds, "seconds": round(self.seconds, 3),
               "auroc_mean": self.auroc_mean, "auroc_std": self.auroc_std,
               "auprc_mean": self.auprc_mean, "auprc_std": self.auprc_std}
        if self.chosen:
            out["chosen"] = self.chosen
        return out


@dataclass
class Evaluation:
    seeds: list[int]
    n_nodes: int
    n_edges: int  # undirected, self-loops and duplicates left out (bipartite: distinct node–entity pairs)
    n_anomalies: int
    variants: dict[str, VariantResult]
    wall_seconds: float
    n_labelled: int = 0
    search: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"seeds": self.seeds, "nodes": self.n_nodes, "edges": self.n_edges, "anomalies": self.n_anomalies,
                "labelled": self.n_labelled, "wall_seconds": round(self.wall_seconds, 3), "search": self.search,
                "variants": {name: v.as_dict() for name, v in self.variants.items()}}


RAW = "raw [x]"
AGGREGATED = "graph [x, Āx, Ā²x]"
TUNED = "tuned [x, Āx, Ā²x, degree…] (validation search)"


def evaluate(x: npt.ArrayLike, edge_index: npt.ArrayLike, y: npt.ArrayLike, *, seeds: Iterable[int] = range(10),
             fractions: tuple[float, float, float] = FRACTIONS, hops: int = HOPS,
             progress: Callable[[int], None] | None = None, tuned: bool = False, candidates_per_split: int = CANDIDATES,
             ensemble: int = ENSEMBLE, refit: bool = True, **detector: Any) -> Evaluation:
    """``evaluate_graph`` on a one-mode graph given as arrays (GADBench's ``x``, ``edge_index``, ``y``)."""
    edges = np.asarray(edge_index, dtype=np.int64)
    if edges.ndim != 2 or edges.shape[0] != 2:
        raise ValueError(f"edge_index must have shape [2, edges], got {edges.shape}")
    graph = Graph.build(x, edges[0], edges[1], y)
    return evaluate_graph(graph, seeds=seeds, fractions=fractions, hops=hops, progress=progress, tuned=tuned,
                          candidates_per_split=candidates_per_split, ensemble=ensemble, refit=refit, **detector)


def evaluate_graph(graph: Graph, *, seeds: Iterable[int] = range(10),
                   fractions: tuple[float, float, float] = FRACTIONS, hops: int = HOPS,
                   progress: Callable[[int], None] | None = None, tuned: bool = True,
                   candidates_per_split: int = CANDIDATES, ensemble: int = ENSEMBLE, refit: bool = True,
                   n_jobs: int = 1, **detector: Any) -> Evaluation:
    """Per split: GADBench's default detector on ``[x]`` and on ``[x, Āx, Ā²x]``, and (``tuned``) the validation
    search's best ``ensemble`` candidates (``refit``: refitted on training + validation with the rounds the search
    kept); each variant is scored once on the split's test part.

    ``progress`` is called with the seed after each split; ``detector`` options go to the two default variants'
    GraphAnomalyDetector. A graph with a fixed split runs it once, whatever ``seeds`` says.
    """
    started = time.perf_counter()
    if graph.labelled.size == 0:
        raise ValueError("no labelled nodes to evaluate on")
    feature_sets = {RAW: graph.x, AGGREGATED: graph_features(graph, BASE, hops=hops)[0]}
    searched: dict[str, FloatArray] = {}
    if tuned:
        searched = {name: graph_features(graph, name, hops=hops)[0] for name in SEARCH_SPACE["features"]}
    results = {name: VariantResult(name) for name in [*feature_sets, *([TUNED] if tuned else [])]}
    seed_list = [0] if graph.split is not None else list(seeds)
    labels = graph.y
    for seed in seed_list:
        train, val, test = graph.parts(seed, fractions)
        for name, feats in feature_sets.items():
            t0 = time.perf_counter()
            model = GraphAnomalyDetector(seed=seed, n_jobs=n_jobs, **detector)
            model.fit(feats[train], labels[train], eval_features=feats[val], eval_y=labels[val])
            scores = model.score(feats[test])
            result = results[name]
            result.seconds += time.perf_counter() - t0
            result.auroc.append(auroc(labels[test], scores))
            result.auprc.append(auprc(labels[test], scores))
            result.rounds.append(model.rounds)
        if tuned:
            t0 = time.perf_counter()
            selection = search(searched, train, labels[train], val, labels[val], seed=seed,
                               k=candidates_per_split, ensemble=ensemble, n_jobs=n_jobs)
            if refit:
                both = np.concatenate([train, val])
                selection = selection.refit(searched, both, labels[both], seed=seed, n_jobs=n_jobs)
            scores = selection.score(searched, test)  # the one look at this split's test labels
            result = results[TUNED]
            result.seconds += time.perf_counter() - t0
            result.auroc.append(auroc(labels[test], scores))
            result.auprc.append(auprc(labels[test], scores))
            result.rounds.append(selection.best.rounds)
            result.chosen.append(selection.best.as_dict())
        if progress is not None:
            progress(seed)
    search_info = {"candidates": candidates_per_split, "ensemble": ensemble, "rounds": SEARCH_ROUNDS,
                   "patience": SEARCH_PATIENCE, "max_bin": SEARCH_MAX_BIN, "refit": refit,
                   "space": {k: list(v) for k, v in SEARCH_SPACE.items()}} if tuned else {}
    return Evaluation(seeds=seed_list, n_nodes=graph.n_nodes, n_edges=graph.n_links(),
                      n_anomalies=int((labels == 1).sum()), variants=results,
                      wall_seconds=time.perf_counter() - started, n_labelled=int(graph.labelled.size),
                      search=search_info)
