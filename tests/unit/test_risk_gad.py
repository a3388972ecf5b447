"""The GADBench tree-ensemble graph anomaly detector: features, splits, metrics, detector and `anxin risk eval`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from anxin.cli.risk import risk
from anxin.risk.gad import (
    AGGREGATED,
    RAW,
    GraphAnomalyDetector,
    auprc,
    auroc,
    evaluate,
    mean_adjacency,
    neighbour_features,
    stratified_split,
)

REDDIT = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "reddit-gad" / "reddit.npz"


# --- neighbour features ---------------------------------------------------------------------------------------

def test_features_on_a_hand_built_graph() -> None:
    # Undirected edges 0-1, 1-2 (listed three times, both ways), 0-3, a self-loop on 3; node 4 is isolated.
    src = [0, 1, 1, 2, 3, 0]
    dst = [1, 2, 2, 1, 3, 3]
    x = np.array([[1.0], [2.0], [4.0], [8.0], [16.0]])
    # Neighbours: 0 {1, 3}, 1 {0, 2}, 2 {1}, 3 {0} (its self-loop dropped), 4 {}.
    one_hop = [(2 + 8) / 2, (1 + 4) / 2, 2, 1, 0]
    two_hop = [(2.5 + 1) / 2, (5 + 2) / 2, 2.5, 5, 0]
    expected = np.column_stack([x[:, 0], one_hop, two_hop])
    np.testing.assert_array_equal(neighbour_features(x, src, dst), expected)


def test_features_keep_every_column_of_each_block() -> None:
    x = np.array([[1.0, 10.0], [3.0, 30.0], [5.0, 50.0]])
    feats = neighbour_features(x, [0, 0], [1, 2])  # a star around node 0
    assert feats.shape == (3, 6)
    np.testing.assert_array_equal(feats[:, :2], x)
    np.testing.assert_array_equal(feats[:, 2:4], [[4.0, 40.0], [1.0, 10.0], [1.0, 10.0]])
    np.testing.assert_array_equal(feats[:, 4:], [[1.0, 10.0], [4.0, 40.0], [4.0, 40.0]])


def test_directed_edges_carry_the_source_to_the_destination() -> None:
    adj = mean_adjacency([0], [1], 2, undirected=False).toarray()
    np.testing.assert_array_equal(adj, [[0.0, 0.0], [1.0, 0.0]])


def test_adjacency_rows_are_means_or_empty() -> None:
    rng = np.random.default_rng(3)
    src, dst = rng.integers(0, 50, 300), rng.integers(0, 50, 300)
    sums = np.asarray(mean_adjacency(src, dst, 60).sum(axis=1)).ravel()
    np.testing.assert_allclose(sums[sums > 0], 1.0)
    assert (sums[50:] == 0).all()  # nodes 50..59 have no edges


def test_bad_edges_are_refused() -> None:
    with pytest.raises(ValueError, match="lie in"):
        neighbour_features(np.zeros((3, 1)), [0], [3])
    with pytest.raises(ValueError, match="differ in length"):
        neighbour_features(np.zeros((3, 1)), [0, 1], [2])


# --- splits ---------------------------------------------------------------------------------------------------

def test_split_keeps_the_anomaly_rate_in_every_part() -> None:
    y = np.array([1] * 30 + [0] * 70)
    train, val, test = stratified_split(y, seed=0)
    assert [len(p) for p in (train, val, test)] == [40, 20, 40]
    assert [int(y[p].sum()) for p in (train, val, test)] == [12, 6, 12]
    everything = np.concatenate([train, val, test])
    assert sorted(everything) == list(range(100))  # disjoint and complete


def test_split_of_reddit_sized_labels() -> None:
    y = np.array([1] * 366 + [0] * 10_618)
    train, val, test = stratified_split(y, seed=7)
    assert [int(y[p].sum()) for p in (train, val, test)] == [146, 74, 146]  # cuts at round(0.4·366), round(0.6·366)
    assert len(train) + len(val) + len(test) == y.size


def test_split_is_deterministic_per_seed() -> None:
    y = np.array([0, 1] * 50)
    for a, b in zip(stratified_split(y, seed=4), stratified_split(y, seed=4), strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(stratified_split(y, seed=4)[0], stratified_split(y, seed=5)[0])


def test_split_takes_other_fractions_and_refuses_bad_ones() -> None:
    y = np.array([1] * 10 + [0] * 10)
    train, test = stratified_split(y, seed=0, fractions=(0.5, 0.5))
    assert int(y[train].sum()) == 5 and len(test) == 10
    with pytest.raises(ValueError, match="sum to 1"):
        stratified_split(y, seed=0, fractions=(0.5, 0.4))


# --- metrics --------------------------------------------------------------------------------------------------

def test_auroc_hand_cases() -> None:
    assert auroc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75
    assert auroc([0, 1], [0.5, 0.5]) == 0.5  # a tie counts one half
    assert auroc([0, 0, 1, 1], [0.1, 0.5, 0.5, 0.9]) == 0.875
    assert auroc([0, 1, 1], [0.0, 1.0, 2.0]) == 1.0
    assert auroc([1, 1, 0], [0.0, 1.0, 2.0]) == 0.0


def test_auprc_hand_cases() -> None:
    # Ranked 0.8 (hit), 0.4, 0.35 (hit), 0.1: precision 1 at recall ½, then 2/3 at recall 1.
    assert auprc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.5 * 1 + 0.5 * 2 / 3)
    # The tie at 0.5 is one threshold (tp 2, fp 1) whichever way round its members are listed.
    assert auprc([1, 0, 1, 0], [0.9, 0.5, 0.5, 0.1]) == pytest.approx(0.5 + 0.5 * 2 / 3)
    assert auprc([1, 1, 0, 0], [0.9, 0.5, 0.5, 0.1]) == pytest.approx(0.5 + 0.5 * 2 / 3)
    assert auprc([0, 1, 1], [0.0, 1.0, 2.0]) == 1.0
    assert auprc([1, 0, 0, 0], [0.0, 1.0, 2.0, 3.0]) == pytest.approx(0.25)  # found last: precision 1/4
    assert auprc([0, 1], [0.5, 0.5]) == 0.5


def test_auroc_matches_counting_pairs() -> None:
    rng = np.random.default_rng(11)
    for _ in range(20):
        y = rng.integers(0, 2, 40)
        y[:2] = [0, 1]
        s = rng.integers(0, 6, 40).astype(float)  # many ties
        pos, neg = s[y == 1], s[y == 0]
        pairs = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
        assert auroc(y, s) == pytest.approx(pairs / (pos.size * neg.size))


def test_metrics_agree_with_sklearn_when_it_is_installed() -> None:
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(5)
    for _ in range(20):
        y = rng.integers(0, 2, 60)
        y[:2] = [0, 1]
        s = np.round(rng.random(60), 1)
        assert auroc(y, s) == pytest.approx(metrics.roc_auc_score(y, s))
        assert auprc(y, s) == pytest.approx(metrics.average_precision_score(y, s))


def test_metrics_need_both_classes() -> None:
    for metric in (auroc, auprc):
        with pytest.raises(ValueError, match="both classes"):
            metric([1, 1], [0.2, 0.3])
        with pytest.raises(ValueError, match="only 0 and 1"):
            metric([0, 2], [0.2, 0.3])


# --- detector on a graph where anomalies cluster -----------------------------------------------------------------

def clustered_graph(seed: int = 0, n: int = 1500, rate: float = 0.08, degree: int = 10,
                    homophily: float = 0.9) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Anomalies link mostly to anomalies; each node's own features carry only a faint shift."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < rate).astype(np.int8)
    groups = {label: np.flatnonzero(y == label) for label in (0, 1)}
    src = np.repeat(np.arange(n), degree)
    same = rng.random(src.size) < homophily
    dst = np.empty_like(src)
    for i, (node, stay) in enumerate(zip(src, same, strict=True)):
        pool = groups[int(y[node]) if stay else 1 - int(y[node])]
        dst[i] = pool[rng.integers(pool.size)]
    x = rng.normal(size=(n, 6)) + 0.3 * y[:, None]
    return x, np.vstack([src, dst]), y


def test_neighbour_means_help_when_anomalies_cluster() -> None:
    x, edges, y = clustered_graph()
    result = evaluate(x, edges, y, seeds=range(2))
    raw, graph = result.variants[RAW], result.variants[AGGREGATED]
    assert graph.auroc_mean > 0.95
    assert graph.auroc_mean > raw.auroc_mean + 0.1
    assert graph.auprc_mean > raw.auprc_mean + 0.2
    assert result.n_nodes == 1500 and result.n_anomalies == int(y.sum()) and len(graph.auroc) == 2


def test_evaluate_reports_progress_and_serialises() -> None:
    x, edges, y = clustered_graph(n=400)
    seen: list[int] = []
    result = evaluate(x, edges, y, seeds=[3, 4], progress=seen.append, n_estimators=10)
    assert seen == [3, 4]
    doc = json.loads(json.dumps(result.as_dict()))
    assert set(doc["variants"]) == {RAW, AGGREGATED}
    assert all(1 <= r <= 10 for r in doc["variants"][RAW]["rounds"])


def test_detector_is_deterministic_and_scores_probabilities() -> None:
    x, edges, y = clustered_graph(n=400)
    feats = neighbour_features(x, edges[0], edges[1])
    a = GraphAnomalyDetector(seed=1, n_estimators=20).fit(feats, y).score(feats)
    b = GraphAnomalyDetector(seed=1, n_estimators=20).fit(feats, y).score(feats)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (400,) and ((a >= 0) & (a <= 1)).all()


def test_detector_refuses_misuse() -> None:
    with pytest.raises(RuntimeError, match="fit"):
        GraphAnomalyDetector().score(np.zeros((2, 1)))
    with pytest.raises(ValueError, match="both classes"):
        GraphAnomalyDetector().fit(np.zeros((3, 1)), [0, 0, 0])


# --- `anxin risk eval` ----------------------------------------------------------------------------------------

def test_cli_eval_runs_and_writes_json(tmp_path: Path) -> None:
    x, edges, y = clustered_graph(n=400)
    data = tmp_path / "graph.npz"
    np.savez(data, x=x.astype(np.float32), edge_index=edges, y=y)
    out = tmp_path / "out.json"
    result = CliRunner().invoke(risk, ["eval", "--data", str(data), "--seeds", "2", "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "AUROC" in result.output and "not retrieved" in result.output and "graph [x" in result.output
    assert len(json.loads(out.read_text())["variants"][AGGREGATED]["auroc"]) == 2


def test_cli_eval_names_a_missing_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(risk, ["eval", "--data", str(tmp_path / "nope.npz")])
    assert result.exit_code == 2
    assert "no file at" in result.output and "--data" in result.output


@pytest.mark.parametrize(("arrays", "message"), [
    (None, "not a readable .npz"),
    ({"x": np.zeros((3, 2)), "y": np.array([0, 1, 0])}, "missing array(s) edge_index"),
    ({"x": np.zeros((3, 2)), "edge_index": np.array([[0], [5]]), "y": np.array([0, 1, 0])}, "outside 0..2"),
    ({"x": np.zeros((3, 2)), "edge_index": np.array([[0], [1]]), "y": np.array([0, 0, 0])}, "both classes"),
    ({"x": np.zeros((3, 2)), "edge_index": np.array([[0], [1]]), "y": np.array([0, 1])}, "x must be"),
])
def test_cli_eval_explains_a_malformed_file(tmp_path: Path, arrays: dict[str, np.ndarray] | None,
                                            message: str) -> None:
    data = tmp_path / "bad.npz"
    if arrays is None:
        data.write_bytes(b"this is not a zip archive")
    else:
        np.savez(data, **arrays)
    result = CliRunner().invoke(risk, ["eval", "--data", str(data)])
    assert result.exit_code == 1
    assert message in result.output


# --- the real graph ---------------------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.skipif(not REDDIT.is_file(), reason="../shared/data/reddit-gad/reddit.npz is not here")
def test_one_split_of_reddit() -> None:
    with np.load(REDDIT) as data:
        x, edges, y = data["x"], data["edge_index"], data["y"]
    result = evaluate(x, edges, y, seeds=[0])
    assert result.n_nodes == 10_984 and result.n_edges == 78_516 and result.n_anomalies == 366
    for variant in result.variants.values():
        assert 0.5 < variant.auroc[0] < 0.9  # a hard graph: 10 splits average about 0.63-0.65
        assert variant.auprc[0] > 366 / 10_984  # better than the anomaly rate a random ranking would give
