"""Money is integer fen (1/100 yuan). Floats never touch it."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from typing import Final

Fen = int
YUAN: Final = 100
# Ten billion yuan: far above any real order, far below a 64-bit column (so qty × price cannot overflow it).
MAX_FEN: Final = 10**12


def is_fen(value: object) -> bool:
    """True for a plain int (bool is an int in Python, but not money)."""
    return isinstance(value, int) and not isinstance(value, bool)


def yuan(amount: int) -> Fen:
    return amount * YUAN


def fraction_of(amount: Fen, numerator: int, denominator: int, *, rounding: str = "half_even") -> Fen:
    """amount × numerator / denominator, rounded to a whole fen by the stated rule."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    mode = {"half_even": ROUND_HALF_EVEN, "half_up": ROUND_HALF_UP}[rounding]
    exact = Decimal(amount) * Decimal(numerator) / Decimal(denominator)
    return int(exact.quantize(Decimal(1), rounding=mode))


def format_fen(amount: Fen) -> str:
    """¥1,234.50 style, exact."""
    sign = "-" if amount < 0 else ""
    whole, cents = divmod(abs(amount), YUAN)
    return f"{sign}¥{whole:,}.{cents:02d}"
