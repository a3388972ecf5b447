"""Queries of the selection pool."""

from __future__ import annotations
