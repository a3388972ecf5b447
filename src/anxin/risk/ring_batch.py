"""Every fraud ring of the account-link graph in one batch pass (``anxin risk rings``): numpy components over all
links, checked against the graph ``RiskService`` keeps link by link in this process. An operator's tool, not a
request path: it reads the whole link table."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from anxin.risk.rings import KINDS as RING_KINDS
from anxin.risk.rings import detect_rings
from anxin.risk.service import RiskService
from anxin.risk.signals import ring_params
from anxin.risk.store import SignalRepository


def batch_rings(risk: RiskService, *, progress: Callable[[int], None] | None = None, top: int = 20) -> dict[str, Any]:
    """Every ring in the link graph at once (numpy components over all links), next to what the incremental
    graph of this process holds: the two must name the same rings."""
    accounts: dict[str, int] = {}
    values: dict[tuple[str, str], int] = {}
    acc: list[int] = []
    val: list[int] = []
    seq = 0
    with risk.uow_factory() as uow:
        repo = SignalRepository(uow.session)
        while batch := repo.links_after(seq):
            for _, subject, kind, value in batch:
                if subject.startswith("consumer:") and kind in RING_KINDS:
                    acc.append(accounts.setdefault(subject, len(accounts)))
                    val.append(values.setdefault((kind, value), len(values)))
            seq = batch[-1][0]
            if progress:
                progress(len(batch))
    kinds = [RING_KINDS.index(k) for k, _ in values]
    found = detect_rings(acc, val, kinds, list(accounts), [f"{k}:{v}" for k, v in values],
                         ring_params(risk.rulebook))
    risk.indexes.catch_up()
    incremental = {r.members for r in risk.indexes.graph.rings() if r.is_ring}
    batch_rings = [r for r in found.rings if r.is_ring]
    return {"links": found.links, "accounts": len(accounts), "values": len(values),
            "hubs": int(found.hub.sum()), "rings": len(batch_rings),
            "ring_accounts": sum(r.size for r in batch_rings),
            "sizes": sorted((r.size for r in batch_rings), reverse=True),
            "same_as_incremental": incremental == {r.members for r in batch_rings},
            "top": [{"members": list(r.members), "size": r.size, "density": round(r.density, 3),
                     "score": round(r.score, 3), "strong_kinds": list(r.strong_kinds)} for r in batch_rings[:top]]}
