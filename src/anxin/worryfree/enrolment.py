"""Enrolling listings in the programme."""

from __future__ import annotations
