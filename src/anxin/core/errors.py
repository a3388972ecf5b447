"""Errors with stable codes.

Each context keeps its own code enum in ``error_codes.py`` (Saleor style), an ``ErrorCode`` whose members carry
the HTTP status they answer with; the web layer collects them from the list of contexts (``anxin.web.errors``),
and the CLI prints code and message.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Self


class ErrorCode(StrEnum):
    """A context's stable codes, each declared with the HTTP status it answers: ``NOT_FOUND = "x.not_found", 404``.

    The member is the code string (``ErrorCode("x.not_found")`` finds it); a member without a status fails at
    import, so a new code cannot silently become a 500.
    """

    status: int

    def __new__(cls, value: str, status: int = 0) -> Self:  # the default only lets `Code("x.y")` look one up
        if not 400 <= status < 500:
            raise ValueError(f"{value}: an error code answers a 4xx status, not {status}")
        member = str.__new__(cls, value)
        member._value_ = value
        member.status = status
        return member


class AnxinError(Exception):
    """A failure a caller can act on: a stable code, a message for people, optional details."""

    def __init__(self, code: StrEnum, message: str, **details: Any) -> None:
        super().__init__(f"{code.value}: {message}")
        self.code = code
        self.message = message
        self.details = details

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code.value, "message": self.message}
        if self.details:
            body["details"] = self.details
        return body
