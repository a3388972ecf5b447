"""Rows of enrolments and tag states with their history."""

from __future__ import annotations
