"""Risk control against the simulator's ground truth: abusive payouts prevented, honest requests delayed (issue 5).

A benchmark, not a test. Run from the repository root::

    PYTHONPATH=src python -m bench.risk_quality                       # 30 days × 50 merchants, seed 7, every mix
    PYTHONPATH=src python -m bench.risk_quality --days 10 --merchants 15 --mixes default

For each abuse mix (``--mixes``: the simulator's default, and mixes that lean on evidence reuse, freight arbitrage
or rings of 3–50 accounts), the simulator runs **twice with the same seed**: once with risk control off
(``ANXIN_RISK_MODE=off``: the after-sales rules alone, the baseline) and once enforcing the risk rulebook. Every
event and request goes through the real services; the simulated operators decide risk reviews as they decide
after-sales reviews (right 85 % of the time), so the money that moves includes their mistakes.

Read back per request: the money anxin paid on it (refund + compensation + return freight, from the case), the
risk verdict on the claim, and whether the return's freight was held. Against the ground truth (``genuine``,
``pattern``, ``freight_arbitraged``):

- **abusive payouts** = money paid on requests that were not genuine, plus the freight paid on arbitraged returns;
  **prevented** = 1 − (abusive payouts with risk) / (abusive payouts without risk). Target ≥ 80 %.
- **honest delayed** = honest consumers' genuine requests (accounts the simulator made honest: regular buyers and
  heavy buyers who return a lot for real) that risk sent to review or block, or whose freight it held, over all
  of them. Target ≤ 0.5 %. (A ring member's genuine request counts as neither honest nor abusive here.)
- **precision / recall** of "flagged" (any non-pass verdict or freight hold) for "abusive", overall and recall per
  pattern.

Printed as a table and written to ``bench/results/risk-quality-<timestamp>.json`` (gitignored).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from anxin.core.principal import Principal, Role

OPERATOR = Principal(key_id="bench", role=Role.OPERATOR, subject="bench")
MIXES: dict[str, dict[str, float] | None] = {
    "default": None,  # the simulator's own mix
    "evidence": {"evidence_reuse": 3.0},
    "freight": {"freight_arbitrage": 3.0},
    "rings": {"ring": 3.0},
}


def _ratio(num: float, den: float) -> float | None:
    return num / den if den else None


def _outcomes(anxin: Any, truth: dict[str, Any]) -> list[dict[str, Any]]:
    """Per filed request: ground truth next to what anxin decided and paid."""
    rows = []
    for claim in truth["claims"]:
        if not claim.get("case_id"):
            continue
        view = anxin.aftersales.get_case(OPERATOR, claim["case_id"])
        c = view.case
        risk = view.decision.get("risk") or {}
        holds = [e.data["risk"] for e in view.events if e.action == "risk_hold_freight"]
        held = bool(holds)
        codes = [r["rule"] for r in risk.get("reasons", [])] + [r["rule"] for h in holds for r in h["reasons"]]
        rows.append({
            "pattern": claim["pattern"], "account": claim.get("account"), "genuine": claim["genuine"],
            "arbitraged": bool(claim.get("freight_arbitraged")),
            "paid_fen": c.refunded_fen + c.compensated_fen + c.freight_paid_fen, "freight_fen": c.freight_paid_fen,
            "verdict": risk.get("outcome", "none"), "freight_held": held,
            "flagged": risk.get("outcome", "pass") != "pass" or held, "rules": codes})
    return rows


# Accounts the simulator made honest (everyone else belongs to an abuse pattern or is a legacy abuser). A ring
# member's genuine request is still a ring member's: "honest consumers' requests" are these accounts' only.
HONEST_ACCOUNTS = ("regular", "heavy_buyer")


def measure(off: list[dict[str, Any]], on: list[dict[str, Any]]) -> dict[str, Any]:
    def abusive_paid(rows: list[dict[str, Any]]) -> int:
        return sum(r["paid_fen"] if not r["genuine"] else r["freight_fen"] if r["arbitraged"] else 0 for r in rows)

    base, with_risk = abusive_paid(off), abusive_paid(on)
    honest = [r for r in on if r["genuine"] and not r["arbitraged"] and r["account"] in HONEST_ACCOUNTS]
    abusive = [r for r in on if not r["genuine"] or r["arbitraged"]]
    flagged = [r for r in on if r["flagged"]]
    tp = sum(1 for r in flagged if not r["genuine"] or r["arbitraged"])
    per_pattern: dict[str, dict[str, Any]] = {}
    for pattern, n in Counter(r["pattern"] for r in on).items():
        rows = [r for r in on if r["pattern"] == pattern]
        per_pattern[pattern] = {"requests": n, "flagged": sum(r["flagged"] for r in rows),
                                "paid_off_fen": abusive_paid([r for r in off if r["pattern"] == pattern]),
                                "paid_on_fen": abusive_paid(rows)}
    return {"requests": len(on), "abusive": len(abusive), "honest": len(honest),
            "abusive_paid_off_fen": base, "abusive_paid_on_fen": with_risk,
            "prevented": _ratio(base - with_risk, base),
            "honest_delayed": sum(r["flagged"] for r in honest), "honest_delayed_share": _ratio(
                sum(r["flagged"] for r in honest), len(honest)),
            "honest_flagged_by": dict(Counter(c for r in honest if r["flagged"] for c in r["rules"])),
            "honest_flagged_accounts": dict(Counter(r["account"] for r in honest if r["flagged"])),
            "abusive_flagged_by": dict(Counter(c for r in abusive if r["flagged"] for c in r["rules"])),
            "precision": _ratio(tp, len(flagged)), "recall": _ratio(tp, len(abusive)),
            "honest_paid_off_fen": sum(r["paid_fen"] for r in off if r["genuine"] and not r["arbitraged"]),
            "honest_paid_on_fen": sum(r["paid_fen"] for r in honest), "per_pattern": per_pattern,
            "verdicts": dict(Counter(r["verdict"] for r in on))}


def simulate(days: int, merchants: int, seed: int, mix: dict[str, float] | None, mode: str) -> list[dict[str, Any]]:
    from anxin.bootstrap import bootstrap
    from anxin.core.clock import FixedClock
    from anxin.outbox.transport import RecordingTransport
    from anxin.settings import Settings
    from anxin.sim import SimConfig, Simulation, ground_truth
    from anxin.sim.world import DEFAULT_ABUSE_MIX

    extra = {} if mix is None else {"abuse_mix": {**DEFAULT_ABUSE_MIX, **mix}}
    config = SimConfig(days=days, merchants=merchants, seed=seed, **extra)
    with tempfile.TemporaryDirectory(prefix="anxin-risk-quality-") as tmp:
        settings = Settings(database_url=f"sqlite:///{Path(tmp) / 'q.db'}", evidence_dir=Path(tmp) / "evidence",
                            webhook_secret="bench-risk-quality", risk_mode=mode)
        anxin = bootstrap(settings=settings, clock=FixedClock(config.start), transport=RecordingTransport())
        sim = Simulation(anxin, config).run()
        rows = _outcomes(anxin, ground_truth(sim))
        anxin.engine.dispose()
    return rows


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{v:.1%}"


def main(argv: list[str] | None = None) -> int:
    from rich.console import Console
    from rich.table import Table

    from bench.fixtures import RESULTS, machine_info

    p = argparse.ArgumentParser(prog="python -m bench.risk_quality", description=__doc__.split("\n\n")[0])
    p.add_argument("--days", type=int, default=30)
    p.add_argument("--merchants", type=int, default=50)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--mixes", default=",".join(MIXES), help=f"comma-separated, of {', '.join(MIXES)}")
    args = p.parse_args(argv)
    mixes = [m.strip() for m in args.mixes.split(",") if m.strip()]
    unknown = set(mixes) - set(MIXES)
    if unknown:
        p.error(f"unknown mixes: {', '.join(sorted(unknown))}")
    console = Console(width=None if sys.stdout.isatty() else 140)
    started = dt.datetime.now(dt.UTC)
    result: dict[str, Any] = {"bench": "risk-quality", "started": started.isoformat(), "machine": machine_info(),
                              "config": vars(args), "mixes": {}}
    for name in mixes:
        console.print(f"[bold]{name}[/bold]: simulating without risk control, then with it")
        off = simulate(args.days, args.merchants, args.seed, MIXES[name], "off")
        on = simulate(args.days, args.merchants, args.seed, MIXES[name], "enforce")
        result["mixes"][name] = measure(off, on)
    result["machine"]["loadavg_end"] = list(os.getloadavg())
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"risk-quality-{started:%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    t = Table(title=f"risk control vs ground truth · {args.days} days × {args.merchants} merchants · seed {args.seed}")
    for col in ("mix", "requests", "abusive", "paid off → on (yuan)", "prevented", "honest delayed", "precision",
                "recall"):
        t.add_column(col, justify="left" if col == "mix" else "right")
    for name, m in result["mixes"].items():
        t.add_row(name, str(m["requests"]), str(m["abusive"]),
                  f"{m['abusive_paid_off_fen'] / 100:,.0f} → {m['abusive_paid_on_fen'] / 100:,.0f}",
                  _pct(m["prevented"]), f"{m['honest_delayed']} ({_pct(m['honest_delayed_share'])})",
                  _pct(m["precision"]), _pct(m["recall"]))
    console.print(t)
    for name, m in result["mixes"].items():
        console.print(f"[dim]{name}: honest requests flagged by {m['honest_flagged_by']} "
                      f"(accounts {m['honest_flagged_accounts']}); abusive by "
                      f"{m['abusive_flagged_by']}")
        console.print(f"[dim]{name} per pattern: " + "; ".join(
            f"{p}: {v['flagged']}/{v['requests']} flagged, paid {v['paid_off_fen'] / 100:,.0f} → "
            f"{v['paid_on_fen'] / 100:,.0f}" for p, v in sorted(m["per_pattern"].items())))
    console.print(f"results: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
