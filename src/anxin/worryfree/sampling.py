"""Inbound sample plans: sample size and acceptance number by lot size and tightening. Pure."""

from __future__ import annotations
