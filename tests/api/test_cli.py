"""The command line through click's CliRunner, against a temporary SQLite file."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from tests.db.builders import T0, H, category, order_paid, seed_order, shop

from anxin.aftersales.rulebook import DEFAULT_RULEBOOK
from anxin.aftersales.service import FileCase
from anxin.bootstrap import bootstrap
from anxin.cli.main import main
from anxin.core.clock import FixedClock
from anxin.outbox.transport import RecordingTransport
from anxin.settings import Settings

DEFAULT = yaml.safe_load(DEFAULT_RULEBOOK.read_text(encoding="utf-8"))


@pytest.fixture
def env(tmp_path, monkeypatch):
    """A private database and evidence directory for the CLI process."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("ANXIN_DATABASE_URL", url)
    monkeypatch.setenv("ANXIN_EVIDENCE_DIR", str(tmp_path / "evidence"))
    monkeypatch.delenv("ANXIN_WEBHOOK_URL", raising=False)
    monkeypatch.delenv("ANXIN_RULEBOOKS", raising=False)
    return {"url": url, "evidence": tmp_path / "evidence", "tmp": tmp_path}


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def app_on(env, at=T0):
    """The same database the CLI uses, seen through a FixedClock."""
    return bootstrap(settings=Settings(database_url=env["url"], evidence_dir=env["evidence"]),
                     clock=FixedClock(at), transport=RecordingTransport())


# --- rules check ------------------------------------------------------------------------------------------

def _write(tmp_path, book, name="book.yaml"):
    path = tmp_path / name
    path.write_text(book if isinstance(book, str) else yaml.safe_dump(book, allow_unicode=True), encoding="utf-8")
    return path


def _edit(fn):
    book = copy.deepcopy(DEFAULT)
    fn(book)
    return book


def test_rules_check_accepts_the_default_rulebook():
    result = run("rules", "check", DEFAULT_RULEBOOK)
    assert result.exit_code == 0, result.output
    assert "OK" in result.stdout and "version 2026.12.1" in result.stdout
    assert f"{len(DEFAULT['guarantees'])} guarantees" in result.stdout


def test_rules_check_accepts_a_round_tripped_copy(tmp_path):
    assert run("rules", "check", _write(tmp_path, DEFAULT)).exit_code == 0


def _g(book, gid):
    return next(g for g in book["guarantees"] if g["id"] == gid)


BROKEN = [
    pytest.param("kind: guarantees\nversion: [unclosed\n", ["not valid YAML"], id="bad YAML"),
    pytest.param("- just\n- a list\n", ["<root>: the rulebook must be a mapping"], id="not a mapping"),
    pytest.param(_edit(lambda b: b["guarantees"][0].update(covers={"fact": "colour", "op": "eq", "value": "red"})),
                 ["guarantees[0].covers: unknown fact 'colour'"], id="unknown fact"),
    pytest.param(_edit(lambda b: b["guarantees"][0]["exemptions"][1].update(
        when={"fact": "paid_fen", "op": "contains", "value": "x"})),
        ["guarantees[0].exemptions[1].when: operator 'contains' does not apply to int fact 'paid_fen'"],
        id="wrong operator for an int fact"),
    pytest.param(_edit(lambda b: b["guarantees"][1]["requires"][0].update(
        when={"fact": "shipped", "op": "eq", "value": False})),
        ["guarantees[1].requires[0].when: operator 'eq' does not apply to bool fact 'shipped'"],
        id="wrong operator for a bool fact"),
    pytest.param(_edit(lambda b: b["guarantees"][0]["requires"][0].update(
        when={"fact": "paid_fen", "op": "gte", "value": "300"})),
        ["guarantees[0].requires[0].when: fact 'paid_fen' is an integer"], id="string value for an int fact"),
    pytest.param(_edit(lambda b: b["guarantees"][2].pop("window")), ["guarantees[2].window: required"],
                 id="missing window"),
    pytest.param(_edit(lambda b: b["guarantees"][2].update(window={"anchor": "paid", "days": 0})),
                 ["guarantees[2].window: needs a positive whole number of hours or days"], id="empty window"),
    pytest.param(_edit(lambda b: b["guarantees"][2].update(window={"anchor": "delivered", "days": 3})),
                 ["guarantees[2].window.anchor: must be one of"], id="unknown anchor"),
    pytest.param(_edit(lambda b: b["guarantees"][3].update(id=b["guarantees"][0]["id"])),
                 ["guarantees: duplicate ids ['G.INSTANT_REFUND']"], id="duplicate guarantee ids"),
    pytest.param(_edit(lambda b: b["review_rules"][0].update(id="G.QUALITY")),
                 ["guarantees: duplicate ids ['G.QUALITY']"], id="review rule id clashes with a guarantee"),
    pytest.param(_edit(lambda b: b["deadlines"].update(merchant_response_hours=-48)),
                 ["deadlines.merchant_response_hours: must be a positive integer"], id="negative deadline"),
    pytest.param(_edit(lambda b: b["deadlines"].update(buyer_ship_return_days=0)),
                 ["deadlines.buyer_ship_return_days: must be a positive integer"], id="zero deadline"),
    pytest.param(_edit(lambda b: b["deadlines"].pop("escalation_window_hours")),
                 ["deadlines.escalation_window_hours: required"], id="missing deadline"),
    pytest.param(_edit(lambda b: b["guarantees"][2].update(merchant_response_hours=-24)),
                 ["guarantees[2].merchant_response_hours: must be a positive integer"],
                 id="negative guarantee deadline"),
    pytest.param(_edit(lambda b: _g(b, "G.AUTHENTIC").update(compensation_multiplier=11)),
                 ["compensation_multiplier: must be an integer 0–10, got 11"], id="multiplier out of range"),
    pytest.param(_edit(lambda b: b["guarantees"][0].update(route="teleport")),
                 ["guarantees[0].route: must be one of"], id="unknown route"),
    pytest.param(_edit(lambda b: b["guarantees"][0].update(claims={"case_types": ["refund_only"],
                                                                   "reasons": ["boredom"]})),
                 ["guarantees[0].claims.reasons"], id="unknown reason"),
    pytest.param(_edit(lambda b: b["guarantees"][0].update(colour="red")), ["guarantees[0].colour: unknown key"],
                 id="unknown key"),
    pytest.param(_edit(lambda b: b.update(kind="nonsense")), ["kind: 'nonsense' is not a rulebook kind"],
                 id="wrong kind"),
    pytest.param(_edit(lambda b: b.update(effective_from="2026-01-01T00:00:00")), ["effective_from:"],
                 id="effective_from without offset"),
    pytest.param(_edit(lambda b: (b["deadlines"].update(arbitration_sla_hours=-1),
                                  b["guarantees"][4].pop("window"),
                                  b["guarantees"][5].update(covers={"fact": "nope", "op": "is_true"}))),
                 ["deadlines.arbitration_sla_hours: must be a positive integer", "guarantees[4].window: required",
                  "guarantees[5].covers: unknown fact 'nope'"], id="several problems at once"),
]


@pytest.mark.parametrize(("book", "problems"), BROKEN)
def test_rules_check_reports_every_problem_with_its_path(tmp_path, book, problems):
    path = _write(tmp_path, book)
    result = run("rules", "check", path)
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert f"{path}: INVALID" in result.stderr
    lines = [ln.strip() for ln in result.stderr.splitlines() if ln.strip().startswith("- ")]
    for problem in problems:
        assert any(problem in ln for ln in lines), (problem, result.stderr)
    assert f"({len(lines)} problem(s))" in result.stderr
    assert result.stdout == ""


def test_rules_check_on_a_missing_file(tmp_path):
    result = run("rules", "check", tmp_path / "nope.yaml")
    assert result.exit_code == 1 and "cannot read" in result.stderr


SHIPPED = sorted((DEFAULT_RULEBOOK.parent).rglob("*.yaml"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_rules_check_accepts_every_shipped_rulebook_by_its_header(path):
    # risk.yaml used to be read as a guarantee rulebook: 15 problems, 14 of them bogus
    result = run("rules", "check", path)
    assert result.exit_code == 0, result.output
    kind = yaml.safe_load(path.read_text(encoding="utf-8"))["kind"]
    assert result.stdout.startswith(f"{path}: OK — {kind}, ")


def test_rules_check_as_another_kind_and_as_json(tmp_path):
    risk = DEFAULT_RULEBOOK.parent / "risk.yaml"
    forced = run("rules", "check", "--kind", "guarantees", risk)
    assert forced.exit_code == 1 and "INVALID as guarantees" in forced.stderr
    assert "- kind: must be one of 'guarantees', got 'risk'" in forced.stderr
    book = yaml.safe_load(risk.read_text(encoding="utf-8"))
    book["rules"][3]["when"] = {"all": [{"fact": "claims_30d", "op": "gte", "value": 2},
                                        {"fact": "x", "op": "is_true"}]}
    book["rules"][5]["points"] = 1.5
    book["rings"]["max_size"] = 2
    out = run("rules", "check", "--json", _write(tmp_path, book))
    assert out.exit_code == 1
    report = json.loads(out.stdout)
    assert report["kind"] == "risk" and report["ok"] is False
    assert [p.split(":")[0] for p in report["problems"]] == [
        "rings.max_size", "rules[3].when.all[1]", "rules[5].points"]
    assert run("rules", "check", "--kind", "nope", risk).exit_code == 2
    unmarked = _write(tmp_path, {k: v for k, v in DEFAULT.items() if k != "kind"})
    missing = run("rules", "check", unmarked)
    assert missing.exit_code == 1 and "kind: required" in missing.stderr
    assert run("rules", "check", "--kind", "guarantees", unmarked).exit_code == 1  # the header is required too


def _shipped(name, fn):
    book = yaml.safe_load((DEFAULT_RULEBOOK.parent / name).read_text(encoding="utf-8"))
    fn(book)
    return book


@pytest.mark.parametrize(("book", "kind", "problems"), [
    pytest.param(_shipped("fulfilment.yaml", lambda b: (b["promise"].update(in_stock_hours=-48),
                                                        b["scan_statuses"].update(last_mile=["lost"]),
                                                        b["consequences"]["compensation"].update(rounding="up"))),
                 "fulfilment", ["promise.in_stock_hours: must be a positive integer, got -48",
                                "scan_statuses.last_mile: ['lost'] must be in_transit or delivered statuses",
                                "consequences.compensation.rounding: must be one of 'half_even' or 'half_up', "
                                "got 'up'"], id="fulfilment"),
    pytest.param(_shipped("scores.yaml", lambda b: (b["merchant"]["dimensions"][2].update(weight=40),
                                                    b["merchant"]["excellence"][0]["when"][0].update(
                                                        indicator="M.DISPUTE_RATE"),
                                                    b["consumer"].update(base="600"))),
                 "scores", ["merchant.dimensions: weights must add up to 100, got 105",
                            "merchant.excellence[0].when[0].indicator: M.DISPUTE_RATE belongs to dimension "
                            "'service', not 'logistics'", "consumer.base: must be an integer, got '600'"],
                 id="scores"),
    pytest.param(_shipped("scores-legacy.yaml", lambda b: b["merchant"].update(window_days=0, deductions=[])),
                 "scores", ["merchant.window_days: must be an integer 1–400, got 0",
                            "merchant.deductions: must be a mapping, got []"], id="legacy scores"),
])
def test_rules_check_reports_fulfilment_and_score_problems_with_their_paths(tmp_path, book, kind, problems):
    path = _write(tmp_path, book)
    text = run("rules", "check", path)
    assert text.exit_code == 1 and f"{path}: INVALID" in text.stderr, text.output
    assert [ln.strip()[2:] for ln in text.stderr.splitlines() if ln.strip().startswith("- ")] == problems
    as_json = run("rules", "check", "--json", path)
    assert as_json.exit_code == 1
    assert json.loads(as_json.stdout) == {"file": str(path), "kind": kind, "ok": False, "summary": None,
                                          "problems": problems}


@pytest.mark.parametrize(("name", "summary"), [
    ("fulfilment.yaml", "version 2026.11.1, effective from 2025-12-31T16:00:00+00:00"),
    ("scores.yaml", "version 2026.12.2, effective from 2025-12-31T16:00:00+00:00"),
    ("scores-legacy.yaml", "version legacy-5pt.1, effective from 2019-12-31T16:00:00+00:00"),
])
def test_rules_check_json_on_shipped_fulfilment_and_score_rulebooks(name, summary):
    path = DEFAULT_RULEBOOK.parent / name
    result = run("rules", "check", "--json", path)
    assert result.exit_code == 0, result.output
    kind = "fulfilment" if name.startswith("fulfilment") else "scores"
    assert json.loads(result.stdout) == {"file": str(path), "kind": kind, "ok": True, "summary": summary,
                                         "problems": []}
    other = "scores" if kind == "fulfilment" else "fulfilment"
    forced = run("rules", "check", "--kind", other, path)
    assert forced.exit_code == 1 and f"- kind: must be one of '{other}', got '{kind}'" in forced.stderr


@pytest.mark.parametrize("edit", [
    pytest.param(lambda b: b["freight"].update(cap_fen=-2400), id="negative freight cap"),
    pytest.param(lambda b: b["limits"].pop("max_evidence_bytes"), id="missing max_evidence_bytes"),
    pytest.param(lambda b: b["limits"].update(max_evidence_images=0), id="zero evidence images"),
])
def test_rules_check_reports_bad_limits_and_freight(tmp_path, edit):
    result = run("rules", "check", _write(tmp_path, _edit(edit)))
    assert result.exit_code == 1, result.output


@pytest.mark.parametrize("edit", [
    pytest.param(lambda b: b["guarantees"][0].update(covers={"fact": "shop_services", "op": ["contains"],
                                                             "value": "x"}), id="list as op"),
    pytest.param(lambda b: b["guarantees"][0].update(claims={"case_types": ["refund_only"],
                                                             "reasons": [{"a": 1}]}), id="mapping as reason"),
])
def test_rules_check_survives_unhashable_values(tmp_path, edit):
    result = run("rules", "check", _write(tmp_path, _edit(edit)))
    assert result.exit_code == 1 and "INVALID" in result.stderr, result.output


# --- keys ----------------------------------------------------------------------------------------------------

@pytest.mark.db
@pytest.mark.parametrize("role", ["platform", "consumer", "merchant", "operator"])
def test_keys_create_prints_a_key_that_authenticates(env, role):
    result = run("keys", "create", "--role", role, "--subject", "c_001")
    assert result.exit_code == 0, result.output
    raw = result.stdout.strip()
    assert raw.startswith("ax_") and "\n" not in raw
    principal = app_on(env).access.authenticate(raw)
    assert (principal.role.value, principal.subject) == (role, "c_001")
    assert principal.key_id in result.stderr


@pytest.mark.db
def test_keys_create_refuses_bad_input(env):
    bad_role = run("keys", "create", "--role", "admin", "--subject", "x")
    assert bad_role.exit_code == 2
    empty = run("keys", "create", "--role", "consumer", "--subject", "   ")
    assert empty.exit_code == 2 and "access.invalid_subject" in empty.stderr


# --- ingest ----------------------------------------------------------------------------------------------------

def _jsonl(tmp_path, lines, name="events.jsonl"):
    path = tmp_path / name
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    return path


def _summary(result):
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.db
@pytest.mark.parametrize("batch", [500, 2])
def test_ingest_reports_a_summary_and_line_numbered_errors(env, batch):
    good = [category("cat_general"), shop("s1", "m1"), order_paid("o1", items=[{"listing_id": "l1", "qty": 1,
                                                                                 "price_fen": 100}])]
    bad_money = order_paid("o2", paid_fen=1.5)
    lines = [good[0], "", good[1], "{not json", bad_money, good[2], {"id": "x", "type": "order.refunded",
                                                                   "occurred_at": T0.isoformat(), "data": {}},
             good[0]]
    path = _jsonl(env["tmp"], lines)
    result = run("ingest", path, "--batch", batch)
    assert result.exit_code == 0, result.output
    # received counts every non-blank line, so received == applied + pending + duplicates + rejected.
    assert _summary(result) == {"received": 7, "applied": 2, "pending": 1, "duplicates": 1, "released": 0,
                                "rejected": 3}
    errors = sorted(ln for ln in result.stderr.splitlines() if ln.startswith("line "))
    assert errors[0].startswith("line 4: [event.malformed] not valid JSON")
    assert errors[1].startswith("line 5: [event.invalid_money]")
    assert errors[2].startswith("line 7: [event.unknown_type]")
    assert len(errors) == 3
    stats = app_on(env).ingestion.stats()
    assert stats == {"applied": 2, "pending": 1}


@pytest.mark.db
def test_ingest_twice_is_all_duplicates(env):
    path = _jsonl(env["tmp"], [category("c1"), shop()])
    assert _summary(run("ingest", path))["applied"] == 2
    assert _summary(run("ingest", path)) == {"received": 2, "applied": 0, "pending": 0, "duplicates": 2,
                                             "released": 0, "rejected": 0}


@pytest.mark.db
def test_ingest_unreadable_file(env):
    result = run("ingest", env["tmp"] / "missing.jsonl")
    assert result.exit_code == 2 and "event.file_unreadable" in result.stderr
    latin = env["tmp"] / "latin.jsonl"
    latin.write_bytes(b"\xff\xfe\xfa not utf-8\n")
    result = run("ingest", latin)
    assert result.exit_code == 2 and "event.file_unreadable" in result.stderr


@pytest.mark.db
def test_ingest_file_of_only_bad_lines_counts_them(env):
    result = run("ingest", _jsonl(env["tmp"], ["{oops", "[1,"]))
    assert _summary(result)["rejected"] == 2


@pytest.mark.db
def test_ingest_null_line_is_reported(env):
    result = run("ingest", _jsonl(env["tmp"], [shop(), "null"]))
    assert _summary(result)["rejected"] == 1
    assert any(ln.startswith("line 2:") for ln in result.stderr.splitlines())


# --- tick ---------------------------------------------------------------------------------------------------------

def _pending_case(env):
    app = app_on(env)
    seed_order(app, order_id="o1", services=())  # no instant refund: the merchant has 48 h
    app.clock.set(T0 + H)
    consumer = app.access.create_key("consumer", "c1")[0]
    return app.aftersales.file_case(consumer, FileCase("o1", "refund_only", "other", 9900)).case


@pytest.mark.db
@pytest.mark.parametrize(("at", "actions", "state"), [
    ("2026-11-04T10:59:59+08:00", {}, "pending_merchant"),
    ("2026-11-04T11:00:00+08:00", {"merchant_timeout": 1}, "refunded"),
    ("2026-11-04T03:00:00Z", {"merchant_timeout": 1}, "refunded"),
])
def test_tick_at_moves_a_case_past_its_deadline(env, at, actions, state):
    case = _pending_case(env)
    assert case.deadline_at.isoformat() == "2026-11-04T03:00:00+00:00"
    result = run("tick", "--at", at)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["case_actions"] == actions
    assert report["delivered"] == 0  # no webhook URL: money waits in the outbox, never marked delivered
    app = app_on(env)
    operator = app.access.create_key("operator", "ops")[0]
    assert app.aftersales.get_case(operator, case.case_id).case.state.value == state
    pending = [m.kind for m in app.outbox.list_messages(subject_ref=case.case_id, status="pending")]
    assert pending == (["refund.issue"] if actions else [])
    again = json.loads(run("tick", "--at", at).stdout)
    assert again["case_actions"] == {}


@pytest.mark.db
@pytest.mark.parametrize("at", ["2026-11-20T08:00:00", "2026-11-20", "tomorrow", ""])
def test_tick_at_without_an_offset_is_refused(env, at):
    result = run("tick", "--at", at)
    assert result.exit_code == 2, result.output
    assert "[cli.invalid_time]" in result.stderr


@pytest.mark.db
def test_tick_at_out_of_range_is_refused(env):
    result = run("tick", "--at", "9999-12-31T23:59:59-01:00")
    assert result.exit_code == 2 and "[cli.invalid_time]" in result.stderr


@pytest.mark.db
def test_tick_without_at_uses_the_wall_clock(env):
    # The seeded deadline (Nov 2026) is in the future or the past depending on today; either way no crash
    # and a well-formed report.
    result = run("tick")
    assert result.exit_code == 0, result.output
    assert set(json.loads(result.stdout)) == {"at", "case_actions", "fulfilment", "merchants", "delivered", "failed",
                                              "dead", "events", "governance", "care", "worryfree",
                                              "failed_jobs"}  # failed_jobs: jobs that raised


# --- settings ---------------------------------------------------------------------------------------------------

def test_settings_follow_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("ANXIN_EVIDENCE_DIR", str(tmp_path / "ev"))
    monkeypatch.setenv("ANXIN_RULEBOOKS", str(Path(DEFAULT_RULEBOOK)))
    settings = Settings()
    assert settings.evidence_dir == tmp_path / "ev"
    assert settings.rulebook_paths == (Path(DEFAULT_RULEBOOK),)



@pytest.mark.db
def test_fulfilment_check_judges_due_orders_and_refuses_a_bad_instant(env):
    seed_order(app_on(env), order_id="o1")  # paid at T0, never shipped: late by New Year's Eve
    bad = run("fulfilment", "check", "--at", "yesterday")
    assert bad.exit_code == 2 and "[cli.invalid_time]" in bad.stderr
    first = run("fulfilment", "check", "--all", "--at", "2026-12-31T00:00:00+08:00")
    assert first.exit_code == 0, first.output
    report = json.loads(first.stdout.strip().splitlines()[-1])
    assert report["at"] == "2026-12-30T16:00:00+00:00" and report["orders_checked"] == 1
    assert report["findings"] == {"late_shipment": 1} and report["coupons"] == 1
    again = json.loads(run("fulfilment", "check", "--all", "--at", "2026-12-31T00:00:00+08:00")
                       .stdout.strip().splitlines()[-1])
    assert sum(again["findings"].values()) == 0 and again["coupons"] == 0  # nothing twice
