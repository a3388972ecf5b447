"""What the response models of every context share: a strict base, instants as ISO text and money as fen.

A response model forbids members it does not describe: a service answering a field the published schema does not
know fails loudly in the tests (a 500) instead of the field being dropped silently on its way out."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Instant = Annotated[str, Field(json_schema_extra={"format": "date-time"},
                               description="ISO 8601 with an offset (UTC)")]
Fen = Annotated[int, Field(description="money in fen (integer; 100 fen = 1 yuan)")]
Texts = Annotated[dict[str, str], Field(description="a text by language (zh-CN, en)")]
Free = dict[str, Any]  # a value whose members are open (event data, rule definitions, facts), not a response


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Health(Out):
    status: Literal["ok"]
    version: str = Field(description="anxin's version")
    rulebook: str = Field(description="the version of the rulebook in force")
