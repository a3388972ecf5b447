"""The offline charts in a real headless Chromium: they lay out with the stylesheets, log no errors and
fetch nothing. A screenshot lands in /tmp/anxin-charts.png for people to look at."""

from __future__ import annotations

from pathlib import Path

import pytest

from anxin.web.chart_widgets import data_table, gauge, sparkline
from anxin.web.charts import Series, bar_chart, line_chart, percent

pytestmark = [pytest.mark.browser]

STATIC = Path(__file__).resolve().parents[2] / "src" / "anxin" / "web" / "static"
SCREENSHOT = Path("/tmp/anxin-charts.png")
DAYS = [f"11-{d:02}" for d in range(1, 15)]
BANDS = [(50.0, 70.0, "chart-band-bad"), (70.0, 85.0, "chart-band-warn"), (85.0, 100.0, "chart-band-good")]


def _page() -> str:
    collection = [0.93, 0.95, 0.96, 0.94, None, 0.97, 0.962, 0.955, 0.98, 0.991, 0.97, 0.96, 0.975, 0.962]
    shipped = [0.88, 0.9, 0.91, 0.89, 0.92, 0.9, None, None, 0.93, 0.95, 0.94, 0.96, 0.95, 0.97]
    trend = line_chart([Series("48 小时揽收率", collection), Series("按时发货率 <旗舰店> & 分店", shipped)],
                       x_labels=DAYS, title="履约趋势 · 小店 <A&B>", y_format=percent(1), tick_format=percent(0),
                       target=0.95, y_max=1.0)
    kinds = [Series("late shipment", [3, 1, 0, 4, 2, 5, 1, 0, 2, 3, 1, 2, 0, 1]),
             Series("fake tracking", [1, 0, 0, 1, 0, 2, 0, 0, 1, 0, 0, 1, 0, 0]),
             Series("stalled parcel", [0, 2, 1, 0, 1, 1, 0, 1, 0, 2, 1, 0, 1, 0])]
    findings = bar_chart(kinds, x_labels=DAYS, title="Findings by kind per day", stacked=True, lang="en")
    score = gauge(87.5, 50, 100, BANDS, title="体验分")
    rows = "".join(f"<tr><td>{name}</td><td>{sparkline(values, title=name, y_format=percent(1))}</td></tr>"
                   for name, values in (("揽收", collection), ("发货", shipped)))
    table = data_table(kinds, x_labels=DAYS, caption="Findings by kind per day", lang="en")
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>charts</title>
<link rel="stylesheet" href="{(STATIC / 'anxin.css').as_uri()}">
<link rel="stylesheet" href="{(STATIC / 'charts.css').as_uri()}"></head>
<body><main class="page">
<section class="card" data-testid="trend">{trend}</section>
<div class="columns"><section class="card" data-testid="findings">{findings}
<details><summary>Data</summary>{table}</details></section>
<section class="card" data-testid="score">{score}<table>{rows}</table></section></div>
<section class="card" data-testid="empty">{line_chart([], x_labels=[], title="空", height=120)}</section>
</main></body></html>"""


def test_charts_render_in_chromium(browser, tmp_path) -> None:
    html = tmp_path / "charts.html"
    html.write_text(_page(), encoding="utf-8")
    context = browser.new_context(viewport={"width": 1100, "height": 900}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    try:
        page.goto(html.as_uri())
        page.wait_for_load_state("load")
        svgs = page.locator("svg.chart")
        assert svgs.count() == 6  # line, bar, gauge, two sparklines, empty state
        for i in range(svgs.count()):
            box = svgs.nth(i).bounding_box()
            assert box is not None and box["width"] > 0 and box["height"] > 0, i
        trend = page.get_by_test_id("trend").locator("svg")
        box = trend.bounding_box()
        assert box is not None and box["width"] > 900  # width 100%: the chart fills its card
        assert box["height"] == pytest.approx(box["width"] * 240 / 640, rel=0.02)  # the viewBox keeps its shape
        line = trend.locator("path.chart-line").first
        assert line.evaluate("e => getComputedStyle(e).stroke") == "rgb(0, 114, 178)"  # the stylesheet applied
        assert trend.locator(".chart-target line").evaluate("e => e.getBBox().width") > 0
        assert page.get_by_test_id("empty").locator("text.chart-empty").text_content() == "暂无数据"
        page.screenshot(path=str(SCREENSHOT), full_page=True)
    finally:
        context.close()
    assert errors == []
    assert all(url.startswith("file://") for url in requests), requests  # nothing from the network
