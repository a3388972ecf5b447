"""Every care error code has its text in both of care's catalogs (en and zh_CN): the pages show `err.<code>`."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from anxin.care.error_codes import CareErrorCode

LOCALE = Path(__file__).resolve().parents[2] / "src" / "anxin" / "care" / "locale"


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_every_care_error_code_has_a_text(lang: str) -> None:
    with (LOCALE / lang / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    texts = {m.id: m.string for m in catalog if m.id}
    missing = [c.value for c in CareErrorCode if not texts.get(f"err.{c.value}")]
    assert missing == []
    assert all(400 <= c.status < 500 for c in CareErrorCode)
