"""The lucky-bag draw: seeded, auditable, each entrant's chance recorded. Pure."""

from __future__ import annotations
