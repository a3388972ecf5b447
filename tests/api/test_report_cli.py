"""`anxin report`: writes the report for a month as JSON, HTML or PDF (the format from --format or OUT's suffix),
shows its progress on stderr, and ends a bad month, an unwritable OUT or a missing facade with a coded one-line error
(exit 2), never a traceback, before anything is computed. The facade is the hand-built sample (tests/report_samples)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from tests.report_samples import SampleReports, sample_report

from anxin.cli.main import main
from anxin.reports.render_pdf import cjk_font


@pytest.fixture
def reports(monkeypatch) -> SampleReports:
    facade = SampleReports()
    monkeypatch.setattr("anxin.bootstrap.bootstrap", lambda **_: SimpleNamespace(reports=facade))
    return facade


def run(*args):
    return CliRunner().invoke(main, ["report", *map(str, args)])


def test_help_names_the_options() -> None:
    out = run("--help")
    assert out.exit_code == 0
    for word in ("--period", "--compare", "--format", "--lang", "OUT", "html", "pdf", "json"):
        assert word in out.output


def test_json_is_the_reports_value_and_the_comparison_defaults_to_the_month_before(reports, tmp_path) -> None:
    target = tmp_path / "report.json"
    out = run("--period", "2026-11", target)
    assert out.exit_code == 0, out.output
    assert json.loads(target.read_text("utf-8")) == json.loads(json.dumps(sample_report("2026-11", "2026-10")
                                                                          .as_dict()))
    assert reports.built == [("cli", "2026-11", "2026-10", "duckdb")]
    assert f"{target}: json" in out.stdout and "10 figures, 2 not computable" in out.stdout
    assert "done" in out.stderr  # the progress, on stderr so stdout stays the summary


def test_the_format_follows_the_option_then_the_suffix(reports, tmp_path) -> None:
    page = tmp_path / "r.html"
    assert run("--period", "2026-11", "--compare", "2025-11", "--lang", "en", page).exit_code == 0
    assert "<title>Service-experience report · November 2026</title>" in page.read_text("utf-8")
    other = tmp_path / "r.out"
    assert run("--period", "2026-11", "--format", "json", other).exit_code == 0
    assert json.loads(other.read_text("utf-8"))["compare"] == "2026-10"
    plain = tmp_path / "report"
    assert run("--period", "2026-11", plain).exit_code == 0 and plain.read_text("utf-8").startswith("<!doctype html>")


def test_pdf(reports, tmp_path) -> None:
    if cjk_font() is None:
        pytest.skip("no Noto CJK font (make browser)")
    target = tmp_path / "r.pdf"
    assert run("--period", "2026-11", target).exit_code == 0
    assert target.read_bytes().startswith(b"%PDF-")


@pytest.mark.parametrize(("args", "code"), [
    (["--period", "2026-13"], "reports.invalid_period"),
    (["--period", "2026-11", "--compare", "2026-11"], "reports.invalid_compare"),
    (["--period", "Nov"], "reports.invalid_period"),
])
def test_a_bad_month_is_a_coded_error_before_anything_is_computed(reports, tmp_path, args, code) -> None:
    target = tmp_path / "r.json"
    out = run(*args, target)
    assert out.exit_code == 2 and out.stderr.startswith(f"error [{code}]: ") and "Traceback" not in out.output
    assert not target.exists() and reports.built == []


def test_an_unwritable_out_is_a_coded_error(reports, tmp_path) -> None:
    for target, words in ((tmp_path / "missing" / "r.pdf", "does not exist"), (tmp_path, "is a directory")):
        out = run("--period", "2026-11", target)
        assert out.exit_code == 2 and out.stderr.startswith("error [cli.unwritable_output]: ") and words in out.stderr
    assert reports.built == []


def test_a_bad_format_is_refused_by_the_options(reports, tmp_path) -> None:
    out = run("--period", "2026-11", "--format", "docx", tmp_path / "r")
    assert out.exit_code == 2 and "docx" in out.stderr and "Traceback" not in out.output


def test_without_a_reports_facade_the_command_says_so(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr("anxin.bootstrap.bootstrap", lambda **_: SimpleNamespace(reports=None))
    out = run("--period", "2026-11", tmp_path / "r.json")
    assert out.exit_code == 2 and out.stderr.startswith("error [cli.reports_unavailable]: ")
