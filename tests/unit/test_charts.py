"""Offline SVG charts: well-formed XML, accessible names, escaping, determinism, edge cases, nice ticks."""

from __future__ import annotations

import itertools
import math
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from jinja2 import Environment
from markupsafe import Markup

from anxin.web.chart_widgets import data_table, gauge, sparkline
from anxin.web.charts import Series, bar_chart, empty_message, fixed, line_chart, nice_ticks, percent

NS = "{http://www.w3.org/2000/svg}"
DAYS = ["11-01", "11-02", "11-03", "11-04", "11-05"]
BANDS = [(50.0, 70.0, "chart-band-bad"), (70.0, 85.0, "chart-band-warn"), (85.0, 100.0, "chart-band-good")]
NASTY = "<script>&"


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(str(svg))
    assert root.tag == f"{NS}svg"
    return root


def find_all(root: ET.Element, tag: str, cls: str | None = None) -> list[ET.Element]:
    return [e for e in root.iter(f"{NS}{tag}") if cls is None or cls in e.get("class", "").split()]


def texts(root: ET.Element, cls: str) -> list[str]:
    return ["".join(e.itertext()) for e in find_all(root, "text", cls)]


def child(e: ET.Element, tag: str) -> ET.Element:
    found = e.find(f"{NS}{tag}")
    assert found is not None, tag
    return found


def desc(root: ET.Element) -> str:
    return child(root, "desc").text or ""


def collection(series: list[Series] | None = None, **kw: Any) -> Markup:
    kw = {"x_labels": DAYS, "title": "collection within 48 h", "y_format": percent(1), "lang": "en", **kw}
    return line_chart(series or [Series("collection within 48 h", [0.88, 0.95, None, 0.991, 0.962])], **kw)


# --- every chart kind: well-formed, named, described -----------------------------------------------

ALL = {
    "line": lambda: collection(),
    "line-two": lambda: collection(series=[Series("a", [1, 2, 3]), Series("b", [3, None, 1])], y_format=None),
    "bar": lambda: bar_chart([Series("late", [3, 0, 5]), Series("fake", [1, 2, None])], x_labels=DAYS[:3], title="t"),
    "stacked": lambda: bar_chart([Series("late", [3, 0, 5]), Series("fake", [1, 2, 4])], x_labels=DAYS[:3],
                                 title="t", stacked=True),
    "spark": lambda: sparkline([1, 3, None, 2]),
    "gauge": lambda: gauge(87.5, 50, 100, BANDS, title="体验分"),
    "gauge-plain": lambda: gauge(61, 50, 100, title="score", lang="en"),
    "empty-line": lambda: line_chart([], x_labels=[], title="t"),
    "empty-gauge": lambda: gauge(None, title="t"),
}


@pytest.mark.parametrize("make", ALL.values(), ids=ALL.keys())
def test_well_formed_and_accessible(make) -> None:
    svg = make()
    assert isinstance(svg, Markup)
    root = parse(svg)
    assert root.get("role") == "img"
    title_id, desc_id = root.get("aria-labelledby", "").split()
    assert child(root, "title").get("id") == title_id
    assert child(root, "desc").get("id") == desc_id
    assert desc(root)
    assert root.get("viewBox", "").startswith("0 0 ")
    assert "style=" not in svg and "<script" not in svg  # colours come from the stylesheet


@pytest.mark.parametrize("make", ALL.values(), ids=ALL.keys())
def test_deterministic(make) -> None:
    assert make() == make()


def test_ids_differ_between_charts_and_can_be_given() -> None:
    a, b = parse(collection()), parse(collection(target=0.9))
    assert a.get("id") != b.get("id")
    assert parse(collection(chart_id="c-1")).get("id") == "c-1"


def test_description_summarises_the_data() -> None:
    d = desc(parse(collection(target=0.95)))
    assert d == "collection within 48 h: last 96.2 %, min 88.0 %, max 99.1 %; target 95.0 % (11-01 to 11-05)"
    zh = desc(parse(collection(lang="zh-CN")))
    assert zh == "collection within 48 h：最新 96.2 %，最低 88.0 %，最高 99.1 %（11-01 至 11-05）"


def test_jinja_embeds_the_svg_unescaped() -> None:
    env = Environment(autoescape=True)
    html = env.from_string("<div>{{ chart }}</div>").render(chart=collection())
    assert html.startswith('<div><svg xmlns="http://www.w3.org/2000/svg"')


# --- escaping --------------------------------------------------------------------------------------

def test_user_text_is_escaped_everywhere() -> None:
    series = [Series(NASTY, [1, 2]), Series("b", [2, 1])]
    charts = [line_chart(series, x_labels=[NASTY, "x"], title=NASTY, target=1.5, target_label=NASTY),
              bar_chart(series, x_labels=[NASTY, "x"], title=NASTY),
              sparkline([1, 2], title=NASTY), gauge(70, title=NASTY, bands=[(50, 100, NASTY)])]
    for svg in charts:
        assert "<script>" not in svg and "&lt;script&gt;&amp;" in svg
        root = parse(svg)
        assert child(root, "title").text == NASTY
    table = data_table(series, x_labels=[NASTY, "x"], caption=NASTY)
    assert "<script>" not in table and table.count("&lt;script&gt;&amp;") == 3
    ET.fromstring(str(table))


# --- edge cases ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("lang", "message", "expected"), [
    ("zh-CN", None, "暂无数据"), ("en", None, "No data yet"), ("en", "Nothing shipped", "Nothing shipped"),
])
@pytest.mark.parametrize("series", [[], [Series("a", [])], [Series("a", [None, None])], [Series("a", [math.nan])]],
                         ids=["no-series", "no-values", "all-missing", "nan"])
def test_empty_state_in_both_languages(lang, message, expected, series) -> None:
    for svg in (line_chart(series, x_labels=DAYS[:2], title="t", lang=lang, empty_message=message),
                bar_chart(series, x_labels=DAYS[:2], title="t", lang=lang, empty_message=message)):
        root = parse(svg)
        assert texts(root, "chart-empty") == [expected]
        assert desc(root) == expected
        assert not find_all(root, "path", "chart-line") and not find_all(root, "rect")
    if message is None:
        assert expected == empty_message(lang)


def test_single_point_draws_a_dot_and_labels_it() -> None:
    root = parse(line_chart([Series("s", [0.5])], x_labels=["11-01"], title="t", y_format=percent(0)))
    assert len(find_all(root, "circle")) == 1
    assert find_all(root, "path", "chart-line")[0].get("d", "").count("M") == 1
    assert texts(root, "chart-value") == ["50 %"]


def test_gaps_lift_the_pen() -> None:
    root = parse(line_chart([Series("s", [1, 2, None, 4, 5])], x_labels=DAYS, title="t"))
    d = find_all(root, "path", "chart-line")[0].get("d", "")
    assert d.count("M") == 2 and d.count("L") == 2


@pytest.mark.parametrize("values", [[5, 5, 5], [0, 0, 0], [-2, -2], [0.962] * 4])
def test_all_equal_values_get_a_window(values) -> None:
    root = parse(line_chart([Series("s", values)], x_labels=DAYS[: len(values)], title="t"))
    ys = {float(c.get("cy", "nan")) for c in find_all(root, "circle")}
    assert len(ys) == 1 and all(math.isfinite(y) for y in ys)
    assert len(find_all(root, "text", "chart-tick")) >= 2


def test_negative_values_cross_zero() -> None:
    root = parse(line_chart([Series("margin", [-3, 2, 7])], x_labels=DAYS[:3], title="t"))
    assert texts(root, "chart-tick") == ["-5", "0", "5", "10"]
    bars = parse(bar_chart([Series("delta", [-3, 2])], x_labels=DAYS[:2], title="t"))
    (neg, pos) = find_all(bars, "rect")
    base = float(find_all(bars, "line", "chart-baseline")[0].get("y1", ""))
    assert float(neg.get("y", "")) == pytest.approx(base)  # hangs down from zero
    assert float(pos.get("y", "")) + float(pos.get("height", "")) == pytest.approx(base, abs=0.1)


def test_long_labels_are_cut_with_the_full_text_kept() -> None:
    shop = "安心优选旗舰店 — 一个非常非常长的店铺名称，用来测试截断" * 3
    root = parse(line_chart([Series(shop, [1, 2]), Series("b", [2, 3])], x_labels=[shop, "x"], title=shop))
    cut = [e for e in find_all(root, "text") if "".join(e.itertext()).endswith("…")]
    assert {e.get("class") for e in cut} >= {"chart-title", "chart-legend-label", "chart-xlabel"}
    for e in cut:
        assert child(e, "title").text == shop
    assert child(root, "title").text == shop


def test_ragged_series_and_labels_are_squared_up() -> None:
    root = parse(line_chart([Series("a", [1, 2, 3, 4]), Series("b", [1])], x_labels=["x", "y"], title="t"))
    assert len(find_all(root, "circle")) == 5


def test_many_x_labels_are_thinned() -> None:
    days = [f"11-{d:02}" for d in range(1, 31)]
    root = parse(line_chart([Series("s", list(range(30)))], x_labels=days, title="t", width=320))
    shown = texts(root, "chart-xlabel")
    assert 2 <= len(shown) < 30 and shown[0] == "11-01"


# --- target line -----------------------------------------------------------------------------------

def test_target_line_sits_at_its_value() -> None:
    root = parse(collection(target=0.5, y_min=0, y_max=1))
    target = find_all(root, "g", "chart-target")[0]
    line = target.find(f"{NS}line")
    assert line is not None and line.get("stroke-dasharray")
    ticks = dict(zip(texts(root, "chart-tick"),
                     (float(g.get("y1", "")) for g in find_all(root, "g", "chart-grid")[0]), strict=True))
    assert ticks["50.0 %"] == float(line.get("y1", "")) == float(line.get("y2", ""))
    assert "".join(target.itertext()) == "target 50.0 %"


def test_target_outside_the_data_widens_the_axis() -> None:
    root = parse(line_chart([Series("s", [0.2, 0.3])], x_labels=DAYS[:2], title="t", target=0.9, lang="zh-CN"))
    assert texts(root, "chart-target-label") == ["目标 0.9"]
    assert texts(root, "chart-tick")[-1] == "1.0"


# --- ticks -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("lo", "hi", "expected"), [
    (0, 1, [0, 0.25, 0.5, 0.75, 1]),
    (0.87, 0.99, [0.85, 0.9, 0.95, 1]),
    (0, 37, [0, 10, 20, 30, 40]),
    (1200, 98000, [0, 25000, 50000, 75000, 100000]),
    (0, 100, [0, 25, 50, 75, 100]),
    (-3, 7, [-5, 0, 5, 10]),
    (37, 0, [0, 10, 20, 30, 40]),
    (0, 0, [0, 0.25, 0.5, 0.75, 1]),
    (5, 5, [4.5, 4.75, 5, 5.25, 5.5]),
    (0.001, 0.004, [0.001, 0.002, 0.003, 0.004]),
])
def test_nice_ticks(lo, hi, expected) -> None:
    ticks = nice_ticks(lo, hi)
    assert ticks == expected
    assert ticks[0] <= min(lo, hi) and ticks[-1] >= max(lo, hi)


@pytest.mark.parametrize(("lo", "hi"), [(0.1, 0.7), (13, 17), (-120, -3), (0.0001, 0.0009), (3, 1e9), (-1e6, 1e6)])
def test_nice_ticks_properties(lo, hi) -> None:
    ticks = nice_ticks(lo, hi)
    steps = {round(b - a, 12) for a, b in itertools.pairwise(ticks)}
    assert 2 <= len(ticks) <= 5 and len(steps) == 1
    mantissa = steps.pop() / 10 ** math.floor(math.log10(ticks[1] - ticks[0]))
    assert round(mantissa, 6) in (1, 2, 2.5, 5)
    assert ticks[0] <= lo and ticks[-1] >= hi


def test_nice_ticks_refuses_infinity() -> None:
    with pytest.raises(ValueError, match="finite"):
        nice_ticks(0, math.inf)


@pytest.mark.parametrize(("fmt", "value", "text"), [
    (percent(1), 0.962, "96.2 %"), (percent(0), -0.001, "0 %"), (percent(1), -0.0001, "0.0 %"),
    (fixed(0), 98000, "98,000"), (fixed(2), -0.001, "0.00"), (fixed(1), -1.25, "-1.2"),
])
def test_formatters(fmt, value, text) -> None:
    assert fmt(value) == text


# --- bars, sparklines, gauges, tables ----------------------------------------------------------------

def test_grouped_and_stacked_bars() -> None:
    series = [Series("late", [3, 0, 5]), Series("fake", [1, 2, None])]
    grouped = parse(bar_chart(series, x_labels=DAYS[:3], title="t", lang="en"))
    assert len(find_all(grouped, "rect")) == 2 + 4  # two legend swatches, no bar for a zero or a missing value
    assert desc(grouped) == "late: total 8, max 5 (11-03); fake: total 3, max 2 (11-02) (11-01 to 11-03)"
    stacked = parse(bar_chart(series, x_labels=DAYS[:3], title="t", stacked=True))
    assert texts(stacked, "chart-tick") == ["0", "2", "4", "6"]  # the tallest pile is 5 (day 3)
    day1 = [r for r in find_all(stacked, "rect") if "".join(r.itertext()).startswith("11-01")]
    late, fake = day1
    assert float(fake.get("y", "")) + float(fake.get("height", "")) == pytest.approx(float(late.get("y", "")), abs=0.1)


def test_sparkline_cases() -> None:
    one = parse(sparkline([7]))
    assert len(find_all(one, "circle")) == 1 and desc(one) == "趋势：最新 7，最低 7，最高 7"
    flat = parse(sparkline([2, 2, 2], title="rate", y_format=percent(0), lang="en"))
    assert desc(flat) == "rate: last 200 %, min 200 %, max 200 %"
    empty = parse(sparkline([None, None], lang="en"))
    assert desc(empty) == "No data yet" and texts(empty, "chart-empty") == ["—"]
    assert 'class="chart chart-spark"' in sparkline([1, 2], colour=8) and "chart-series-2" in sparkline([1], colour=8)


@pytest.mark.parametrize(("value", "band"), [(87.5, "chart-band-good"), (55, "chart-band-bad"), (70, "chart-band-bad"),
                                             (120, ""), (10, "")])
def test_gauge_value_and_band(value, band) -> None:
    root = parse(gauge(value, 50, 100, BANDS, title="体验分"))
    (text,) = find_all(root, "text", "chart-gauge-value")
    assert text.text == f"{value:g}"
    assert (text.get("class") or "").split()[1:] == ([band] if band else [])
    assert texts(root, "chart-tick") == ["50", "70", "85", "100"]
    needle = child(find_all(root, "g", "chart-gauge-needle")[0], "line")
    width, height = 240, 150
    for attr, limit in (("x1", width), ("x2", width), ("y1", height), ("y2", height)):
        assert 0 <= float(needle.get(attr, "")) <= limit
    assert desc(root) == f"体验分：{value:g}（范围 50–100）"


def test_gauge_without_bands_fills_up_to_the_value() -> None:
    root = parse(gauge(75, 50, 100, title="score"))
    fill = find_all(root, "path", "chart-gauge-fill")[0].get("d", "")
    assert fill.endswith("120.0 40.0")  # the top of the dial: 75 is halfway from 50 to 100


def test_data_table() -> None:
    html = data_table([Series("late", [1, None]), Series("rate", [0.5, 0.3])], x_labels=["11-01", "11-02"],
                      caption="findings", y_format=fixed(1), lang="en")
    root = ET.fromstring(str(html))
    assert [th.text for th in root.iter("th")] == ["Date", "late", "rate", "11-01", "11-02"]
    assert [td.text for td in root.iter("td")] == ["1.0", "0.5", "—", "0.3"]
    assert "<th scope=\"col\">日期</th>" in data_table([], x_labels=[], caption="c")
