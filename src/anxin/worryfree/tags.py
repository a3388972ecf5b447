"""The worry-free tag: evaluated by rule, gained and lost with its reasons."""

from __future__ import annotations
