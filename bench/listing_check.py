"""Listing-check throughput: the Aho–Corasick matcher (anxin.governance.terms) against a plain substring scan over
the same texts in the same run (docs/governance.md, docs/performance.md).

    .venv/bin/python -m bench.listing_check [--listings 20000] [--rounds 5]

The texts are the labelled set's titles and descriptions (tests/data/listing_labels.jsonl), cycled to --listings.
Both sides compare texts the same way (NFKC, casefold; the matcher skips normalising a text when that cannot change
a match). The matcher does the whole check: every group that applies to the listing's tags, positions in the
original text, exceptions, the strictest outcome. The baseline only answers which terms occur (`term in text` for
every term of the applicable groups: no positions, no exceptions), so it is a floor on the work, not an equivalent.
Rounds alternate matcher / baseline; each side's median listings/s and their ratio are printed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from anxin.governance.listing_terms_rules import load_listing_terms, normalise
from anxin.governance.terms import matcher_for

LABELS = Path(__file__).resolve().parents[1] / "tests" / "data" / "listing_labels.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listings", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    base = [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines() if line.strip()]
    items = [base[i % len(base)] for i in range(args.listings)]
    listings = [(x["title"], x["description"], frozenset(x["tags"])) for x in items]
    terms = load_listing_terms()
    matcher = matcher_for(terms)
    by_tags: dict[frozenset[str], tuple[str, ...]] = {}
    for _, _, tags in listings:  # the baseline's term list per tag set, built outside the timing like the automaton
        if tags not in by_tags:
            by_tags[tags] = tuple(dict.fromkeys(normalise(t) for g in terms.groups if g.applies((), tags)
                                                for t in g.terms))

    def run_matcher() -> int:
        flagged = 0
        for title, description, tags in listings:
            flagged += matcher.check(title=title, description=description, tags=tags).outcome != "pass"
        return flagged

    def run_baseline() -> int:
        flagged = 0
        for title, description, tags in listings:
            text = normalise(title) + "\n" + normalise(description)
            flagged += any(term in text for term in by_tags[tags])
        return flagged

    rates: dict[str, list[float]] = {"matcher": [], "baseline": []}
    found: dict[str, int] = {}
    for _ in range(args.rounds):
        for name, fn in (("matcher", run_matcher), ("baseline", run_baseline)):
            start = time.perf_counter()
            found[name] = fn()
            rates[name].append(len(listings) / (time.perf_counter() - start))
    terms_count = len({t for g in terms.groups for t in g.terms})
    print(f"{len(listings)} listings, {terms_count} distinct terms, {len(terms.exceptions)} exception phrases, "
          f"{args.rounds} alternated rounds (rulebook {terms.version})")
    for name in ("matcher", "baseline"):
        print(f"  {name:9s} median {statistics.median(rates[name]):>10,.0f} listings/s "
              f"(min {min(rates[name]):,.0f}, max {max(rates[name]):,.0f}); flagged {found[name]}")
    ratio = statistics.median(rates["matcher"]) / statistics.median(rates["baseline"])
    print(f"  matcher / baseline: {ratio:.2f}×")


if __name__ == "__main__":
    main()
