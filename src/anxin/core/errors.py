"""Errors with stable codes.

Each context keeps its own code enum in ``error_codes.py`` (Saleor style); the web layer maps every
code to an HTTP status in one table (``anxin.web.errors``), and the CLI prints code and message.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


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
