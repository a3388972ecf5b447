"""`anxin merchants …` through click's CliRunner against a temporary SQLite file: the rulebook check, an
application, deposit movements, settlement and statements; bad input is a coded message and exit 2."""

from __future__ import annotations

import json
import shutil

from click.testing import CliRunner
from tests.api.test_cli import app_on, env  # noqa: F401  (the fixture)
from tests.db.builders import category, item, listing, order_paid, shop

from anxin.cli.main import main
from anxin.merchants.rulebook import DEFAULT_DIR


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_rulebook_check_reports_every_problem_with_its_path(tmp_path):
    ok = run("merchants", "rulebook")
    assert ok.exit_code == 0 and "OK — version" in ok.output
    broken = tmp_path / "book"
    shutil.copytree(DEFAULT_DIR, broken)
    fees = (broken / "fees.yaml").read_text(encoding="utf-8")
    (broken / "fees.yaml").write_text(fees.replace("channel_fee_bp:", "channel_fee_bps:"), encoding="utf-8")
    (broken / "rulebook.yaml").write_text("version: 1\n", encoding="utf-8")
    bad = run("merchants", "rulebook", broken)
    assert bad.exit_code == 1
    assert "fees.channel_fee_bps: unknown key" in bad.output
    assert "rulebook.effective_from" in bad.output


def test_apply_deposit_settle_and_statement(env, tmp_path):  # noqa: F811
    app = app_on(env)
    app.ingestion.ingest([category("tea"), shop("s1", "m1"), listing("l1", "s1", "tea", price_fen=8_800)])
    app.ingestion.ingest([order_paid("o1", items=[item("l1", 1, 8_800)])])
    request = tmp_path / "apply.json"
    request.write_text(json.dumps({"shop_id": "n1", "merchant_id": "m1", "name": "Tea", "store_type": "enterprise",
                                   "categories": ["tea"], "licence_no": "L-7"}), encoding="utf-8")
    applied = run("merchants", "apply", request)
    assert applied.exit_code == 0, applied.output
    assert json.loads(applied.output)["state"] == "novice"
    top = run("merchants", "deposit", "n1", "--top-up", 60_000, "--key", "k1")
    assert top.exit_code == 0 and json.loads(top.output)["held_fen"] == 60_000
    no_key = run("merchants", "deposit", "n1", "--top-up", 60_000)
    assert no_key.exit_code == 2 and "--key" in no_key.output
    over = run("merchants", "deposit", "n1", "--withdraw", 60_000, "--key", "w1")
    assert over.exit_code == 2 and "merchants.withdrawal_over_limit" in over.output
    settled = run("merchants", "settle")
    assert settled.exit_code == 0 and json.loads(settled.output)["sales"] == 1
    statement = run("merchants", "statement", "s1", "--start", "2026-11-01", "--end", "2026-11-30")
    assert statement.exit_code == 0 and json.loads(statement.output)["by_kind"]["sale"]["count"] == 1
    missing = run("merchants", "order", "nope")
    assert missing.exit_code == 2 and "merchants.shop_not_found" in missing.output


def test_campaigns_and_payouts_from_the_command_line(env, tmp_path):  # noqa: F811
    spec = {"id": "camp.d12", "name": {"zh-CN": "双12免佣", "en": "Double 12 waiver"}, "kind": "waive", "scope": {},
            "from": "2026-12-10T00:00:00+08:00", "until": "2026-12-13T00:00:00+08:00"}
    path = tmp_path / "campaign.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    assert run("merchants", "campaign", path).exit_code == 0
    again = run("merchants", "campaign", path)
    assert again.exit_code == 2 and "fees." in again.output  # the same id / window again: refused with a code
    app = app_on(env)
    app.ingestion.ingest([category("tea"), shop("s1", "m1"), listing("l1", "s1", "tea", price_fen=8_800)])
    app.ingestion.ingest([order_paid("o1", items=[item("l1", 1, 8_800)])])
    assert run("merchants", "settle").exit_code == 0
    goods = json.loads(run("merchants", "deposit", "s1").output)["goods_fen"]
    paid = run("merchants", "payout", "s1", goods, "--key", "p1")
    assert paid.exit_code == 0 and json.loads(paid.output)["goods_fen"] == 0
    over = run("merchants", "payout", "s1", 1, "--key", "p2")
    assert over.exit_code == 2 and "merchants.insufficient_goods" in over.output
