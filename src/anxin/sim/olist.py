"""Real-world texture from the public Olist e-commerce dataset: seller locations and product weights.

The files are read where they lie at run time (never copied into the repository: the data is
CC BY-NC-SA). ``ANXIN_OLIST_DIR`` points elsewhere; without the files the simulator falls back to the
small built-in lists below, so it runs anywhere (the generated marketplace then differs, but stays
deterministic for a seed).
"""

from __future__ import annotations

import csv
import gzip
import io
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

SELLERS = "olist_sellers_dataset.csv.gz"
PRODUCTS = "olist_products_dataset.csv.gz"
TRANSLATION = "product_category_name_translation.csv.gz"


@dataclass(frozen=True)
class Seller:
    city: str
    state: str

    @property
    def location(self) -> str:
        return f"{self.city.title()}, {self.state}"


@dataclass(frozen=True)
class OlistSample:
    sellers: tuple[Seller, ...]
    weights_g: Mapping[str, tuple[int, ...]]  # English category name -> product weights in grams
    source: str  # the directory read, or "built-in"

    def weights_for(self, categories: Iterable[str]) -> tuple[int, ...]:
        found: list[int] = []
        for name in categories:
            found += self.weights_g.get(name, ())
        return tuple(found)


# Fallbacks: a handful of real Olist seller towns and typical weights per category.
BUILTIN_SELLERS = tuple(Seller(c, s) for c, s in [
    ("sao paulo", "SP"), ("campinas", "SP"), ("curitiba", "PR"), ("belo horizonte", "MG"),
    ("rio de janeiro", "RJ"), ("porto alegre", "RS"), ("joinville", "SC"), ("ribeirao preto", "SP"),
    ("maringa", "PR"), ("goiania", "GO"), ("brasilia", "DF"), ("santo andre", "SP"), ("londrina", "PR"),
    ("blumenau", "SC"), ("salvador", "BA"), ("vitoria", "ES"), ("guarulhos", "SP"), ("uberlandia", "MG"),
])
BUILTIN_WEIGHTS: dict[str, tuple[int, ...]] = {
    "food": (250, 500, 900, 1200, 2000), "food_drink": (300, 750, 1000, 1500, 2500), "drinks": (500, 1000, 1500),
    "flowers": (300, 600, 1100), "health_beauty": (100, 200, 350, 500, 800), "perfumery": (150, 250, 400),
    "telephony": (150, 200, 300, 450), "computers_accessories": (100, 300, 700, 1500),
    "audio": (200, 350, 900, 2000), "consoles_games": (150, 300, 2500),
    "fashio_female_clothing": (200, 300, 450), "fashion_male_clothing": (250, 400, 600),
    "fashion_shoes": (600, 900, 1300), "fashion_underwear_beach": (100, 150, 250),
    "fashion_bags_accessories": (300, 500, 900), "watches_gifts": (150, 250, 400, 700),
}


def default_dir() -> Path | None:
    """``ANXIN_OLIST_DIR``, else ``<repo>/../shared/data/olist`` when running from a checkout."""
    env = os.environ.get("ANXIN_OLIST_DIR")
    if env:
        return Path(env)
    repo = Path(__file__).resolve().parents[3]
    candidate = repo / ".." / "shared" / "data" / "olist"
    return candidate if candidate.is_dir() else None


def _rows(path: Path) -> list[dict[str, str]]:
    with gzip.open(path, "rb") as raw:
        # utf-8-sig: the translation file starts with a byte-order mark.
        return list(csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")))


def load(directory: Path | None = None, *, wanted: Iterable[str] | None = None) -> OlistSample:
    """Sellers and product weights (only for the ``wanted`` English categories, if given)."""
    directory = directory if directory is not None else default_dir()
    if directory is None or not all((directory / f).is_file() for f in (SELLERS, PRODUCTS, TRANSLATION)):
        return OlistSample(BUILTIN_SELLERS, BUILTIN_WEIGHTS, "built-in")
    try:
        sellers = tuple(Seller(r["seller_city"].strip(), r["seller_state"].strip())
                        for r in _rows(directory / SELLERS) if r.get("seller_city") and r.get("seller_state"))
        english = {r["product_category_name"]: r["product_category_name_english"]
                   for r in _rows(directory / TRANSLATION)}
        keep = set(wanted) if wanted is not None else None
        weights: dict[str, list[int]] = {}
        for r in _rows(directory / PRODUCTS):
            name = english.get(r.get("product_category_name") or "")
            grams = (r.get("product_weight_g") or "").strip()
            if not name or not grams.isdigit() or int(grams) <= 0 or (keep is not None and name not in keep):
                continue
            weights.setdefault(name, []).append(int(grams))
    except (OSError, EOFError, KeyError, UnicodeDecodeError, csv.Error):
        return OlistSample(BUILTIN_SELLERS, BUILTIN_WEIGHTS, "built-in")
    if not sellers:
        return OlistSample(BUILTIN_SELLERS, BUILTIN_WEIGHTS, "built-in")
    return OlistSample(sellers, {k: tuple(v) for k, v in weights.items()}, str(directory.resolve()))
