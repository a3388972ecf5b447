"""The report's inline SVG charts: the comparison month ghosted behind the period, colours and font written on the
elements (so the standalone file and WeasyPrint draw them as a browser does), gaps for missing days, words escaped,
the same input giving the same bytes."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from anxin.reports.charts import CURRENT, GHOST, Legend, daily_chart, nice_ticks, pair_bars

SVG = "{http://www.w3.org/2000/svg}"
LEGEND = Legend(title="3 分钟回复率 <b>", current="2026年11月", compare="2026年10月")


def fmt(v: float) -> str:
    return f"{v:.1f}"


def parsed(markup: str) -> ET.Element:
    return ET.fromstring(str(markup))


@pytest.mark.parametrize(("lo", "hi", "ticks"), [
    (0, 87, [0.0, 25.0, 50.0, 75.0, 100.0]),
    (0.78, 0.94, [0.75, 0.8, 0.85, 0.9, 0.95]),
    (5, 5, [4.5, 4.75, 5.0, 5.25, 5.5]),
    (0, 0, [0.0, 0.25, 0.5, 0.75, 1.0]),
])
def test_ticks_are_round_and_cover_the_range(lo: float, hi: float, ticks: list[float]) -> None:
    assert nice_ticks(lo, hi) == ticks


def test_the_daily_line_draws_the_period_over_its_ghosted_comparison() -> None:
    svg = daily_chart([0.8, 0.82, None, 0.85], [0.78, 0.79, 0.8, 0.8, 0.81], x_labels=["11-01", "11-02", "11-03",
                                                                                    "11-04"],
                      legend=LEGEND, fmt=fmt, desc="summary", bars=False)
    root = parsed(svg)
    assert root.get("role") == "img" and root.find(f"{SVG}title").text == "3 分钟回复率 <b>"
    current = root.find(f".//{SVG}g[@class='rp-series-current']")
    ghost = root.find(f".//{SVG}g[@class='rp-series-compare']")
    assert current.find(f"{SVG}path").get("stroke") == CURRENT
    assert ghost.find(f"{SVG}path").get("stroke") == GHOST and ghost.find(f"{SVG}path").get("stroke-dasharray")
    # the missing third day lifts the pen: two strokes; the ghost's fifth day has a slot of its own
    assert current.find(f"{SVG}path").get("d").count("M") == 2
    assert len(ghost.findall(f"{SVG}circle")) == 5 and len(current.findall(f"{SVG}circle")) == 3
    # the ghost is drawn first, so the period lies on top of it
    groups = [g.get("class") for g in root.iter(f"{SVG}g") if g.get("class", "").startswith("rp-series")]
    assert groups == ["rp-series-compare", "rp-series-current"]
    tips = [t.text for t in current.iter(f"{SVG}title")]
    assert tips[0] == "11-01 · 2026年11月: 0.8"


def test_colours_and_font_are_on_the_elements_not_in_a_stylesheet() -> None:
    svg = str(daily_chart([1, 2, 3], [2, 2, 2], x_labels=["a", "b", "c"], legend=LEGEND, fmt=fmt, desc="d", bars=True))
    assert "currentColor" not in svg and "class=\"chart-series" not in svg
    root = parsed(svg)
    assert "Noto Sans CJK SC" in root.get("font-family")
    fills = {r.get("fill") for r in root.iter(f"{SVG}rect")}
    assert {CURRENT, GHOST} <= fills
    assert all(t.get("fill") for t in root.iter(f"{SVG}text"))


def test_bars_start_at_zero_and_the_ghost_is_wider_behind() -> None:
    root = parsed(daily_chart([10, 20], [15, 5], x_labels=["1", "2"], legend=LEGEND, fmt=fmt, desc="d", bars=True))
    ghost = root.findall(f".//{SVG}g[@class='rp-series-compare']/{SVG}rect")
    current = root.findall(f".//{SVG}g[@class='rp-series-current']/{SVG}rect")
    assert float(ghost[0].get("width")) > float(current[0].get("width"))
    ticks = [t.text for t in root.iter(f"{SVG}text")]
    assert "0.0" in ticks  # the axis starts at zero for amounts


def test_no_ghost_no_compare_legend_and_no_values_a_dash() -> None:
    alone = str(daily_chart([1, 2], [], x_labels=["1", "2"], legend=LEGEND, fmt=fmt, desc="d", bars=False))
    assert "rp-legend-compare" not in alone and "rp-series-compare" in alone
    empty = parsed(daily_chart([None, None], [], x_labels=["1", "2"], legend=LEGEND, fmt=fmt, desc="d", bars=True))
    assert [t.text for t in empty.iter(f"{SVG}text")] == ["—"]


def test_the_same_input_gives_the_same_bytes_and_another_another_id() -> None:
    kw = {"x_labels": ["1", "2"], "legend": LEGEND, "fmt": fmt, "desc": "d", "bars": False}
    a, b = daily_chart([1, 2], [2, 1], **kw), daily_chart([1, 2], [2, 1], **kw)
    c = daily_chart([1, 3], [2, 1], **kw)
    assert a == b and re.search(r'id="([^"]+)"', a)[1] != re.search(r'id="([^"]+)"', c)[1]


def test_the_pair_shows_both_months_with_their_values() -> None:
    root = parsed(pair_bars(31, 150, legend=LEGEND, fmt=lambda v: f"{v:,.0f}", desc="d"))
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert texts == ["2026年10月", "150", "2026年11月", "31"]
    widths = [float(r.get("width")) for r in root.iter(f"{SVG}rect")]
    assert widths[0] == pytest.approx(widths[1] * 150 / 31, rel=0.01)  # drawn to scale from zero
    missing = parsed(pair_bars(None, 40.0, legend=LEGEND, fmt=fmt, desc="d"))
    assert "—" in [t.text for t in missing.iter(f"{SVG}text")]
