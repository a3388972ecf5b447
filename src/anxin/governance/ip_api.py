"""IP complaints over HTTP (issue 16 §7): rights holders file and withdraw, merchants answer with a counter-notice,
operators decide; each sees the complaints that concern them. The core slice's ``api.py`` includes this router."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Query, Request

from anxin.core.principal import Principal
from anxin.governance import ip_api_models as out
from anxin.governance.error_codes import GovernanceErrorCode as E
from anxin.governance.ip_complaints import IpComplaints
from anxin.web.auth import app_of, principal
from anxin.web.openapi import codes
from anxin.web.paging import CURSOR, LIMIT, Page, cursor_instant, decode_cursor, page_of, scope_of

router = APIRouter(prefix="/v1/governance", tags=["governance"])
ID = "complaint_id"


def _ip(request: Request) -> IpComplaints:
    return app_of(request).governance.ip


@router.post("/ip-complaints", summary="File an IP complaint against listings of one shop (rights holders)",
             description='`{"client_key": "k-1", "listing_ids": ["l1"], "proof": {"rights_kind": "trademark", '
                         '"owner": "BrandCo", "registration_number": "12345678", "authorisation_chain": [{"grantor": '
                         '"BrandCo", "grantee": "<you>", "document_ref": "auth-2026-01", "valid_until": '
                         '"2027-01-01T00:00:00+08:00"}]}, "statement": "...", "evidence": ["ref", ...]}`. Trademarks '
                         "and patents need `registration_number`, copyrights `certificate_reference`; an agent (not "
                         "the owner) needs an unbroken, unexpired chain of authorisations from the owner to itself. "
                         "The merchant may answer until `counter_notice_deadline`. The same client key and request "
                         'again returns the same complaint (`"created": false`); another request under the key is '
                         "409 `governance.ip_complaint_key_reused`.",
             response_model=out.FiledIpComplaint,
             openapi_extra=codes(E.INVALID_IP_COMPLAINT, E.IP_PROOF_INVALID, E.IP_LISTING_UNKNOWN,
                                 E.IP_LISTINGS_SPAN_SHOPS, E.IP_TOO_MANY_LISTINGS, E.IP_COMPLAINT_KEY_REUSED))
def file_complaint(request: Request, body: Any = Body(...), who: Principal = Depends(principal)) -> dict[str, Any]:
    return _ip(request).file(who, body)


@router.get("/ip-complaints", summary="IP complaints, next deadline first",
            description="Rights holders see their own, merchants those against their shops, operators all. Ordered "
                        "by the next deadline (the counter-notice window's end, the decision's due time, or when it "
                        "closed). `state`: one of the states, `open` (not decided nor withdrawn) or `ready` (the "
                        "operators' queue: counter-noticed or window lapsed).",
            response_model=Page[out.IpComplaint], openapi_extra=codes(E.IP_INVALID_FILTER))
def list_complaints(request: Request, state: str | None = Query(None, max_length=32), limit: int = LIMIT,
                    cursor: str | None = CURSOR, who: Principal = Depends(principal)) -> Page[dict[str, Any]]:
    scope = scope_of("ip-complaints", who.role.value, who.subject, state)
    key = decode_cursor(cursor, scope=scope, shape=(str, str))  # (due_at, complaint id)
    after = None if key is None else (cursor_instant(key[0]), str(key[1]))
    rows = _ip(request).complaints(who, state=state, limit=limit + 1, after=after)
    return page_of(rows, limit=limit, scope=scope, key=lambda c: (c["due_at"], c[ID]))


@router.get("/ip-rights-holders", summary="Unfounded IP complaints per rights holder (operators; a rights holder: "
                                          "its own)",
            description="Complaints filed within the rulebook's window: filed, upheld, rejected (unfounded), "
                        "withdrawn, the unfounded rate in basis points and whether it is flagged.",
            response_model=Page[out.RightsHolderRecord], openapi_extra=codes())
def rights_holders(request: Request, limit: int = LIMIT, cursor: str | None = CURSOR,
                   who: Principal = Depends(principal)) -> Page[dict[str, Any]]:
    scope = scope_of("ip-rights-holders", who.role.value, who.subject)
    key = decode_cursor(cursor, scope=scope, shape=(str,))
    rows = _ip(request).rights_holders(who, limit=limit + 1, after=None if key is None else str(key[0]))
    return page_of(rows, limit=limit, scope=scope, key=lambda h: (h["rights_holder_id"],))


@router.get("/ip-complaints/{complaint_id}", summary="One IP complaint (its rights holder, the shop's merchant, "
                                                    "operators)",
            response_model=out.IpComplaint, openapi_extra=codes(E.IP_COMPLAINT_NOT_FOUND))
def get_complaint(complaint_id: str, request: Request, who: Principal = Depends(principal)) -> dict[str, Any]:
    return _ip(request).get(who, complaint_id)


@router.post("/ip-complaints/{complaint_id}/counter-notice",
             summary="The merchant's counter-notice, once, before the window ends (merchants)",
             description='`{"statement": "...", "evidence": ["ref", ...]}`. After `counter_notice_deadline`, a '
                         "second time, or once decided or withdrawn: 409 `governance.ip_counter_notice_closed`.",
             response_model=out.IpComplaint,
             openapi_extra=codes(E.INVALID_IP_COUNTER_NOTICE, E.IP_COMPLAINT_NOT_FOUND, E.IP_COUNTER_NOTICE_CLOSED))
def counter_notice(complaint_id: str, request: Request, body: Any = Body(...),
                   who: Principal = Depends(principal)) -> dict[str, Any]:
    return _ip(request).counter_notice(who, complaint_id, body)


@router.post("/ip-complaints/{complaint_id}/decision", summary="Decide an IP complaint (operators)",
             description='`{"outcome": "upheld" | "rejected", "reason_codes": ["infringement_confirmed"], "note": '
                         '"..."}`. Only once it is ready (counter-noticed, or the window lapsed: before, 409 '
                         "`governance.ip_window_open`). Upheld: one ip_infringement violation per listing, its "
                         "severity raised by the shop's earlier infringements in the repeat window; the catalogue's "
                         "measures take the listings down. Decided once: a second decision, even a concurrent one, "
                         "is 409 `governance.ip_complaint_closed`.",
             response_model=out.IpComplaint,
             openapi_extra=codes(E.INVALID_IP_DECISION, E.IP_COMPLAINT_NOT_FOUND, E.IP_WINDOW_OPEN,
                                 E.IP_COMPLAINT_CLOSED))
def decide(complaint_id: str, request: Request, body: Any = Body(...),
           who: Principal = Depends(principal)) -> dict[str, Any]:
    return _ip(request).decide(who, complaint_id, body)


@router.post("/ip-complaints/{complaint_id}/withdraw",
             summary="Withdraw an IP complaint before it is decided (its rights holder)",
             response_model=out.IpComplaint, openapi_extra=codes(E.IP_COMPLAINT_NOT_FOUND, E.IP_COMPLAINT_CLOSED))
def withdraw(complaint_id: str, request: Request, who: Principal = Depends(principal)) -> dict[str, Any]:
    return _ip(request).withdraw(who, complaint_id)
