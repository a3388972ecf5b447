"""Rows of inspection plans and per-unit results."""

from __future__ import annotations
