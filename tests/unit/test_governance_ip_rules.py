"""IP complaints' pure rules: the section's model, proof of rights, the counter-notice window's edges, the state
machine, the decision, and the severity a repeat infringer's next violation takes."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest
import yaml

from anxin.core.errors import AnxinError
from anxin.governance import ip_rules as r
from anxin.governance.error_codes import GovernanceErrorCode as E

RULES = r.load_ip_rules()
T0 = dt.datetime(2026, 12, 7, 2, 0, tzinfo=dt.UTC)  # 10:00 in Beijing
DEADLINE = T0 + dt.timedelta(days=3)
SECTION = yaml.safe_load((r.DEFAULT_DIR / "ip_complaints.yaml").read_text(encoding="utf-8"))


def code_of(call: Any) -> str:
    with pytest.raises(AnxinError) as caught:
        call()
    return caught.value.code.value


def test_the_packaged_section_loads_with_the_bundle_version() -> None:
    assert RULES.version == "governance-2026.12"
    assert RULES.effective_from == dt.datetime(2026, 12, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert [x.kind for x in RULES.spec.rights] == ["trademark", "copyright", "patent"]
    assert RULES.counter_notice_window == dt.timedelta(days=3)


@pytest.mark.parametrize(("path", "value", "message"), [
    (("counter_notice", "window_days"), 0, "counter_notice.window_days: must be a positive integer"),
    (("counter_notice", "window_days"), "3", "counter_notice.window_days: must be an integer"),
    (("repeat", "steps"), [{"prior_violations": 1, "severity": "minor"}], "must start at prior_violations 0"),
    (("repeat", "steps"), [{"prior_violations": 0, "severity": "major"}, {"prior_violations": 2, "severity": "minor"}],
     "may not be less severe"),
    (("repeat", "steps"), [{"prior_violations": 0, "severity": "minor"}, {"prior_violations": 0, "severity": "major"}],
     "ascend strictly"),
    (("rights",), [SECTION["rights"][0], SECTION["rights"][0]], "each rights kind at most once"),
    (("unfounded", "flag_rate_bp"), 10001, "an integer 0–10000"),
    (("limits", "surprise"), 1, "limits.surprise: unknown key"),
])
def test_a_broken_section_is_refused_with_its_path(path: tuple[str, ...], value: object, message: str) -> None:
    raw = copy.deepcopy(SECTION)
    node = raw
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    with pytest.raises(r.IpRulesError) as caught:
        r.ip_rules_from(raw, version="v", effective_from=T0)
    assert any(message in p for p in caught.value.problems), caught.value.problems


def test_a_bad_proof_pattern_is_refused() -> None:
    raw = copy.deepcopy(SECTION)
    raw["rights"][0]["proof"][0]["pattern"] = "[0-9"
    with pytest.raises(r.IpRulesError, match="not a regular expression"):
        r.ip_rules_from(raw, version="v", effective_from=T0)


# --- proof -----------------------------------------------------------------------------------------------------

def link(grantor: str, grantee: str, until: str | None = None) -> dict[str, Any]:
    return {"grantor": grantor, "grantee": grantee, "document_ref": f"auth-{grantor}-{grantee}", "valid_until": until}


TM = {"rights_kind": "trademark", "owner": "rh1", "registration_number": "12345678"}


@pytest.mark.parametrize(("proof", "filer", "rule_ids"), [
    (TM, "rh1", ("ip.rights.trademark",)),
    ({"rights_kind": "copyright", "owner": "rh1", "certificate_reference": "国作登字-2024-F-00012345"}, "rh1",
     ("ip.rights.copyright",)),
    ({"rights_kind": "patent", "owner": "rh1", "registration_number": "ZL202310123456.7"}, "rh1",
     ("ip.rights.patent",)),
    ({**TM, "owner": "BrandCo", "authorisation_chain": [link("BrandCo", "rh1")]}, "rh1",
     ("ip.rights.trademark", "ip.proof.agent_chain")),
    ({**TM, "owner": "BrandCo", "authorisation_chain": [link("BrandCo", "Dist"), link("Dist", "Firm"),
                                                         link("Firm", "rh1", "2026-12-07T10:00:01+08:00")]},
     "rh1", ("ip.rights.trademark", "ip.proof.agent_chain")),
])
def test_good_proof(proof: dict[str, Any], filer: str, rule_ids: tuple[str, ...]) -> None:
    checked, used = r.check_proof(RULES, proof, filer=filer, now=T0)
    assert used == rule_ids
    assert checked.rights_kind == proof["rights_kind"]
    assert len(checked.chain) == len(proof.get("authorisation_chain", []))


@pytest.mark.parametrize(("proof", "field"), [
    ("not an object", "proof"),
    ({**TM, "rights_kind": "design"}, "proof.rights_kind"),
    ({**TM, "registration_number": "12-34"}, "proof.registration_number"),
    ({**TM, "registration_number": "1234"}, "proof.registration_number"),  # too short for the pattern
    ({"rights_kind": "copyright", "owner": "rh1", "registration_number": "12345678"}, "proof.certificate_reference"),
    ({**TM, "owner": ""}, "owner"),
    ({**TM, "owner": "BrandCo"}, "proof.authorisation_chain"),  # an agent without a chain
    ({**TM, "authorisation_chain": [link("rh1", "rh1")]}, "proof.authorisation_chain"),  # the owner needs none
    ({**TM, "owner": "BrandCo", "authorisation_chain": [link("Other", "rh1")]}, "proof.authorisation_chain"),
    ({**TM, "owner": "BrandCo", "authorisation_chain": [link("BrandCo", "Dist")]}, "proof.authorisation_chain"),
    ({**TM, "owner": "BrandCo", "authorisation_chain": [link("BrandCo", "Dist"), link("X", "rh1")]},
     "proof.authorisation_chain"),
    ({**TM, "owner": "BrandCo", "authorisation_chain": [link("BrandCo", "rh1", "2026-12-07T10:00:00+08:00")]},
     "proof.authorisation_chain"),  # expired at the very instant of filing
    ({**TM, "owner": "BrandCo", "authorisation_chain": [link("BrandCo", "rh1", "2027-01-01T00:00:00")]},
     "proof.authorisation_chain"),  # no offset
    ({**TM, "owner": "A", "authorisation_chain": [link("A", "B"), link("B", "C"), link("C", "D"), link("D", "rh1")]},
     "proof.authorisation_chain"),  # longer than max_chain_links
])
def test_bad_proof_is_refused(proof: object, field: str) -> None:
    with pytest.raises(AnxinError) as caught:
        r.check_proof(RULES, proof, filer="rh1", now=T0)
    assert caught.value.code is E.IP_PROOF_INVALID
    assert caught.value.details["field"] == field


def filing(**changes: Any) -> dict[str, Any]:
    return {"client_key": "k1", "listing_ids": ["l1", "l2"], "proof": TM, "statement": "copies our mark",
            "evidence": ["shot-1"], **changes}


def test_a_filing_names_each_listing_once_and_carries_its_rules() -> None:
    f = r.parse_filing(RULES, filing(listing_ids=["l1", "l2", "l1"]), filer="rh1", now=T0)
    assert f.listing_ids == ("l1", "l2")
    assert f.rule_ids == ("ip.rights.trademark", "ip.limits.complaint")
    assert f.fingerprint() == r.parse_filing(RULES, filing(), filer="rh1", now=T0).fingerprint()
    assert f.fingerprint() != r.parse_filing(RULES, filing(statement="other"), filer="rh1", now=T0).fingerprint()


@pytest.mark.parametrize(("body", "code"), [
    ([], E.INVALID_IP_COMPLAINT),
    (filing(client_key=""), E.INVALID_IP_COMPLAINT),
    (filing(listing_ids=[]), E.INVALID_IP_COMPLAINT),
    (filing(listing_ids=["x" * 65]), E.INVALID_IP_COMPLAINT),
    (filing(listing_ids=[f"l{i}" for i in range(51)]), E.IP_TOO_MANY_LISTINGS),
    (filing(statement=""), E.INVALID_IP_COMPLAINT),
    (filing(evidence=["ok"] * 21), E.INVALID_IP_COMPLAINT),
    (filing(evidence=[3]), E.INVALID_IP_COMPLAINT),
])
def test_bad_filings_are_refused(body: object, code: E) -> None:
    assert code_of(lambda: r.parse_filing(RULES, body, filer="rh1", now=T0)) == code.value


def test_fifty_listings_is_the_limit() -> None:
    assert len(r.parse_filing(RULES, filing(listing_ids=[f"l{i}" for i in range(50)]), filer="rh1",
                              now=T0).listing_ids) == 50


# --- the window and the state machine --------------------------------------------------------------------------

@pytest.mark.parametrize(("at", "state"), [
    (T0, r.AWAITING),
    (DEADLINE - dt.timedelta(hours=1), r.AWAITING),  # the last hour of day 3
    (DEADLINE - dt.timedelta(microseconds=1), r.AWAITING),
    (DEADLINE, r.WINDOW_LAPSED),  # the window is half-open: at the deadline it is over
    (DEADLINE + dt.timedelta(hours=1), r.WINDOW_LAPSED),
])
def test_window_edges(at: dt.datetime, state: str) -> None:
    assert r.counter_notice_deadline(RULES, T0) == DEADLINE
    assert r.state_at(r.AWAITING, DEADLINE, at) == state


@pytest.mark.parametrize(("state", "at", "code"), [
    (r.AWAITING, DEADLINE - dt.timedelta(hours=1), None),
    (r.AWAITING, DEADLINE - dt.timedelta(seconds=1), None),
    (r.AWAITING, DEADLINE, E.IP_COUNTER_NOTICE_CLOSED),
    (r.AWAITING, DEADLINE + dt.timedelta(hours=1), E.IP_COUNTER_NOTICE_CLOSED),
    (r.COUNTER_NOTICED, T0, E.IP_COUNTER_NOTICE_CLOSED),  # once only
    (r.WINDOW_LAPSED, T0, E.IP_COUNTER_NOTICE_CLOSED),
    (r.UPHELD, T0, E.IP_COUNTER_NOTICE_CLOSED),
    (r.WITHDRAWN, T0, E.IP_COUNTER_NOTICE_CLOSED),
])
def test_counter_notice_on_time_and_once(state: str, at: dt.datetime, code: E | None) -> None:
    def call() -> None:
        r.check_counter_notice(RULES, state, DEADLINE, at)
    if code is None:
        call()
    else:
        assert code_of(call) == code.value


@pytest.mark.parametrize(("state", "at", "result"), [
    (r.AWAITING, DEADLINE - dt.timedelta(seconds=1), E.IP_WINDOW_OPEN),
    (r.AWAITING, DEADLINE, r.WINDOW_LAPSED),  # lapsed though the periodic lapse has not marked it
    (r.COUNTER_NOTICED, T0, r.COUNTER_NOTICED),  # a counter-notice makes it ready at once
    (r.WINDOW_LAPSED, DEADLINE, r.WINDOW_LAPSED),
    (r.UPHELD, DEADLINE, E.IP_COMPLAINT_CLOSED),
    (r.REJECTED, DEADLINE, E.IP_COMPLAINT_CLOSED),
    (r.WITHDRAWN, DEADLINE, E.IP_COMPLAINT_CLOSED),
])
def test_decidable_only_when_ready(state: str, at: dt.datetime, result: str | E) -> None:
    if isinstance(result, E):
        assert code_of(lambda: r.check_decidable(state, DEADLINE, at)) == result.value
    else:
        assert r.check_decidable(state, DEADLINE, at) == result


@pytest.mark.parametrize(("state", "allowed"), [
    (r.FILED, True), (r.AWAITING, True), (r.COUNTER_NOTICED, True), (r.WINDOW_LAPSED, True),
    (r.UPHELD, False), (r.REJECTED, False), (r.WITHDRAWN, False),
])
def test_withdraw_only_before_a_decision(state: str, allowed: bool) -> None:
    assert r.can_move(state, r.WITHDRAWN) is allowed
    if allowed:
        r.check_withdrawable(state)
    else:
        assert code_of(lambda: r.check_withdrawable(state)) == E.IP_COMPLAINT_CLOSED.value


def test_the_state_machine() -> None:
    assert set(r.TRANSITIONS) == set(r.STATES)
    assert r.can_move(r.FILED, r.AWAITING) and not r.can_move(r.FILED, r.UPHELD)
    assert r.can_move(r.AWAITING, r.COUNTER_NOTICED) and r.can_move(r.AWAITING, r.WINDOW_LAPSED)
    assert not r.can_move(r.AWAITING, r.UPHELD)  # the merchant gets the window first
    assert all(r.can_move(s, o) for s in r.READY for o in r.OUTCOMES)
    assert not any(r.can_move(c, s) for c in r.CLOSED for s in r.STATES)


@pytest.mark.parametrize(("body", "ok"), [
    ({"outcome": "upheld", "reason_codes": ["infringement_confirmed"]}, True),
    ({"outcome": "rejected", "reason_codes": ["proof_insufficient", "no_infringement"], "note": "n"}, True),
    ({"outcome": "upheld", "reason_codes": ["proof_insufficient"]}, False),  # a rejection's reason
    ({"outcome": "upheld", "reason_codes": []}, False),
    ({"outcome": "maybe", "reason_codes": ["no_infringement"]}, False),
    ({"outcome": "rejected", "reason_codes": ["no_infringement"], "note": "x" * 2001}, False),
    ("upheld", False),
])
def test_decisions(body: object, ok: bool) -> None:
    if ok:
        assert r.parse_decision(RULES, body).outcome == body["outcome"]  # type: ignore[index]
    else:
        assert code_of(lambda: r.parse_decision(RULES, body)) == E.INVALID_IP_DECISION.value


@pytest.mark.parametrize(("body", "ok"), [
    ({"statement": "we are licensed: see the contract"}, True),
    ({"statement": "short"}, False),  # under min_statement_chars
    ({"statement": "we are licensed", "evidence": ["x"] * 21}, False),
    ({}, False),
])
def test_counter_notices(body: object, ok: bool) -> None:
    if ok:
        assert r.parse_counter_notice(RULES, body).statement == body["statement"]  # type: ignore[index]
    else:
        assert code_of(lambda: r.parse_counter_notice(RULES, body)) == E.INVALID_IP_COUNTER_NOTICE.value


# --- repeat infringers and unfounded complaints ----------------------------------------------------------------

@pytest.mark.parametrize(("prior", "severity"), [(0, "minor"), (1, "major"), (2, "critical"), (7, "critical")])
def test_repeat_infringers_escalate(prior: int, severity: str) -> None:
    """The 1st upheld complaint in the window is minor, the 2nd major, the 3rd and later critical."""
    assert r.severity_for(RULES, prior) == severity


@pytest.mark.parametrize(("decided", "rejected", "rate", "flagged"), [
    (0, 0, None, False),
    (4, 4, 10000, False),  # too few decided to flag
    (5, 2, 4000, False),
    (5, 3, 6000, True),
    (10, 5, 5000, True),  # at the threshold
    (3, 1, 3333, False),
])
def test_unfounded_rate(decided: int, rejected: int, rate: int | None, flagged: bool) -> None:
    assert r.unfounded_rate(RULES, decided=decided, rejected=rejected) == (rate, flagged)
