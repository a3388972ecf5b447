"""Settings from the environment (ANXIN_*, read when Settings() is built), with embedded defaults for a laptop.

Keyword arguments win over the environment, the environment over the defaults; an empty variable counts as unset.
A value that does not validate is a ``SettingsError`` (code ``settings.invalid``) naming the variable, never a
traceback. ``ANXIN_MODE`` says where anxin runs: ``production`` (the default) needs a real ANXIN_WEBHOOK_SECRET
before `anxin serve` or `anxin worker` start; ``demo`` and ``test`` fall back to a development secret.
docs/configuration.md lists every setting.
"""

from __future__ import annotations

import datetime as dt
import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from anxin.core.clock import ensure_aware
from anxin.core.errors import AnxinError
from anxin.db.engine import DEFAULT_URL, DEFAULT_WORKERS

# Signs webhooks in demo and test mode only: it is public, so production refuses to start on it.
DEV_WEBHOOK_SECRET = "anxin-dev-secret-change-me"
MASK = "**********"
ENV_PREFIX = "ANXIN_"
Mode = Literal["production", "demo", "test"]
RELAXED_MODES: frozenset[str] = frozenset({"demo", "test"})


class SettingsCode(StrEnum):
    INVALID = "settings.invalid"
    WEBHOOK_SECRET_REQUIRED = "settings.webhook_secret_required"


class SettingsError(AnxinError, ValueError):
    """Settings that cannot run: every problem with the variable it came from."""

    def __init__(self, code: SettingsCode, message: str, problems: list[str] | None = None) -> None:
        super().__init__(code, message, problems=problems or [])
        self.problems = problems or []


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_ignore_empty=True, frozen=True, extra="forbid",
                                      validate_by_name=True, validate_by_alias=True)

    # production | demo | test: demo and test may run without a webhook secret (`anxin demo` and the tests set it).
    mode: Mode = "production"
    database_url: str = DEFAULT_URL
    # Request threads per server process; the database pool holds this many connections plus 4.
    workers: int = Field(DEFAULT_WORKERS, ge=1, le=512)
    # How long the server keeps an idle client connection open. Above the idle timeout of whatever sits in front
    # (load balancers use 60 s): a server that closes first races the client's next request on that connection,
    # which then fails with a reset instead of an answer. uvicorn's own default is 5 s.
    keep_alive_seconds: int = Field(75, ge=1, le=3600)
    evidence_dir: Path = Path("var/evidence")
    webhook_url: str | None = None
    # The default endpoint's signing secret (whsec_<base64>, or any text used as its UTF-8 bytes).
    webhook_secret: SecretStr | None = None
    tick_seconds: float = Field(5.0, gt=0)
    # Domain events are handled right after the transaction that recorded them, in the thread that committed it;
    # off (0), only the worker handles them. Either way, the worker retries what failed.
    inline_events: bool = True
    # How long a webhook delivery or a domain event claimed by a worker stays with it: one that a dead worker held
    # is taken by another once this ran out. Keep it well above a send (5 s timeout) and its recording.
    delivery_lease_seconds: int = Field(60, ge=1)
    # An action sent to the platform and not acknowledged within this many minutes shows as unconfirmed.
    action_ack_minutes: int = Field(60, ge=1)
    # Guarantee rulebook files, separated by os.pathsep (default: the packaged ones).
    rulebook_paths: Annotated[tuple[Path, ...], NoDecode] = Field((), validation_alias="ANXIN_RULEBOOKS")
    # Risk control: the rulebook file (default: the packaged one) and its mode. "off" skips verdicts,
    # "shadow" records what the rules would have done and enforces nothing, "enforce" acts; unset = the rulebook's.
    risk_rulebook: Path | None = None
    risk_mode: Literal["off", "shadow", "enforce"] | None = None
    # The merchants rulebook bundle: a directory with rulebook.yaml and one file per section (default: packaged).
    merchant_rulebook: Path | None = None
    # Business times ingestion accepts (issue 13): from ANXIN_TIME_MIN to the clock's now + ANXIN_FUTURE_HORIZON_DAYS.
    # An event with a time outside is refused (event.time_out_of_range) instead of crashing every later job on it.
    time_min: dt.datetime = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    future_horizon_days: int = Field(730, ge=1, le=36_500)
    # Security and input limits (issue 13): request bodies (POST /v1/events has its own, larger limit), failed key
    # attempts per client address per window (counted in each server process), one-time login link lifetime.
    max_body_bytes: int = Field(1024 * 1024, ge=1)
    events_max_bytes: int = Field(8 * 1024 * 1024, ge=1)
    auth_failure_limit: int = Field(20, ge=1)
    auth_failure_window_seconds: int = Field(60, ge=1, validation_alias="ANXIN_AUTH_FAILURE_WINDOW")
    login_link_minutes: int = Field(15, ge=1)

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as exc:
            problems = [_problem(error) for error in exc.errors()]
            raise SettingsError(SettingsCode.INVALID, "invalid settings: " + "; ".join(problems), problems) from None

    @field_validator("rulebook_paths", mode="before")
    @classmethod
    def _split_paths(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(Path(p) for p in value.split(os.pathsep) if p)
        return value

    @field_validator("time_min", mode="before")
    @classmethod
    def _instant(cls, value: Any) -> Any:
        """An ISO 8601 date or instant; without an offset it is UTC."""
        if isinstance(value, str):
            try:
                return ensure_aware(dt.datetime.fromisoformat(value.replace("Z", "+00:00")))
            except ValueError:
                raise ValueError("must be an ISO 8601 date or instant") from None
        if isinstance(value, dt.datetime):
            return ensure_aware(value)
        return value

    @field_validator("webhook_url", "webhook_secret", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        return None if value == "" else value

    def signing_secret(self) -> str:
        """The default endpoint's secret: ANXIN_WEBHOOK_SECRET, or in demo and test mode the development one."""
        if self.webhook_secret is not None:
            return self.webhook_secret.get_secret_value()
        if self.mode in RELAXED_MODES:
            return DEV_WEBHOOK_SECRET
        raise SettingsError(SettingsCode.WEBHOOK_SECRET_REQUIRED, _SECRET_REQUIRED)

    def check_startup(self) -> None:
        """What `anxin serve` and `anxin worker` check before they start: production signs with a real secret."""
        self.signing_secret()


_SECRET_REQUIRED = ("ANXIN_WEBHOOK_SECRET is not set: anxin signs the webhooks it sends with it and will not start "
                    "in production without one. Set ANXIN_WEBHOOK_SECRET (e.g. whsec_<base64 of 32 random bytes>), "
                    "or ANXIN_MODE=demo for a local trial")


def env_name(field: str) -> str:
    """The environment variable a setting is read from."""
    alias = Settings.model_fields[field].validation_alias
    return alias if isinstance(alias, str) else ENV_PREFIX + field.upper()


def _problem(error: Any) -> str:
    loc = error.get("loc") or ()
    field = str(loc[0]) if loc else "?"
    if field in Settings.model_fields:
        where = f"{env_name(field)} ({field})"
    else:
        where = field if field.startswith(ENV_PREFIX) else f"{ENV_PREFIX}{field.upper()}"
    value = error.get("input")
    shown = MASK if field == "webhook_secret" else repr(value) if isinstance(value, str | int | float) else None
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    return f"{where}: {message}" + (f", got {shown}" if shown is not None else "")


def mask_url(url: str) -> str:
    """A database URL fit to print: its password masked."""
    import sqlalchemy as sa

    try:
        parsed = sa.engine.make_url(url)
    except Exception:  # not a URL SQLAlchemy can read: print nothing of it that could be a password
        return MASK
    if parsed.password is None:
        return parsed.render_as_string(hide_password=False)
    return parsed.set(password="PASSWORD").render_as_string(hide_password=False).replace(":PASSWORD@", f":{MASK}@")


def describe(settings: Settings) -> list[dict[str, Any]]:
    """Every setting as ``anxin config`` prints it: name, variable, printable value (secrets masked) and source
    (``env`` when the variable is set, else ``default``)."""
    rows: list[dict[str, Any]] = []
    for name in Settings.model_fields:
        var = env_name(name)
        value: Any = getattr(settings, name)
        source = "env" if os.environ.get(var) else "default"
        if name == "webhook_secret":
            if value is not None:
                value = MASK
            elif settings.mode in RELAXED_MODES:
                value, source = MASK, f"default (development secret, {settings.mode} mode only)"
            else:
                value = None
        elif name == "database_url":
            value = mask_url(value)
        elif isinstance(value, Path):
            value = str(value)
        elif isinstance(value, tuple):
            value = [str(v) for v in value]
        elif isinstance(value, dt.datetime):
            value = value.isoformat()
        rows.append({"name": name, "env": var, "value": value, "source": source})
    return rows
