"""Facts the worry-free programme publishes."""

from __future__ import annotations
