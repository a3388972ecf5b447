"""Why a merchant decision came out as it did. Pure.

Every merchant decision (screening, lifecycle moves, deposits, fees, novice tasks, offers) carries reasons: a stable
code, the rulebook entry that produced it and the figures it compared. Pages word them from the merchants
catalog's ``mc.reason.<code>`` templates over ``params`` (zh-CN and en; docs/i18n.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Reason:
    code: str  # stable, dotted: "screening.banned_link", "loan.score_below"
    rule_id: str = ""  # the rulebook entry that produced it ("" if none)
    params: Mapping[str, int | str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "rule_id": self.rule_id, "params": dict(self.params)}


def render(reason: Reason, texts: Mapping[str, Mapping[str, str]], lang: str) -> str:
    """The reason in ``lang`` (zh-CN | en); the bare code when no text is known, so nothing is hidden."""
    template = texts.get(reason.code, {}).get(lang)
    if template is None:
        return reason.code
    try:
        return template.format(**reason.params)
    except (KeyError, IndexError, ValueError):
        return reason.code
