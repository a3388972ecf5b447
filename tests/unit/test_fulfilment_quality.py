"""bench.fulfilment_quality.score: detector findings against the simulator's ground truth, on hand-made data."""

from __future__ import annotations

import datetime as dt

import pytest
from bench.fulfilment_quality import SCORED, explain, score

from anxin.fulfilment.detectors import KINDS, Finding
from anxin.sim.fulfilment import LISTING_KINDS, ORDER_KINDS

AT = dt.datetime(2026, 11, 3, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def _f(kind: str, subject_id: str, subject_type: str = "order", n: int = 0) -> Finding:
    return Finding(f"fnd_{kind}_{subject_id}_{n}", kind, subject_type, subject_id, "shop-001", AT, {}, "F.X", "v")


TRUTH: dict[str, dict[str, dict[str, list[str]]]] = {
    "orders": {
        "o-1": {"expected": ["late_shipment", "fake_shipment.no_carrier_scan"]},
        "o-2": {"expected": ["late_shipment"]},
        "o-3": {"expected": []},
        "o-4": {"expected": ["parcel.stalled", "parcel.exception"]},
    },
    "listings": {"l-1": {"expected": ["listing.repeated_late"]}, "l-2": {"expected": []}},
}


def test_scored_kinds_are_the_detectors_kinds() -> None:
    assert set(SCORED) == {*ORDER_KINDS, *LISTING_KINDS}
    assert set(SCORED) <= set(KINDS)  # the names are exactly anxin.fulfilment.detectors.KINDS


def test_true_and_false_positives_and_negatives_per_kind() -> None:
    findings = [
        _f("late_shipment", "o-1"), _f("late_shipment", "o-3"),  # o-3 was on time: a false positive
        _f("fake_shipment.no_carrier_scan", "o-1"),
        _f("parcel.stalled", "o-4"), _f("parcel.stalled", "o-4", n=1),  # two gaps, one subject: counted once
        _f("listing.repeated_late", "l-1", "listing"), _f("listing.repeated_late", "l-2", "listing"),
    ]
    s = score(findings, TRUTH)
    late = s["kinds"]["late_shipment"]
    assert (late["expected"], late["found"], late["tp"], late["fp"], late["fn"]) == (2, 2, 1, 1, 1)
    assert late["precision"] == pytest.approx(0.5) and late["recall"] == pytest.approx(0.5)
    assert late["false_positives"] == ["o-3"] and late["false_negatives"] == ["o-2"]
    stalled = s["kinds"]["parcel.stalled"]
    assert (stalled["tp"], stalled["fp"], stalled["fn"]) == (1, 0, 0)
    exception = s["kinds"]["parcel.exception"]
    assert (exception["tp"], exception["fn"], exception["precision"], exception["recall"]) == (0, 1, None, 0.0)
    listing = s["kinds"]["listing.repeated_late"]
    assert (listing["tp"], listing["fp"], listing["precision"], listing["recall"]) == (1, 1, 0.5, 1.0)
    reused = s["kinds"]["fake_shipment.tracking_reused"]  # nothing expected, nothing found: undefined, not 0
    assert (reused["precision"], reused["recall"]) == (None, None)
    overall = s["overall"]
    assert (overall["tp"], overall["fp"], overall["fn"]) == (4, 2, 2)
    assert overall["precision"] == pytest.approx(4 / 6) and overall["recall"] == pytest.approx(4 / 6)


def test_subjects_are_matched_by_type_and_id() -> None:
    # A listing id reported as an order, and an order the truth does not know, are false positives.
    s = score([_f("listing.repeated_late", "l-1", "order"), _f("late_shipment", "o-999")], TRUTH)
    assert s["kinds"]["listing.repeated_late"]["fp"] == 1 and s["kinds"]["listing.repeated_late"]["tp"] == 0
    assert s["kinds"]["late_shipment"]["fp"] == 1


def test_kinds_without_ground_truth_are_only_counted() -> None:
    s = score([_f("listing.oversold", "l-1", "listing"), _f("data.duplicate_scan", "o-1"),
               _f("data.duplicate_scan", "o-1", n=1), _f("data.duplicate_scan", "o-2")], TRUTH)
    assert s["unscored"] == {"data.duplicate_scan": 2, "listing.oversold": 1}
    assert "listing.oversold" not in s["kinds"]
    assert s["overall"]["fp"] == 0


def test_perfect_detection_and_the_whole_ground_truth_file() -> None:
    findings = [_f(kind, oid) for oid, entry in TRUTH["orders"].items() for kind in entry["expected"]]
    findings.append(_f("listing.repeated_late", "l-1", "listing"))
    s = score(findings, {"seed": 7, "fulfilment": TRUTH})  # the whole ground truth works as well as its section
    assert s["overall"] == {"tp": 6, "fp": 0, "fn": 0, "precision": 1.0, "recall": 1.0}
    assert score([], TRUTH)["overall"]["recall"] == 0.0


def test_errors_are_explained_with_evidence_and_truth() -> None:
    findings = [_f("late_shipment", "o-3"), _f("listing.repeated_late", "l-1", "listing")]
    errors = explain(score(findings, TRUTH), findings, TRUTH)
    late = errors["late_shipment"]
    assert [e["subject_id"] for e in late["false_positives"]] == ["o-3"]
    assert late["false_positives"][0]["findings"][0]["kind"] == "late_shipment"
    assert late["false_positives"][0]["truth"] == {"expected": []}
    assert {e["subject_id"] for e in late["false_negatives"]} == {"o-1", "o-2"}
    assert "listing.repeated_late" not in errors  # found and expected: nothing to explain
