"""Settings from the environment (read when Settings() is built), with embedded defaults for a laptop."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

from anxin.core.clock import ensure_aware
from anxin.db.engine import database_url


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


def _instant_env(name: str, default: str) -> dt.datetime:
    """An ISO 8601 date or instant; without an offset it is UTC."""
    text = _env(name, default)
    try:
        return ensure_aware(dt.datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        raise ValueError(f"{name} must be an ISO 8601 date or instant, got {text!r}") from None


def _int_env(name: str, default: str) -> int:
    text = _env(name, default)
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{name} must be an integer, got {text!r}") from None


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=database_url)
    evidence_dir: Path = field(default_factory=lambda: Path(_env("ANXIN_EVIDENCE_DIR", "var/evidence")))
    webhook_url: str | None = field(default_factory=lambda: os.environ.get("ANXIN_WEBHOOK_URL") or None)
    webhook_secret: str = field(default_factory=lambda: _env("ANXIN_WEBHOOK_SECRET", "anxin-dev-secret-change-me"))
    tick_seconds: float = field(default_factory=lambda: float(_env("ANXIN_TICK_SECONDS", "5")))
    # Domain events are handled right after the transaction that recorded them, in the thread that committed it;
    # off (0), only the worker handles them. Either way, the worker retries what failed.
    inline_events: bool = field(default_factory=lambda: _env("ANXIN_INLINE_EVENTS", "1") not in ("0", "false", "no"))
    # How long a webhook delivery or a domain event claimed by a worker stays with it: one that a dead worker held
    # is taken by another once this ran out. Keep it well above a send (5 s timeout) and its recording.
    delivery_lease_seconds: int = field(default_factory=lambda: _int_env("ANXIN_DELIVERY_LEASE_SECONDS", "60"))
    # An action sent to the platform and not acknowledged within this many minutes shows as unconfirmed.
    action_ack_minutes: int = field(default_factory=lambda: _int_env("ANXIN_ACTION_ACK_MINUTES", "60"))
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

    # Business times ingestion accepts (issue 13): from ANXIN_TIME_MIN to the clock's now + ANXIN_FUTURE_HORIZON_DAYS.
    # An event with a time outside is refused (event.time_out_of_range) instead of crashing every later job on it.
    time_min: dt.datetime = field(default_factory=lambda: _instant_env("ANXIN_TIME_MIN", "2000-01-01"))
    future_horizon_days: int = field(default_factory=lambda: _int_env("ANXIN_FUTURE_HORIZON_DAYS", "730"))
    # Security and input limits (issue 13): request bodies (POST /v1/events has its own, larger limit), failed key
    # attempts per client address per window (counted in each server process), one-time login link lifetime.
    max_body_bytes: int = field(default_factory=lambda: _int_env("ANXIN_MAX_BODY_BYTES", str(1024 * 1024)))
    events_max_bytes: int = field(default_factory=lambda: _int_env("ANXIN_EVENTS_MAX_BYTES", str(8 * 1024 * 1024)))
    auth_failure_limit: int = field(default_factory=lambda: _int_env("ANXIN_AUTH_FAILURE_LIMIT", "20"))
    auth_failure_window_seconds: int = field(default_factory=lambda: _int_env("ANXIN_AUTH_FAILURE_WINDOW", "60"))
    login_link_minutes: int = field(default_factory=lambda: _int_env("ANXIN_LOGIN_LINK_MINUTES", "15"))

    def __post_init__(self) -> None:
        for name in ("max_body_bytes", "events_max_bytes", "auth_failure_limit", "auth_failure_window_seconds",
                     "login_link_minutes", "delivery_lease_seconds"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        if not 1 <= self.future_horizon_days <= 36_500:
            raise ValueError(f"ANXIN_FUTURE_HORIZON_DAYS must be in [1, 36500], got {self.future_horizon_days}")
        if self.risk_mode not in (None, "off", "shadow", "enforce"):
            raise ValueError(f"ANXIN_RISK_MODE must be off, shadow or enforce, got {self.risk_mode!r}")
