"""`anxin config`, invalid settings on the command line, and `anxin serve` / `anxin worker` in production mode."""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner

from anxin.cli.main import main
from anxin.settings import MASK


@pytest.fixture(autouse=True)
def env(tmp_path, monkeypatch):
    for name in list(os.environ):
        if name.startswith("ANXIN_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("ANXIN_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("ANXIN_EVIDENCE_DIR", str(tmp_path / "evidence"))
    return tmp_path


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_config_prints_every_setting_with_its_source_and_masks_the_secrets(monkeypatch) -> None:
    monkeypatch.setenv("ANXIN_WEBHOOK_SECRET", "whsec_c2VjcmV0LXZhbHVl")
    monkeypatch.setenv("ANXIN_DATABASE_URL", "postgresql+psycopg://anxin:hunter2%40x@db/anxin")
    monkeypatch.setenv("ANXIN_TICK_SECONDS", "2")
    r = run("config")
    assert r.exit_code == 0, r.output
    assert "c2VjcmV0LXZhbHVl" not in r.output and "hunter2" not in r.output
    lines = {line.split()[0]: line for line in r.output.splitlines()}
    assert lines["ANXIN_WEBHOOK_SECRET"].split()[1:] == [MASK, "[env]"]
    assert lines["ANXIN_DATABASE_URL"].split()[1:] == [f"postgresql+psycopg://anxin:{MASK}@db/anxin", "[env]"]
    assert lines["ANXIN_TICK_SECONDS"].split()[1:] == ["2.0", "[env]"]
    assert lines["ANXIN_LOGIN_LINK_MINUTES"].split()[1:] == ["15", "[default]"]
    assert lines["ANXIN_MODE"].split()[1:] == ["production", "[default]"]


def test_config_json(monkeypatch) -> None:
    monkeypatch.setenv("ANXIN_WEBHOOK_SECRET", "whsec_c2VjcmV0LXZhbHVl")
    monkeypatch.setenv("ANXIN_RULEBOOKS", os.pathsep.join(["a.yaml", "b.yaml"]))
    r = run("config", "--json")
    assert r.exit_code == 0, r.output
    body = json.loads(r.output)
    rows = {row["env"]: row for row in body["settings"]}
    assert body["mode"] == "production" and body["problems"] == []
    assert rows["ANXIN_WEBHOOK_SECRET"] == {"name": "webhook_secret", "env": "ANXIN_WEBHOOK_SECRET", "value": MASK,
                                            "source": "env"}
    assert rows["ANXIN_RULEBOOKS"]["value"] == ["a.yaml", "b.yaml"]
    assert rows["ANXIN_WORKERS"] == {"name": "workers", "env": "ANXIN_WORKERS", "value": 16, "source": "default"}
    assert rows["ANXIN_AUTH_FAILURE_WINDOW"]["name"] == "auth_failure_window_seconds"
    assert len(rows) == 22


def test_config_in_production_without_a_secret_says_serve_will_refuse() -> None:
    r = run("config", "--json")
    assert r.exit_code == 0
    body = json.loads(r.output)
    assert [p["code"] for p in body["problems"]] == ["settings.webhook_secret_required"]
    assert {row["env"]: row["value"] for row in body["settings"]}["ANXIN_WEBHOOK_SECRET"] is None


def test_config_in_demo_mode_shows_the_development_secret_masked(monkeypatch) -> None:
    monkeypatch.setenv("ANXIN_MODE", "demo")
    body = json.loads(run("config", "--json").output)
    row = {row["env"]: row for row in body["settings"]}["ANXIN_WEBHOOK_SECRET"]
    assert (row["value"], row["source"]) == (MASK, "default (development secret, demo mode only)")
    assert body["problems"] == []


def test_config_help_names_the_masking_and_the_docs() -> None:
    r = run("config", "--help")
    assert r.exit_code == 0 and "--json" in r.output and "masked" in r.output and "configuration.md" in r.output


@pytest.mark.parametrize("args", [["config"], ["serve"], ["worker", "--once"], ["keys", "create", "--role",
                                                                             "operator", "--subject", "x"]])
def test_an_invalid_value_ends_any_command_with_its_code_and_no_traceback(monkeypatch, args: list[str]) -> None:
    monkeypatch.setenv("ANXIN_MODE", "test")
    monkeypatch.setenv("ANXIN_MAX_BODY_BYTES", "lots")
    monkeypatch.setenv("ANXIN_WORKERS", "0")
    r = run(*args)
    assert r.exit_code == 2, r.output
    # (a command that reports AnxinErrors itself prints the problems on its one line, joined by "; ")
    assert r.output.startswith("error [settings.invalid]: invalid settings")
    assert "ANXIN_WORKERS (workers): Input should be greater than or equal to 1, got '0'" in r.output
    assert "ANXIN_MAX_BODY_BYTES (max_body_bytes): Input should be a valid integer" in r.output
    assert "Traceback" not in r.output and isinstance(r.exception, SystemExit)


@pytest.mark.parametrize("args", [["serve", "--port", "1"], ["worker", "--once"]])
def test_production_without_a_webhook_secret_refuses_to_start(env, args: list[str]) -> None:
    r = run(*args)
    assert r.exit_code == 2
    assert r.output.startswith("error [settings.webhook_secret_required]: ANXIN_WEBHOOK_SECRET is not set")
    assert not (env / "cli.db").exists()  # refused before migrating anything


def test_production_with_a_secret_and_test_mode_without_one_start_the_worker(monkeypatch) -> None:
    monkeypatch.setenv("ANXIN_WEBHOOK_SECRET", "whsec_c2VjcmV0LXZhbHVl")
    r = run("worker", "--once", "--only", "idempotency.purge")
    assert r.exit_code == 0, r.output
    monkeypatch.delenv("ANXIN_WEBHOOK_SECRET")
    monkeypatch.setenv("ANXIN_MODE", "test")
    r = run("worker", "--once", "--only", "idempotency.purge")
    assert r.exit_code == 0, r.output


def test_commands_that_send_nothing_run_in_production_without_a_secret() -> None:
    r = run("keys", "create", "--role", "operator", "--subject", "ops")
    assert r.exit_code == 0, r.output
