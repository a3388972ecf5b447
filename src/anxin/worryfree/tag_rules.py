"""The enrolment and tag rulebook, validated on load."""

from __future__ import annotations
