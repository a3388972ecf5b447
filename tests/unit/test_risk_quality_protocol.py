"""The risk-quality protocol (bench/risk_quality.py) with plain rows: shadow accounting on one realisation, the
pay-rate counterfactual and its widening, the exact return-stage counterfactual, and the docs' quality blocks."""

from __future__ import annotations

from typing import Any

import pytest
from bench import quality
from bench.risk_quality import MIN_POOL, counterfactual, measure, pay_rates, quality_render, report


def row(pattern: str = "ring", *, genuine: bool = False, paid: int = 0, amount: int = 10_000, flagged: bool = False,
        acted_claim: bool | None = None, route: str = "approved", type_: str = "refund_only",
        account: str = "ring", received: bool = True, refused: bool = False, freight_due: int = 0,
        rules: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"pattern": pattern, "account": account, "genuine": genuine, "arbitraged": False, "type": type_,
            "amount_fen": amount, "route": route, "overlaps": [], "paid_fen": paid, "freight_fen": 0,
            "declared_freight_fen": freight_due, "freight_due_fen": freight_due, "receipt_refused": refused,
            "received": received, "verdict": "review" if flagged else "pass",
            "acted_claim": flagged if acted_claim is None else acted_claim,
            "acted_return": flagged and acted_claim is False, "flagged": flagged, "rules": list(rules)}


def untouched(n: int, paid: int, **kw: Any) -> list[dict[str, Any]]:
    return [row(paid=paid, **kw) for _ in range(n)]


def test_a_request_risk_did_not_act_on_counts_what_it_was_paid() -> None:
    assert counterfactual(row(paid=700), {}) == (700.0, "actual")


def test_an_acted_request_gets_the_pay_rate_of_its_untouched_peers() -> None:
    rates = pay_rates(untouched(MIN_POOL, 6_000))  # 60 % of what they asked was paid
    assert counterfactual(row(flagged=True), rates) == (6_000.0, "p/ring/refund_only/approved")


def test_the_key_widens_when_the_pool_is_too_small() -> None:
    rows = untouched(MIN_POOL - 1, 10_000, route="approved") + untouched(1, 0, route="pending_merchant")
    cf, key = counterfactual(row(flagged=True, route="approved"), pay_rates(rows))
    assert key == "p/ring/refund_only" and cf == pytest.approx(10_000 * 7 / 8)


def test_with_no_peers_at_all_the_counterfactual_is_what_was_asked() -> None:
    assert counterfactual(row(flagged=True, amount=4_200), {}) == (4_200.0, "asked")


@pytest.mark.parametrize(("received", "refused", "expected"), [
    (True, False, 10_000 + 1_200),  # the receipt would have paid the refund and the freight
    (True, True, 0),  # the merchant refused what came back: the hold changed nothing
    (False, False, 0),  # nothing was received by the end of the run: nothing would have been paid yet
])
def test_a_return_held_only_at_the_return_has_an_exact_counterfactual(received: bool, refused: bool,
                                                                       expected: int) -> None:
    r = row(flagged=True, acted_claim=False, received=received, refused=refused, freight_due=1_200,
            type_="return_refund")
    assert counterfactual(r, {}) == (float(expected), "return")


def test_prevented_and_honest_delayed_come_from_one_run() -> None:
    rows = (untouched(MIN_POOL, 10_000)  # ring requests risk passed: all paid
            + [row(flagged=True, paid=0), row(flagged=True, paid=10_000)]  # one stopped, one cleared and paid
            + [row("honest", genuine=True, paid=5_000, account="regular") for _ in range(99)]
            + [row("honest", genuine=True, paid=5_000, account="regular", flagged=True, rules=("K.X",))])
    m = measure(rows, pay_rates(rows))
    assert m["abusive_would_pay_fen"] == 10 * 10_000 and m["abusive_paid_fen"] == 9 * 10_000
    assert m["prevented"] == pytest.approx(0.1)
    assert (m["honest_delayed"], m["honest"], m["honest_flagged_by"]) == (1, 100, {"K.X": 1})
    assert m["precision"] == pytest.approx(2 / 3) and m["recall"] == pytest.approx(2 / 10)


def test_the_report_summarises_seeds_and_mixes_and_renders_the_docs_blocks() -> None:
    runs = [{"seed": seed, "mix": mix, "rows": [*untouched(MIN_POOL, 10_000), row(flagged=True)],
             "rulebooks": {"risk": "x"}, "backtests": {}} for seed in (11, 12) for mix in ("default", "rings")]
    figures = report(runs)
    assert set(figures["by_seed"]) == {"11", "12"} and set(figures["by_mix"]) == {"default", "rings"}
    assert figures["overall"]["prevented"]["mean"] == pytest.approx(1 / 9)
    assert not figures["targets_met"]["prevented_every_seed"]
    blocks = quality_render({"command": "c", "commit": "abc", "generated": "2026-12-07T00:00:00", "figures": figures,
                             "seeds": {"reporting": [11, 12], "tuning": [1]}, "rulebooks": {"risk": "x"},
                             "config": {"days": 30, "merchants": 50, "mixes": ["default", "rings"]}})
    assert set(blocks) == {"summary", "seeds", "patterns", "honest", "rules"}
    assert "11.1 ± 0.0" in blocks["summary"] and "**missed**" in blocks["summary"]


def test_the_docs_agree_with_the_committed_quality_json() -> None:
    """Every quality block in docs/ is what docs/quality/*.json renders to (`make quality` rewrites both)."""
    assert quality.check() == []
