"""Money, numbers, percentages and times written the reader's way, by Babel (CLDR data) per page language.

Money is integer fen, shown as yuan in the locale's currency format (zh-CN ``¥1,234.50``; en ``CN¥1,234.50``,
the symbol English readers need to tell yuan from yen). Times are shown in the display timezone, Asia/Shanghai,
with the offset written out, in one numeric pattern for both languages (it sorts and reads unambiguously).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal, format_percent

from anxin.core.money import YUAN, Fen

# Asia/Shanghai has kept UTC+8 without daylight saving since 1991, so a fixed offset is exact.
SHANGHAI = dt.timezone(dt.timedelta(hours=8))
TIME_PATTERN = "yyyy-MM-dd HH:mm xxx"
# The Babel locale each page language writes its numbers, money and dates in.
LOCALES = {"zh-CN": "zh_Hans_CN", "en": "en"}


def _locale(lang: str) -> str:
    return LOCALES.get(lang, LOCALES["zh-CN"])


def money(amount: Fen, lang: str) -> str:
    """Fen as yuan in CNY, exact to the fen (Decimal, never a float)."""
    return format_currency(Decimal(amount) / YUAN, "CNY", locale=_locale(lang))


def number(value: float, lang: str, *, digits: int | None = None) -> str:
    """Grouped digits; ``digits`` fixes the decimals (else as many as the value has, up to three)."""
    pattern = None if digits is None else "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=_locale(lang))


def percent(fraction: float, lang: str, *, digits: int = 1) -> str:
    """A fraction (0.125) as a percentage (12.5%) with ``digits`` decimals."""
    pattern = "#,##0" + ("." + "0" * digits if digits else "") + "%"
    return format_percent(fraction, format=pattern, locale=_locale(lang))


def time(at: dt.datetime | None, lang: str) -> str:
    if at is None:
        return "—"
    return format_datetime(at, TIME_PATTERN, tzinfo=SHANGHAI, locale=_locale(lang))


def date(day: dt.date | dt.datetime | None, lang: str) -> str:
    """A calendar day in the locale's medium form (zh ``2026年12月7日``, en ``Dec 7, 2026``)."""
    if day is None:
        return "—"
    if isinstance(day, dt.datetime):
        day = day.astimezone(SHANGHAI).date()
    return format_date(day, "medium", locale=_locale(lang))
