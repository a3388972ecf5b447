"""IP complaints' rules and policy (issue 16 §7), pure: the ``ip_complaints`` section of the governance rulebook
(its strict model in ``ip_rulebook``, re-exported here), the complaint's state machine, the proof a right needs,
the counter-notice window's edges and the severity a repeat infringer's next violation takes.

A complaint is filed by a rights holder (or an agent with a chain of authorisations from the owner) against listings
of one shop, and at once awaits the merchant's counter-notice. The window is half-open: a counter-notice is on time
while ``now < filed_at + window``; from that instant the window has lapsed, whether or not the periodic lapse has
marked it. Operators decide a complaint only once it is ready (counter-noticed, or its window lapsed); the rights
holder may withdraw it until it is decided.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from anxin.core.errors import AnxinError
from anxin.governance.error_codes import GovernanceErrorCode as E
from anxin.governance.ip_rulebook import (
    DEFAULT_DIR,
    SEVERITIES,
    IpComplaintsSpec,
    IpRules,
    IpRulesError,
    RightsSpec,
    ip_rules_from,
    load_ip_rules,
)

# The section's model, re-exported: this module is the slice's one pure entry point.
__all__ = ["DEFAULT_DIR", "SEVERITIES", "IpComplaintsSpec", "IpRules", "IpRulesError", "ip_rules_from",
           "load_ip_rules"]

FILED = "filed"
AWAITING = "awaiting_counter_notice"
COUNTER_NOTICED = "counter_noticed"
WINDOW_LAPSED = "window_lapsed"
UPHELD = "upheld"
REJECTED = "rejected"
WITHDRAWN = "withdrawn"
STATES = (FILED, AWAITING, COUNTER_NOTICED, WINDOW_LAPSED, UPHELD, REJECTED, WITHDRAWN)
READY = (COUNTER_NOTICED, WINDOW_LAPSED)  # what operators may decide
OUTCOMES = (UPHELD, REJECTED)
CLOSED = (UPHELD, REJECTED, WITHDRAWN)
TRANSITIONS: Mapping[str, frozenset[str]] = {
    FILED: frozenset({AWAITING, WITHDRAWN}),
    AWAITING: frozenset({COUNTER_NOTICED, WINDOW_LAPSED, WITHDRAWN}),
    COUNTER_NOTICED: frozenset({UPHELD, REJECTED, WITHDRAWN}),
    WINDOW_LAPSED: frozenset({UPHELD, REJECTED, WITHDRAWN}),
    UPHELD: frozenset(), REJECTED: frozenset(), WITHDRAWN: frozenset(),
}
RIGHTS_KINDS = ("trademark", "copyright", "patent")
PROOF_FIELDS = ("registration_number", "certificate_reference")
MAX_ID = 64
MAX_REF = 500


def can_move(state: str, to: str) -> bool:
    return to in TRANSITIONS.get(state, frozenset())


# --- filing: the proof of rights -------------------------------------------------------------------------------

@dataclass(frozen=True)
class AuthorisationLink:
    grantor: str
    grantee: str
    document_ref: str
    valid_until: dt.datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"grantor": self.grantor, "grantee": self.grantee, "document_ref": self.document_ref,
                "valid_until": self.valid_until.isoformat() if self.valid_until else None}


@dataclass(frozen=True)
class Proof:
    rights_kind: str
    owner: str  # the owner of the right as registered
    fields: Mapping[str, str]  # registration_number / certificate_reference
    chain: tuple[AuthorisationLink, ...] = ()  # owner → … → filer; empty when the owner files

    def as_dict(self) -> dict[str, Any]:
        return {"rights_kind": self.rights_kind, "owner": self.owner, **dict(self.fields),
                "authorisation_chain": [link.as_dict() for link in self.chain]}


@dataclass(frozen=True)
class Filing:
    client_key: str
    listing_ids: tuple[str, ...]
    proof: Proof
    statement: str
    evidence: tuple[str, ...]
    rule_ids: tuple[str, ...]  # the rules the proof and the filing were checked against

    def fingerprint(self) -> str:
        """What the client asked, so a reused client key with another request is told apart."""
        text = json.dumps({"listings": self.listing_ids, "proof": self.proof.as_dict(),
                           "statement": self.statement, "evidence": self.evidence}, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()


def _text(body: Mapping[str, Any], key: str, *, code: E, limit: int, required: bool = True, least: int = 0) -> str:
    value = body.get(key, "" if not required else None)
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > limit:
        need = "required, " if required else ""
        raise AnxinError(code, f"{key} must be text ({need}at most {limit} characters)", field=key)
    value = value.strip()
    if len(value) < least:
        raise AnxinError(code, f"{key} must say at least {least} characters", field=key, minimum=least)
    return value


def _refs(body: Mapping[str, Any], key: str, *, code: E, limit: int) -> tuple[str, ...]:
    value = body.get(key, [])
    if (not isinstance(value, list) or len(value) > limit
            or not all(isinstance(v, str) and v.strip() and len(v) <= MAX_REF for v in value)):
        raise AnxinError(code, f"{key} must be a list of at most {limit} references (text, ≤ {MAX_REF} characters)",
                         field=key)
    return tuple(v.strip() for v in value)


def check_proof(rules: IpRules, raw: object, *, filer: str, now: dt.datetime) -> tuple[Proof, tuple[str, ...]]:
    """The proof a rights kind needs (its fields, full-matching the rulebook's patterns) and, when the filer is not
    the owner, an unbroken, unexpired chain of authorisations from the owner to the filer. Returns the proof and
    the rule ids it was checked against."""
    def bad(message: str, **details: Any) -> AnxinError:
        return AnxinError(E.IP_PROOF_INVALID, message, **details)

    if not isinstance(raw, Mapping):
        raise bad("proof must be an object", field="proof")
    kind = raw.get("rights_kind")
    rights = rights_of(rules, kind)
    owner = _text(raw, "owner", code=E.IP_PROOF_INVALID, limit=200)
    fields: dict[str, str] = {}
    for need in rights.proof:
        value = raw.get(need.field)
        if not isinstance(value, str) or re.fullmatch(need.pattern, value.strip()) is None:
            raise bad(f"a {rights.kind} needs {need.field} matching {need.pattern}", field=f"proof.{need.field}",
                      rule_id=rights.rule_id)
        fields[need.field] = value.strip()
    rule_ids = [rights.rule_id]
    chain = _chain(rules, raw.get("authorisation_chain", []), owner=owner, filer=filer, now=now)
    if chain:
        rule_ids.append(rules.spec.agents.rule_id)
    return Proof(rights_kind=rights.kind, owner=owner, fields=fields, chain=chain), tuple(rule_ids)


def rights_of(rules: IpRules, kind: object) -> RightsSpec:
    rights = rules.rights(kind) if isinstance(kind, str) else None
    if rights is None:
        raise AnxinError(E.IP_PROOF_INVALID, f"rights_kind must be one of {[r.kind for r in rules.spec.rights]}",
                         field="proof.rights_kind")
    return rights


def _chain(rules: IpRules, raw: object, *, owner: str, filer: str, now: dt.datetime) -> tuple[AuthorisationLink, ...]:
    agents = rules.spec.agents

    def bad(message: str, **details: Any) -> AnxinError:
        return AnxinError(E.IP_PROOF_INVALID, message, field="proof.authorisation_chain", rule_id=agents.rule_id,
                          **details)

    if not isinstance(raw, list) or len(raw) > agents.max_chain_links:
        raise bad(f"authorisation_chain must be a list of at most {agents.max_chain_links} links")
    if owner == filer:
        if raw:
            raise bad("the owner files without an authorisation chain")
        return ()
    if not raw:
        raise bad(f"{filer!r} is not the owner {owner!r}: an authorisation chain from the owner is needed")
    links = []
    for i, item in enumerate(raw):
        if not isinstance(item, Mapping):
            raise bad(f"link {i} must be an object", link=i)
        grantor, grantee, ref = (item.get(k) for k in ("grantor", "grantee", "document_ref"))
        if not all(isinstance(v, str) and v.strip() and len(v) <= 200 for v in (grantor, grantee, ref)):
            raise bad(f"link {i} needs grantor, grantee and document_ref", link=i)
        try:
            until = _instant(item.get("valid_until"))
        except ValueError:
            raise bad(f"link {i}: valid_until must be ISO 8601 with an offset", link=i) from None
        if until is not None and until <= now:
            raise bad(f"link {i}'s authorisation expired at {until.isoformat()}", link=i)
        links.append(AuthorisationLink(str(grantor).strip(), str(grantee).strip(), str(ref).strip(), until))
    expected = owner
    for i, link in enumerate(links):
        if link.grantor != expected:
            raise bad(f"link {i} is granted by {link.grantor!r}, not {expected!r}: the chain is broken", link=i)
        expected = link.grantee
    if expected != filer:
        raise bad(f"the chain ends at {expected!r}, not at the filer {filer!r}")
    return tuple(links)


def _instant(value: object) -> dt.datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(value)
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(value)
    return parsed.astimezone(dt.UTC)


def parse_filing(rules: IpRules, body: object, *, filer: str, now: dt.datetime) -> Filing:
    if not isinstance(body, Mapping):
        raise AnxinError(E.INVALID_IP_COMPLAINT, "the body must be an object", field="body")
    limits = rules.spec.limits
    client_key = _text(body, "client_key", code=E.INVALID_IP_COMPLAINT, limit=100)
    raw_ids = body.get("listing_ids")
    if (not isinstance(raw_ids, list) or not raw_ids
            or not all(isinstance(i, str) and i.strip() and len(i) <= MAX_ID for i in raw_ids)):
        raise AnxinError(E.INVALID_IP_COMPLAINT, f"listing_ids must be a non-empty list of ids (≤ {MAX_ID} "
                         "characters)", field="listing_ids")
    listing_ids = tuple(dict.fromkeys(i.strip() for i in raw_ids))  # a listing named twice is one listing
    if len(listing_ids) > limits.max_listings_per_complaint:
        raise AnxinError(E.IP_TOO_MANY_LISTINGS, f"at most {limits.max_listings_per_complaint} listings per "
                         "complaint", field="listing_ids", limit=limits.max_listings_per_complaint,
                         rule_id=limits.rule_id)
    proof, rule_ids = check_proof(rules, body.get("proof"), filer=filer, now=now)
    statement = _text(body, "statement", code=E.INVALID_IP_COMPLAINT, limit=limits.max_statement_chars)
    evidence = _refs(body, "evidence", code=E.INVALID_IP_COMPLAINT, limit=limits.max_evidence_items)
    return Filing(client_key=client_key, listing_ids=listing_ids, proof=proof, statement=statement,
                  evidence=evidence, rule_ids=(*rule_ids, limits.rule_id))


# --- the window, the state, the decision ---------------------------------------------------------------------

def counter_notice_deadline(rules: IpRules, filed_at: dt.datetime) -> dt.datetime:
    return filed_at + rules.counter_notice_window


def state_at(state: str, deadline: dt.datetime, now: dt.datetime) -> str:
    """The state as of ``now``: a complaint still awaiting a counter-notice at its deadline has lapsed, marked or
    not."""
    return WINDOW_LAPSED if state == AWAITING and now >= deadline else state


@dataclass(frozen=True)
class CounterNotice:
    statement: str
    evidence: tuple[str, ...]


def parse_counter_notice(rules: IpRules, body: object) -> CounterNotice:
    if not isinstance(body, Mapping):
        raise AnxinError(E.INVALID_IP_COUNTER_NOTICE, "the body must be an object", field="body")
    spec = rules.spec.counter_notice
    statement = _text(body, "statement", code=E.INVALID_IP_COUNTER_NOTICE, limit=rules.spec.limits.max_statement_chars,
                      least=spec.min_statement_chars)
    evidence = _refs(body, "evidence", code=E.INVALID_IP_COUNTER_NOTICE, limit=spec.max_evidence_items)
    return CounterNotice(statement=statement, evidence=evidence)


def check_counter_notice(rules: IpRules, state: str, deadline: dt.datetime, now: dt.datetime) -> None:
    """On time and only once: refused once the window lapsed, after a counter-notice, a decision or a withdrawal."""
    current = state_at(state, deadline, now)
    if current != AWAITING:
        raise AnxinError(E.IP_COUNTER_NOTICE_CLOSED, f"the complaint is {current}: no counter-notice is taken",
                         state=current, deadline=deadline.isoformat(), rule_id=rules.spec.counter_notice.rule_id)


@dataclass(frozen=True)
class Decision:
    outcome: str
    reason_codes: tuple[str, ...]
    note: str


def parse_decision(rules: IpRules, body: object) -> Decision:
    if not isinstance(body, Mapping):
        raise AnxinError(E.INVALID_IP_DECISION, "the body must be an object", field="body")
    outcome = body.get("outcome")
    if outcome not in OUTCOMES:
        raise AnxinError(E.INVALID_IP_DECISION, f"outcome must be one of {list(OUTCOMES)}", field="outcome")
    allowed = getattr(rules.spec.decision.reasons, str(outcome))
    codes = body.get("reason_codes")
    if not isinstance(codes, list) or not codes or not all(isinstance(c, str) and c in allowed for c in codes):
        raise AnxinError(E.INVALID_IP_DECISION, f"reason_codes must list one or more of {allowed} for {outcome}",
                         field="reason_codes", allowed=list(allowed))
    note = _text(body, "note", code=E.INVALID_IP_DECISION, limit=2000, required=False)
    return Decision(outcome=str(outcome), reason_codes=tuple(dict.fromkeys(codes)), note=note)


def check_decidable(state: str, deadline: dt.datetime, now: dt.datetime) -> str:
    """The ready state a decision starts from; a decided or withdrawn complaint, or one whose counter-notice window
    is still open, is refused."""
    current = state_at(state, deadline, now)
    if current in CLOSED:
        raise AnxinError(E.IP_COMPLAINT_CLOSED, f"the complaint is already {current}", state=current)
    if current not in READY:
        raise AnxinError(E.IP_WINDOW_OPEN, "the merchant's counter-notice window is open until "
                         f"{deadline.isoformat()}", state=current, deadline=deadline.isoformat())
    return current


def check_withdrawable(state: str) -> None:
    if state in CLOSED:
        raise AnxinError(E.IP_COMPLAINT_CLOSED, f"the complaint is already {state}: it can no longer be withdrawn",
                         state=state)


def decision_due(rules: IpRules, ready_at: dt.datetime) -> dt.datetime:
    return ready_at + rules.decision_sla


# --- repeat infringers and unfounded complaints --------------------------------------------------------------

def severity_for(rules: IpRules, prior_violations: int) -> str:
    """The severity of a shop's next ip_infringement given how many it has within the repeat window: the last step
    whose ``prior_violations`` is reached."""
    severity = rules.spec.repeat.steps[0].severity
    for step in rules.spec.repeat.steps:
        if prior_violations >= step.prior_violations:
            severity = step.severity
    return severity


def unfounded_rate(rules: IpRules, *, decided: int, rejected: int) -> tuple[int | None, bool]:
    """The share of a rights holder's decided complaints that were rejected, in basis points (None before any
    decision), and whether it is flagged: at or above the threshold over enough decided complaints."""
    if decided <= 0:
        return None, False
    rate = rejected * 10000 // decided
    spec = rules.spec.unfounded
    return rate, decided >= spec.min_decided and rate >= spec.flag_rate_bp
