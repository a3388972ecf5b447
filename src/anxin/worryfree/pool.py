"""The selection pool: listings creators can pick, filtered, with self-explaining badges."""

from __future__ import annotations
