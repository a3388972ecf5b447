"""Stable error codes of the governance context, each with the HTTP status it answers."""

from __future__ import annotations

from anxin.core.errors import ErrorCode


class GovernanceErrorCode(ErrorCode):
    UNKNOWN_KIND = "governance.unknown_kind", 422
    INVALID_SUBJECT = "governance.invalid_subject", 422
    SEVERITY_REQUIRED = "governance.severity_required", 422
    EVIDENCE_MISSING = "governance.evidence_missing", 422
    NO_OWNER = "governance.no_owner", 422
    INVALID_SOURCE = "governance.invalid_source", 422
    INVALID_REQUEST = "governance.invalid_request", 422
    INVALID_FILTER = "governance.invalid_filter", 422
    SOURCE_CONFLICT = "governance.source_conflict", 409
    VIOLATION_NOT_FOUND = "governance.violation_not_found", 404
    SHOP_NOT_FOUND = "governance.shop_not_found", 404
