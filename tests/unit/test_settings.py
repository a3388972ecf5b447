"""Settings: defaults, the environment, refusals with the variable's name, masking, and the mode rule."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from anxin.db import migrate
from anxin.settings import DEV_WEBHOOK_SECRET, MASK, Settings, SettingsCode, SettingsError, describe, mask_url


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No ANXIN_* variable from the caller's shell leaks in; production mode unless a test says otherwise."""
    for name in list(os.environ):
        if name.startswith("ANXIN_"):
            monkeypatch.delenv(name)


def test_defaults_are_the_laptop_ones() -> None:
    s = Settings()
    assert s.mode == "production"
    assert s.database_url == "sqlite:///var/anxin.db"
    assert s.evidence_dir == Path("var/evidence")
    assert (s.webhook_url, s.webhook_secret) == (None, None)
    assert (s.tick_seconds, s.inline_events, s.delivery_lease_seconds, s.action_ack_minutes) == (5.0, True, 60, 60)
    assert (s.rulebook_paths, s.risk_rulebook, s.risk_mode, s.merchant_rulebook) == ((), None, None, None)
    assert s.time_min == dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    assert (s.future_horizon_days, s.max_body_bytes, s.events_max_bytes) == (730, 1024 * 1024, 8 * 1024 * 1024)
    assert (s.auth_failure_limit, s.auth_failure_window_seconds, s.login_link_minutes, s.workers) == (20, 60, 15, 16)


def test_every_variable_overrides_its_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    env = {"ANXIN_MODE": "demo", "ANXIN_DATABASE_URL": "postgresql+psycopg://u@h/db", "ANXIN_WORKERS": "3",
           "ANXIN_KEEP_ALIVE_SECONDS": "30",
           "ANXIN_EVIDENCE_DIR": str(tmp_path), "ANXIN_WEBHOOK_URL": "http://hook", "ANXIN_WEBHOOK_SECRET": "whsec_x",
           "ANXIN_TICK_SECONDS": "0.5", "ANXIN_INLINE_EVENTS": "0", "ANXIN_DELIVERY_LEASE_SECONDS": "7",
           "ANXIN_ACTION_ACK_MINUTES": "9", "ANXIN_RULEBOOKS": os.pathsep.join(["a.yaml", "", "b.yaml"]),
           "ANXIN_RISK_RULEBOOK": "r.yaml", "ANXIN_RISK_MODE": "shadow", "ANXIN_MERCHANT_RULEBOOK": "m",
           "ANXIN_TIME_MIN": "2020-01-01T08:00:00+08:00", "ANXIN_FUTURE_HORIZON_DAYS": "30",
           "ANXIN_MAX_BODY_BYTES": "100", "ANXIN_EVENTS_MAX_BYTES": "200", "ANXIN_AUTH_FAILURE_LIMIT": "4",
           "ANXIN_AUTH_FAILURE_WINDOW": "5", "ANXIN_LOGIN_LINK_MINUTES": "6"}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    s = Settings()
    assert (s.mode, s.database_url, s.workers, s.evidence_dir, s.webhook_url) == (
        "demo", "postgresql+psycopg://u@h/db", 3, tmp_path, "http://hook")
    assert s.webhook_secret is not None and s.webhook_secret.get_secret_value() == "whsec_x"
    assert s.keep_alive_seconds == 30
    assert (s.tick_seconds, s.inline_events, s.delivery_lease_seconds, s.action_ack_minutes) == (0.5, False, 7, 9)
    assert s.rulebook_paths == (Path("a.yaml"), Path("b.yaml"))
    assert (s.risk_rulebook, s.risk_mode, s.merchant_rulebook) == (Path("r.yaml"), "shadow", Path("m"))
    assert s.time_min == dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    assert (s.future_horizon_days, s.max_body_bytes, s.events_max_bytes) == (30, 100, 200)
    assert (s.auth_failure_limit, s.auth_failure_window_seconds, s.login_link_minutes) == (4, 5, 6)
    # every row anxin config prints says where its value came from
    assert {r["source"] for r in describe(s)} == {"env"}


def test_keywords_win_over_the_environment_and_empty_variables_count_as_unset(monkeypatch) -> None:
    monkeypatch.setenv("ANXIN_AUTH_FAILURE_WINDOW", "30")
    monkeypatch.setenv("ANXIN_WEBHOOK_URL", "")  # `anxin demo` hands its worker an empty one
    monkeypatch.setenv("ANXIN_RISK_MODE", "")
    s = Settings(auth_failure_window_seconds=9, webhook_secret="s")
    assert (s.auth_failure_window_seconds, s.webhook_url, s.risk_mode) == (9, None, None)
    assert Settings().auth_failure_window_seconds == 30


@pytest.mark.parametrize(("var", "value", "says"), [
    ("ANXIN_MAX_BODY_BYTES", "0", "ANXIN_MAX_BODY_BYTES (max_body_bytes): Input should be greater than or equal to 1"),
    ("ANXIN_WORKERS", "513", "ANXIN_WORKERS (workers): Input should be less than or equal to 512"),
    ("ANXIN_TIME_MIN", "yesterday", "ANXIN_TIME_MIN (time_min): must be an ISO 8601 date or instant, got 'yesterday'"),
    ("ANXIN_FUTURE_HORIZON_DAYS", "40000", "ANXIN_FUTURE_HORIZON_DAYS (future_horizon_days)"),
    ("ANXIN_RISK_MODE", "loud", "ANXIN_RISK_MODE (risk_mode): Input should be 'off', 'shadow' or 'enforce'"),
    ("ANXIN_MODE", "staging", "ANXIN_MODE (mode): Input should be 'production', 'demo' or 'test'"),
    ("ANXIN_INLINE_EVENTS", "perhaps", "ANXIN_INLINE_EVENTS (inline_events): Input should be a valid boolean"),
    ("ANXIN_AUTH_FAILURE_WINDOW", "-1", "ANXIN_AUTH_FAILURE_WINDOW: Input should be greater than or equal to 1"),
    ("ANXIN_TICK_SECONDS", "soon", "ANXIN_TICK_SECONDS (tick_seconds): Input should be a valid number"),
])
def test_an_invalid_value_is_a_settings_error_naming_its_variable(monkeypatch, var: str, value: str,
                                                                   says: str) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(SettingsError) as caught:
        Settings()
    assert caught.value.code == SettingsCode.INVALID
    assert len(caught.value.problems) == 1 and caught.value.problems[0].startswith(says), caught.value.problems


def test_every_problem_is_reported_at_once(monkeypatch) -> None:
    monkeypatch.setenv("ANXIN_WORKERS", "0")
    monkeypatch.setenv("ANXIN_LOGIN_LINK_MINUTES", "x")
    with pytest.raises(SettingsError) as caught:
        Settings()
    assert [p.split(" ")[0] for p in caught.value.problems] == ["ANXIN_WORKERS", "ANXIN_LOGIN_LINK_MINUTES"]


def test_production_refuses_to_sign_without_a_secret_and_demo_and_test_use_the_development_one(monkeypatch) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings().check_startup()
    assert caught.value.code == SettingsCode.WEBHOOK_SECRET_REQUIRED
    assert "ANXIN_WEBHOOK_SECRET" in caught.value.message
    with pytest.raises(SettingsError):
        Settings(mode="production").signing_secret()
    for mode in ("demo", "test"):
        Settings(mode=mode).check_startup()
        assert Settings(mode=mode).signing_secret() == DEV_WEBHOOK_SECRET
    monkeypatch.setenv("ANXIN_WEBHOOK_SECRET", "whsec_AAAA")
    Settings().check_startup()
    assert Settings().signing_secret() == Settings(mode="demo").signing_secret() == "whsec_AAAA"


def test_secrets_never_show(monkeypatch) -> None:
    monkeypatch.setenv("ANXIN_WEBHOOK_SECRET", "whsec_topsecret")
    monkeypatch.setenv("ANXIN_DATABASE_URL", "postgresql+psycopg://anxin:pa%40ss@db:5432/anxin")
    s = Settings()
    assert "topsecret" not in repr(s) and "topsecret" not in str(s)
    rows = {r["name"]: r for r in describe(s)}
    assert rows["webhook_secret"] == {"name": "webhook_secret", "env": "ANXIN_WEBHOOK_SECRET", "value": MASK,
                                      "source": "env"}
    assert rows["database_url"]["value"] == f"postgresql+psycopg://anxin:{MASK}@db:5432/anxin"
    monkeypatch.setenv("ANXIN_WEBHOOK_SECRET", "x" * 3)
    with pytest.raises(SettingsError) as caught:  # a bad value next to the secret does not print the secret
        Settings(workers="many")
    assert "xxx" not in str(caught.value)


def test_an_invalid_secret_is_masked_in_the_error() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings(webhook_secret=12345678)
    assert "12345678" not in str(caught.value) and MASK in str(caught.value)


def test_a_database_url_without_password_or_unreadable_is_shown_safely() -> None:
    assert mask_url("sqlite:///var/anxin.db") == "sqlite:///var/anxin.db"
    assert mask_url("postgresql+psycopg://postgres@127.0.0.1:5432/x") == "postgresql+psycopg://postgres@127.0.0.1:5432/x"
    assert mask_url("not a url with secret") == MASK


PASSWORD = "p@ss:w/rd%25!"  # every character a URL must escape, and an escape sequence taken literally
ESCAPED = "p%40ss%3Aw%2Frd%2525%21"


def test_a_password_with_escaped_characters_reaches_sqlalchemy_and_alembic_exactly() -> None:
    url = f"postgresql+psycopg://anxin:{ESCAPED}@127.0.0.1:5432/anxin"
    engine = sa.create_engine(Settings(database_url=url).database_url)  # no connection is made
    assert engine.url.password == PASSWORD
    cfg = migrate.alembic_config(engine)  # ValueError: invalid interpolation syntax, before the fix
    handed = cfg.get_main_option("sqlalchemy.url")
    assert handed is not None and sa.engine.make_url(handed).password == PASSWORD
    assert sa.engine.make_url(handed) == engine.url
    assert cfg.attributes["engine"] is engine
