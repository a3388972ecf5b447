"""Worry-free vs other orders: 24-hour ship rate, next-day delivery, complaint and after-sale rates."""

from __future__ import annotations
