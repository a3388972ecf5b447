"""`anxin outbox …` against a private SQLite database: endpoints, listing, showing and redelivering."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from tests.conftest import T0

from anxin.bootstrap import bootstrap
from anxin.cli.main import main
from anxin.core.clock import FixedClock
from anxin.outbox.model import REFUND, RetryPolicy
from anxin.outbox.service import enqueue
from anxin.outbox.transport import RecordingTransport
from anxin.settings import Settings

pytestmark = pytest.mark.db


@pytest.fixture
def env(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("ANXIN_DATABASE_URL", url)
    monkeypatch.setenv("ANXIN_EVIDENCE_DIR", str(tmp_path / "evidence"))
    monkeypatch.delenv("ANXIN_WEBHOOK_URL", raising=False)
    return {"url": url, "evidence": tmp_path / "evidence"}


def run(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result, (json.loads(result.stdout) if result.exit_code == 0 else None)


def test_endpoints_and_messages_round_trip(env):
    added, body = run("outbox", "endpoints", "add", "http://down.test/hook", "--kind", REFUND,
                      "--description", "refunds")
    assert added.exit_code == 0, added.output
    ep = body["endpoint"]["endpoint_id"]
    assert body["secret"].startswith("whsec_") and body["endpoint"]["event_types"] == [REFUND]
    assert run("outbox", "endpoints", "list")[1][0]["endpoint_id"] == ep
    assert body["secret"] not in run("outbox", "endpoints", "list")[0].stdout
    assert run("outbox", "endpoints", "disable", ep)[1]["enabled"] is False
    assert run("outbox", "endpoints", "enable", ep)[1]["enabled"] is True
    rotated = run("outbox", "endpoints", "rotate", ep)[1]
    assert rotated["secret"] != body["secret"]

    # A message that goes dead at the endpoint (the transport here answers 503).
    clock = FixedClock(T0)
    anxin = bootstrap(settings=Settings(database_url=env["url"], evidence_dir=env["evidence"]), clock=clock,
                      transport=RecordingTransport(by_url={"http://down.test/hook": 503,
                                                           RecordingTransport.default_url: 200}))
    with anxin.uow_factory() as uow:
        msg = enqueue(uow, clock=clock, kind=REFUND, idempotency_key="case_1:refund", amount_fen=100,
                      subject_ref="case_1", payload={})
        uow.commit()
    for _ in range(RetryPolicy().max_attempts):
        anxin.outbox.deliver_due()
        clock.advance(hours=2)
    anxin.engine.dispose()

    listed = run("outbox", "list", "--status", "dead")[1]
    assert [m["message_id"] for m in listed["messages"]] == [msg.message_id] and listed["counts"]["dead"] == 1
    shown = run("outbox", "show", msg.message_id)[1]
    dead = next(d for d in shown["deliveries"] if d["endpoint_id"] == ep)
    assert dead["status"] == "dead" and len(dead["attempt_log"]) == 12
    again = run("outbox", "redeliver", dead["delivery_id"])[1]
    assert again["delivery"]["status"] == "pending"
    refused, _ = run("outbox", "redeliver", dead["delivery_id"])
    assert refused.exit_code == 2 and "outbox.not_redeliverable" in refused.output
    missing, _ = run("outbox", "show", "msg_missing")
    assert missing.exit_code == 2 and "outbox.message_not_found" in missing.output
    bad, _ = run("outbox", "endpoints", "add", "ftp://x")
    assert bad.exit_code == 2 and "outbox.invalid_endpoint" in bad.output


def test_help_explains_the_commands():
    for args, words in [(["outbox", "--help"], "redeliver"), (["outbox", "endpoints", "--help"], "rotate"),
                        (["outbox", "redeliver", "--help"], "webhook-id"), (["outbox", "list", "--help"], "--status")]:
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0 and words in result.output
