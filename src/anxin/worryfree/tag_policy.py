"""Enrolment eligibility and the tag's rule, as pure decisions with reasons."""

from __future__ import annotations
