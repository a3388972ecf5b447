"""SQL statements one `AfterSalesService.file_case` runs for each claim of bench/decide.py's mix (issue 13: <= 10).

    PYTHONPATH=src python -m bench.filing_sql [--url postgresql+psycopg://…/own_db] [-v]

Seeds through the product (bench.fixtures.seed), then files cases and counts what reaches the driver
(``before_cursor_execute``; the COMMIT is not a statement there). "first" is the first filing of each claim kind
in the process (in-process caches partly cold: the listing's tags, the risk rule states); "warm" is a filing of the
same kind after every kind has been filed once. On PostgreSQL the URL's public schema is dropped and recreated.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

import sqlalchemy as sa


def main() -> None:
    from rich.progress import Progress

    from anxin.aftersales.service import FileCase
    from bench.fixtures import ORDERS_PER_CONSUMER, PRICE_FEN, bootstrap_bench, kind_of, order_id, seed
    from bench.settlement_db import _fresh_url

    p = argparse.ArgumentParser(prog="python -m bench.filing_sql", description=(__doc__ or "").splitlines()[0])
    p.add_argument("--url", default=None, help="PostgreSQL URL of a database of its own (default: a SQLite file)")
    p.add_argument("-v", "--verbose", action="store_true", help="print each warm filing's statements")
    args = p.parse_args()
    url = _fresh_url(args.url, 0) if args.url else f"sqlite:///{tempfile.mkdtemp()}/filing.db"
    anxin = bootstrap_bench(url, Path(tempfile.mkdtemp()))
    orders = 20
    with Progress(disable=True) as progress:
        seeded = seed(anxin, orders, progress)
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        seen.append(" ".join(statement.split()))

    out: dict[str, dict[str, Any]] = {}
    for i in range(orders):
        k = kind_of(i)
        cmd = FileCase(order_id=order_id(i), case_type=k.case_type, reason=k.reason, amount_fen=PRICE_FEN,
                       evidence=(seeded.evidence_sha,) if k.evidence else ())
        seen.clear()
        sa.event.listen(anxin.engine, "before_cursor_execute", count)
        try:
            view = anxin.aftersales.file_case(seeded.principals[i // ORDERS_PER_CONSUMER], cmd)
        finally:
            sa.event.remove(anxin.engine, "before_cursor_execute", count)
        if view.decision["outcome"] != k.expected:
            raise SystemExit(f"{k.name} decided {view.decision['outcome']}, expected {k.expected}")
        phase = "first" if i < 5 else "warm"
        verbs: dict[str, int] = {}
        for s in seen:
            verb = s.split(None, 1)[0].upper()
            verbs[verb] = verbs.get(verb, 0) + 1
        out.setdefault(k.name, {})[phase] = {"total": len(seen), **dict(sorted(verbs.items()))}
        if args.verbose and i >= orders - 5:
            print(f"{k.name} (warm):")
            for s in seen:
                print(f"    {s[:150]}")
    print(json.dumps({"dialect": anxin.engine.dialect.name, "statements": out}, indent=2))
    print("claim               first  warm")
    for name, phases in out.items():
        print(f"{name:<18}  {phases['first']['total']:>5}  {phases['warm']['total']:>4}")


if __name__ == "__main__":
    main()
