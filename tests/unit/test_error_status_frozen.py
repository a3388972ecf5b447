"""Temporary: every code keeps the HTTP status it had in the central table (moved into the contexts)."""

from __future__ import annotations

from anxin.web.errors import HTTP_STATUS

FROZEN = {
    "access.forbidden_role": 403, "access.invalid_role": 422, "access.invalid_subject": 422,
    "access.key_not_found": 404, "access.login_link_invalid": 401, "access.too_many_attempts": 429,
    "access.unauthenticated": 401, "actions.ack_conflict": 409, "actions.action_not_found": 404,
    "actions.cause_conflict": 409, "actions.invalid_ack": 422, "actions.invalid_cause": 422,
    "actions.invalid_filter": 422, "actions.invalid_parameters": 422, "actions.invalid_target": 422,
    "actions.unknown_kind": 422, "aftersales.action_not_allowed": 403, "aftersales.amount_exceeds_refundable": 422,
    "aftersales.case_already_open": 409, "aftersales.case_not_found": 404, "aftersales.concurrent_change": 409,
    "aftersales.deadline_passed": 409, "aftersales.evidence_not_found": 422, "aftersales.evidence_not_image": 415,
    "aftersales.evidence_too_large": 413, "aftersales.forbidden_role": 403, "aftersales.invalid_action": 422,
    "aftersales.invalid_amount": 422, "aftersales.invalid_case_type": 422, "aftersales.invalid_field": 422,
    "aftersales.invalid_reason": 422, "aftersales.invalid_return_method": 422, "aftersales.invalid_state": 409,
    "aftersales.no_such_evidence": 404, "aftersales.note_required": 422, "aftersales.order_cancelled": 409,
    "aftersales.order_not_found": 404, "aftersales.pickup_not_covered": 409, "aftersales.rulebook_invalid": 422,
    "aftersales.too_many_evidence": 422, "aftersales.tracking_required": 422, "event.batch_too_large": 413,
    "event.file_unreadable": 400, "event.id_conflict": 409, "event.invalid_field": 422, "event.invalid_money": 422,
    "event.invalid_timestamp": 422, "event.lifecycle_violation": 409, "event.malformed": 422,
    "event.malformed_batch": 400, "event.time_out_of_range": 422, "event.unknown_type": 422,
    "fees.invalid_waiver": 422, "fees.invalid_window": 422, "fees.waiver_overlap": 409,
    "fulfilment.invalid_window": 422, "fulfilment.order_not_found": 404, "fulfilment.shop_not_found": 404,
    "idempotency.in_progress": 409, "idempotency.invalid_key": 422, "idempotency.key_reused": 409,
    "merchants.category_not_allowed": 422, "merchants.entity_change_invalid": 422, "merchants.forbidden_role": 403,
    "merchants.idempotency_conflict": 409, "merchants.illegal_transition": 409, "merchants.insufficient_deposit": 409,
    "merchants.insufficient_goods": 409, "merchants.invalid_amount": 422, "merchants.invalid_field": 422,
    "merchants.invalid_period": 422, "merchants.licence_at_limit": 409, "merchants.licence_required": 422,
    "merchants.listing_cap_reached": 409, "merchants.shop_closed": 409, "merchants.shop_exists": 409,
    "merchants.shop_not_found": 404, "merchants.shop_not_open": 409, "merchants.transfer_same_owner": 409,
    "merchants.transfer_to_banned": 409, "merchants.upgrade_invalid": 422, "merchants.withdrawal_over_limit": 422,
    "outbox.delivery_not_found": 404, "outbox.endpoint_configured": 409, "outbox.endpoint_not_found": 404,
    "outbox.idempotency_conflict": 409, "outbox.invalid_amount": 422, "outbox.invalid_endpoint": 422,
    "outbox.invalid_filter": 422, "outbox.invalid_kind": 422, "outbox.invalid_message": 422,
    "outbox.message_not_found": 404, "outbox.not_redeliverable": 409, "request.form_token_invalid": 403,
    "request.invalid": 422, "request.invalid_cursor": 400, "request.invalid_unicode": 422,
    "request.malformed_json": 400, "request.method_not_allowed": 405, "request.not_found": 404,
    "request.nul_character": 422, "request.out_of_range": 422, "request.too_large": 413,
    "request.unsupported_media_type": 415, "risk.access_blocked": 429, "risk.already_banned": 409,
    "risk.forbidden_role": 403, "risk.invalid_decision": 422, "risk.invalid_field": 422, "risk.invalid_reason": 422,
    "risk.invalid_rule": 422, "risk.invalid_status": 422, "risk.note_required": 422,
    "risk.review_already_decided": 409, "risk.review_not_found": 404, "risk.rule_blocks_too_many": 409,
    "risk.rule_not_found": 404, "risk.rule_reviews_too_many": 409, "risk.shop_not_found": 404,
    "risk.verdict_not_found": 404, "scoring.deduction_not_found": 404, "scoring.engine_unavailable": 422,
    "scoring.future_date": 422, "scoring.invalid_date": 422, "scoring.invalid_deduction": 422,
    "scoring.invalid_side": 422, "scoring.no_snapshot": 404, "scoring.shop_not_found": 404,
    "scoring.source_invalid": 422, "scoring.source_not_found": 422, "scoring.subject_not_found": 404,
    "scoring.unknown_engine": 422, "scoring.unknown_indicator": 404,
}


def test_every_code_keeps_its_status() -> None:
    assert {code.value: status for code, status in HTTP_STATUS.items()} == FROZEN
