"""Rows of lucky bags, entries, draws and prizes."""

from __future__ import annotations
