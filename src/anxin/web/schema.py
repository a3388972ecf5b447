"""What the response models of every context share: a strict base, instants as ISO text and money as fen.

Under the tests (ANXIN_MODE=test) a response model forbids members it does not describe: a service answering a
field the published schema does not know fails loudly there (a 500) instead of the field being dropped silently on
its way out. Anywhere else the undescribed member is dropped: a schema that lags the service by one field must not
turn a good answer into a 500 for a client that could not have read that field anyway."""

from __future__ import annotations

import os
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Instant = Annotated[str, Field(json_schema_extra={"format": "date-time"},
                               description="ISO 8601 with an offset (UTC)")]
Fen = Annotated[int, Field(description="money in fen (integer; 100 fen = 1 yuan)")]
Texts = Annotated[dict[str, str], Field(description="a text by language (zh-CN, en)")]
Free = dict[str, Any]  # a value whose members are open (event data, rule definitions, facts), not a response


# Read once, when the models are built (their config is fixed then); tests/conftest.py sets it before any import.
STRICT = os.environ.get("ANXIN_MODE") == "test"


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid" if STRICT else "ignore", populate_by_name=True)


class Health(Out):
    status: Literal["ok"]
    version: str = Field(description="anxin's version")
    rulebook: str = Field(description="the version of the rulebook in force")
