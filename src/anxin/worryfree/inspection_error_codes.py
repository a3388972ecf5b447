"""Stable error codes of inbound inspection."""

from __future__ import annotations
