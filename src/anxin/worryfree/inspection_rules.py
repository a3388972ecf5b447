"""The inspection rulebook, validated on load."""

from __future__ import annotations
