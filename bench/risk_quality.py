"""Risk control against the simulator's ground truth, measured honestly (issues 5 and 19).

A benchmark, not a test. Run from the repository root::

    PYTHONPATH=src python -m bench.risk_quality                          # reporting seeds × every mix, 30 d × 50 m
    PYTHONPATH=src python -m bench.risk_quality --tuning                 # the tuning seeds instead
    PYTHONPATH=src python -m bench.risk_quality --seeds 11 --mixes default --days 10 --merchants 15

**One realisation per seed and mix, shadow-accounted.** The simulator runs once, with risk control enforcing the
rulebook; every event and request goes through the real services, and the simulated operators decide risk reviews
as they decide after-sales reviews (right 85 % of the time), so the money that moves includes their mistakes. Every
request's verdict is stored with the case. "Prevented" then compares, on that same run, what was paid with what
would have been paid had the verdict not acted:

- a request risk did not act on (verdict pass, or no review opened, and nothing held at the return) was paid the
  same either way: its counterfactual is what it was paid;
- a request risk held at the return only would have been paid its refund and its declared freight (up to the
  cap) when the merchant confirmed receipt or the receipt deadline passed, unless the merchant refused what came
  back (which the hold does not change), and nothing yet if neither had happened by the end of the run: its
  counterfactual is exact;
- a request risk acted on at filing (a review) would have followed the route the guarantee rules alone gave it
  (``route_without_risk``, stored with the decision). Its counterfactual is its amount times the **pay-rate**
  of the requests risk did not act on with the same pattern, case type and route:
  money paid (refund + compensation + freight) over money asked, pooled over every run of the report (the
  simulated people behave the same in every run). Where fewer than ``MIN_POOL`` such requests exist the key is
  widened: pattern and case type, then pattern, then every abusive request of the case type.

So no second random run is needed, and one large claim can no longer move "prevented" by realising differently
in an "off" run (the old protocol's flaw: two runs diverged after the first decision that differed).

- **abusive payouts** = money paid on requests that were not genuine, plus the freight paid on arbitraged returns;
  **prevented** = 1 − paid / counterfactual. Target ≥ 80 % on every reporting seed and on the mean of all mixes.
- **honest delayed** = honest consumers' genuine requests (accounts the simulator made honest: regular buyers and
  heavy buyers who return a lot for real) that risk sent to review or block, or whose return it held, over all
  of them. Target ≤ 0.5 %. (A ring member's genuine request counts as neither honest nor abusive here.)
- **precision / recall** of "acted on" for "abusive", and what each rule flagged.

**Seeds.** The rulebook is tuned on ``TUNING_SEEDS`` (1, 2, 3, and 7, on which the earlier rulebooks were tuned)
and reported on ``REPORTING_SEEDS`` (11–15), which no tuning ever looked at. Printed as tables and written to
``bench/results/risk-quality-<timestamp>.json`` (gitignored); ``python -m bench.quality --only risk`` writes the
reported figures to ``docs/quality/risk.json`` and into docs/risk.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
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
TUNING_SEEDS = (1, 2, 3, 7)
REPORTING_SEEDS = (11, 12, 13, 14, 15)
MIN_POOL = 8  # untouched requests a pay-rate needs before the key is widened
# Accounts the simulator made honest (everyone else belongs to an abuse pattern or is a legacy abuser). A ring
# member's genuine request is still a ring member's: "honest consumers' requests" are these accounts' only.
HONEST_ACCOUNTS = ("regular", "heavy_buyer")
TARGET_PREVENTED, TARGET_DELAYED = 0.80, 0.005


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
        codes = [r["rule"] for r in risk.get("reasons", [])] + [r["rule"] for h in holds for r in h["reasons"]]
        acted_claim = bool(risk.get("review_id"))
        refused_receipt = any(e.action == "reject_receipt" for e in view.events)
        received = any(e.action in ("confirm_receipt", "receipt_timeout") for e in view.events)
        # the return-freight cap of the guarantee rulebook the case was opened under
        cap = anxin.rulebooks.version(c.rulebook_version).freight_cap_fen
        freight_due = min(c.return_freight_fen or 0, cap) if c.freight_covered else 0
        rows.append({
            "pattern": claim["pattern"], "account": claim.get("account"), "genuine": claim["genuine"],
            "arbitraged": bool(claim.get("freight_arbitraged")), "type": c.case_type, "amount_fen": c.amount_fen,
            "route": risk.get("route_without_risk") if acted_claim else str(view.decision.get("outcome")),
            "overlaps": claim.get("overlaps") or [],
            "paid_fen": c.refunded_fen + c.compensated_fen + c.freight_paid_fen, "freight_fen": c.freight_paid_fen,
            "declared_freight_fen": c.return_freight_fen or 0, "freight_due_fen": freight_due,
            "receipt_refused": refused_receipt, "received": received,
            "verdict": risk.get("outcome", "none"), "acted_claim": acted_claim, "acted_return": bool(holds),
            "flagged": acted_claim or bool(holds), "rules": codes})
    return rows


def _abusive(r: dict[str, Any]) -> bool:
    return not r["genuine"] or r["arbitraged"]


def _abusive_paid(r: dict[str, Any], paid: float) -> float:
    """The abusive part of a payout: all of it on a request that was not genuine, the freight on an arbitraged
    one (``paid`` is the payout actual or counterfactual; freight in proportion)."""
    if not r["genuine"]:
        return paid
    if r["arbitraged"] and r["paid_fen"]:
        return paid * r["freight_fen"] / r["paid_fen"]
    return r["freight_fen"] if r["arbitraged"] else 0.0


def pay_rates(rows: Iterable[dict[str, Any]]) -> dict[tuple[str, ...], tuple[int, int, int]]:
    """(paid, asked, requests) of the requests risk did not act on, by every key a counterfactual may use."""
    acc: dict[tuple[str, ...], list[int]] = defaultdict(lambda: [0, 0, 0])
    for r in rows:
        if r["flagged"] or r["amount_fen"] <= 0:
            continue
        keys = [("p", r["pattern"], r["type"], str(r["route"])), ("p", r["pattern"], r["type"]), ("p", r["pattern"])]
        if _abusive(r):
            keys.append(("abusive", r["type"]))
        keys.append(("any", r["type"]))
        for k in keys:
            a = acc[k]
            a[0] += r["paid_fen"]
            a[1] += r["amount_fen"]
            a[2] += 1
    return {k: (v[0], v[1], v[2]) for k, v in acc.items()}


def counterfactual(r: dict[str, Any], rates: dict[tuple[str, ...], tuple[int, int, int]]) -> tuple[float, str]:
    """What the request would have been paid had the verdict not acted, and the key of the pay-rate used."""
    if not r["flagged"]:
        return float(r["paid_fen"]), "actual"
    if not r["acted_claim"]:
        # Held at the return only: without the hold the merchant's inspection (or the receipt deadline) would have
        # paid the refund and the declared freight, unless the merchant refused what came back. Exact, no estimate.
        would = 0 if r["receipt_refused"] or not r["received"] else r["amount_fen"] + r["freight_due_fen"]
        return float(max(r["paid_fen"], would)), "return"
    keys = [("p", r["pattern"], r["type"], str(r["route"])), ("p", r["pattern"], r["type"]), ("p", r["pattern"])]
    keys.append(("abusive", r["type"]) if _abusive(r) else ("any", r["type"]))
    for k in keys:
        paid, asked, n = rates.get(k, (0, 0, 0))
        if n >= MIN_POOL and asked:
            # Never less than what was in fact paid: the verdict cannot have raised a payout.
            return max(float(r["paid_fen"]), r["amount_fen"] * paid / asked), "/".join(k)
    return float(max(r["paid_fen"], r["amount_fen"])), "asked"


def measure(rows: list[dict[str, Any]], rates: dict[tuple[str, ...], tuple[int, int, int]]) -> dict[str, Any]:
    cf = [counterfactual(r, rates) for r in rows]
    paid = sum(_abusive_paid(r, r["paid_fen"]) for r in rows)
    would = sum(_abusive_paid(r, c) for r, (c, _) in zip(rows, cf, strict=True))
    honest = [r for r in rows if r["genuine"] and not r["arbitraged"] and r["account"] in HONEST_ACCOUNTS]
    abusive = [r for r in rows if _abusive(r)]
    flagged = [r for r in rows if r["flagged"]]
    tp = sum(1 for r in flagged if _abusive(r))
    per_pattern: dict[str, dict[str, Any]] = {}
    for pattern in sorted({r["pattern"] for r in rows}):
        pr = [(r, c) for r, (c, _) in zip(rows, cf, strict=True) if r["pattern"] == pattern]
        per_pattern[pattern] = {"requests": len(pr), "flagged": sum(r["flagged"] for r, _ in pr),
                                "would_pay_fen": round(sum(_abusive_paid(r, c) for r, c in pr)),
                                "paid_fen": round(sum(_abusive_paid(r, r["paid_fen"]) for r, _ in pr))}
    overlaps = Counter(o for r in honest for o in r["overlaps"])
    return {"requests": len(rows), "abusive": len(abusive), "honest": len(honest),
            "abusive_would_pay_fen": round(would), "abusive_paid_fen": round(paid),
            "prevented": _ratio(would - paid, would),
            "honest_delayed": sum(r["flagged"] for r in honest),
            "honest_delayed_share": _ratio(sum(r["flagged"] for r in honest), len(honest)),
            "honest_flagged_by": dict(Counter(c for r in honest if r["flagged"] for c in r["rules"])),
            "honest_flagged_accounts": dict(Counter(r["account"] for r in honest if r["flagged"])),
            "honest_overlaps": dict(overlaps),
            "honest_overlaps_flagged": dict(Counter(o for r in honest if r["flagged"] for o in r["overlaps"])),
            "abusive_flagged_by": dict(Counter(c for r in abusive if r["flagged"] for c in r["rules"])),
            "precision": _ratio(tp, len(flagged)), "recall": _ratio(tp, len(abusive)),
            "honest_paid_fen": sum(r["paid_fen"] for r in honest), "per_pattern": per_pattern,
            "counterfactual_keys": dict(Counter(k.split("/")[0] for r, (_, k) in zip(rows, cf, strict=True)
                                                if r["flagged"])),
            "verdicts": dict(Counter(r["verdict"] for r in rows))}


def simulate(days: int, merchants: int, seed: int, mix: str, mode: str = "enforce") -> dict[str, Any]:
    from anxin.bootstrap import bootstrap
    from anxin.core.clock import FixedClock
    from anxin.outbox.transport import RecordingTransport
    from anxin.settings import Settings
    from anxin.sim import SimConfig, Simulation, ground_truth
    from anxin.sim.world import DEFAULT_ABUSE_MIX

    weights = MIXES[mix]
    extra = {} if weights is None else {"abuse_mix": {**DEFAULT_ABUSE_MIX, **weights}}
    config = SimConfig(days=days, merchants=merchants, seed=seed, **extra)
    with tempfile.TemporaryDirectory(prefix="anxin-risk-quality-") as tmp:
        settings = Settings(database_url=f"sqlite:///{Path(tmp) / 'q.db'}", evidence_dir=Path(tmp) / "evidence",
                            webhook_secret="bench-risk-quality", risk_mode=mode)
        anxin = bootstrap(settings=settings, clock=FixedClock(config.start), transport=RecordingTransport())
        sim = Simulation(anxin, config).run()
        rows = _outcomes(anxin, ground_truth(sim))
        rulebooks = {"risk": anxin.risk.rulebook.version}
        # Every request rule replayed on the verdict facts the run stored (the draft/shadow machinery's backtest,
        # the check a rule passes before it goes live), next to what the operators later decided.
        backtests = {}
        for rule in anxin.risk.rulebook.rules:
            if rule.stage in ("claim", "return"):
                b = anxin.risk_rules.backtest(OPERATOR, rule_id=rule.id, days=365)
                backtests[rule.id] = {k: v for k, v in b.items() if k != "examples"}
        anxin.engine.dispose()
    return {"seed": seed, "mix": mix, "rows": rows, "rulebooks": rulebooks, "backtests": backtests}


def _sim_star(job: tuple[int, int, int, str]) -> dict[str, Any]:
    return simulate(*job)


def run_all(days: int, merchants: int, seeds: Sequence[int], mixes: Sequence[str], *, jobs: int = 1,
            progress: Any = None) -> list[dict[str, Any]]:
    work = [(days, merchants, seed, mix) for seed in seeds for mix in mixes]
    if jobs <= 1:
        out = []
        for job in work:
            out.append(_sim_star(job))
            if progress:
                progress(job)
        return out
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        out = []
        for job, result in zip(work, pool.map(_sim_star, work), strict=True):
            out.append(result)
            if progress:
                progress(job)
        return out


def _spread(values: list[float | None]) -> dict[str, Any]:
    xs = [v for v in values if v is not None]
    if not xs:
        return {"mean": None, "sd": None, "min": None, "max": None, "n": 0}
    return {"mean": statistics.fmean(xs), "sd": statistics.pstdev(xs) if len(xs) > 1 else 0.0,
            "min": min(xs), "max": max(xs), "n": len(xs)}


def report(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Every run measured against the pay-rates of all of them, then summarised by mix and overall."""
    rates = pay_rates(r for run in runs for r in run["rows"])
    measured = [{"seed": run["seed"], "mix": run["mix"], **measure(run["rows"], rates)} for run in runs]
    mixes = list(dict.fromkeys(m["mix"] for m in measured))
    seeds = list(dict.fromkeys(m["seed"] for m in measured))
    by_mix = {}
    for mix in mixes:
        ms = [m for m in measured if m["mix"] == mix]
        by_mix[mix] = {"prevented": _spread([m["prevented"] for m in ms]),
                       "honest_delayed_share": _spread([m["honest_delayed_share"] for m in ms]),
                       "precision": _spread([m["precision"] for m in ms]), "recall": _spread([m["recall"] for m in ms]),
                       "requests": sum(m["requests"] for m in ms), "abusive": sum(m["abusive"] for m in ms),
                       "honest": sum(m["honest"] for m in ms),
                       "honest_delayed": sum(m["honest_delayed"] for m in ms)}
    # Per seed: the mean of its mixes (the target holds on every reporting seed, on the mean of all mixes).
    by_seed = {str(seed): {"prevented": _spread([m["prevented"] for m in measured if m["seed"] == seed])["mean"],
                           "honest_delayed_share": _spread([m["honest_delayed_share"] for m in measured
                                                            if m["seed"] == seed])["mean"]} for seed in seeds}
    pooled_patterns: dict[str, dict[str, int]] = defaultdict(lambda: Counter())
    for m in measured:
        for pattern, v in m["per_pattern"].items():
            pooled_patterns[pattern].update({k: v[k] for k in ("requests", "flagged", "would_pay_fen", "paid_fen")})
    overall = {"prevented": _spread([v["prevented"] for v in by_seed.values()]),
               "honest_delayed_share": _spread([v["honest_delayed_share"] for v in by_seed.values()])}
    met = {"prevented_every_seed": all((v["prevented"] or 0) >= TARGET_PREVENTED for v in by_seed.values()),
           "delayed_every_seed": all((v["honest_delayed_share"] or 0) <= TARGET_DELAYED for v in by_seed.values())}
    flagged_by = Counter[str]()
    for m in measured:
        flagged_by.update(m["honest_flagged_by"])
    overlaps, overlaps_flagged = Counter[str](), Counter[str]()
    for m in measured:
        overlaps.update(m["honest_overlaps"])
        overlaps_flagged.update(m["honest_overlaps_flagged"])
    per_rule: dict[str, Counter[str]] = defaultdict(Counter)
    for run in runs:
        for r in run["rows"]:
            who = "abusive" if _abusive(r) else "honest" if r["account"] in HONEST_ACCOUNTS else "other"
            for rule in dict.fromkeys(r["rules"]):
                per_rule[rule][who] += 1
        for rule, b in (run.get("backtests") or {}).items():
            per_rule[rule]["backtest_fired"] += b["fired"]
            per_rule[rule]["backtest_requests"] += b["requests"]
            per_rule[rule]["backtest_refused"] += b["refusal"] is not None
    return {"runs": measured, "by_mix": by_mix, "per_rule": {k: dict(v) for k, v in sorted(per_rule.items())},
            "by_seed": by_seed, "overall": overall, "targets_met": met,
            "per_pattern": {k: dict(v) for k, v in sorted(pooled_patterns.items())},
            "honest_flagged_by": dict(flagged_by.most_common()), "honest_overlaps": dict(overlaps),
            "honest_overlaps_flagged": dict(overlaps_flagged),
            "pay_rates": {"/".join(k): {"paid_fen": v[0], "asked_fen": v[1], "requests": v[2]}
                          for k, v in sorted(rates.items()) if k[0] == "p" and len(k) == 2}}


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{v:.1%}"


def _pct2(v: float | None) -> str:
    return "-" if v is None else f"{v:.2%}"


def _ms(s: dict[str, Any], digits: int = 1) -> str:
    """mean ± sd [min–max] of shares, in %."""
    if s["mean"] is None:
        return "-"
    f = f"{{:.{digits}f}}"
    return (f"{f.format(100 * s['mean'])} ± {f.format(100 * s['sd'])} "
            f"[{f.format(100 * s['min'])}–{f.format(100 * s['max'])}] %")


def quality_run(small: bool) -> dict[str, Any]:
    """The reported figures (bench.quality): every reporting seed × every mix, or a tiny run that only shows the
    command still works."""
    days, merchants = (6, 8) if small else (30, 50)
    seeds = REPORTING_SEEDS[:1] if small else REPORTING_SEEDS
    mixes = ["default"] if small else list(MIXES)
    runs = run_all(days, merchants, seeds, mixes, jobs=1 if small else 2,
                   progress=lambda job: print(f"   seed {job[2]} {job[3]} done", flush=True))
    rulebooks = runs[0]["rulebooks"]
    command = (f"python -m bench.risk_quality --days {days} --merchants {merchants} "
               f"--seeds {' '.join(map(str, seeds))} --mixes {','.join(mixes)}")
    return {"command": command, "seeds": {"reporting": list(seeds), "tuning": list(TUNING_SEEDS)},
            "config": {"days": days, "merchants": merchants, "mixes": mixes}, "rulebooks": rulebooks,
            "figures": report(runs)}


def quality_render(result: dict[str, Any]) -> dict[str, str]:
    f = result["figures"]
    cfg = result["config"]
    src = (f"`docs/quality/risk.json`: `{result['command']}` at commit {result['commit']}"
           f"{' (uncommitted changes)' if result.get('dirty') else ''}, risk rulebook {result['rulebooks']['risk']}, "
           f"{result['generated'][:10]}")
    lines = [f"{cfg['days']} days × {cfg['merchants']} merchants per run; reporting seeds "
             f"{', '.join(map(str, result['seeds']['reporting']))} (the rulebook was tuned on seeds "
             f"{', '.join(map(str, result['seeds']['tuning']))}); from {src}.", "",
             "| mix | requests | abusive | **prevented** by money, mean ± sd [min–max] (target ≥ 80 %) "
             "| **honest delayed** (target ≤ 0.5 %) | precision | recall |", "|---|---:|---:|---:|---:|---:|---:|"]
    for mix, m in f["by_mix"].items():
        lines.append(f"| {mix} | {m['requests']} | {m['abusive']} | {_ms(m['prevented'])} | "
                     f"{m['honest_delayed']} of {m['honest']}: {_ms(m['honest_delayed_share'], 2)} | "
                     f"{_ms(m['precision'], 0)} | {_ms(m['recall'], 0)} |")
    o = f["overall"]
    lines.append(f"| **all mixes** (mean of each seed's mixes) | | | **{_ms(o['prevented'])}** | "
                 f"**{_ms(o['honest_delayed_share'], 2)}** | | |")
    met = f["targets_met"]
    lines += ["", f"Prevented ≥ 80 % on every reporting seed: **{'met' if met['prevented_every_seed'] else 'missed'}**"
              f"; honest delayed ≤ 0.5 % on every reporting seed: "
              f"**{'met' if met['delayed_every_seed'] else 'missed'}**."]
    seeds = ["| seed | prevented (mean of mixes) | honest delayed (mean of mixes) |", "|---|---:|---:|"]
    seeds += [f"| {s} | {_pct(v['prevented'])} | {_pct2(v['honest_delayed_share'])} |" for s, v in f["by_seed"].items()]
    patterns = ["| pattern | requests | acted on | would have been paid (yuan) | paid (yuan) | prevented |",
                "|---|---:|---:|---:|---:|---:|"]
    for name, v in f["per_pattern"].items():
        if name == "honest":
            continue
        patterns.append(f"| {name} | {v['requests']} | {v['flagged']} | {v['would_pay_fen'] / 100:,.0f} | "
                        f"{v['paid_fen'] / 100:,.0f} | "
                        f"{_pct(_ratio(v['would_pay_fen'] - v['paid_fen'], v['would_pay_fen']))} |")
    honest = ["| what flagged honest requests (all runs) | requests |", "|---|---:|"]
    honest += [f"| `{k}` | {v} |" for k, v in f["honest_flagged_by"].items()] or ["| (none) | 0 |"]
    if f["honest_overlaps"]:
        honest += ["", "| honest overlap (docs/simulator.md) | honest requests carrying it | flagged |",
                   "|---|---:|---:|"]
        honest += [f"| {k} | {v} | {f['honest_overlaps_flagged'].get(k, 0)} |"
                   for k, v in sorted(f["honest_overlaps"].items())]
    rules = ["| rule | fired on abusive requests | on honest consumers' | on others' (ring members' genuine) "
             "| backtest: fired / replayed (runs over the activation limit) |", "|---|---:|---:|---:|---:|"]
    rules += [f"| `{k}` | {v.get('abusive', 0)} | {v.get('honest', 0)} | {v.get('other', 0)} | "
              f"{v.get('backtest_fired', 0)} / {v.get('backtest_requests', 0)} ({v.get('backtest_refused', 0)}) |"
              for k, v in f.get("per_rule", {}).items()]
    return {"summary": "\n".join(lines), "seeds": "\n".join(seeds), "patterns": "\n".join(patterns),
            "honest": "\n".join(honest), "rules": "\n".join(rules)}


def main(argv: list[str] | None = None) -> int:
    from rich.console import Console
    from rich.progress import Progress

    from bench.fixtures import RESULTS, machine_info

    p = argparse.ArgumentParser(prog="python -m bench.risk_quality", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--days", type=int, default=30)
    p.add_argument("--merchants", type=int, default=50)
    p.add_argument("--seeds", type=int, nargs="+", default=None,
                   help=f"default: the reporting seeds {REPORTING_SEEDS}")
    p.add_argument("--tuning", action="store_true", help=f"run the tuning seeds {TUNING_SEEDS}")
    p.add_argument("--mixes", default=",".join(MIXES), help=f"comma-separated, of {', '.join(MIXES)}")
    p.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), help="simulations at once")
    p.add_argument("--rows", type=Path, default=None, help="re-measure the rows a previous run saved (no simulation)")
    args = p.parse_args(argv)
    mixes = [m.strip() for m in args.mixes.split(",") if m.strip()]
    unknown = set(mixes) - set(MIXES)
    if unknown:
        p.error(f"unknown mixes: {', '.join(sorted(unknown))}")
    if args.tuning and args.seeds:
        p.error("--tuning and --seeds exclude each other")
    seeds = TUNING_SEEDS if args.tuning else tuple(args.seeds or REPORTING_SEEDS)
    console = Console(width=None if sys.stdout.isatty() else 140)
    started = dt.datetime.now(dt.UTC)
    if args.rows:
        runs = json.loads(args.rows.read_text())["raw"]
    else:
        with Progress(console=console, transient=True) as bar:
            task = bar.add_task("simulating", total=len(seeds) * len(mixes))
            runs = run_all(args.days, args.merchants, seeds, mixes, jobs=args.jobs,
                           progress=lambda _job: bar.advance(task))
    figures = report(runs)
    result: dict[str, Any] = {"bench": "risk-quality", "started": started.isoformat(), "machine": machine_info(),
                              "config": {**vars(args), "rows": str(args.rows) if args.rows else None},
                              "figures": figures, "raw": runs}
    result["machine"]["loadavg_end"] = list(os.getloadavg())
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"risk-quality-{started:%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(result, ensure_ascii=False))
    rendered = quality_render({"command": "python -m bench.risk_quality " + " ".join(argv or sys.argv[1:]),
                               "commit": "(this run)", "generated": started.isoformat(), "figures": figures,
                               "seeds": {"reporting": list(seeds), "tuning": list(TUNING_SEEDS)},
                               "config": {"days": args.days, "merchants": args.merchants, "mixes": mixes},
                               "rulebooks": runs[0]["rulebooks"]})
    for block in ("summary", "seeds", "patterns", "honest", "rules"):
        console.print(rendered[block], markup=False, highlight=False)
        console.print()
    for m in figures["runs"]:
        console.print(f"[dim]seed {m['seed']} {m['mix']}: prevented {_pct(m['prevented'])}, honest delayed "
                      f"{m['honest_delayed']}/{m['honest']}; honest flagged by {m['honest_flagged_by']}")
    console.print(f"results: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
