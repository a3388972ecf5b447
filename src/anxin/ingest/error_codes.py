"""Stable error codes of the ingest context, each with the HTTP status it answers."""

from __future__ import annotations

from anxin.core.errors import ErrorCode


class IngestErrorCode(ErrorCode):
    MALFORMED_BATCH = "event.malformed_batch", 400
    MALFORMED_EVENT = "event.malformed", 422
    UNKNOWN_TYPE = "event.unknown_type", 422
    INVALID_FIELD = "event.invalid_field", 422
    INVALID_MONEY = "event.invalid_money", 422
    INVALID_TIMESTAMP = "event.invalid_timestamp", 422
    TIME_OUT_OF_RANGE = "event.time_out_of_range", 422  # parseable, but outside Settings' business-time bounds
    ID_CONFLICT = "event.id_conflict", 409
    LIFECYCLE = "event.lifecycle_violation", 409
    BATCH_TOO_LARGE = "event.batch_too_large", 413
    FILE_UNREADABLE = "event.file_unreadable", 400
