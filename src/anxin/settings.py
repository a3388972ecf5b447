"""Settings from the environment, with embedded defaults that work on a laptop."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from anxin.db.engine import database_url


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=database_url)
    evidence_dir: Path = Path(os.environ.get("ANXIN_EVIDENCE_DIR", "var/evidence"))
    webhook_url: str | None = os.environ.get("ANXIN_WEBHOOK_URL") or None
    webhook_secret: str = os.environ.get("ANXIN_WEBHOOK_SECRET", "anxin-dev-secret-change-me")
    tick_seconds: float = float(os.environ.get("ANXIN_TICK_SECONDS", "5"))
    rulebook_paths: tuple[Path, ...] = tuple(
        Path(p) for p in os.environ.get("ANXIN_RULEBOOKS", "").split(os.pathsep) if p)
