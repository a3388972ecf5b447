"""Governance people in a simulated run (``SimConfig.governance``): operators, rights holders, merchants who appeal.

Everything goes through the governance use cases as the API would call them, with the simulated clock:

- **Sampling inspection**: every simulated week (from the start, at 10:00) operators draw a plan
  (``inspections.create_plan``, budget ``SimConfig.inspection_budget``) and record each sample's lab result 2–6 days
  later from the seller's latent kind: a counterfeit seller's listing fails 90 % of the time (defect
  ``counterfeit``), a low-quality seller's 75 % (``quality``, ``shelf_life`` for food and fresh, ``safety`` 10 %,
  else ``label`` / ``packaging``); an ordinary seller's 2 % + 40 % of its defect rate (0.4–6 %), half of those a
  real minor defect and half a lab error (a wrong result the merchant is right to appeal).
- **IP complaints**: five rights holders (``rh-01``… ``rh-04`` brands, ``rh-05`` a filer who overreaches). Against
  each counterfeit seller's shop, 1 + Poisson(1.5) founded complaints at uniform times naming one or two of its
  listings; against each other shop, an unfounded one with probability 6 % (``rh-05`` files 60 % of them). The
  merchant counter-notices 0.2–2.8 days after filing: 85 % of the wrongly accused, 30 % of counterfeiters.
  Operators decide 2–60 h after the complaint is ready (lognormal, median 14 h): founded upheld 92 %; unfounded
  rejected 85 % with a counter-notice, 60 % without.
- **Listing findings**: each day at 11:00 operators work the queue of listings the check sent to review: confirm
  when the listing really violates (90 %; 8 % of honest ones are confirmed too), clear otherwise.
- **Appeals**: each day at 10:00 merchants read their new violations. A violation is *wrong* (the appeal is
  justified) when the listing check blocked an honest listing (a look-alike), an unfounded IP complaint was upheld,
  an inspection failed on a lab error, or a fake-shipment finding hit a merchant who never fakes; otherwise it is
  right. Wrong ones are appealed 80 % of the time, right ones 35 % by bad sellers (counterfeit, low-quality, fake
  shippers, dishonest listing writers) and 10 % by others (late shipments 0.5 %), 2–72 h later. Operators decide
  after lognormal(median 22 h, σ 0.8) hours, pushed into 09:00–21:00 (so some land beyond the 72 h SLA): a
  justified appeal is upheld 85 % of the time, an unjustified one 8 %; 25 % of bad sellers' rejected unjustified
  appeals are flagged abusive. A rejected justified appeal is appealed again 60 % of the time.

All draws come from ``random.Random("anxin-sim-governance:<seed>")``; the platform side is ``anxin.sim.platform``.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import Counter
from typing import TYPE_CHECKING, Any

from anxin.core.errors import AnxinError
from anxin.core.principal import Principal, Role
from anxin.sim.events import CST
from anxin.sim.orders import poisson
from anxin.sim.platform import SIM_OPERATOR as OPERATOR
from anxin.sim.platform import Platform

if TYPE_CHECKING:
    from anxin.sim.engine import Simulation
    from anxin.sim.world import Listing, Merchant, Shop

H = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
RIGHTS_HOLDERS = ("rh-01", "rh-02", "rh-03", "rh-04", "rh-05")
OVERREACHING = "rh-05"
BAD_KINDS = ("counterfeit", "low_quality")
APPEAL_STATEMENTS = {
    True: ("该商品为正品，已附进货凭证与品牌授权书，请复核。", "检测结果与我方留样复检不符，申请复核。",
           "该描述为时间用语，并非绝对化用语，申请撤销处罚。", "物流轨迹完整，包裹已正常签收，并非虚假发货。"),
    False: ("我们一直诚信经营，希望平台从轻处理。", "可能是员工操作失误，已整改，请撤销处罚。",
            "同行恶意投诉，请平台明察。"),
}


def bad_seller(merchant: Merchant) -> bool:
    return (merchant.kind in BAD_KINDS or bool(merchant.fake_shipping)
            or any(s.dishonest_listings for s in merchant.shops))


def working_hours(at: dt.datetime) -> dt.datetime:
    """Operators decide between 09:00 and 21:00 Beijing time."""
    hour = at.astimezone(CST).hour
    if hour < 9:
        return at + (9 - hour) * H
    if hour >= 21:
        return at + (33 - hour) * H
    return at


class GovernanceActors:
    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.rng = random.Random(f"anxin-sim-governance:{sim.config.seed}")
        self.platform = Platform(sim, self.rng)
        self.listings: dict[str, Listing] = {li.listing_id: li for s in sim.world.shops for li in s.listings}
        self.shops: dict[str, Shop] = {s.shop_id: s for s in sim.world.shops}
        self.stats: Counter[str] = Counter()
        self.samples: dict[str, dict[str, Any]] = {}  # sample id -> truth: listing, shop, outcome, lab_error
        self.complaints: dict[str, dict[str, Any]] = {}  # complaint id -> truth: founded, rights holder, ...
        self.appeals: dict[str, dict[str, Any]] = {}  # appeal id -> truth: justified, violation, kind
        self.violations: dict[str, dict[str, Any]] = {}  # violation id -> what merchants saw, with justified
        self.plans: list[str] = []
        self._n = 0

    # --- the schedule --------------------------------------------------------------------------------------------

    def schedule(self) -> None:
        sim, rng, start, days = self.sim, self.rng, self.sim.start, self.sim.config.days
        for week in range(math.ceil(days / 7)):
            sim.agenda.call(start + (7 * week) * DAY + 10 * H, self.plan_week, week)
        for day in range(days):
            sim.agenda.call(start + day * DAY + 10 * H, self.read_violations)
            sim.agenda.call(start + day * DAY + 11 * H, self.review_listings)
        for shop in sim.world.shops:
            if shop.merchant.kind == "counterfeit":
                for _ in range(1 + poisson(rng, 1.5)):
                    holder = rng.choice(RIGHTS_HOLDERS[:4])
                    sim.agenda.call(start + rng.uniform(1, days * 24 - 1) * H, self.file_complaint, shop, holder,
                                    True)
            elif rng.random() < 0.06:
                holder = OVERREACHING if rng.random() < 0.6 else rng.choice(RIGHTS_HOLDERS[:4])
                sim.agenda.call(start + rng.uniform(1, days * 24 - 1) * H, self.file_complaint, shop, holder, False)

    def _later(self, at: dt.datetime, fn: Any, *args: Any) -> None:
        if at < self.sim.end:
            self.sim.agenda.call(at, fn, *args)

    # --- inspections ---------------------------------------------------------------------------------------------

    def plan_week(self, week: int) -> None:
        sim = self.sim
        sim.sync()
        iso = sim.now.astimezone(CST).isocalendar()
        body = {"period": f"{iso.year}-W{iso.week:02d}", "seed": sim.config.seed * 1000 + week,
                "budget": sim.config.inspection_budget}
        try:
            plan = sim.anxin.governance.inspections.create_plan(OPERATOR, body)
        except AnxinError as exc:  # a small world: the strata's minimums need more than the budget
            if "minimums" not in exc.details:
                raise
            plan = sim.anxin.governance.inspections.create_plan(OPERATOR, {**body, "budget": exc.details["minimums"]})
        self.plans.append(plan["plan_id"])
        self.stats["plans"] += 1
        after = None
        while True:
            _, samples = sim.anxin.governance.inspections.plan(OPERATOR, plan["plan_id"], after_rank=after, limit=50)
            for sample in samples:
                self._later(sim.now + self.rng.uniform(2, 6) * DAY, self.record_result, sample)
            if len(samples) < 50:
                break
            after = samples[-1]["rank"]

    def record_result(self, sample: dict[str, Any]) -> None:
        sim, rng = self.sim, self.rng
        sim.sync()
        listing = self.listings.get(sample["listing_id"])
        shop = self.shops.get(sample["shop_id"])
        if listing is None or shop is None:  # not a listing of this world (a demo database reused): skip it
            return
        merchant, top = shop.merchant, listing.leaf.top
        lab_error = False
        defects: list[dict[str, str]] = []
        if merchant.kind == "counterfeit" and rng.random() < 0.9:
            defects = [{"kind": "counterfeit", "detail": "与品牌方提供的正品比对不一致"}]
        elif merchant.kind == "low_quality" and rng.random() < 0.75:
            r = rng.random()
            kind = ("safety" if r < 0.1 else "shelf_life" if r < 0.3 and top in ("food", "fresh")
                    else "quality" if r < 0.75 else rng.choice(("label", "packaging")))
            defects = [{"kind": kind}]
        elif merchant.kind == "ordinary" and rng.random() < 0.02 + 0.4 * merchant.defect_rate:
            lab_error = rng.random() < 0.5
            defects = [{"kind": rng.choice(("label", "packaging", "quality"))}]
        body: dict[str, Any] = {"outcome": "failed", "defects": defects} if defects else {"outcome": "passed"}
        result = sim.anxin.governance.inspections.record_result(OPERATOR, sample["sample_id"], body)
        self.samples[sample["sample_id"]] = {
            "listing_id": sample["listing_id"], "shop_id": sample["shop_id"], "stratum": sample["stratum"],
            "seller_kind": merchant.kind, "failed": bool(defects), "lab_error": lab_error,
            "violation_id": result.get("violation_id")}
        self.stats["samples_failed" if defects else "samples_passed"] += 1

    # --- IP complaints -------------------------------------------------------------------------------------------

    def file_complaint(self, shop: Shop, holder: str, founded: bool) -> None:
        sim, rng = self.sim, self.rng
        sim.sync()
        self._n += 1
        names = rng.sample(shop.listings, min(len(shop.listings), 1 if rng.random() < 0.7 else 2))
        reg = f"{30_000_000 + RIGHTS_HOLDERS.index(holder) * 1_000_003:08d}"
        body = {"client_key": f"sim-{self._n:05d}", "listing_ids": [li.listing_id for li in names],
                "statement": "该店铺销售的商品使用了我方注册商标，未经授权。" if founded
                else "该商品外观与我方商品相似，疑似侵权。",
                "proof": {"rights_kind": "trademark", "owner": holder, "registration_number": reg},
                "evidence": [f"sim-proof-{self._n:05d}.pdf"]}
        who = Principal(key_id="sim", role=Role.RIGHTS_HOLDER, subject=holder)
        complaint = sim.anxin.governance.ip.file(who, body)
        cid = complaint["complaint_id"]
        self.complaints[cid] = {"rights_holder_id": holder, "shop_id": shop.shop_id, "founded": founded,
                                "listing_ids": body["listing_ids"], "counter_noticed": False, "outcome": None}
        self.stats["ip_filed"] += 1
        filed = sim.now
        window_end = filed + 3 * DAY
        if rng.random() < (0.3 if founded else 0.85):
            at = filed + rng.uniform(0.2, 2.8) * DAY
            self._later(at, self.counter_notice, cid, shop)
            ready = at
        else:
            ready = window_end
        self._later(working_hours(ready + self._decision_hours(14, 0.6, lo=2, hi=60) * H), self.decide_complaint,
                    cid)

    def counter_notice(self, cid: str, shop: Shop) -> None:
        self.sim.sync()
        who = Principal(key_id="sim", role=Role.MERCHANT, subject=shop.merchant.merchant_id)
        self.sim.anxin.governance.ip.counter_notice(who, cid, {
            "statement": "我方商品为自有品牌，与投诉商标无关，附商标注册证。", "evidence": [f"sim-notice-{cid}.pdf"]})
        self.complaints[cid]["counter_noticed"] = True

    def decide_complaint(self, cid: str) -> None:
        sim, rng = self.sim, self.rng
        sim.sync()
        truth = self.complaints[cid]
        if truth["founded"]:
            upheld = rng.random() < 0.92
        else:
            upheld = rng.random() >= (0.85 if truth["counter_noticed"] else 0.6)
        if upheld:
            codes = ["counterfeit_confirmed" if truth["founded"] else "infringement_confirmed"]
            if not truth["counter_noticed"]:
                codes.append("no_counter_notice")
        else:
            codes = ["counter_notice_accepted" if truth["counter_noticed"] else "proof_insufficient"]
        try:
            decided = sim.anxin.governance.ip.decide(OPERATOR, cid, {"outcome": "upheld" if upheld else "rejected",
                                                                     "reason_codes": codes})
        except AnxinError as exc:  # still inside the window (the lapse is hourly): look again in an hour
            if exc.code.value != "governance.ip_window_open":
                raise
            self._later(sim.now + H, self.decide_complaint, cid)
            return
        truth["outcome"] = "upheld" if upheld else "rejected"
        truth["violation_ids"] = [v["violation_id"] for v in decided.get("violations") or []]
        self.stats["ip_upheld" if upheld else "ip_rejected"] += 1

    # --- listing findings ----------------------------------------------------------------------------------------

    def review_listings(self) -> None:
        sim, rng = self.sim, self.rng
        sim.sync()
        for finding in sim.anxin.governance.listings.findings(OPERATOR, state="open", limit=200):
            listing = self.listings.get(finding["listing_id"])
            if listing is None:
                continue
            violates = listing.text is not None and listing.text.label == "violating"
            confirm = rng.random() < (0.9 if violates else 0.08)
            sim.anxin.governance.listings.decide(OPERATOR, finding["check_id"],
                                                 {"decision": "confirm" if confirm else "clear"})
            self.stats["listing_findings_confirmed" if confirm else "listing_findings_cleared"] += 1

    # --- appeals -------------------------------------------------------------------------------------------------

    def read_violations(self) -> None:
        """Merchants read the violations recorded since yesterday and appeal some (from the operators' list: every
        merchant reading its own shop's list sees the same rows)."""
        sim, rng = self.sim, self.rng
        sim.sync()
        after = None
        fresh: list[dict[str, Any]] = []
        while True:
            page = sim.anxin.governance.queries.list(OPERATOR, limit=100, after=after)
            new = [v for v in page if v["violation_id"] not in self.violations]
            fresh.extend(new)
            if len(page) < 100 or len(new) < len(page):
                break
            last = page[-1]
            after = (dt.datetime.fromisoformat(last["recorded_at"]), last["violation_id"])
        for v in reversed(fresh):
            shop = self.shops.get(v["shop_id"] or "")
            justified = self._justified(v, shop)
            self.violations[v["violation_id"]] = {"kind": v["kind"], "shop_id": v["shop_id"], "subject": v["subject"],
                                                  "source": v["source"]["type"], "justified": justified,
                                                  "recorded_at": v["recorded_at"]}
            if shop is None or not v["appealable"]:
                continue
            share = 0.8 if justified else 0.35 if bad_seller(shop.merchant) else 0.1
            if v["kind"] == "late_shipment" and not justified:
                share = 0.005
            if rng.random() < share:
                self._later(sim.now + rng.uniform(2, 72) * H, self.appeal, v["violation_id"], shop, justified)

    def _justified(self, v: dict[str, Any], shop: Shop | None) -> bool:
        """Was this violation wrong, by the simulator's latent truth?"""
        if shop is None:
            return False
        source, ident = v["source"]["type"], v["source"]["id"]
        if v["kind"] == "false_advertising":
            listing = self.listings.get(v["subject"].partition(":")[2])
            return listing is not None and listing.text is not None and listing.text.label != "violating"
        if source == "governance.ip_complaint":
            truth = self.complaints.get(ident.partition(":")[0])
            return truth is not None and not truth["founded"]
        if source == "governance.inspection":
            sample = self.samples.get(ident)
            return sample is not None and sample["lab_error"]
        if v["kind"] == "fake_shipment":
            return not shop.merchant.fake_shipping
        return False

    def appeal(self, violation_id: str, shop: Shop, justified: bool, number: int = 1) -> None:
        sim, rng = self.sim, self.rng
        sim.sync()
        who = Principal(key_id="sim", role=Role.MERCHANT, subject=shop.merchant.merchant_id)
        self._n += 1
        try:
            a = sim.anxin.governance.appeals.file(who, violation_id, statement=rng.choice(APPEAL_STATEMENTS[justified]),
                                                  evidence=[{"kind": "image", "ref": f"sim-upload-{self._n:05d}"}])
        except AnxinError as exc:  # reversed meanwhile, window closed, channel closed: the refusal says why
            self.stats[f"appeal_refused.{exc.code.value}"] += 1
            return
        self.appeals[a["appeal_id"]] = {"violation_id": violation_id, "kind": self.violations[violation_id]["kind"],
                                        "shop_id": shop.shop_id, "justified": justified, "number": number,
                                        "filed_at": sim.now, "outcome": None}
        self.stats["appeals_filed"] += 1
        at = working_hours(sim.now + self._decision_hours(22, 0.8, lo=0.5, hi=240) * H)
        self._later(at, self.decide_appeal, a["appeal_id"], shop)

    def decide_appeal(self, appeal_id: str, shop: Shop) -> None:
        sim, rng = self.sim, self.rng
        sim.sync()
        truth = self.appeals[appeal_id]
        upheld = rng.random() < (0.85 if truth["justified"] else 0.08)
        abusive = (not upheld and not truth["justified"] and bad_seller(shop.merchant) and rng.random() < 0.25)
        sim.anxin.governance.appeals.decide(OPERATOR, appeal_id, outcome="upheld" if upheld else "rejected",
                                            abusive=abusive)
        truth["outcome"] = "upheld" if upheld else "rejected"
        self.stats["appeals_upheld" if upheld else "appeals_rejected"] += 1
        if not upheld and truth["justified"] and truth["number"] == 1 and rng.random() < 0.6:
            self._later(sim.now + rng.uniform(1, 10) * DAY, self.appeal, truth["violation_id"], shop, True, 2)

    def _decision_hours(self, median: float, sigma: float, *, lo: float, hi: float) -> float:
        return min(hi, max(lo, median * math.exp(self.rng.gauss(0, sigma))))
