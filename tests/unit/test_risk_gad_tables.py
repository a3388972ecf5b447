"""The detector fed by plain tables: node table + edge list (CSV, Parquet), weights, bipartite graphs, unlabelled
nodes, fixed splits, the errors; the validation-only search; `anxin risk eval --nodes … --edges …` end to end."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from anxin.cli.risk import risk
from anxin.risk.gad import (
    DEGREE,
    SPREAD,
    TUNED,
    UNLABELLED,
    Graph,
    candidates,
    graph_features,
    mean_adjacency,
    search,
)
from anxin.risk.gad_tables import GraphTableError, TableSpec, load_tables


def write_csv(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def small_tables(tmp_path: Path) -> tuple[Path, Path]:
    nodes = write_csv(tmp_path / "nodes.csv", "id,label,f1,f2",
                      ["a,0,1.0,10", "b,1,2.0,20", "c,,4.0,40", "d,0,8.0,80"])
    edges = write_csv(tmp_path / "edges.csv", "src,dst,weight", ["a,b,1", "b,c,3", "c,d,1"])
    return nodes, edges


# --- the loader -------------------------------------------------------------------------------------------------

def test_csv_tables_load_with_unlabelled_nodes(tmp_path: Path) -> None:
    nodes, edges = small_tables(tmp_path)
    loaded = load_tables(nodes, edges)
    graph = loaded.graph
    assert loaded.ids == ["a", "b", "c", "d"] and loaded.feature_names == ["f1", "f2"]
    np.testing.assert_array_equal(graph.x, [[1, 10], [2, 20], [4, 40], [8, 80]])
    np.testing.assert_array_equal(graph.y, [0, 1, UNLABELLED, 0])
    np.testing.assert_array_equal(graph.labelled, [0, 1, 3])
    np.testing.assert_array_equal(graph.src, [0, 1, 2])
    np.testing.assert_array_equal(graph.dst, [1, 2, 3])
    assert graph.weight is None  # no --weight-col: the weight column is ignored
    assert not graph.bipartite and graph.n_links() == 3


def test_parquet_tables_give_the_same_graph_and_ids_match_as_text(tmp_path: Path) -> None:
    # Integer ids in Parquet, text in CSV: 7 matches "7".
    pq.write_table(pa.table({"id": [7, 8, 9], "label": [0, 1, 0], "f": [0.5, 1.5, 2.5]}), tmp_path / "n.parquet")
    write_csv(tmp_path / "e.csv", "src,dst", ["7,8", "8,9"])
    pq.write_table(pa.table({"src": ["7", "8"], "dst": ["8", "9"]}), tmp_path / "e.parquet")
    from_csv = load_tables(tmp_path / "n.parquet", tmp_path / "e.csv").graph
    from_parquet = load_tables(tmp_path / "n.parquet", tmp_path / "e.parquet").graph
    for graph in (from_csv, from_parquet):
        np.testing.assert_array_equal(graph.src, [0, 1])
        np.testing.assert_array_equal(graph.dst, [1, 2])
        np.testing.assert_array_equal(graph.x, [[0.5], [1.5], [2.5]])


def test_weights_make_weighted_neighbour_means(tmp_path: Path) -> None:
    nodes, edges = small_tables(tmp_path)
    graph = load_tables(nodes, edges, TableSpec(weight="weight")).graph
    np.testing.assert_array_equal(graph.weight, [1, 3, 1])
    feats, names = graph_features(graph, DEGREE)
    one_hop = feats[:, names.index("mean1:x0")]
    # b's neighbours: a (weight 1, f1 = 1) and c (weight 3, f1 = 4): (1·1 + 3·4) / 4.
    assert one_hop[1] == pytest.approx((1 * 1 + 3 * 4) / 4)
    # c's neighbours: b (3, f1 = 2) and d (1, f1 = 8).
    assert one_hop[2] == pytest.approx((3 * 2 + 1 * 8) / 4)
    assert feats[1, names.index("degree")] == 2
    assert feats[1, names.index("log_strength")] == pytest.approx(np.log1p(4))


def test_duplicate_weighted_edges_add_up_and_unweighted_count_once() -> None:
    weighted = mean_adjacency([0, 0, 0], [1, 1, 2], 3, weight=[1, 1, 1]).toarray()
    np.testing.assert_allclose(weighted[0], [0, 2 / 3, 1 / 3])
    unweighted = mean_adjacency([0, 0, 0], [1, 1, 2], 3).toarray()
    np.testing.assert_allclose(unweighted[0], [0, 1 / 2, 1 / 2])


def test_bipartite_accounts_and_devices(tmp_path: Path) -> None:
    # Accounts a, b share device D1; c is alone on D2 and also on D1; d uses D3 alone.
    nodes = write_csv(tmp_path / "accounts.csv", "id,label,f", ["a,0,1", "b,1,3", "c,0,5", "d,1,7"])
    edges = write_csv(tmp_path / "uses.csv", "account,device", ["a,D1", "b,D1", "c,D1", "c,D2", "d,D3"])
    loaded = load_tables(nodes, edges, TableSpec(src="account", dst="device", bipartite=True))
    graph = loaded.graph
    assert graph.bipartite and graph.n_entities == 3 and loaded.entities == ["D1", "D2", "D3"]
    feats, names = graph_features(graph, DEGREE)
    one_hop = feats[:, names.index("mean1:x0")]
    d1 = (1 + 3 + 5) / 3  # D1's mean over its accounts
    np.testing.assert_allclose(one_hop, [d1, d1, (d1 + 5) / 2, 7])
    np.testing.assert_array_equal(feats[:, names.index("degree")], [1, 1, 2, 1])
    np.testing.assert_array_equal(feats[:, names.index("entity_size_max")], [3, 3, 3, 1])
    np.testing.assert_allclose(feats[:, names.index("entity_size_mean")], [3, 3, 2, 1])
    spread, spread_names = graph_features(graph, SPREAD)
    np.testing.assert_allclose(spread[:, spread_names.index("max1:x0")], [d1, d1, 5, 7])


def test_a_fixed_split_column(tmp_path: Path) -> None:
    nodes = write_csv(tmp_path / "n.csv", "id,label,split,f",
                      ["a,0,train,1", "b,1,val,2", "c,,,3", "d,0,test,4", "e,1,TEST,5"])
    edges = write_csv(tmp_path / "e.csv", "src,dst", ["a,b"])
    graph = load_tables(nodes, edges, TableSpec(split="split")).graph
    np.testing.assert_array_equal(graph.split, [0, 1, UNLABELLED, 2, 2])


@pytest.mark.parametrize(("nodes", "edges", "spec", "code", "words"), [
    ("id,f\na,1\nb,2\n", "src,dst\na,b\n", TableSpec(), "gad.missing_column", "no label column 'label'"),
    ("node,label,f\na,0,1\n", "src,dst\na,a\n", TableSpec(), "gad.missing_column", "no id column 'id'"),
    ("id,label,f\na,0,1\nb,1,2\n", "from,to\na,b\n", TableSpec(), "gad.missing_column", "no source column 'src'"),
    ("id,label,f\na,0,1\nb,1,2\n", "src,dst\na,b\n", TableSpec(weight="w"), "gad.missing_column",
     "no weight column 'w'"),
    ("id,label,f\na,0,1\nb,1,2\n", "src,dst\na,b\nb,zz\n", TableSpec(), "gad.unknown_node", "'zz' on row 2"),
    ("id,label,f\na,0,1\nb,1,2\n", "src,dst\nq,b\n", TableSpec(bipartite=True), "gad.unknown_node", "'q'"),
    ("id,label,f\na,0,1\nb,1,high\n", "src,dst\na,b\n", TableSpec(), "gad.non_numeric_feature",
     "column 'f' is not numeric"),
    ("id,label,f\na,0,1\nb,1,\n", "src,dst\na,b\n", TableSpec(), "gad.missing_feature", "'f' has 1 empty"),
    ("id,label,f\na,0,1\nb,2,2\n", "src,dst\na,b\n", TableSpec(), "gad.bad_label", "found 2"),
    ("id,label,f\na,0,1\na,1,2\n", "src,dst\na,a\n", TableSpec(), "gad.duplicate_id", "rows 1 and 2"),
    ("id,label,f\na,0,1\nb,1,2\n", "src,dst,w\na,b,-1\n", TableSpec(weight="w"), "gad.bad_weight", "non-negative"),
    ("id,label,f\na,0,1\nb,1,2\n", "src,dst,w\na,b,x\n", TableSpec(weight="w"), "gad.bad_weight", "not numeric"),
    ("id,label,s,f\na,0,train,1\nb,1,later,2\n", "src,dst\na,b\n", TableSpec(split="s"), "gad.bad_split",
     "'later'"),
    ("id,label\na,0\nb,1\n", "src,dst\na,b\n", TableSpec(), "gad.no_features", "no feature columns"),
])
def test_each_bad_table_has_its_code(tmp_path: Path, nodes: str, edges: str, spec: TableSpec, code: str,
                                     words: str) -> None:
    (tmp_path / "n.csv").write_text(nodes)
    (tmp_path / "e.csv").write_text(edges)
    with pytest.raises(GraphTableError) as caught:
        load_tables(tmp_path / "n.csv", tmp_path / "e.csv", spec)
    assert caught.value.code == code
    assert words in caught.value.message


def test_unknown_formats_and_missing_files(tmp_path: Path) -> None:
    nodes, edges = small_tables(tmp_path)
    (tmp_path / "n.xlsx").write_bytes(b"")
    with pytest.raises(GraphTableError, match=r"gad\.unknown_format"):
        load_tables(tmp_path / "n.xlsx", edges)
    with pytest.raises(GraphTableError, match=r"gad\.no_file"):
        load_tables(nodes, tmp_path / "none.csv")
    (tmp_path / "broken.parquet").write_bytes(b"not parquet")
    with pytest.raises(GraphTableError, match=r"gad\.unreadable"):
        load_tables(tmp_path / "broken.parquet", edges)


# --- the validation-only search ---------------------------------------------------------------------------------

def planted(seed: int = 0, n: int = 600) -> Graph:
    """Anomalies link mostly to anomalies and have a slightly higher degree."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.1).astype(np.int64)
    anomalies, normals = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    src, dst = [], []
    for node in range(n):
        for _ in range(8 if y[node] else 5):
            pool = (anomalies if rng.random() < 0.7 else normals) if y[node] else normals
            src.append(node)
            dst.append(int(pool[rng.integers(pool.size)]))
    x = rng.normal(size=(n, 4)) + 0.2 * y[:, None]
    return Graph.build(x, src, dst, y)


def test_candidates_start_with_gadbench_defaults_and_do_not_repeat() -> None:
    picks = candidates(seed=3, k=20)
    assert picks[0].learning_rate == 0.3 and picks[0].max_depth == 6 and picks[0].positive_weight == "balanced"
    assert len(set(picks)) == 20
    assert picks == candidates(seed=3, k=20)


def test_the_search_never_reads_test_labels() -> None:
    graph = planted()
    feats = {name: graph_features(graph, name)[0] for name in (DEGREE, SPREAD)}
    train, val, test = graph.parts(seed=0)
    first = search(feats, train, graph.y[train], val, graph.y[val], seed=0, k=6, ensemble=2)
    # Shuffle the test labels (and scramble the labels of every node outside train and validation): same choice.
    scrambled = graph.y.copy()
    scrambled[test] = np.random.default_rng(9).permutation(scrambled[test])
    second = search(feats, train, scrambled[train], val, scrambled[val], seed=0, k=6, ensemble=2)
    assert [t.as_dict() for t in first.trials] == [t.as_dict() for t in second.trials]
    np.testing.assert_array_equal(first.score(feats, test), second.score(feats, test))
    # The search's signature takes training and validation labels only, one per node of each part.
    with pytest.raises(ValueError, match="one label per"):
        search(feats, train, graph.y, val, graph.y[val], seed=0, k=1)


def test_the_search_ranks_by_validation_auroc() -> None:
    graph = planted()
    feats = {name: graph_features(graph, name)[0] for name in (DEGREE, SPREAD)}
    train, val, _ = graph.parts(seed=1)
    selection = search(feats, train, graph.y[train], val, graph.y[val], seed=1, k=5, ensemble=3)
    scores = [t.val_auroc for t in selection.trials]
    assert scores == sorted(scores, reverse=True) and len(selection.models) == 3
    assert selection.best.val_auroc > 0.7


# --- `anxin risk eval` on tables ----------------------------------------------------------------------------------

def export(graph: Graph, tmp_path: Path, *, unlabelled: int = 0) -> tuple[Path, Path]:
    ids = [f"u{i}" for i in range(graph.n_nodes)]
    labels: list[int | None] = [int(v) for v in graph.y]
    for i in range(unlabelled):
        labels[i] = None
    pq.write_table(pa.table({"id": ids, "label": pa.array(labels, pa.int8()),
                             **{f"f{j}": graph.x[:, j] for j in range(graph.x.shape[1])}}),
                   tmp_path / "nodes.parquet")
    edge_rows = [f"{ids[s]},{ids[d]},{1 + (s + d) % 3}" for s, d in zip(graph.src, graph.dst, strict=True)]
    return tmp_path / "nodes.parquet", write_csv(tmp_path / "edges.csv", "src,dst,weight", edge_rows)


def test_cli_eval_on_tables_end_to_end(tmp_path: Path) -> None:
    nodes, edges = export(planted(n=400), tmp_path, unlabelled=40)
    out = tmp_path / "out.json"
    result = CliRunner().invoke(risk, ["eval", "--nodes", str(nodes), "--edges", str(edges), "--weight-col",
                                       "weight", "--seeds", "2", "--candidates", "3", "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "(40 unlabelled)" in result.output and "tuned" in result.output
    doc = json.loads(out.read_text())
    assert doc["labelled"] == 360 and doc["nodes"] == 400
    tuned = doc["variants"][TUNED]
    assert len(tuned["auroc"]) == 2 and len(tuned["chosen"]) == 2 and tuned["auroc_mean"] > 0.7
    assert doc["search"]["candidates"] == 3


def test_cli_eval_on_a_bipartite_table(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    n = 300
    y = (rng.random(n) < 0.15).astype(int)
    # Anomalous accounts crowd onto a few shared devices; normal accounts have devices of their own.
    rows = [f"a{i},{'shared' + str(rng.integers(5)) if y[i] else 'own' + str(i)}" for i in range(n)]
    nodes = write_csv(tmp_path / "accounts.csv", "id,label,f",
                      [f"a{i},{y[i]},{rng.normal() + 0.1 * y[i]:.4f}" for i in range(n)])
    edges = write_csv(tmp_path / "uses.csv", "account,device", rows)
    result = CliRunner().invoke(risk, ["eval", "--nodes", str(nodes), "--edges", str(edges), "--src-col",
                                       "account", "--dst-col", "device", "--bipartite", "--seeds", "1",
                                       "--candidates", "2"])
    assert result.exit_code == 0, result.output
    assert "node–entity links" in result.output


@pytest.mark.parametrize(("edge_rows", "extra", "words"), [
    (["u0,nobody,1"], [], "[gad.unknown_node]"),
    (["u0,u1,1"], ["--weight-col", "heft"], "[gad.missing_column]"),
])
def test_cli_eval_stops_on_bad_tables(tmp_path: Path, edge_rows: list[str], extra: list[str], words: str) -> None:
    nodes, _ = export(planted(n=50), tmp_path)
    edges = write_csv(tmp_path / "bad_edges.csv", "src,dst,weight", edge_rows)
    result = CliRunner().invoke(risk, ["eval", "--nodes", str(nodes), "--edges", str(edges), *extra])
    assert result.exit_code == 1
    assert words in result.output and "bad_edges.csv" in result.output


def test_cli_eval_non_numeric_feature_and_missing_edges_option(tmp_path: Path) -> None:
    nodes = write_csv(tmp_path / "n.csv", "id,label,f", ["a,0,1", "b,1,tall"])
    edges = write_csv(tmp_path / "e.csv", "src,dst", ["a,b"])
    result = CliRunner().invoke(risk, ["eval", "--nodes", str(nodes), "--edges", str(edges)])
    assert result.exit_code == 1 and "[gad.non_numeric_feature]" in result.output
    result = CliRunner().invoke(risk, ["eval", "--nodes", str(nodes)])
    assert result.exit_code == 2 and "--nodes needs --edges" in result.output


# --- the quality producer renders its blocks from the result alone ------------------------------------------------

def test_gad_quality_renders_every_block_from_a_result() -> None:
    from bench.gad_quality import TARGET_AUROC, quality_render

    from anxin.risk.gad import evaluate_graph

    result = evaluate_graph(planted(n=300), seeds=range(2), candidates_per_split=2, ensemble=2)
    doc = result.as_dict()
    stamped = {"command": "anxin risk eval …", "seeds": doc["seeds"], "commit": "abc1234", "dirty": False,
               "generated": "2026-01-01T00:00:00+00:00", "machine": {"cpus": 2, "loadavg": [1.0, 1.0, 1.0]},
               "versions": {"xgboost": "x", "numpy": "y"},
               "figures": {"target_auroc": TARGET_AUROC, "wall_seconds": doc["wall_seconds"],
                           "search": doc["search"], "variants": doc["variants"]}}
    blocks = quality_render(stamped)
    assert set(blocks) == {"summary", "splits", "search"}
    assert "Target AUROC ≥ 0.72" in blocks["summary"] and "abc1234" in blocks["summary"]
    assert blocks["splits"].count("\n") == 1 + 2 * 3  # header, rule, AUROC and AUPRC rows for 3 variants
    assert "| 0 |" in blocks["search"] and "| 1 |" in blocks["search"]


def test_cli_eval_with_a_fixed_split_runs_once(tmp_path: Path) -> None:
    graph = planted(n=300)
    parts = np.array(["train", "val", "test", "test", "train"] * 60, dtype=object)
    parts[:10] = ""  # ten labelled nodes in no part
    pq.write_table(pa.table({"id": [f"n{i}" for i in range(300)], "label": graph.y, "part": parts.tolist(),
                             "f0": graph.x[:, 0], "f1": graph.x[:, 1]}), tmp_path / "n.parquet")
    pq.write_table(pa.table({"src": [f"n{i}" for i in graph.src], "dst": [f"n{i}" for i in graph.dst]}),
                   tmp_path / "e.parquet")
    out = tmp_path / "o.json"
    result = CliRunner().invoke(risk, ["eval", "--nodes", str(tmp_path / "n.parquet"), "--edges",
                                       str(tmp_path / "e.parquet"), "--split-col", "part", "--seeds", "5",
                                       "--candidates", "2", "--json", str(out)])
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    assert doc["seeds"] == [0] and len(doc["variants"][TUNED]["auroc"]) == 1


def test_cli_eval_refuses_a_part_without_anomalies(tmp_path: Path) -> None:
    nodes = write_csv(tmp_path / "n.csv", "id,label,f", [f"a{i},{int(i < 2)},{i}" for i in range(12)])
    edges = write_csv(tmp_path / "e.csv", "src,dst", ["a0,a1"])
    result = CliRunner().invoke(risk, ["eval", "--nodes", str(nodes), "--edges", str(edges), "--seeds", "1"])
    assert result.exit_code == 1 and "[gad.cannot_evaluate]" in result.output
