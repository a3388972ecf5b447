"""The benchmark's pandas merchant score (bench/pandas_score.py) gives exactly the SQL definition's results.

The benchmark compares the DuckDB definition with this pandas implementation of the same score; this proves the
two compute the same thing, column by column, on synthetic facts that reach every rule: the peer-group fallback
(two small categories, one with a single eligible shop), ties, industry weights, excellence floors, deductions in
and out of force (one taking a total below the scale), ineligible shops, shops with no chats, null flags, and
reviews and cancellations that became known only after the as-of day.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from bench.pandas_score import merchant_scores

from anxin.scoring.definition import all_steps
from anxin.scoring.engines import make_engine
from anxin.scoring.facts import FACTS
from anxin.scoring.rulebook import load_score_rulebook
from anxin.scoring.synthetic import synthetic_facts, write_parquet

DAY = 86_400


def _facts(end: int) -> dict[str, pa.Table]:
    tables, _ = synthetic_facts(200_000, seed=11, end=end)
    orders = tables["orders"]
    rng = np.random.default_rng(5)
    big = pd.Series(orders["shop_id"].to_numpy(zero_copy_only=False)).value_counts().index[:8].tolist()
    rare = {big[1]: "rare_one", big[2]: "rare_two", big[3]: "rare_two"}  # fewer than min_shops: fallback '*'
    category = pa.array([rare.get(s, c) for s, c in zip(orders["shop_id"].to_pylist(),
                                                         orders["category_id"].to_pylist(), strict=True)])
    presale = pa.array(orders["presale"].to_numpy(zero_copy_only=False), mask=rng.random(orders.num_rows) < 0.01)
    tables["orders"] = orders.set_column(orders.schema.get_field_index("category_id"), "category_id", category) \
        .set_column(orders.schema.get_field_index("presale"), "presale", presale)
    cases = tables["cases"]
    null = rng.random(cases.num_rows) < 0.02
    for col in ("arbitrated", "refunded", "merchant_at_fault"):
        i = cases.schema.get_field_index(col)
        cases = cases.set_column(i, col, pa.array(cases[col].to_numpy(zero_copy_only=False), mask=null))
    tables["cases"] = cases
    # Shops with no chat at all: the IM indicator has no value, the other service indicators share the weight;
    # and the fallback group's IM ranking is left with a single shop (100 points).
    chats = tables["chats"]
    tables["chats"] = chats.filter(pc.invert(pc.is_in(chats["shop_id"], pa.array(big[2:4]))))
    tables["deductions"] = pa.table({
        "deduction_id": [f"d{i}" for i in range(6)],
        "shop_id": [big[4], big[4], big[5], big[6], big[7], big[1]],
        "points_x100": [300, 200, 9_000, 500, 700, 150],
        "effective_at": [end - 5 * DAY, end - 9 * DAY, end - DAY, end + DAY, end - 40 * DAY, end - DAY],
        "expires_at": [None, end + 30 * DAY, None, None, end - DAY, end],  # in, in, in, future, expired, in
        "kind": ["fake_orders", "bad_service", "fake_reviews", "fake_orders", "bad_service", "refused_invoice"]},
        schema=FACTS["deductions"].schema)
    return tables


def _rows(df: pd.DataFrame, cols: list[str]) -> list[tuple[object, ...]]:
    return sorted(tuple(None if pd.isna(x) else x for x in r) for r in df[cols].astype(object).itertuples(index=False))


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    rb = load_score_rulebook()
    end = rb.day_end(dt.date(2026, 11, 22))
    root: Path = tmp_path_factory.mktemp("facts")
    write_parquet(_facts(end), root)
    engine = make_engine("duckdb")
    engine.load_parquet(root)
    engine.run(all_steps(rb, engine.dialect, end, subjects=("merchant",)))
    sql = {n: engine.fetch(n).to_pandas() for n in ("merchant_indicators", "merchant_dimensions", "merchant_scores")}
    engine.close()
    return sql, merchant_scores(root, rb, end)


@pytest.mark.parametrize("name", ["merchant_scores", "merchant_dimensions", "merchant_indicators"])
def test_pandas_equals_the_definition(results: tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]],
                                      name: str) -> None:
    sql, pandas = results
    # Every column the definition outputs: points, percentiles, peers, values; the shrunk value is a chain of float
    # sums, added up in another order by each engine: equal to 1e-9 (relative), the rest exactly.
    cols = [c for c in sql[name].columns if c != "adjusted"]
    assert _rows(pandas[name], cols) == _rows(sql[name], cols)
    if "adjusted" in sql[name].columns:
        key = ["subject_id", "indicator_id"]
        both = sql[name][[*key, "adjusted"]].merge(pandas[name][[*key, "adjusted"]], on=key, suffixes=("_sql", "_pd"))
        assert len(both) == len(sql[name])
        a, b = both.adjusted_sql.to_numpy(dtype=float), both.adjusted_pd.to_numpy(dtype=float)
        assert np.array_equal(np.isnan(a), np.isnan(b)) and np.allclose(a, b, rtol=1e-9, equal_nan=True)


def test_the_data_reaches_every_rule(results: tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]) -> None:
    sql, _ = results
    s, d, i = sql["merchant_scores"], sql["merchant_dimensions"], sql["merchant_indicators"]
    assert len(s) > 500 and (~s.eligible).sum() > 10 and s.eligible.sum() > 500
    fallback = s[s.eligible & (s.peer_group == "*")]
    assert set(fallback.primary_category) == {"rare_one", "rare_two"}
    assert {"fresh", "jewelry"} <= set(s[s.eligible].primary_category)  # industry weights
    assert (d.points_x100 > d.raw_x100).sum() > 10  # excellence floors raised a dimension
    assert (s.deductions_x100 > 0).sum() == 3 and (s.total_x100 < 5000).any()  # below the scale's minimum
    assert (s.total_x100 < s.raw_x100).sum() == 3
    assert i.points_x100.isna().any() and (i.peer_n > 100).any()
    lone = i[i.eligible & (i.peer_group == "*") & i.value.notna()]
    assert len(lone) > 0 and (lone.peer_n > 100).all()  # too few category peers: ranked among everyone
    ties = i[i.eligible & i.value.notna()].groupby(["peer_group", "indicator_id", "value"]).size()
    assert (ties > 1).sum() > 10  # tied values, counted in the shops' favour
    im = i[(i.indicator_id == "M.IM_REPLY_RATE") & i.eligible]
    assert im.value.isna().any()  # shops without chats in service hours
