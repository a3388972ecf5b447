"""Stable error codes of lucky bags."""

from __future__ import annotations
