"""Rows of lots, stock and reservations."""

from __future__ import annotations
