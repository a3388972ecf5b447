"""Lucky-bag campaigns, entries, draws and prize orders."""

from __future__ import annotations
