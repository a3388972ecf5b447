"""The merchants rulebook bundle: the shipped one loads; problems in several sections are all reported with their
paths; figures two sections both state must agree."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from anxin.merchants.rulebook import DEFAULT_DIR, MerchantRulebookError, load_merchant_rulebook


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "book"
    shutil.copytree(DEFAULT_DIR, target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_shipped_bundle_loads() -> None:
    book = load_merchant_rulebook()
    assert book.version and book.fees.channel_fee_bp == 60
    assert book.onboarding.lifecycle.novice_days == book.programmes.novice.period_days


def test_problems_in_several_sections_are_reported_at_once(tmp_path: Path) -> None:
    book = _copy(tmp_path)
    _edit(book / "fees.yaml", "channel_fee_bp:", "channel_fee_bps:")
    (book / "financing.yaml").write_text("- not a mapping\n", encoding="utf-8")
    (book / "deposits.yaml").unlink()
    with pytest.raises(MerchantRulebookError) as exc:
        load_merchant_rulebook(book)
    text = "\n".join(exc.value.problems)
    assert "fees.channel_fee_bps: unknown key" in text
    assert "financing: financing.yaml must hold a mapping" in text
    assert "deposits: cannot read deposits.yaml" in text


def test_a_broken_yaml_file_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    book = _copy(tmp_path)
    (book / "programmes.yaml").write_text("novice: [unclosed\n", encoding="utf-8")
    with pytest.raises(MerchantRulebookError) as exc:
        load_merchant_rulebook(book)
    assert any(p.startswith("programmes: programmes.yaml is not valid YAML") for p in exc.value.problems)


def test_the_novice_period_must_agree_between_sections(tmp_path: Path) -> None:
    book = _copy(tmp_path)
    days = load_merchant_rulebook().programmes.novice.period_days
    _edit(book / "programmes.yaml", f"period_days: {days}", f"period_days: {days + 1}")
    with pytest.raises(MerchantRulebookError) as exc:
        load_merchant_rulebook(book)
    assert exc.value.problems == [f"programmes.novice.period_days: {days + 1} disagrees with "
                                  f"onboarding.lifecycle.novice_days {days}"]
