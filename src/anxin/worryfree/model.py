"""Pure worry-free objects: lots, stock, reservations, FEFO picking and shelf-life shares."""

from __future__ import annotations
