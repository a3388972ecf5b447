"""Stable error codes of enrolment and the tag."""

from __future__ import annotations
