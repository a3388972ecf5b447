"""Worry-free use cases other contexts call (in the caller's unit of work), and the service bootstrap builds."""

from __future__ import annotations
