"""Who answers consultations in a simulated run (``SimConfig.care``), and how the openers rate it.

- **Merchants** answer their shop's tickets (owner ``merchant_cs``) with their chat traits (``anxin.sim.contact``):
  a merchant who never answers requests (``ghost``) never answers here either; another answers with probability
  ``chat_answer_rate``, after lognormal(median ``chat_reply_median_s``, σ 0.9) seconds counted from the first
  instant of the care rulebook's merchant service hours (08:00–23:00 Beijing): a question asked at night waits for
  the morning shift, which takes up to an hour to reach it. A reply that would fall after closing waits for the
  next opening. Having answered, a merchant asks the customer something back 20 % of the time, then resolves after
  lognormal(a median per topic, from 8 min pre-sale to 4 h, × (1 + 2 × (1 − quality)), σ 1) in service hours; 5 %
  + 30 % × (1 − quality)² of answered tickets are never resolved. The outcome is good with probability 0.6 + 0.35
  × quality.
- **Platform agents** (``SimConfig.care_agents``; one works nights, the others 08:00–24:00) take platform tickets as
  they arrive and escalated ones from anxin's queue after each hourly SLA run (ordered by deadline, as the queue
  is): the agent free first takes a ticket, writes the first reply after lognormal(median 75 s, σ 0.6) (7 % take
  longer than 3 minutes: a long history to read) and is busy 4–12 minutes with it, so the pool answers about 7.5
  tickets an hour per agent and a queue forms behind bursts and at night. They resolve after lognormal(a median per
  topic, 30 min to 12 h, σ 0.8); good outcome 85 %.
- **Openers** confirm a resolution 45 % of the time (else anxin closes it after the rulebook's period); reopen a
  bad one 25 % of the time (once); rate a closed ticket 35 % of the time (50 % after a bad outcome; 60 % of that
  when anxin closed it for them). The rating (the simulator's behavioural model, not a measured one):
  ``round(4.6 − wait − 0.4·escalated − 0.5·resolution_breached − 1.8·bad_outcome − 0.3·reopened
  + lift·cared_for + N(0, 0.5))`` clamped to 1–5, where wait is 0 for a first reply within 3 minutes, 0.3 within
  30, 0.7 within 4 h, 1.2 later or never, and lift is ``SimConfig.care_outreach_rating_lift``.
- **Proactive care**: every hour of the day shift (08:00–21:00) platform agents list anxin's open outreach tasks
  and reach out to each new one 0.5–4 h later (pushed into 09:00–21:00): the buyer takes the suggested remedy and the
  task is done. Held-out orders' tasks are never worked. From then on the order counts as cared for: its buyer asks
  less (``SimConfig.care_outreach_contact_cut``) and rates higher (the lift). Both effects are assumptions of the
  simulator; the effect the figures measure reflects them and nothing else.
"""

from __future__ import annotations

import datetime as dt
import math
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

from anxin.care.service import OpenConsultation, PostMessage, RateTicket, TransitionTicket, queue_key
from anxin.care.sla import breached, deadline
from anxin.core.errors import AnxinError
from anxin.core.principal import Principal, Role
from anxin.sim.contact import REPLY_SIGMA, REPLY_TARGET_S
from anxin.sim.events import CST
from anxin.sim.orders import H

if TYPE_CHECKING:
    from anxin.sim.care import CareActors, Consult
    from anxin.sim.world import Merchant

S = dt.timedelta(seconds=1)
MINUTE = dt.timedelta(minutes=1)
AGENT = Principal(key_id="sim", role=Role.OPERATOR, subject="cs-sim")
MERCHANT_RESOLVE_MIN = {"pre_sale": 8, "order": 40, "logistics": 120, "after_sale": 180, "account": 240,
                        "merchant_policy": 240}
PLATFORM_RESOLVE_MIN = {"pre_sale": 30, "order": 60, "logistics": 360, "after_sale": 600, "account": 180,
                        "merchant_policy": 720}
MERCHANT_REPLIES = ("亲，您好，这边马上帮您查看一下", "您好，已经收到您的问题，正在为您处理", "亲，在的，请稍等",
                    "您好，感谢您的耐心等待，这边为您核实一下")
PLATFORM_REPLIES = ("您好，平台客服为您服务，已为您核实订单情况", "您好，这边已收到您的反馈，正在协调处理",
                    "您好，我是平台客服，请问还有什么可以帮您")
CUSTOMER_ANSWERS = ("好的，订单号和照片已经发给你了", "地址是对的，麻烦尽快", "嗯，就是这个问题", "好的谢谢")
COMMENTS = {1: ("问题没有解决", "回复太慢了"), 2: ("处理得一般", "等了很久"), 3: ("还行吧",),
            4: ("挺好的", "解决了"), 5: ("客服很耐心，点赞", "很快就解决了")}


def expected_reply_rate(m: Merchant) -> float:
    """The latent share of a merchant's tickets opened in service hours that it first answers within three minutes
    (the few asked just before closing, answered the next morning, aside)."""
    if m.ghost:
        return 0.0
    return m.chat_answer_rate * NormalDist(math.log(m.chat_reply_median_s), REPLY_SIGMA).cdf(math.log(REPLY_TARGET_S))


class Desk:
    def __init__(self, actors: CareActors) -> None:
        self.actors, self.sim, self.rng, self.stats = actors, actors.sim, actors.rng, actors.stats
        self.policy = self.care.policy  # the care rulebook anxin runs with: its hours, targets and periods
        self.merchant_hours = self.policy.first_reply_sla("merchant_cs").calendar
        self.agents = [self.sim.start] * max(1, self.sim.config.care_agents)  # when each agent is next free
        self.by_ticket: dict[str, Consult] = {}
        self.in_hand: set[str] = set()  # tickets an agent is working on (until resolved)
        self.unanswered: set[str] = set()  # merchant tickets without the merchant's first answer, not escalated
        self.cared: dict[str, dt.datetime] = {}  # order id -> when the platform reached out
        self.outreach: dict[str, dict[str, Any]] = {}  # task id -> what the agents did

    # --- anxin's care facade (the only calls into it) -------------------------------------------------------------

    @property
    def care(self) -> Any:
        return self.sim.anxin.care

    def open(self, who: Principal, body: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self.care.consultations.open(who, OpenConsultation(**body))
        return result

    def _post(self, who: Principal, c: Consult, text: str) -> bool:
        c.messages += 1
        return self._call(f"message.{who.role.value}", self.care.tickets.post_message, who, c.ticket_id,
                          PostMessage(f"{c.consultation_id}-m{c.messages}", text))

    def _move(self, who: Principal, c: Consult, to: str, reason: str) -> bool:
        return self._call(f"to_{to}", self.care.tickets.transition, who, c.ticket_id, TransitionTicket(to, reason))

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> bool:
        self.sim.sync()
        try:
            fn(*args, **kwargs)
        except AnxinError as exc:  # escalated meanwhile, closed by the clock, ...: the refusal says why
            self.stats[f"refused.{what}.{exc.code.value}"] += 1
            return False
        self.stats[what] += 1
        return True

    # --- time ---------------------------------------------------------------------------------------------------

    def _later(self, at: dt.datetime, fn: Any, *args: Any) -> None:
        self.actors._later(at, fn, *args)

    def _merchant_start(self, at: dt.datetime) -> dt.datetime:
        """When the merchant's people get to a message that arrived at ``at``."""
        opens = deadline(at, 0, self.merchant_hours)
        return at if opens <= at else opens + self.rng.uniform(0, 3600) * S

    def _in_hours(self, at: dt.datetime) -> dt.datetime:
        opens = deadline(at, 0, self.merchant_hours)
        return at if opens <= at else opens + self.rng.uniform(0, 1800) * S

    # --- opened --------------------------------------------------------------------------------------------------

    def opened(self, c: Consult, result: dict[str, Any]) -> None:
        routing = result["consultation"]["routing"] or {}
        c.routed = {k: routing.get(k) for k in ("intent", "route", "owner")}
        self.stats[f"route.{c.routed['route']}"] += 1
        ticket = result.get("ticket")
        if not ticket:
            return
        c.ticket_id, c.owner = ticket["ticket_id"], ticket["owner"]
        self.by_ticket[ticket["ticket_id"]] = c
        self.stats["tickets"] += 1
        if c.owner == "merchant_cs":
            self.unanswered.add(c.ticket_id)
            self._plan_merchant_reply(c)
        else:
            self._assign(c, self.sim.now)

    # --- merchants -----------------------------------------------------------------------------------------------

    def _plan_merchant_reply(self, c: Consult) -> None:
        m, rng = c.merchant, self.rng
        if m.ghost or rng.random() >= m.chat_answer_rate:
            self.stats["merchant_silent"] += 1
            if c.order is not None and rng.random() < 0.15:  # as after an unanswered chat: some complain
                self.sim.contact.complain(c.order, "service_attitude", self.sim.now + rng.uniform(0.5, 12) * H)
            return
        wait = rng.lognormvariate(math.log(m.chat_reply_median_s), REPLY_SIGMA) * S
        self._later(self._in_hours(self._merchant_start(self.sim.now) + wait), self._merchant_reply, c)

    def _merchant_reply(self, c: Consult) -> None:
        """The merchant's first answer; after an escalation it still counts for the shop's reply figures, but the
        ticket is the platform's to work."""
        if not self._post(self._merchant(c), c, self.rng.choice(MERCHANT_REPLIES)):
            return
        now, rng, bad = self.sim.now, self.rng, 1 - c.merchant.quality
        c.merchant_replied_at = now
        self.unanswered.discard(c.ticket_id or "")
        if c.first_reply_at is None:
            c.first_reply_at, c.first_reply_by = now, "merchant"
        if c.owner != "merchant_cs":
            return
        if rng.random() < 0.05 + 0.3 * bad ** 2:
            self.stats["merchant_abandoned"] += 1  # answered, never resolved: the resolution target breaches
            return
        if rng.random() < 0.2:
            self._later(now + rng.uniform(1, 20) * MINUTE, self._ask_back, c, "merchant")
        else:
            self._later(self._resolve_at(c, "merchant"), self._resolve, c, "merchant")

    def _merchant(self, c: Consult) -> Principal:
        return Principal(key_id="sim", role=Role.MERCHANT, subject=c.merchant.merchant_id)

    def _side(self, side: str, c: Consult) -> Principal:
        return self._merchant(c) if side == "merchant" else AGENT

    def _resolve_at(self, c: Consult, side: str) -> dt.datetime:
        rng, now = self.rng, self.sim.now
        if side == "merchant":
            minutes = MERCHANT_RESOLVE_MIN[c.topic] * (1 + 2 * (1 - c.merchant.quality)) * rng.lognormvariate(0, 1)
            return self._in_hours(now + minutes * MINUTE)
        return now + PLATFORM_RESOLVE_MIN[c.topic] * rng.lognormvariate(0, 0.8) * MINUTE

    def _ask_back(self, c: Consult, side: str) -> None:
        if self._move(self._side(side, c), c, "waiting_customer", "asked_customer"):
            self._later(self.sim.now + self.rng.uniform(2, 360) * MINUTE, self._customer_answers, c, side)

    def _customer_answers(self, c: Consult, side: str) -> None:
        if self._post(c.opener, c, self.rng.choice(CUSTOMER_ANSWERS)):  # (the awaited answer reopens it)
            self._later(self._resolve_at(c, side), self._resolve, c, side)

    # --- platform agents -----------------------------------------------------------------------------------------

    def _assign(self, c: Consult, arrival: dt.datetime) -> None:
        """The agent free first takes it (the night agent alone between 00:00 and 08:00)."""
        if c.ticket_id is None or c.ticket_id in self.in_hand:
            return
        self.in_hand.add(c.ticket_id)
        best: tuple[dt.datetime, int] | None = None
        for i, free in enumerate(self.agents):
            start = max(arrival, free)
            local = start.astimezone(CST)
            if i > 0 and local.hour < 8:
                start = local.replace(hour=8, minute=0, second=0, microsecond=0)
            if best is None or start < best[0]:
                best = (start, i)
        assert best is not None
        start, i = best
        self.agents[i] = start + self.rng.uniform(4, 12) * MINUTE
        self._later(start + self.rng.lognormvariate(math.log(75), 0.6) * S, self._platform_reply, c)

    def _platform_reply(self, c: Consult) -> None:
        if not self._post(AGENT, c, self.rng.choice(PLATFORM_REPLIES)):
            self.in_hand.discard(c.ticket_id or "")
            return
        if c.first_reply_at is None:
            c.first_reply_at, c.first_reply_by = self.sim.now, "platform"
        self._later(self._resolve_at(c, "platform"), self._resolve, c, "platform")

    def after_tick(self, report: dict[str, Any]) -> None:
        """After the hourly tick (with its SLA run): escalated and other unanswered platform tickets, then outreach
        tasks."""
        now, after = self.sim.now, None
        if "care" not in report:  # (a tick without the care jobs: run the SLA job as the worker would)
            self.care.sla.check_due(now)
        # Agents look at the queue for escalations while some merchant ticket still waits for its first answer (when
        # none does, the queue holds nothing they have not taken), and at the outreach list in the day shift.
        waiting: list[tuple[str, Consult]] = []
        while self.unanswered:
            page = self.care.queries.queue(AGENT, owner="platform_cs", state="open", limit=100, after=after)
            waiting += [(t["next_due_at"] or "", c) for t in page
                        if (c := self.by_ticket.get(t["ticket_id"])) is not None and t["ticket_id"] not in self.in_hand]
            if len(page) < 100:
                break
            after = queue_key(page[-1])
        # By deadline as the queue is; tickets escalated in one run share it, and anxin's random ticket ids would
        # order them differently from run to run: the simulator's own ids break the tie, so a seed replays.
        for _, c in sorted(waiting, key=lambda w: (w[0], w[1].consultation_id)):
            if c.owner == "merchant_cs":
                c.escalated, c.owner = True, "platform_cs"
                self.unanswered.discard(c.ticket_id or "")
                self.stats["escalations_seen"] += 1
            self._assign(c, now)
        if 8 <= now.astimezone(CST).hour < 21:
            self._outreach_round()

    # --- resolution, closing, rating -----------------------------------------------------------------------------

    def _resolve(self, c: Consult, side: str) -> None:
        good = self.rng.random() < (0.6 + 0.35 * c.merchant.quality if side == "merchant" else 0.85)
        if side == "merchant" and c.owner != "merchant_cs":
            return  # escalated meanwhile: the platform has it
        if not self._move(self._side(side, c), c, "resolved", "answered" if good else "could_not_help"):
            return
        self.in_hand.discard(c.ticket_id or "")
        now, rng = self.sim.now, self.rng
        c.resolved_at, c.resolved_by, c.good = now, side, good
        assert c.opened_at is not None
        c.resolution_breached = breached(c.opened_at, now, now, self.policy.resolution_sla(c.topic)).breached
        if not good and not c.reopened and rng.random() < 0.25:
            self._later(now + rng.uniform(0.5, 20) * H, self._reopen, c)
        elif rng.random() < 0.45:
            self._later(now + rng.uniform(5, 1200) * MINUTE, self._confirm, c)
        else:
            self._later(now + self.policy.close_after + rng.uniform(1, 48) * H, self._closed_by_anxin, c)

    def _reopen(self, c: Consult) -> None:
        if not self._move(c.opener, c, "open", "not_solved"):
            return
        c.reopened += 1
        if c.owner == "merchant_cs":
            self._later(self._resolve_at(c, "merchant"), self._resolve, c, "merchant")
        else:
            self._assign(c, self.sim.now)

    def _confirm(self, c: Consult) -> None:
        if self._move(c.opener, c, "closed", "customer_confirmed"):
            c.closed_at, c.closed_by = self.sim.now, "opener"
            self._rate(c, 1.0)

    def _closed_by_anxin(self, c: Consult) -> None:
        """Nobody confirmed or reopened it: the SLA job closed it after the rulebook's period (an hourly tick ago or
        more); asked for a rating, fewer of these openers give one."""
        c.closed_by = "anxin"
        self._rate(c, 0.6)

    def _rate(self, c: Consult, keen: float) -> None:
        rng = self.rng
        if rng.random() >= keen * (0.35 if c.good else 0.5):
            return
        assert c.opened_at is not None
        wait = (c.first_reply_at - c.opened_at) / MINUTE if c.first_reply_at is not None else math.inf
        score = 4.6 - (0.0 if wait <= 3 else 0.3 if wait <= 30 else 0.7 if wait <= 240 else 1.2)
        score -= 0.4 * c.escalated + 0.5 * c.resolution_breached + 1.8 * (not c.good) + 0.3 * c.reopened
        cared = c.order is not None and c.order.order_id in self.cared
        score += self.sim.config.care_outreach_rating_lift * cared + rng.gauss(0, 0.5)
        rating = min(5, max(1, round(score)))
        if self._call("rated", self.care.tickets.rate, c.opener, c.ticket_id,
                      RateTicket(rating, rng.choice(COMMENTS[rating]))):
            c.rating = rating

    # --- proactive care ------------------------------------------------------------------------------------------

    def _outreach_round(self) -> None:
        """Agents list the open outreach tasks and reach out to each new one within a few hours."""
        now, rng = self.sim.now, self.rng
        # (by due time, then by order and trouble rather than anxin's random task ids, so a seed replays)
        for task in sorted(self._open_tasks(), key=lambda t: (t["due_at"], t["order_id"], t["trouble"])):
            if task["task_id"] in self.outreach:
                continue
            at = now + rng.uniform(0.5, 4) * H
            local = at.astimezone(CST)
            if local.hour < 9:
                at = local.replace(hour=9) + rng.uniform(0, 2) * H
            elif local.hour >= 21:
                at = (local + dt.timedelta(days=1)).replace(hour=9) + rng.uniform(0, 2) * H
            self.outreach[task["task_id"]] = {"order_id": task["order_id"], "trouble": task["trouble"],
                                              "remedy": task["remedy_suggested"], "seen_at": now,
                                              "contacted_at": None, "done_at": None}
            self._later(at, self._reach_out, task)

    def _open_tasks(self) -> list[dict[str, Any]]:
        tasks: list[dict[str, Any]] = []
        after = None
        while True:
            page = self.sim.anxin.outreach.queue(AGENT, state="open", limit=100, after=after)
            tasks += page
            if len(page) < 100:
                return tasks
            after = (dt.datetime.fromisoformat(page[-1]["due_at"]), page[-1]["task_id"])

    def _reach_out(self, task: dict[str, Any]) -> None:
        """Call the buyer, who takes the suggested remedy (a coupon goes out through anxin's outbox; past the order's
        coupon cap, none): the task is done in one move."""
        truth, desk = self.outreach[task["task_id"]], self.sim.anxin.outreach
        for remedy in dict.fromkeys((task["remedy_suggested"] or "none", "none")):
            if self._call("outreach_done", desk.transition, AGENT, task["task_id"], to="done", remedy=remedy,
                          note="已联系买家，买家接受补救方案"):
                break
        else:
            return
        truth["contacted_at"] = truth["done_at"] = self.sim.now
        truth["remedy_chosen"] = remedy
        self.cared.setdefault(task["order_id"], self.sim.now)
