"""Selection-pool filters and badges. Pure."""

from __future__ import annotations
