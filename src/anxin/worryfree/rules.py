"""The worry-free rulebook (stock, shelf life, warehouse promise), validated on load."""

from __future__ import annotations
