"""Return parcels: what they weigh, where they leave from and the freight the buyer declares.

A carrier charges its first kilogram, then each started kilogram more, and a surcharge across provinces; the
simulated carriers' prices span first kg 800-1200 fen, +500-800 fen per kg, +300-600 fen across provinces. An
honest buyer declares about what the counter charged, for the goods plus packaging, sent from the delivery
address (now and then from work). A freight arbitrageur (薅运费险) declares far more than the tariff for the
weight, and/or sends from another address, and/or sends an empty or light parcel.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

# carrier -> (first kg, each further started kg, across provinces), in fen
TARIFFS: dict[str, tuple[int, int, int]] = {
    "sf": (1200, 800, 600), "jd": (1100, 750, 550), "ems": (1000, 700, 500), "zto": (850, 550, 350),
    "yto": (800, 500, 300), "sto": (800, 500, 350), "yunda": (850, 550, 400),
}
FREIGHT_MAX_FEN = 100_000  # what after-sales accepts


def tariff_fen(carrier: str, weight_g: int, *, same_province: bool) -> int:
    """The carrier's counter price for a parcel of ``weight_g`` grams."""
    first, extra, cross = TARIFFS[carrier]
    kilos = max(1, -(-max(weight_g, 0) // 1000))
    return first + (kilos - 1) * extra + (0 if same_province else cross)


@dataclass(frozen=True)
class ReturnParcel:
    weight_g: int
    from_address: str
    freight_fen: int
    tariff_fen: int
    arbitraged: bool

    def data(self) -> dict[str, object]:
        """What the buyer's ``ship_return`` carries besides method, carrier and tracking number."""
        return {"freight_fen": self.freight_fen, "weight_g": self.weight_g, "from_address": self.from_address}

    def truth(self) -> dict[str, object]:
        return {**self.data(), "tariff_fen": self.tariff_fen, "freight_arbitraged": self.arbitraged}


def _round10(fen: float) -> int:
    return round(fen / 10) * 10


def honest_return(rng: random.Random, carrier: str, goods_g: int, *, same_province: bool, home: str,
                  work: str | None, bogus: bool = False) -> ReturnParcel:
    """The goods and their packaging from the delivery address (8 % from work), declared at about the tariff.
    ``bogus``: something else goes back (a legacy abuser's), lighter than what was sold."""
    goods = round(goods_g * rng.uniform(0.2, 0.7)) if bogus else goods_g
    weight = max(50, round((goods + rng.randint(60, 300)) * rng.uniform(0.97, 1.03)))
    origin = work if work is not None and rng.random() < 0.08 else home
    tariff = tariff_fen(carrier, weight, same_province=same_province)
    return ReturnParcel(weight, origin, _round10(tariff * rng.uniform(0.9, 1.03)), tariff, False)


def arbitraged_return(rng: random.Random, carrier: str, goods_g: int, *, same_province: bool, home: str,
                      elsewhere: str) -> ReturnParcel:
    """Freight far above the tariff, from another address, an empty parcel: at least one of them, often more."""
    tricks = [rng.random() < p for p in (0.8, 0.6, 0.5)]
    if not any(tricks):
        tricks[0] = True
    excess, other_address, empty = tricks
    weight = rng.randint(30, 250) if empty else max(50, goods_g + rng.randint(60, 300))
    tariff = tariff_fen(carrier, weight, same_province=same_province)
    declared = tariff * rng.uniform(2.5, 5.0) if excess else tariff * rng.uniform(1.0, 1.4)
    return ReturnParcel(weight, elsewhere if other_address else home,
                        min(FREIGHT_MAX_FEN, _round10(declared)), tariff, True)
