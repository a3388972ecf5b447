"""Every fraud ring in one batch pass (``anxin risk rings``): the groups of accounts tied by strong identifiers and by
claims made together at common shops (``anxin.risk.ring_groups``), read from the link table and the claim verdicts;
next to them, the components of the link graph (``anxin.risk.rings``), checked against the graph ``RiskService``
keeps link by link in this process. The pass also refreshes this process's ``GroupIndex``, which the live ring
signal reads. An operator's tool, not a request path: it reads the whole link and claim tables."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from anxin.risk.ring_groups import ClaimAt, Group, detect_groups
from anxin.risk.rings import KINDS as RING_KINDS
from anxin.risk.rings import detect_rings
from anxin.risk.service import RiskService
from anxin.risk.signals import group_params, ring_params
from anxin.risk.store import SignalRepository


def read_links_and_claims(risk: RiskService, progress: Callable[[int], None] | None = None
                          ) -> tuple[list[tuple[str, str, str]], list[ClaimAt]]:
    """Consumers' links (account, kind, value) and claims (one per case: its first verdict)."""
    links: list[tuple[str, str, str]] = []
    claims: dict[str, ClaimAt] = {}
    seq, after = 0, ""
    with risk.uow_factory() as uow:
        repo = SignalRepository(uow.session)
        while batch := repo.links_after(seq):
            links.extend((subject, kind, value) for _, subject, kind, value in batch
                         if subject.startswith("consumer:") and kind in RING_KINDS)
            seq = batch[-1][0]
            if progress:
                progress(len(batch))
        while page := repo.claims_page(after):
            for _, case, consumer, shop, at in page:
                if consumer and shop:
                    at = at.astimezone(dt.UTC).replace(tzinfo=None) if at.tzinfo else at
                    claim = ClaimAt(f"consumer:{consumer}", shop, at)
                    if case not in claims or claim.at < claims[case].at:
                        claims[case] = claim
            after = page[-1][0]
            if progress:
                progress(len(page))
    return links, list(claims.values())


def _group_dict(g: Group) -> dict[str, Any]:
    return {"members": list(g.members), "size": g.size, "density": round(g.density, 3), "score": round(g.score, 3),
            "evidence": dict(g.evidence), "co_claim_shops": list(g.co_claim_shops)}


def batch_rings(risk: RiskService, *, progress: Callable[[int], None] | None = None, top: int = 20) -> dict[str, Any]:
    """Every ring at once (``ring_groups``), and the link graph's components (numpy, next to the incremental
    graph of this process: the two must name the same components)."""
    links, claims = read_links_and_claims(risk, progress)
    groups = detect_groups(links, claims, group_params(risk.rulebook))
    risk.indexes.groups.replace(groups)
    accounts: dict[str, int] = {}
    values: dict[tuple[str, str], int] = {}
    acc = [accounts.setdefault(subject, len(accounts)) for subject, _, _ in links]
    val = [values.setdefault((kind, value), len(values)) for _, kind, value in links]
    kinds = [RING_KINDS.index(k) for k, _ in values]
    found = detect_rings(acc, val, kinds, list(accounts), [f"{k}:{v}" for k, v in values],
                         ring_params(risk.rulebook))
    risk.indexes.catch_up()
    incremental = {r.members for r in risk.indexes.graph.rings() if r.is_ring}
    graph_rings = [r for r in found.rings if r.is_ring]
    return {"links": found.links, "claims": len(claims), "accounts": len(accounts), "values": len(values),
            "hubs": int(found.hub.sum()), "rings": len(groups), "ring_accounts": sum(g.size for g in groups),
            "sizes": sorted((g.size for g in groups), reverse=True),
            "top": [_group_dict(g) for g in groups[:top]],
            "graph": {"rings": len(graph_rings), "sizes": sorted((r.size for r in graph_rings), reverse=True),
                      "same_as_incremental": incremental == {r.members for r in graph_rings},
                      "top": [{"members": list(r.members), "size": r.size, "density": round(r.density, 3),
                               "score": round(r.score, 3), "strong_kinds": list(r.strong_kinds)}
                              for r in graph_rings[:top]]}}
