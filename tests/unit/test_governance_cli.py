"""`anxin governance check-listing` and `check-file` (pure: no database without --category)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from anxin.cli.main import main


def test_check_listing_prints_outcome_and_positions() -> None:
    r = CliRunner().invoke(main, ["governance", "check-listing", "--title", "最近上新 消炎面膜", "--tags", "cosmetics"])
    assert r.exit_code == 0, r.output
    assert r.output.splitlines()[0].startswith("blocked")
    assert "title[5:7] '消炎'" in r.output and "terms.medical.claims" in r.output


def test_check_file_summarises_and_measures_labels(tmp_path: Path) -> None:
    lines = [{"title": "最好的面膜", "label": "violates"}, {"title": "纯棉T恤", "label": "ok"},
             {"title": "最近上新", "label": "ok"}, {"title": "天花板级面霜", "label": "violates"}]
    src = tmp_path / "l.jsonl"
    src.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    r = CliRunner().invoke(main, ["governance", "check-file", str(src), "--out", str(out), "--misses"])
    assert r.exit_code == 0, r.output
    assert "4 listings: pass 3, needs_review 0, blocked 1" in r.output
    assert "flagged precision 1.000 (1/1), recall 0.500 (1/2)" in r.output
    assert "line 4 [violates → pass] 天花板级面霜" in r.output
    assert [json.loads(x)["outcome"] for x in out.read_text(encoding="utf-8").splitlines()] == [
        "blocked", "pass", "pass", "pass"]


def test_check_file_refuses_a_bad_line(tmp_path: Path) -> None:
    src = tmp_path / "bad.jsonl"
    src.write_text('{"description": "no title"}\n', encoding="utf-8")
    r = CliRunner().invoke(main, ["governance", "check-file", str(src)])
    assert r.exit_code != 0 and "bad.jsonl:1: not a listing line" in r.output
