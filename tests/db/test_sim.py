"""The simulator drives the real services: a small busy run, determinism, and the two commands."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections import Counter
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from anxin.bootstrap import Anxin, bootstrap
from anxin.cli.main import main
from anxin.core.clock import FixedClock
from anxin.core.principal import Principal, Role
from anxin.db.tables import metadata
from anxin.outbox.transport import RecordingTransport
from anxin.risk.phash import dhash, hamming
from anxin.settings import Settings
from anxin.sim import SimConfig, Simulation, ground_truth, olist, simulate, summary
from anxin.sim.abuse import THREATS
from anxin.sim.fulfilment import LISTING_KINDS, ORDER_KINDS
from anxin.sim.geo import REGION_CODE

pytestmark = pytest.mark.db

# Small but busy (many orders, many abusers, more replays) so that every path shows up in a few days.
# The built-in lists stand in for the Olist files, so the outcome is the same wherever the tests run.
SMALL = {"days": 3, "merchants": 3, "consumers": 40, "seed": 3, "orders_per_shop_day": 12.0,
         "abuser_share": 0.35, "replay_share": 0.03, "olist_dir": Path("/nonexistent/olist")}


def _run(anxin: Anxin, clock: FixedClock, events: io.StringIO | None = None, **overrides: Any) -> Simulation:
    return simulate(anxin, SimConfig(start=clock.now(), **{**SMALL, **overrides}), events_out=events)


def _events(buffer: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def _without_case_ids(truth: dict[str, Any]) -> dict[str, Any]:
    """anxin mints case ids at random; everything else in the ground truth follows from the seed."""
    return {**truth, "claims": [{**c, "case_id": None} for c in truth["claims"]]}


def test_small_run_goes_through_the_services(anxin: Anxin, clock: FixedClock,
                                              transport: RecordingTransport) -> None:
    sim = _run(anxin, clock, days=5)  # parcels take days to arrive: five let returns and escalations happen
    s = summary(sim)

    assert s["orders"]["placed"] > 50 and s["orders"]["delivered"] > 0
    assert clock.now() == sim.end  # the simulated clock ran to the end, hour by hour
    events = s["events"]
    assert events["received"] == events["applied"] + events["parked"] + events["duplicates"] + events["rejected"]
    assert events["duplicates"] > 0 and events["rejected"] == 0
    assert events["parked"] > 0 and events["released"] > 0  # out-of-order arrivals waited, then applied
    assert len(s["cases"]["by_state"]) >= 4, s["cases"]["by_state"]
    assert s["cases"]["filed"] == sum(s["cases"]["by_state"].values())
    assert s["outbox"]["by_kind"].get("refund.issue", 0) > 0 and s["money_fen"]["refunds"] > 0
    assert transport.calls  # the outbox delivered webhooks during the run
    assert not s["cases"]["action_errors"].get("sim.deadline_did_not_fire")

    truth = ground_truth(sim)
    assert {m["merchant_id"] for m in truth["merchants"]} == {"m-001", "m-002", "m-003"}
    assert all(0 <= m["quality"] <= 1 for m in truth["merchants"])
    assert truth["abusive_consumers"]
    filed = [c for c in truth["claims"] if c["case_id"]]
    assert {c["genuine"] for c in filed} == {True, False}
    assert any(c["evidence_reused"] for c in filed)  # abusers recycle photos

    fulfilment = truth["fulfilment"]
    assert {o.order_id for o in sim.orders.all} == set(fulfilment["orders"])
    assert [m["merchant_id"] for m in fulfilment["merchants"] if m["fake_shipper"]]
    assert s["logistics"]["expected_findings"] == fulfilment["counts"]
    assert s["orders"]["late_shipments"] == fulfilment["counts"]["late_shipment"]


def test_logistics_ground_truth_and_events(anxin: Anxin, clock: FixedClock) -> None:
    buffer = io.StringIO()
    sim = _run(anxin, clock, buffer, days=8)  # eight days: a listing is late three times, a parcel is lost
    # Every kind of finding the detectors are measured on is in the ground truth, with the listings' promises
    # and the exemption used as well.
    truth = ground_truth(sim)["fulfilment"]
    assert all(truth["counts"][k] > 0 for k in (*ORDER_KINDS, *LISTING_KINDS)), truth["counts"]
    assert {o["basis"] for o in truth["orders"].values()} >= {"in_stock_default", "listing_shorter", "tiered_spot"}
    events = _events(buffer)
    paid = {e["data"]["order_id"]: e["data"] for e in events if e["type"] == "order.paid"}
    scans = [e["data"] for e in events if e["type"] == "shipment.scanned"]
    assert paid and scans and not summary(sim)["events"]["rejected"]
    codes = {d[k] for d in paid.values() for k in ("ship_from_region", "ship_to_region")}
    codes |= {d["region"] for d in scans}
    assert codes <= sim.logistics.regions_used()
    assert all(REGION_CODE.match(code) for code in codes), sorted(codes)
    assert {d["status"] for d in scans} <= {"collected", "departed", "arrived", "in_transit", "out_for_delivery",
                                            "lost", "returned", "refused"}
    # Last-mile scans happen in the buyer's city, except on the parcels a fake shipper sent elsewhere (and on
    # a reused number, whose scans are another buyer's parcel).
    reused = {o.order_id for o in sim.orders.all if o.parcel is not None and o.parcel.reused_from}
    assert reused
    holders: dict[tuple[str, str], list[str]] = {}
    for e in events:
        if e["type"] == "order.shipped" and e["data"]["order_id"] not in reused:
            holders.setdefault((e["data"]["carrier"], e["data"]["tracking_no"]), []).append(e["data"]["order_id"])
    route_fakes = {o.order_id for o in sim.orders.all if o.parcel is not None and o.parcel.fake == "route"}
    for d in scans:
        if d["status"] == "out_for_delivery":
            for order_id in holders[(d["carrier"], d["tracking_no"])]:
                assert (d["region"] == paid[order_id]["ship_to_region"]) != (order_id in route_fakes)
    assert any("tiers" in e["data"] for e in events if e["type"] == "listing.upserted")
    assert any("stock_tier" in item for d in paid.values() for item in d["items"])


def test_default_marketplace_has_every_promise_and_fake_shipper(anxin: Anxin) -> None:
    """Built, not run: the default world's listings, shops and merchants (what `anxin sim` starts from)."""
    world = Simulation(anxin, SimConfig(olist_dir=Path("/nonexistent/olist"))).world
    listings = [li for shop in world.shops for li in shop.listings]
    assert any(li.page_hours and li.page_hours != li.ship_within_hours for li in listings)
    assert any(li.presale_ship_by for li in listings) and any(li.tiers for li in listings)
    assert sum(li.ship_within_hours == 24 for li in listings) > len(listings) / 10
    assert sum(not (li.ship_within_hours or li.page_hours or li.presale_ship_by or li.tiers) for li in listings) \
        > len(listings) / 2  # most listings promise nothing: 48 h applies
    fakers = [m for m in world.merchants if m.fake_shipping]
    assert 1 <= len(fakers) <= 0.08 * len(world.merchants)
    assert {b for m in fakers for b in m.fake_shipping} == {"no_scan", "reuse", "origin_only", "route"}
    assert all(1 <= len(shop.carriers) <= 3 for shop in world.shops)
    assert any(shop.overwhelmed for shop in world.shops)
    assert len({c.region.code for c in world.consumers}) > 20


def test_same_seed_same_marketplace(anxin: Anxin, clock: FixedClock, engine: sa.Engine, tmp_path: Path) -> None:
    events1 = io.StringIO()
    first = _run(anxin, clock, events1)
    s1, t1 = summary(first), ground_truth(first)
    assert s1["orders"]["placed"] > 50 and s1["cases"]["filed"] > 0
    with engine.begin() as conn:  # an empty database again
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())
    clock2 = FixedClock(first.start)
    settings = Settings(database_url=str(engine.url), evidence_dir=tmp_path / "evidence2", webhook_secret="s")
    again = bootstrap(settings=settings, clock=clock2, engine=engine, transport=RecordingTransport(),
                      run_migrations=False)
    events2 = io.StringIO()
    second = simulate(again, SimConfig(start=clock2.now(), **SMALL), events_out=events2)

    assert summary(second) == s1
    assert _without_case_ids(ground_truth(second)) == _without_case_ids(t1)
    # Every event the platform sent, scans and regions included, is the same event again.
    assert events1.getvalue() == events2.getvalue() and "shipment.scanned" in events1.getvalue()
    assert t1["fulfilment"]["orders"] and t1["fulfilment"]["counts"]["late_shipment"] > 0
    other = Simulation(again, SimConfig(start=first.start, **{**SMALL, "seed": 4}))  # built, not run
    assert ground_truth(other)["merchants"] != t1["merchants"]


def test_simulator_needs_a_fixed_clock(engine: sa.Engine, tmp_path: Path) -> None:
    settings = Settings(database_url=str(engine.url), evidence_dir=tmp_path / "ev", webhook_secret="s")
    with pytest.raises(TypeError):
        Simulation(bootstrap(settings=settings, engine=engine, run_migrations=False), SimConfig(days=1))


def test_sim_command_writes_truth_and_a_replayable_event_file(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    truth, events = tmp_path / "truth.json", tmp_path / "events.jsonl"
    monkeypatch.setenv("ANXIN_DATABASE_URL", f"sqlite:///{tmp_path / 'sim.db'}")
    monkeypatch.chdir(tmp_path)  # evidence goes to the default var/evidence, here
    args = ["sim", "--days", "2", "--merchants", "2", "--seed", "3", "--ground-truth", str(truth),
            "--events-out", str(events)]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "orders" in result.output and "duplicates" in result.output
    assert json.loads(truth.read_text(encoding="utf-8"))["seed"] == 3

    again = runner.invoke(main, args)  # the same database again: refused, nothing mixed in
    assert again.exit_code == 2 and "sim.database_not_empty" in again.output

    lines = events.read_text(encoding="utf-8").splitlines()
    ids = [json.loads(line)["id"] for line in lines]
    assert ids and all(i.startswith("ev-") for i in ids)
    monkeypatch.setenv("ANXIN_DATABASE_URL", f"sqlite:///{tmp_path / 'replayed.db'}")
    replay = runner.invoke(main, ["ingest", str(events)])
    assert replay.exit_code == 0, replay.output
    counts = json.loads(replay.output.strip().splitlines()[-1])
    assert counts["received"] == len(lines) and counts["rejected"] == 0
    assert counts["duplicates"] == len(ids) - len(set(ids))  # the platform's replays, as sent


def test_demo_no_serve_prints_the_links(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The demo sets ANXIN_DATABASE_URL only when unset; pin it so the test leaves no trace.
    monkeypatch.setenv("ANXIN_DATABASE_URL", f"sqlite:///{tmp_path / 'unused.db'}")
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "demo.db"
    db.write_bytes(b"stale")  # an old demo database is replaced, not reused
    result = CliRunner().invoke(main, ["demo", "--no-serve", "--days", "2", "--merchants", "2",
                                       "--db", str(db), "--evidence-dir", str(tmp_path / "ev"),
                                       "--ground-truth", str(tmp_path / "truth.json"), "--port", "8123"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "http://127.0.0.1:8123/docs" in out
    assert "/login/link?token=axl_" in out and "key=" not in out  # one-time links; keys never in URLs
    for target in ("&next=/hall/orders/o-", "&next=/merchant/cases", "&next=/ops/cases"):
        assert target in out, target
    if find_spec("anxin.care.pages") is not None:  # customer care is simulated; its pages are in this build
        for target in ("&next=/merchant/care", "&next=/ops/care"):
            assert target in out, target
    for target in ("&next=/ops/worry-free", "&next=/ops/worry-free/inspections", "&next=/creator/lucky-bags",
                   "&next=/merchant/worry-free"):  # the worry-free programme is on in the demo
        assert target in out, target
    assert "Platform key       ax_" in out and "anxin keys login-link --key-id key_" in out
    assert (tmp_path / "truth.json").exists()


def test_olist_files_give_real_towns_and_weights_when_present() -> None:
    sample = olist.load()
    if sample.source == "built-in":
        pytest.skip("Olist files not found (set ANXIN_OLIST_DIR)")
    assert len(sample.sellers) > 1000 and all(s.state for s in sample.sellers[:50])
    assert sample.weights_for(["perfumery"]) and min(sample.weights_for(["perfumery"])) > 0
    assert olist.load(Path("/nonexistent/olist")).source == "built-in"


@pytest.mark.slow
def test_default_run_has_every_kind_of_finding_in_its_ground_truth(anxin: Anxin, clock: FixedClock) -> None:
    """The default 30 days × 50 merchants (``anxin sim``, ``make demo``, bench/fulfilment_quality.py)."""
    config = SimConfig(start=clock.now(), olist_dir=Path("/nonexistent/olist"))
    counts = ground_truth(simulate(anxin, config))["fulfilment"]["counts"]
    assert all(counts[k] > 0 for k in (*ORDER_KINDS, *LISTING_KINDS)), counts


# A few days of few shops, where the abuse mix is turned up so that every pattern shows; risk control in shadow,
# so what happens to the requests does not depend on its rules.
MIX = {"days": 9, "merchants": 2, "consumers": 40, "seed": 5, "orders_per_shop_day": 3.0, "abuser_share": 0.2,
       "olist_dir": Path("/nonexistent/olist"), "ring_sizes": (3, 8),
       "abuse_mix": {"ring": 8.0, "freight_arbitrage": 60.0, "extortion": 30.0, "evidence_reuse": 20.0,
                     "refund_without_return": 10.0, "serial_returner": 10.0, "heavy_buyer": 12.0}}
OPERATOR = Principal(key_id="test", role=Role.OPERATOR, subject="op-test")


def test_abuse_mix_sends_what_its_ground_truth_says(engine: sa.Engine, tmp_path: Path) -> None:
    clock = FixedClock(SimConfig().start)
    settings = Settings(database_url=str(engine.url), evidence_dir=tmp_path / "evidence", webhook_secret="s",
                        risk_mode="shadow")
    anxin = bootstrap(settings=settings, clock=clock, engine=engine, transport=RecordingTransport(),
                      run_migrations=False)
    buffer = io.StringIO()
    sim = simulate(anxin, SimConfig(start=clock.now(), **MIX), events_out=buffer)
    s, truth = summary(sim), ground_truth(sim)
    events = list({e["id"]: e for e in _events(buffer)}.values())
    assert s["events"]["rejected"] == 0, sim.rejected_samples
    assert not s["cases"]["action_errors"].get("sim.deadline_did_not_fire")
    with engine.connect() as conn:
        links = {tuple(r) for r in conn.execute(sa.text("SELECT subject, kind, value FROM risk_links"))}

    # Every attribute sent is a link of its subject: buyers at registration and checkout, shops' credentials.
    sent = [(f"consumer:{e['data']['consumer_id']}", e["data"]["risk"]) for e in events
            if e["type"] in ("order.paid", "consumer.registered")]
    sent += [(f"shop:{e['data']['shop_id']}", e["data"]["credentials"]) for e in events if e["type"] == "shop.upserted"]
    assert sent and all((subject, k, v) in links for subject, attrs in sent for k, v in attrs.items())
    credentials = {e["data"]["shop_id"]: e["data"]["credentials"] for e in events if e["type"] == "shop.upserted"}
    (reopened,) = truth["identity"]["reopened_shops"]
    old, new = credentials[reopened["reuses_shop_id"]], credentials[reopened["shop_id"]]
    assert {k for k in old if old[k] == new[k]} == set(reopened["reused_kinds"]) != set()

    # Rings of 3-8 accounts: the values the truth says members share are the ones they registered with.
    rings = truth["abuse_mix"]["rings"]
    assert len(rings) >= 2 and all(3 <= r["size"] <= 8 for r in rings.values())
    assert set(rings) <= set(truth["abuse_rings"]) and set(rings) & set(sim.world.rings) == set()
    registered = {e["data"]["consumer_id"]: e["data"]["risk"] for e in events if e["type"] == "consumer.registered"}
    shared = [(cid, kind, value) for r in rings.values() for kind, values in r["shared"].items()
              for value, members in values.items() for cid in members]
    assert shared and all(registered[cid][kind] == value for cid, kind, value in shared if cid in registered)

    claims = [c for c in truth["claims"] if c["case_id"]]
    patterns = Counter(c["pattern"] for c in claims)
    assert {"ring", "freight_arbitrage", "extortion", "evidence_reuse", "refund_without_return", "honest",
            "legacy_abuser"} <= set(patterns), patterns
    accounts = truth["abuse_mix"]["accounts"]
    for c in claims:
        assert c["genuine"] == (c["pattern"] == "honest"), c
        if c["claim"].startswith("ka-"):
            assert accounts[c["consumer_id"]]["cohort"] == c["account"]
        if c["pattern"] == "ring":
            assert c["ring"] in rings and c["consumer_id"] in rings[c["ring"]]["members"]
            assert set(c["evidence_stock"]) <= set(rings[c["ring"]]["photos"])

    # Extortion: high-value requests within hours of the sign-off, with threats.
    signed = {e["data"]["order_id"]: dt.datetime.fromisoformat(e["data"]["signed_at"]) for e in events
              if e["type"] == "order.delivered"}
    extortion = [c for c in claims if c["pattern"] == "extortion"]
    for c in extortion:
        assert any(t in c["description"] for t in THREATS)
        assert dt.timedelta(0) < dt.datetime.fromisoformat(c["filed_at"]) - signed[c["order_id"]] <= dt.timedelta(
            hours=9)

    # Returns: the case recorded the parcel the truth names; honest freight is the tariff, arbitraged is not.
    paid = {e["data"]["order_id"]: e["data"] for e in events if e["type"] == "order.paid"}
    returns = [c for c in claims if c["return"]]
    assert any(c["freight_arbitraged"] for c in returns) and any(not c["freight_arbitraged"] for c in returns)
    for c in returns:
        shipped = [e.data for e in anxin.aftersales.get_case(OPERATOR, c["case_id"]).events
                   if e.action == "ship_return"]
        r = c["return"]
        assert shipped and {k: shipped[0][k] for k in ("freight_fen", "weight_g", "from_address")} == {
            k: r[k] for k in ("freight_fen", "weight_g", "from_address")}
        home = paid[c["order_id"]]["risk"]["address"]
        tricks = (r["freight_fen"] >= 2.4 * r["tariff_fen"], r["from_address"] != home, r["weight_g"] <= 250)
        if c["freight_arbitraged"]:
            assert any(tricks), c
        else:
            assert r["freight_fen"] <= 1.05 * r["tariff_fen"]

    # Recycled evidence: near-duplicates of the account's (or ring's) stock photos, never the same bytes twice.
    stock = {pid: photo for r in sim.abuse.rings for pid, photo in r.photos}
    stock |= {pid: photo for a in sim.abuse.accounts.values() for pid, photo in a.photos}
    recycled = [c for c in claims if c["evidence_stock"]]
    assert {c["pattern"] for c in recycled} >= {"ring", "evidence_reuse"}
    seen: set[str] = set()
    for c in recycled:
        view = anxin.aftersales.get_case(OPERATOR, c["case_id"])
        assert len(view.evidence) == len(c["evidence_stock"]) and not seen & set(view.evidence)
        seen |= set(view.evidence)
        bases = {dhash(stock[pid]) for pid in c["evidence_stock"]}
        for sha in view.evidence:
            data, _ = anxin.aftersales.evidence_file(OPERATOR, sha) or (b"", "")
            assert min(hamming(dhash(data), base) for base in bases) <= 6

    # The honest coincidences and the mix are in the summary, abusive requests a minority of them all.
    mix = s["abuse_mix"]
    assert mix["arbitraged_returns"] >= 1 and mix["threatening_requests"] == len(
        [c for c in truth["claims"] if c["pattern"] == "extortion"])
    assert mix["coincidences"]["carrier_nat_ips"] > 0 and mix["coincidences"]["reopened_shops"] == 1
