"""What is wrong with a field of a JSON object a platform sent (an event's ``data``, a nested item): ``FieldInvalid``,
with the kind of problem and the field's path, so a sender can fix exactly what was wrong.

The payload models (``anxin.core.payload``) and risk's attribute check raise it; whoever receives the payload maps
the kind of problem to its own stable error code (ingestion: ``event.invalid_field`` and so on).
"""

from __future__ import annotations

from enum import StrEnum

MAX_ID = 64  # shop, listing, order, consumer ids: the width of their columns
MAX_TEXT = 2000
MAX_HOURS = 24 * 90


class Problem(StrEnum):
    FIELD = "field"  # missing, wrong type, out of range, not one of the options
    MONEY = "money"  # not a whole, non-negative fen amount within MAX_FEN
    TIMESTAMP = "timestamp"  # not an ISO 8601 instant with an offset


class FieldInvalid(ValueError):
    def __init__(self, problem: Problem, message: str, field: str) -> None:
        super().__init__(message)
        self.problem = problem
        self.field = field
