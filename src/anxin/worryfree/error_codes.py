"""Stable error codes of the worry-free context's stock and lots."""

from __future__ import annotations
