from __future__ import annotations

from enum import StrEnum


class IngestErrorCode(StrEnum):
    MALFORMED_BATCH = "event.malformed_batch"
    MALFORMED_EVENT = "event.malformed"
    UNKNOWN_TYPE = "event.unknown_type"
    INVALID_FIELD = "event.invalid_field"
    INVALID_MONEY = "event.invalid_money"
    INVALID_TIMESTAMP = "event.invalid_timestamp"
    TIME_OUT_OF_RANGE = "event.time_out_of_range"  # parseable, but outside Settings' business-time bounds
    ID_CONFLICT = "event.id_conflict"
    LIFECYCLE = "event.lifecycle_violation"
    BATCH_TOO_LARGE = "event.batch_too_large"
    FILE_UNREADABLE = "event.file_unreadable"
