"""The catalogue as the platform sends it: the models of `category.upserted` and `listing.upserted` data and
their thin parsers.

They raise `anxin.core.fields.FieldInvalid` (`anxin.core.payload.parse`); ingestion turns it into its error code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Self

from pydantic import BeforeValidator, Field, Strict, model_validator
from pydantic_core import PydanticCustomError

from anxin.catalog.model import Category, Listing, ListingTiers, valid_tag
from anxin.core.payload import Fen, Hours, Id, Instant, Line, Payload, Title, parse, rule


def _tag(tag: Any) -> Any:
    if isinstance(tag, str) and not valid_tag(tag):
        raise PydanticCustomError("tag", "tags are lowercase identifiers, got {tag}", {"tag": repr(tag)})
    return tag


Tag = Annotated[str, Field(strict=True, pattern=r"^[a-z0-9_]{1,32}$"), BeforeValidator(_tag)]

MAX_DESCRIPTION = 5000  # characters: a listing's text as platforms cap it; governance scans all of it


def _no_nul(value: Any) -> Any:
    if isinstance(value, str) and "\x00" in value:  # PostgreSQL cannot store NUL (the event log keeps the payload)
        raise PydanticCustomError("nul", "contains a NUL character")
    return value


# Free text that may be empty (a listing without a description sends "" or nothing).
Description = Annotated[str, Field(max_length=MAX_DESCRIPTION, description=f"the listing's text, at most "
                                   f"{MAX_DESCRIPTION} characters"), Strict(), BeforeValidator(_no_nul)]


class CategoryUpserted(Payload):
    """`category.upserted`: a category, its parent and the tags rules read (`fresh`, `hygiene_sealed`, …)."""

    category_id: Id
    name: Line
    parent_id: Id | None = None
    tags: list[Tag] | None = None

    @model_validator(mode="after")
    def _not_its_own_parent(self) -> Self:
        if self.parent_id == self.category_id:
            raise rule("a category cannot be its own parent", field="parent_id")
        return self


class Tiers(Payload):
    """阶梯发货: spot stock ships within `spot_hours` (or the listing's promise), presale stock by exactly one of
    a date (`presale_ship_by`) or a number of hours after payment (`presale_hours`)."""

    spot_hours: Hours | None = None
    presale_ship_by: Instant | None = None
    presale_hours: Hours | None = None

    @model_validator(mode="after")
    def _one_presale_promise(self) -> Self:
        if (self.presale_ship_by is None) == (self.presale_hours is None):
            raise rule("needs exactly one of presale_ship_by or presale_hours")
        return self


class ListingUpserted(Payload):
    """`listing.upserted`: a listing, its text and the shipping promise it makes."""

    listing_id: Id
    shop_id: Id
    category_id: Id
    title: Title
    description: Description | None = None
    price_fen: Fen
    ship_within_hours: Hours | None = Field(None, description="the listing setting's promise")
    page_ship_within_hours: Hours | None = Field(None, description="the promise shown on the listing page")
    presale_ship_by: Instant | None = None
    tiers: Tiers | None = None
    commission_bp: Annotated[int, Strict(), Field(ge=0, le=10_000)] | None = Field(
        None, description="精选联盟: the commission offered to creators, basis points of the price (0..10000; "
                          "1500 = 15 %); absent: not offered to creators")

    @model_validator(mode="after")
    def _one_presale_date(self) -> Self:
        if self.tiers is not None and self.presale_ship_by is not None:
            raise rule("a tiered listing gives its presale date inside data.tiers", field="presale_ship_by")
        return self


def parse_category(d: Mapping[str, Any]) -> Category:
    m = parse(CategoryUpserted, d)
    return Category(m.category_id, m.name, m.parent_id, frozenset(m.tags or ()))


def parse_listing(d: Mapping[str, Any]) -> Listing:
    m = parse(ListingUpserted, d)
    t = m.tiers
    tiers = None if t is None else ListingTiers(t.spot_hours, t.presale_ship_by, t.presale_hours)
    return Listing(m.listing_id, m.shop_id, m.category_id, m.title, m.price_fen, m.ship_within_hours,
                   m.page_ship_within_hours, m.presale_ship_by, tiers, description=m.description,
                   commission_bp=m.commission_bp)


# The model of each event type's data (published as JSON Schema).
PAYLOADS: dict[str, type[Payload]] = {"category.upserted": CategoryUpserted, "listing.upserted": ListingUpserted}
