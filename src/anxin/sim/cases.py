"""After-sale requests and everyone's part in them, through the real after-sales service.

Consumers file (honest ones when something went wrong or within their no-reason right; abusers far
more often, with claims that are not true and photos they reuse), merchants answer or let the 48 h
deadline answer for them, consumers ship returns and escalate rejections, operators review and
arbitrate. The simulator never sets a case's state itself: it acts, then reads back what anxin decided.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from typing import TYPE_CHECKING, Any

from anxin.aftersales.service import CaseView, FileCase
from anxin.core.errors import AnxinError
from anxin.core.money import fraction_of
from anxin.core.principal import Principal, Role
from anxin.sim import overlap
from anxin.sim.claims import FINAL, Claim
from anxin.sim.geo import CARRIERS
from anxin.sim.orders import H, SimOrder
from anxin.sim.photos import vary
from anxin.sim.world import photo

if TYPE_CHECKING:
    from anxin.sim.abuse import ClaimPlan
    from anxin.sim.engine import Simulation

# What a confirming operator writes, by the pattern the simulator knows (anxin's reasons for confirming abuse).
CONFIRM_REASONS = {"evidence_reuse": "evidence_reuse", "freight_arbitrage": "freight_arbitrage", "ring": "fraud_ring",
                   "extortion": "extortion", "refund_without_return": "refund_without_return"}
OPERATOR = Principal(key_id="sim", role=Role.OPERATOR, subject="op-sim")
REJECT_NOTES = {
    "not_received": "物流显示本人已签收", "no_reason": "商品已拆封使用，影响二次销售",
    "counterfeit": "我店商品均为正品，可提供进货凭证", "quality": "商品出厂检验合格，非质量问题",
    "spoiled": "发货时新鲜完好，照片无法证明", "allergy": "无法证明过敏与商品有关",
}


class Cases:
    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.claims: list[Claim] = []
        self.stats: Counter[str] = Counter()
        self.refused: Counter[str] = Counter()
        self.first_decisions: Counter[str] = Counter()
        self.actions: Counter[str] = Counter()
        self.act_errors: Counter[str] = Counter()
        self._returns: Counter[bool] = Counter()  # by whether the abuse mix's (numbered apart)
        self._risk_reviews: set[str] = set()  # reviews an operator already has in hand (a case is seen again)
        self._ids: Counter[str] = Counter()
        self._honest_sent: dict[str, list[tuple[str, bytes]]] = {}  # consumer -> (order, photo) sent honestly

    @staticmethod
    def _consumer(order: SimOrder) -> Principal:
        return Principal(key_id="sim", role=Role.CONSUMER, subject=order.consumer.consumer_id)

    @staticmethod
    def _merchant(order: SimOrder) -> Principal:
        return Principal(key_id="sim", role=Role.MERCHANT, subject=order.shop.merchant.merchant_id)

    def _rng(self, claim: Claim) -> random.Random:
        return claim.rng or self.sim.rng

    def _queue_rng(self, claim: Claim) -> random.Random:
        """The risk queue's draws for a request: the overlap stream's for an honest request with an overlap (only the
        overlap sent it there, so its stream pays for the detour and the request's own stream stays where it was)."""
        return self.sim.overlap_rng if claim.overlaps and claim.genuine else self._rng(claim)

    def _claim(self, order: SimOrder, case_type: str, reason: str, *, genuine: bool, whole: bool = False,
               rng: random.Random | None = None, **kw: Any) -> Claim:
        """A claim about the order's first item (the whole order when ``whole`` or single-item)."""
        listing, qty, price = order.items[0]
        multi = len(order.items) > 1 and not whole
        amount = min(qty * price, order.paid_fen) if multi else order.paid_fen
        # Numbered apart, so the main stream's ids stay as they were: creators' (kc) and the abuse mix's (ka).
        prefix = "k" if rng is None else ("ka" if rng is order.rng else "kc")
        self._ids[prefix] += 1
        claim = Claim(f"{prefix}-{self._ids[prefix]:06d}", order, case_type, reason, amount, genuine,
                      listing_id=listing.listing_id if multi else None, rng=rng, **kw)
        self.claims.append(claim)
        order.claims.append(claim)
        return claim

    # --- triggers (scheduled by the order flow) --------------------------------------------------

    def unshipped(self, order: SimOrder, impatient: bool) -> None:
        if order.status != "paid" or order.open_claim:
            return
        reason = "other" if impatient else "changed_mind_unshipped"
        note = "两天了还没发货，不想要了" if impatient else "拍错了，不想要了"
        order.hold = True  # the merchant does not ship while the request is open
        self.file(self._claim(order, "refund_only", reason, genuine=True, whole=True, description=note, rng=order.rng))

    def not_received(self, order: SimOrder) -> None:
        if order.missing(self.sim.now) and not order.open_claim:
            self.file(self._claim(order, "refund_only", "not_received", genuine=True, whole=True,
                                  description="物流一周没有更新，没收到货", rng=order.rng))

    def after_delivery(self, order: SimOrder) -> bool:
        """Plan what the buyer files after sign-off; True if they will file something."""
        rng, c, signed = self.sim.rng, order.consumer, self.sim.now
        if order.problem and rng.random() < (0.95 if c.abusive else 0.8):
            if order.problem in ("spoiled", "damaged") and order.main.leaf.top == "fresh":
                hours = rng.uniform(1, 20) if rng.random() < 0.9 else rng.uniform(26, 60)  # some miss the 24 h
            elif order.problem == "allergy":
                hours = rng.uniform(24, 200)
            else:
                hours = rng.uniform(3, 96)
            self.sim.agenda.call(signed + hours * H, self._genuine, order)
        elif c.abusive and rng.random() < 0.45:
            self.sim.agenda.call(signed + rng.uniform(2, 72) * H, self._abusive, order)
        elif not c.abusive and rng.random() < order.main.leaf.remorse:
            self.sim.agenda.call(signed + rng.uniform(20, 140) * H, self._remorse, order)
        else:
            return False
        return True

    def overpromised(self, order: SimOrder) -> None:
        """Not what the creator described: most buyers ask for their money back. Drawn from the scoring stream."""
        rng = self.sim.scoring_rng
        if rng.random() < 0.8:
            self.sim.agenda.call(self.sim.now + rng.uniform(3, 96) * H, self._genuine, order, rng)

    def _genuine(self, order: SimOrder, own: random.Random | None = None) -> None:
        rng, problem, top = own or self.sim.rng, order.problem or "quality", order.main.leaf.top
        photos = 0 if rng.random() < 0.08 else rng.randint(1, 3)  # some forget the photo the rule asks for
        if top == "fresh" and problem in ("spoiled", "damaged"):
            kind = "compensation" if rng.random() < 0.4 else "refund_only"
        elif problem == "allergy":
            kind = "refund_only" if rng.random() < 0.6 else "return_refund"
        elif problem == "quality" and top == "3c":
            kind = "exchange" if rng.random() < 0.6 else "return_refund"
        elif problem == "counterfeit":
            kind, photos = "return_refund", 2
        else:
            kind = "refund_only" if order.paid_fen < 5000 and rng.random() < 0.5 else "return_refund"
        claim = self._claim(order, kind, problem, genuine=True, photos=photos, rng=own,
                            description={"spoiled": "收到时已经坏了", "counterfeit": "怀疑是假货，做工粗糙"}
                            .get(problem, "收到的商品有问题，见照片"))
        if kind == "compensation":
            claim.amount_fen = fraction_of(claim.amount_fen, rng.randint(20, 50), 100)
        self.file(claim)

    def _remorse(self, order: SimOrder) -> None:
        digital = "digital" in order.main.leaf.tags
        self.file(self._claim(order, "return_refund", "no_reason", genuine=True,
                              unsealed=digital and self.sim.rng.random() < 0.5, description="不太合适，七天无理由退货",
                              ships_return=self.sim.rng.random() < 0.95))

    def _abusive(self, order: SimOrder) -> None:
        rng, top = self.sim.rng, order.main.leaf.top
        options: list[tuple[str, str, int]] = [("refund_only", "not_received", 0), ("return_refund", "no_reason", 0),
                                               ("refund_only", "quality", 2)]
        if top in ("jewelry", "cosmetics"):
            options.append(("return_refund", "counterfeit", 2))
        if top == "fresh":
            options.append(("compensation", "spoiled", 1))
        kind, reason, photos = rng.choice(options)
        ships = rng.random() < 0.55
        claim = self._claim(order, kind, reason, genuine=False, photos=photos, reused=photos > 0,
                            unsealed="digital" in order.main.leaf.tags and rng.random() < 0.5,
                            ships_return=ships, bogus_return=ships and rng.random() < 0.6,
                            description={"not_received": "没收到货", "no_reason": "不想要了"}
                            .get(reason, "质量太差，和描述不符"))
        if kind == "compensation":
            claim.amount_fen = fraction_of(claim.amount_fen, rng.randint(60, 100), 100)
        self.file(claim)

    def file_planned(self, order: SimOrder, plan: ClaimPlan) -> None:
        """A request an abuse-mix account planned, drawn from the account's stream."""
        self.file(self._claim(order, plan.case_type, plan.reason, genuine=plan.genuine, whole=True, rng=order.rng,
                              photos=plan.photos, reused=bool(plan.stock), description=plan.description,
                              ships_return=plan.ships_return, bogus_return=plan.bogus_return, pattern=plan.pattern,
                              stock=plan.stock, arbitrage=plan.arbitrage, self_ship=plan.self_ship))

    # --- filing ----------------------------------------------------------------------------------

    def _evidence(self, claim: Claim, who: Principal) -> tuple[str, ...]:
        rng, consumer = self._rng(claim), claim.order.consumer
        photos = []
        for _ in range(claim.photos):
            if claim.stock:  # a near-duplicate of a stock photo, never the same bytes twice
                stock_id, base = rng.choice(claim.stock)
                claim.stock_used.append(stock_id)
                photos.append(vary(base, rng))
            else:
                photos.append(rng.choice(consumer.photos) if claim.reused and consumer.photos else photo(rng))
        if claim.genuine and not claim.stock and not claim.reused:
            photos = self._honest_photos(claim, photos)
        shas = []
        for data in photos:
            try:
                shas.append(self.sim.anxin.aftersales.upload_evidence(who, data).sha256)
                self.stats["evidence_uploads"] += 1
            except AnxinError as exc:
                self.act_errors[exc.code.value] += 1
        return tuple(dict.fromkeys(shas))

    def _honest_photos(self, claim: Claim, photos: list[bytes]) -> list[bytes]:
        """An honest buyer's photos, as drawn, but now and then two shots of the same item or a photo sent before on
        another order (anxin.sim.overlap; drawn from the overlap stream, after the request's own draws)."""
        rng, order = self.sim.overlap_rng, claim.order
        pair = overlap.twice(rng, len(photos))
        if pair is not None:
            photos[0], photos[1] = pair
            claim.overlaps.append("photo_twice")
        sent = self._honest_sent.setdefault(order.consumer.consumer_id, [])
        slot = 0 if pair is None else 2  # (never in place of one of the two shots)
        if slot < len(photos):
            again = overlap.reuse(rng, [data for order_id, data in sent if order_id != order.order_id])
            if again is not None:
                photos[slot] = again
                claim.overlaps.append("photo_reuse")
        sent.extend((order.order_id, data) for data in photos)
        return photos

    def file(self, claim: Claim) -> None:
        sim = self.sim
        sim.sync()
        who = self._consumer(claim.order)
        if claim.genuine:
            if claim.order.consumer.pattern == "heavy_buyer":
                claim.overlaps.append("heavy_returner")
            angry = overlap.angry(sim.overlap_rng, claim.description, claim.reason)
            if angry is not None:
                claim.description = angry
                claim.overlaps.append("threat_words")
        evidence = self._evidence(claim, who)
        self.stats["claims"] += 1
        try:
            view = sim.anxin.aftersales.file_case(who, FileCase(
                claim.order.order_id, claim.case_type, claim.reason, claim.amount_fen, evidence,
                claim.description, claim.listing_id, claim.unsealed))
        except AnxinError as exc:
            claim.refused = exc.code.value
            self.refused[exc.code.value] += 1
            self._finish(claim)
            return
        claim.case_id, claim.filed_at = view.case.case_id, sim.now
        claim.first_decision = str(view.decision.get("outcome"))
        self.first_decisions[claim.first_decision] += 1
        self.stats["filed"] += 1
        self.advance(claim, view)

    # --- the case's life -------------------------------------------------------------------------

    def advance(self, claim: Claim, view: CaseView) -> None:
        """Plan who does what next, given the state anxin reports."""
        sim, rng = self.sim, self._rng(claim)
        state, deadline = view.case.state.value, view.case.deadline_at
        claim.path.append(state)
        merchant = claim.order.shop.merchant
        now, later = sim.now, sim.agenda.call
        if state in FINAL:
            self._finish(claim)
        elif state == "pending_merchant":
            delay = rng.expovariate(1 / merchant.response_mean_h) * H
            if rng.random() < 0.03 and (deadline is None or now + 20 * H < deadline):
                later(now + rng.uniform(1, 20) * H, self._consumer_cancel, claim)
            elif not merchant.ghost and rng.random() < merchant.answer_rate and (
                    deadline is None or now + delay < deadline - dt.timedelta(minutes=10)):
                later(now + delay, self._merchant_answer, claim)
            else:
                self._check_at(claim, deadline)
        elif state == "under_review":
            review_id = (view.decision.get("risk") or {}).get("review_id")
            if view.events and view.events[-1].action == "receipt_timeout":  # a held return nobody inspected
                later(now + rng.uniform(1, 30) * H, self._operator_review, claim)
            elif review_id and review_id in self._risk_reviews:
                pass  # already in an operator's hands; _risk_review hands it on if the guarantee's review remains
            elif review_id:  # held by risk control: its queue is worked within the SLA (4 h block, 24 h review)
                self._risk_reviews.add(review_id)
                later(now + self._queue_rng(claim).uniform(0.5, 6) * H, self._risk_review, claim, review_id, "claim")
            else:
                later(now + rng.uniform(1, 30) * H, self._operator_review, claim)
        elif state == "awaiting_return":
            if claim.ships_return:
                later(now + rng.uniform(4, 96) * H, self._ship_return, claim, view.case.pickup_covered)
            else:
                self._check_at(claim, deadline)
        elif state == "return_shipped":
            if merchant.ghost or rng.random() > merchant.answer_rate:
                self._check_at(claim, deadline)
            else:
                later(now + rng.uniform(36, 120) * H, self._merchant_receipt, claim)
        elif state == "rejected":
            if claim.order.rng is None:  # (the contact stream knows the main population only)
                sim.contact.rejected(claim)
            hours = rng.uniform(1, 40)
            if rng.random() < (0.6 if claim.deserves else 0.3) and (deadline is None or now + hours * H < deadline):
                later(now + hours * H, self._act, claim, self._consumer(claim.order), "escalate",
                      "商家拒绝不合理，申请平台介入", None)
            else:
                self._check_at(claim, deadline)
        elif state == "arbitration":
            later(now + rng.uniform(4, 60) * H, self._arbitrate, claim)

    def _check_at(self, claim: Claim, deadline: dt.datetime | None) -> None:
        """Look again just after the tick that should have fired the deadline."""
        if deadline is not None:
            self.sim.agenda.call(self.sim.after_tick(deadline), self._check, claim)

    def _check(self, claim: Claim) -> None:
        self.sim.sync()
        view = self.sim.anxin.aftersales.get_case(self._consumer(claim.order), claim.case_id or "")
        if view.case.state.value == claim.state:
            # The deadline passed and a tick ran, yet nothing happened: worth a report, not a retry loop.
            self.act_errors["sim.deadline_did_not_fire"] += 1
            return
        claim.path.append("~" + (view.events[-1].action if view.events else "?"))  # the clock acted
        self.advance(claim, view)

    def _act(self, claim: Claim, who: Principal, action: str, note: str, data: dict[str, Any] | None) -> None:
        sim = self.sim
        sim.sync()
        try:
            view = sim.anxin.aftersales.act(who, claim.case_id or "", action, note=note, data=data)
        except AnxinError as exc:
            self.act_errors[exc.code.value] += 1
            view = sim.anxin.aftersales.get_case(self._consumer(claim.order), claim.case_id or "")
            if view.case.state.value == claim.state:
                self._check_at(claim, view.case.deadline_at)  # leave it to the clock
                return
            claim.path.append("~" + (view.events[-1].action if view.events else "?"))
            self.advance(claim, view)
            return
        self.actions[action] += 1
        hold = view.events[-1] if action == "ship_return" and view.events else None
        if hold is not None and hold.action == "risk_hold_freight":  # the freight waits for the risk queue
            self._risk_reviews.add(hold.data["risk"]["review_id"])
            sim.agenda.call(sim.now + self._queue_rng(claim).uniform(0.5, 20) * H, self._risk_review, claim,
                            hold.data["risk"]["review_id"], "return")
        self.advance(claim, view)

    def _merchant_answer(self, claim: Claim) -> None:
        order, rng = claim.order, self._rng(claim)
        merchant = order.shop.merchant
        if claim.reason in ("changed_mind_unshipped", "other") and order.status == "paid":
            p_reject = 0.1  # nothing shipped yet: merchants mostly let it go
        elif claim.reason == "not_received" and order.status == "delivered":
            p_reject = 0.85  # the carrier's sign-off proves delivery
        else:
            # (a no-reason return whose freight is arbitraged looks like any other until the parcel arrives)
            p_reject = merchant.reject_genuine if claim.genuine or claim.arbitrage else merchant.reject_abusive
        if rng.random() < p_reject:
            self._act(claim, self._merchant(order), "reject", REJECT_NOTES.get(claim.reason, "不符合售后条件"), None)
        else:
            self._act(claim, self._merchant(order), "approve", "同意售后", None)

    def _consumer_cancel(self, claim: Claim) -> None:
        self._act(claim, self._consumer(claim.order), "cancel", "问题已解决，撤销申请", None)

    def _ship_return(self, claim: Claim, pickup: bool) -> None:
        rng, own = self._rng(claim), claim.order.rng is not None
        self._returns[own] += 1
        if pickup and not claim.self_ship and rng.random() < 0.6:
            data: dict[str, Any] = {"method": "pickup", "weight_g": claim.order.main.weight_g}
        else:
            number = f"RT{'9' if own else '0'}{self._returns[own]:08d}"
            data = {"method": "self", "carrier": rng.choice(CARRIERS), "tracking_no": number,
                    "freight_fen": rng.randrange(600, 2600, 50)}  # drawn as before; the parcel declares its own
            claim.returned = self.sim.abuse.return_parcel(claim, data["carrier"])
            data.update(claim.returned.data())
        self._act(claim, self._consumer(claim.order), "ship_return", "已寄回", data)

    def _merchant_receipt(self, claim: Claim) -> None:
        rng = self._rng(claim)
        if (claim.bogus_return and rng.random() < 0.7) or (claim.genuine and rng.random() < 0.03):
            self._act(claim, self._merchant(claim.order), "reject_receipt", "退回商品与原商品不符", None)
        else:
            self._act(claim, self._merchant(claim.order), "confirm_receipt", "已收到退货", None)

    def _operator_review(self, claim: Claim) -> None:
        right = self._rng(claim).random() < 0.85  # reviewers are good, not perfect
        # (reviewing a return, they look at the parcel too: what came back must be what was sold)
        if (claim.deserves and not (claim.returned is not None and claim.bogus_return)) == right:
            self._act(claim, OPERATOR, "review_approve", "凭证充分，支持申请", None)
        else:
            self._act(claim, OPERATOR, "review_reject", "凭证不足或疑似重复使用", None)

    def _risk_review(self, claim: Claim, review_id: str, stage: str) -> None:
        """An operator in the risk queue: right as often as the after-sales reviewers. A return's review is
        about its freight (arbitraged or not), a claim's about the request itself."""
        right = self._queue_rng(claim).random() < 0.85
        arbitraged = claim.returned is not None and claim.returned.arbitraged
        honest = not arbitraged if stage == "return" else claim.deserves
        clear = honest == right
        self.sim.sync()
        try:
            self.sim.anxin.risk.decide(
                OPERATOR, review_id, decision="clear" if clear else "confirm",
                reason="not_abuse" if clear else CONFIRM_REASONS.get(claim.pattern, "serial_abuse"),
                note="核实无异常，放行" if clear else "核实为恶意售后")
        except AnxinError as exc:  # decided meanwhile (the consumer cancelled, another reviewer acted)
            self.act_errors[exc.code.value] += 1
            return
        self.actions[f"risk_{'clear' if clear else 'confirm'}"] += 1
        if stage == "claim":
            view = self.sim.anxin.aftersales.get_case(self._consumer(claim.order), claim.case_id or "")
            claim.path.append("~risk")
            if view.case.state.value == "under_review" and view.case.state.value == claim.state:
                later = self.sim.now + self._queue_rng(claim).uniform(1, 30) * H  # the guarantee's review remains
                self.sim.agenda.call(later, self._operator_review, claim)
                return
            self.advance(claim, view)

    def _arbitrate(self, claim: Claim) -> None:
        right = self._rng(claim).random() < 0.9
        if claim.deserves == right:
            self._act(claim, OPERATOR, "arbitrate_for_consumer", "平台判定支持消费者", None)
        else:
            self._act(claim, OPERATOR, "arbitrate_for_merchant", "平台判定支持商家", None)

    def _finish(self, claim: Claim) -> None:
        """A request ended (or was refused): an unshipped order is cancelled if refunded, else it ships."""
        order, sim = claim.order, self.sim
        if not order.hold or order.open_claim:
            return
        order.hold = False
        if claim.state == "refunded" and order.status == "paid":
            order.status, order.cancelled_at = "cancelled", sim.now
            sim.orders.stats["cancelled"] += 1
            sim.feed.emit("order.cancelled", sim.now, {"order_id": order.order_id,
                                                       "reason": "refunded before shipment"}, rng=order.rng)
        elif order.ship_waiting:
            order.ship_waiting = False
            sim.agenda.call(sim.now + (order.rng or sim.rng).uniform(1, 6) * H, sim.orders.ship, order)
