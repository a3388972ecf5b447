"""Settings from the environment (read when Settings() is built), with embedded defaults for a laptop."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from anxin.db.engine import database_url


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=database_url)
    evidence_dir: Path = field(default_factory=lambda: Path(_env("ANXIN_EVIDENCE_DIR", "var/evidence")))
    webhook_url: str | None = field(default_factory=lambda: os.environ.get("ANXIN_WEBHOOK_URL") or None)
    webhook_secret: str = field(default_factory=lambda: _env("ANXIN_WEBHOOK_SECRET", "anxin-dev-secret-change-me"))
    tick_seconds: float = field(default_factory=lambda: float(_env("ANXIN_TICK_SECONDS", "5")))
    rulebook_paths: tuple[Path, ...] = field(default_factory=lambda: tuple(
        Path(p) for p in _env("ANXIN_RULEBOOKS", "").split(os.pathsep) if p))
    # Risk control: the rulebook file (default: the packaged one) and its mode. "off" skips verdicts,
    # "shadow" records what the rules would have done and enforces nothing, "enforce" acts; empty = the rulebook's.
    risk_rulebook: Path | None = field(default_factory=lambda: Path(p) if (p := os.environ.get("ANXIN_RISK_RULEBOOK"))
                                       else None)
    risk_mode: str | None = field(default_factory=lambda: os.environ.get("ANXIN_RISK_MODE") or None)
    # The merchants rulebook bundle: a directory with rulebook.yaml and one file per section (default: packaged).
    merchant_rulebook: Path | None = field(default_factory=lambda: Path(p) if (
        p := os.environ.get("ANXIN_MERCHANT_RULEBOOK")) else None)

    def __post_init__(self) -> None:
        if self.risk_mode not in (None, "off", "shadow", "enforce"):
            raise ValueError(f"ANXIN_RISK_MODE must be off, shadow or enforce, got {self.risk_mode!r}")
