"""Risk control benchmarks (issue 5). A benchmark, not a test: it prints figures and never fails on a number.

    PYTHONPATH=src python -m bench.risk                       # every section
    PYTHONPATH=src python -m bench.risk --only rings --edges 10000000 --rounds 3

Sections (``--only``, comma-separated; default all of ``SECTIONS``):

**verdict**: ``RiskService.assess_claim`` latency in-process with every online signal over a 1-million-image hash
index, against a one-row read in the same run, and the near-duplicate query against numpy brute force (see
``bench/risk_verdict.py``).

**rings**: fraud-ring detection over the account ↔ value link graph (``anxin.risk.rings``).

1. Data: a synthetic link graph of about ``--edges`` links, made with NumPy from ``--seed`` and kept under
   ``--data-dir`` (default ``var/bench/risk``, gitignored; reused when the parameters match). Background accounts
   live in households of 1–4 that share an address, a home IP and a return address, sometimes a tablet or a card;
   phones are their own (a few recycled ones link two strangers). Hub values: campus addresses (~500 students
   each), carrier NAT IPs (~600 accounts each) and a default device id. Planted rings of 3–50 accounts draw from
   pools of devices (one per ~10 members), cards (per ~12) and drop addresses and return addresses (per ~20), drawn
   at random, so a ring value seldom crosses the default hub threshold of 25; 3 % of ring members share a phone with
   a stranger. 2 % of the links are repeated (self-links) and every kind is missing for some accounts. Links arrive
   in random order. Changing this file makes the data again (its hash is in the manifest).
2. Contenders, each in a fresh subprocess (peak RSS = the ``ru_maxrss`` that ``wait4`` reports), alternating in
   each of ``--rounds`` rounds, medians reported:
   - **ours**: ``components_from_edges`` on the raw edge list (every link with a value, hubs and repeats
     included: one giant component), int32;
   - **scipy** (the baseline): ``scipy.sparse.csgraph.connected_components(directed=False)`` on a ``coo_matrix``
     built from the same edge list, build included (the labelling alone is reported too); both answers are
     reduced to the smallest node of each component and hashed: they must be equal;
   - **detect**: the whole batch pipeline ``detect_rings`` (dedupe, hub guard, components, candidate filter,
     scoring) on the same links, with recall of the planted rings and the rings without a planted member;
   - **incremental**: ``RingGraph.add_link`` on the first ``--incremental-links`` links, string ids as the
     platform sends them (made before the clock starts), then ``rings()``; checked equal to ``detect_rings`` on
     the same slice.
   Each worker also reports its RSS once the data is loaded, so the table shows what the algorithm itself adds.

Figures are printed as a table and written to ``--json`` (default ``bench/results/risk-<timestamp>.json``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, overload

import numpy as np

from bench.fixtures import RESULTS, machine_info

REPO = Path(__file__).resolve().parent.parent
GIB = 1024**3
SECTIONS = ("rings", "verdict")


def log(msg: str) -> None:
    print(f"{dt.datetime.now():%H:%M:%S} {msg}", flush=True)


def rss_now() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def run_worker(section: str, kind: str, data: Path, extra: Sequence[str] = ()) -> dict[str, Any]:
    """One measurement in a fresh process: its RESULT line, plus its peak RSS (wait4's ru_maxrss)."""
    cmd = [sys.executable, "-m", "bench.risk", "--worker", f"{section}:{kind}", "--worker-data", str(data), *extra]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO / "src"), str(REPO)]))
    wall = time.perf_counter()
    with tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=err, text=True)
        assert proc.stdout is not None
        stdout = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            err.seek(0)
            raise RuntimeError(f"{section}:{kind} worker failed ({code}): {stdout[-2000:]}{err.read()[-4000:]}")
    line = next(ln for ln in reversed(stdout.splitlines()) if ln.startswith("RESULT "))
    out: dict[str, Any] = json.loads(line.removeprefix("RESULT "))
    out["process_seconds"] = time.perf_counter() - wall
    out["peak_rss_bytes"] = usage.ru_maxrss * 1024
    return out


# --- rings: data -----------------------------------------------------------------------------------------------

# Value kinds, in anxin.risk.rings.KINDS order.
DEVICE, PHONE, ADDRESS, PAYMENT, RETURN_ADDRESS, IP = range(6)
LINKS_PER_ACCOUNT = 5.25  # links with a value per background account, repeats and planted rings' share included


class Names(Sequence[str]):
    """``prefix0``, ``prefix1``, … made on demand: the names of ten million ids without holding them."""

    def __init__(self, prefix: str, n: int) -> None:
        self.prefix, self.n = prefix, n

    def __len__(self) -> int:
        return self.n

    @overload
    def __getitem__(self, i: int) -> str: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[str]: ...

    def __getitem__(self, i: int | slice) -> str | Sequence[str]:
        if isinstance(i, slice):
            return [f"{self.prefix}{j}" for j in range(*i.indices(self.n))]
        if not 0 <= i < self.n:
            raise IndexError(i)
        return f"{self.prefix}{i}"


class _Values:
    """Hands out value ids in blocks, one kind per block."""

    def __init__(self) -> None:
        self.kinds: list[tuple[int, int]] = []
        self.n = 0

    def block(self, kind: int, count: int) -> int:
        base = self.n
        self.kinds.append((kind, count))
        self.n += count
        return base

    def kind_array(self) -> np.ndarray:
        return np.repeat(np.array([k for k, _ in self.kinds], dtype=np.int8), [c for _, c in self.kinds])


def make_links(n_edges: int, seed: int) -> dict[str, Any]:
    """The synthetic link graph (module docstring): arrays of links in arrival order and the planted truth."""
    rng = np.random.default_rng(seed)
    n_bg = int(n_edges / LINKS_PER_ACCOUNT)
    hh_sizes = rng.choice([1, 2, 3, 4], size=n_bg, p=[0.6, 0.25, 0.1, 0.05])
    household = np.repeat(np.arange(n_bg), hh_sizes)[:n_bg]
    n_hh = int(household[-1]) + 1
    in_family = np.bincount(household, minlength=n_hh)[household] >= 2
    vals = _Values()
    acc_parts: list[np.ndarray] = []
    val_parts: list[np.ndarray] = []
    hub_sources: dict[str, list[int]] = {}

    def emit(accounts: np.ndarray, values: np.ndarray) -> None:
        acc_parts.append(accounts.astype(np.int32))
        val_parts.append(values.astype(np.int32))

    acc = np.arange(n_bg)
    # device: a default id reported by broken SDKs (hub), a household tablet, one's own, missing
    u = rng.random(n_bg)
    default_dev = vals.block(DEVICE, 1)
    own_dev = vals.block(DEVICE, n_bg)
    tab = vals.block(DEVICE, n_hh)
    dev = np.where(u < 0.01, default_dev, np.where((u < 0.06) & in_family, tab + household, own_dev + acc))
    dev[u > 0.98] = -1
    emit(acc, dev)
    hub_sources["device"] = [default_dev, 1]  # first value id, count
    # phone: one's own; 0.5 % recycled (a stranger's); 10 % missing
    u = rng.random(n_bg)
    own_phone = vals.block(PHONE, n_bg)
    phone = np.where(u < 0.005, own_phone + rng.integers(0, n_bg, n_bg), own_phone + acc)
    phone[u > 0.9] = -1
    emit(acc, phone)
    # address: campus (hub), the household's, missing
    n_campus = max(1, n_bg // 50_000)
    u = rng.random(n_bg)
    campus = vals.block(ADDRESS, n_campus)
    home = vals.block(ADDRESS, n_hh)
    address = np.where(u < 0.01, campus + rng.integers(0, n_campus, n_bg), home + household)
    address[u > 0.92] = -1
    emit(acc, address)
    hub_sources["address"] = [campus, n_campus]
    # payment: a family card, one's own, missing
    u = rng.random(n_bg)
    family_card = vals.block(PAYMENT, n_hh)
    own_card = vals.block(PAYMENT, n_bg)
    card = np.where((u < 0.08) & in_family, family_card + household, own_card + acc)
    card[u > 0.82] = -1
    emit(acc, card)
    # return address: the household's, for those who ever returned something
    u = rng.random(n_bg)
    ret = vals.block(RETURN_ADDRESS, n_hh)
    emit(acc[u < 0.45], ret + household[u < 0.45])
    # ip: a carrier NAT (hub), home broadband, missing
    n_nat = max(1, n_bg // 1_500)
    u = rng.random(n_bg)
    nat = vals.block(IP, n_nat)
    home_ip = vals.block(IP, n_hh)
    ip = np.where(u < 0.40, nat + rng.integers(0, n_nat, n_bg), home_ip + household)
    ip[u > 0.93] = -1
    emit(acc, ip)
    hub_sources["ip"] = [nat, n_nat]

    # planted rings
    n_rings = max(10, n_bg // 1_000)
    sizes = rng.integers(3, 51, n_rings)
    n_ring_acc = int(sizes.sum())
    ring_of_member = np.repeat(np.arange(n_rings), sizes)
    members = n_bg + np.arange(n_ring_acc)

    def pool(kind: int, per: int) -> np.ndarray:
        k = -(-sizes // per)  # ceil: values in each ring's pool
        base = vals.block(kind, int(k.sum())) + np.cumsum(k) - k
        return (base[ring_of_member] + rng.integers(0, k[ring_of_member])).astype(np.int64)

    emit(members, pool(DEVICE, 10))
    emit(members, pool(PAYMENT, 12))
    emit(members, pool(RETURN_ADDRESS, 20))
    drop = pool(ADDRESS, 20)
    drop[rng.random(n_ring_acc) > 0.7] = -1
    emit(members, drop)
    own = vals.block(PHONE, n_ring_acc) + np.arange(n_ring_acc)
    stranger = rng.random(n_ring_acc) < 0.03
    emit(members, np.where(stranger, own_phone + rng.integers(0, n_bg, n_ring_acc), own))
    ring_ip = vals.block(IP, n_ring_acc) + np.arange(n_ring_acc)
    emit(members, np.where(rng.random(n_ring_acc) < 0.6, nat + rng.integers(0, n_nat, n_ring_acc), ring_ip))

    account = np.concatenate(acc_parts)
    value = np.concatenate(val_parts)
    repeat = np.flatnonzero(rng.random(len(account)) < 0.02)  # the same link sent twice
    account = np.concatenate([account, account[repeat]])
    value = np.concatenate([value, value[repeat]])
    order = rng.permutation(len(account))
    n_accounts = n_bg + n_ring_acc
    ring_of = np.full(n_accounts, -1, dtype=np.int32)
    ring_of[n_bg:] = ring_of_member
    return {"account": account[order], "value": value[order], "value_kind": vals.kind_array(),
            "ring_of": ring_of, "n_accounts": n_accounts, "n_values": vals.n, "background_accounts": n_bg,
            "rings": n_rings, "ring_accounts": n_ring_acc, "hub_sources": hub_sources}


def ensure_rings_data(data_dir: Path, n_edges: int, seed: int) -> tuple[Path, dict[str, Any]]:
    src = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()  # any change to this file makes new data
    params = {"edges": n_edges, "seed": seed, "bench_sha256": src}
    root = data_dir / f"rings-{n_edges}-seed{seed}"
    manifest = root / "manifest.json"
    if manifest.is_file():
        old = json.loads(manifest.read_text())
        if old.get("params") == params:
            log(f"reusing {root}")
            return root, old
    root.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    d = make_links(n_edges, seed)
    has = d["value"] >= 0
    src_nodes = d["account"][has].astype(np.int32)
    dst_nodes = (d["value"][has] + d["n_accounts"]).astype(np.int32)
    for name, arr in (("account", d["account"]), ("value", d["value"]), ("value_kind", d["value_kind"]),
                      ("ring_of", d["ring_of"]), ("src", src_nodes), ("dst", dst_nodes)):
        np.save(root / f"{name}.npy", arr)
    meta = {k: v for k, v in d.items() if not isinstance(v, np.ndarray)}
    meta.update(links=len(d["account"]), links_with_value=int(has.sum()), missing=int((~has).sum()),
                nodes=d["n_accounts"] + d["n_values"])
    out = {"params": params, "meta": meta, "seconds": time.perf_counter() - start}
    manifest.write_text(json.dumps(out, indent=1))
    log(f"made {root} in {out['seconds']:.0f} s: {meta['links']:,} links ({meta['links_with_value']:,} with a "
        f"value), {meta['n_accounts']:,} accounts, {meta['n_values']:,} values, {meta['rings']:,} planted rings")
    return root, out


# --- rings: workers (each in its own process) -------------------------------------------------------------------


def _canonical_hash(labels: np.ndarray) -> str:
    """The partition as the smallest node of each component, hashed: equal iff the partitions are equal."""
    n = len(labels)
    smallest = np.full(int(labels.max()) + 1, n, dtype=np.int64)
    np.minimum.at(smallest, labels, np.arange(n))
    return hashlib.sha256(smallest[labels].astype(np.int64).tobytes()).hexdigest()


def _recall(rings: list[Any], ring_of: np.ndarray, sizes: np.ndarray) -> dict[str, Any]:
    """A planted ring is found when one detected ring holds all its members (strangers tied to it may come along)."""
    found, exact, unplanted = set(), set(), 0
    sweep = {t: [0, 0] for t in (0.3, 0.4, 0.5, 0.6)}  # min_density -> [planted rings found, rings without any]
    for ring in rings:
        ids = np.array([int(m[1:]) for m in ring.members])
        planted = ring_of[ids]
        planted = planted[planted >= 0]
        if not planted.size:
            unplanted += 1
            for t, row in sweep.items():
                row[1] += ring.density >= t
            continue
        ids_, counts = np.unique(planted, return_counts=True)
        for r, c in zip(ids_.tolist(), counts.tolist(), strict=True):
            if c == sizes[r]:
                found.add(r)
                for t, row in sweep.items():
                    row[0] += ring.density >= t
                if ring.size == c:
                    exact.add(r)
    q = (0.0, 0.1, 0.5, 0.9, 1.0)
    dens_planted = [g.density for g in rings if (ring_of[[int(m[1:]) for m in g.members]] >= 0).any()]
    dens_other = [g.density for g in rings if not (ring_of[[int(m[1:]) for m in g.members]] >= 0).any()]
    quantiles = {name: [round(float(x), 3) for x in np.quantile(d, q)] if d else []
                 for name, d in (("with_planted", dens_planted), ("without_planted", dens_other))}
    return {"density_quantiles_0_10_50_90_100": quantiles, "planted": len(sizes), "found": len(found),
            "recall": len(found) / len(sizes),
            "found_exactly": len(exact), "rings": len(rings), "rings_without_planted_member": unplanted,
            "found_and_unplanted_at_min_density": sweep,
            "missed_sizes": np.bincount(sizes[np.setdiff1d(np.arange(len(sizes)), list(found))],
                                        minlength=51)[3:].tolist()}


def rings_worker(kind: str, root: Path, args: argparse.Namespace) -> dict[str, Any]:
    from anxin.risk import rings as R

    meta = json.loads((root / "manifest.json").read_text())["meta"]
    out: dict[str, Any] = {"kind": kind}
    if kind in ("ours", "scipy"):
        src, dst = np.load(root / "src.npy"), np.load(root / "dst.npy")
        n = meta["nodes"]
        out["rss_loaded_bytes"] = rss_now()
        if kind == "ours":
            start = time.perf_counter()
            labels = R.components_from_edges(src, dst, n)
            out["seconds"] = time.perf_counter() - start
        else:
            from scipy.sparse import coo_matrix
            from scipy.sparse.csgraph import connected_components

            start = time.perf_counter()
            graph = coo_matrix((np.ones(len(src), dtype=np.int8), (src, dst)), shape=(n, n)).tocsr()
            mid = time.perf_counter()
            _, labels = connected_components(graph, directed=False)
            out["seconds"] = time.perf_counter() - start
            out["label_seconds"] = time.perf_counter() - mid
            del graph
        out["edges"] = len(src)
        out["nodes"] = n
        sizes = np.bincount(labels)
        out["components"] = int((sizes > 0).sum())
        out["largest_component_nodes"] = int(sizes.max())
        out["partition_sha256"] = _canonical_hash(labels)
    elif kind == "detect":
        account, value = np.load(root / "account.npy"), np.load(root / "value.npy")
        value_kind, ring_of = np.load(root / "value_kind.npy"), np.load(root / "ring_of.npy")
        out["rss_loaded_bytes"] = rss_now()
        start = time.perf_counter()
        res = R.detect_rings(account, value, value_kind, Names("c", meta["n_accounts"]), Names("v", meta["n_values"]))
        out["seconds"] = time.perf_counter() - start
        out["links"] = len(account)
        out["distinct_links"] = res.links
        out["hubs"] = int(res.hub.sum())
        out["hubs_by_kind"] = {R.KINDS[k]: int((res.hub & (value_kind == k)).sum()) for k in range(len(R.KINDS))}
        designated = np.concatenate([np.arange(first, first + n) for first, n in meta["hub_sources"].values()])
        out["designated_hubs_flagged"] = f"{int(res.hub[designated].sum())}/{len(designated)}"
        sizes = np.bincount(res.labels)
        out["largest_component_accounts"] = int(sizes.max())
        out["components_2_plus"] = int((sizes >= 2).sum())
        ring_sizes = np.bincount(ring_of[ring_of >= 0])
        out.update(_recall(res.rings, ring_of, ring_sizes))
        hub_in_evidence = sum(1 for g in res.rings for e in g.evidence if res.hub[int(e.value[1:])])
        out["hub_values_in_evidence"] = hub_in_evidence
    elif kind == "incremental":
        m = args.incremental_links
        account, value = np.load(root / "account.npy")[:m], np.load(root / "value.npy")[:m]
        value_kind = np.load(root / "value_kind.npy")
        kinds = [R.KINDS[k] for k in value_kind[np.maximum(value, 0)].tolist()]
        links = [(f"c{a}", k, f"v{v}" if v >= 0 else None)
                 for a, k, v in zip(account.tolist(), kinds, value.tolist(), strict=True)]
        del kinds
        out["rss_loaded_bytes"] = rss_now()
        g = R.RingGraph()
        add = g.add_link
        start = time.perf_counter()
        for a, k, v in links:
            add(a, k, v)
        out["seconds"] = time.perf_counter() - start
        mid = time.perf_counter()
        rings = g.rings()
        out["rings_seconds"] = time.perf_counter() - mid
        out["rss_built_bytes"] = rss_now()
        out["links"] = len(links)
        out["links_per_s"] = len(links) / out["seconds"]
        out["distinct_links"], out["skipped"], out["hubs"], out["rings"] = g.links, g.skipped, len(g.hubs()), len(rings)
        out["ghost_nodes"] = sum(1 for k in g._kind if k == R.GHOST)
        del g
        # The same links in bulk (add_links pauses the cyclic GC) and through build_batch, for the record.
        start = time.perf_counter()
        R.RingGraph().add_links(links)
        out["bulk_seconds"] = time.perf_counter() - start
        start = time.perf_counter()
        same = R.build_batch(links).rings() == rings
        out["build_batch_seconds"] = time.perf_counter() - start
        del links
        batch = R.detect_rings(account, value, value_kind, Names("c", meta["n_accounts"]),
                               Names("v", meta["n_values"]))
        out["equal_to_batch"] = same and batch.rings == rings
    else:
        raise SystemExit(f"unknown rings worker {kind!r}")
    return out


# --- rings: the run -------------------------------------------------------------------------------------------------


def _median(runs: list[dict[str, Any]], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def run_rings(args: argparse.Namespace) -> dict[str, Any]:
    root, manifest = ensure_rings_data(args.data_dir, args.edges, args.seed)
    kinds = ["ours", "scipy", "detect", "incremental"]
    runs: dict[str, list[dict[str, Any]]] = {k: [] for k in kinds}
    extra = ["--incremental-links", str(args.incremental_links)]
    for r in range(args.rounds):
        for kind in kinds if r % 2 == 0 else list(reversed(kinds)):
            res = run_worker("rings", kind, root, extra)
            runs[kind].append(res)
            log(f"rings round {r + 1}/{args.rounds}: {kind:11} {res['seconds']:7.2f} s  peak RSS "
                f"{res['peak_rss_bytes'] / GIB:5.2f} GiB (loaded {res['rss_loaded_bytes'] / GIB:5.2f})  load "
                f"{os.getloadavg()[0]:.1f}")
    out: dict[str, Any] = {"data": manifest, "runs": runs}
    for kind, rs in runs.items():
        out[kind] = {"median_seconds": _median(rs, "seconds"), "seconds": [x["seconds"] for x in rs],
                     "peak_rss_gib": max(x["peak_rss_bytes"] for x in rs) / GIB,
                     "loaded_rss_gib": max(x["rss_loaded_bytes"] for x in rs) / GIB}
    out["ours_vs_scipy"] = out["ours"]["median_seconds"] / out["scipy"]["median_seconds"]
    out["ours_vs_scipy_rounds"] = [o["seconds"] / s["seconds"] for o, s in zip(runs["ours"], runs["scipy"],
                                                                               strict=True)]
    out["scipy"]["median_label_seconds"] = _median(runs["scipy"], "label_seconds")
    out["same_partition"] = len({x["partition_sha256"] for x in runs["ours"] + runs["scipy"]}) == 1
    out["incremental"]["links_per_s"] = args.incremental_links / out["incremental"]["median_seconds"]
    out["incremental"]["median_rings_seconds"] = _median(runs["incremental"], "rings_seconds")
    out["incremental"]["median_bulk_seconds"] = _median(runs["incremental"], "bulk_seconds")
    out["incremental"]["median_build_batch_seconds"] = _median(runs["incremental"], "build_batch_seconds")
    out["incremental"]["graph_rss_gib"] = max(x["rss_built_bytes"] - x["rss_loaded_bytes"]
                                              for x in runs["incremental"]) / GIB
    return out


def rings_table(res: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    meta = res["data"]["meta"]
    d, inc = res["runs"]["detect"][0], res["runs"]["incremental"][0]
    t = Table(title=f"Ring detection: {meta['links']:,} links, {meta['links_with_value']:,} edges, "
                    f"{meta['nodes']:,} nodes (medians of {len(res['runs']['ours'])} alternated rounds)")
    for col in ("contender", "seconds", "peak RSS GiB", "RSS after loading GiB", "notes"):
        t.add_column(col, justify="left" if col in ("contender", "notes") else "right")
    o, s = res["ours"], res["scipy"]
    t.add_row("ours: components_from_edges", f"{o['median_seconds']:.2f}", f"{o['peak_rss_gib']:.2f}",
              f"{o['loaded_rss_gib']:.2f}", f"{res['ours_vs_scipy']:.2f}× scipy's time "
              f"(rounds {', '.join(f'{x:.2f}' for x in res['ours_vs_scipy_rounds'])}); same partition: "
              f"{res['same_partition']}")
    t.add_row("scipy: coo → csr + connected_components", f"{s['median_seconds']:.2f}", f"{s['peak_rss_gib']:.2f}",
              f"{s['loaded_rss_gib']:.2f}", f"labelling alone {s['median_label_seconds']:.2f} s; largest component "
              f"{res['runs']['scipy'][0]['largest_component_nodes']:,} nodes")
    t.add_row("detect_rings (whole pipeline)", f"{res['detect']['median_seconds']:.2f}",
              f"{res['detect']['peak_rss_gib']:.2f}", f"{res['detect']['loaded_rss_gib']:.2f}",
              f"recall {d['found']}/{d['planted']} ({d['found_exactly']} exactly), {d['rings']} rings, "
              f"{d['rings_without_planted_member']} without a planted member; hubs {d['hubs']:,}, "
              f"largest component {d['largest_component_accounts']:,} accounts")
    t.add_row(f"RingGraph.add_link × {inc['links']:,}", f"{res['incremental']['median_seconds']:.2f}",
              f"{res['incremental']['peak_rss_gib']:.2f}", f"{res['incremental']['loaded_rss_gib']:.2f}",
              f"{res['incremental']['links_per_s']:,.0f} links/s; rings() "
              f"{res['incremental']['median_rings_seconds']:.2f} s; the graph holds "
              f"{res['incremental']['graph_rss_gib']:.2f} GiB; add_links in bulk "
              f"{res['incremental']['median_bulk_seconds']:.2f} s, build_batch "
              f"{res['incremental']['median_build_batch_seconds']:.2f} s; equal to batch: {inc['equal_to_batch']}")
    Console(width=180).print(t)


SECTION_RUNNERS: dict[str, tuple[Callable[[argparse.Namespace], dict[str, Any]], Callable[[dict[str, Any]], None]]]
def run_verdict(args: argparse.Namespace) -> dict[str, Any]:
    from bench.risk_verdict import run

    return run(hashes=args.hashes, consumers=args.consumers, history=args.history, claims=args.claims,
               rounds=args.rounds, log=log)


def verdict_table(res: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"Verdict latency in-process: {res['hashes']:,} evidence hashes, {res['consumers']:,} accounts, "
                    f"{res['history']:,} past verdicts; {res['claims']:,} claims, alternated with the baseline")
    for col in ("measure", "p50 ms", "p99 ms", "notes"):
        t.add_column(col, justify="left" if col in ("measure", "notes") else "right")
    v, b = res["verdict_ms"], res["baseline_ms"]
    t.add_row("assess_claim (every online signal)", f"{v['p50']:.3f}", f"{v['p99']:.3f}",
              f"target p99 ≤ 2 ms: {'met' if res['target_met'] else 'MISSED'}; outcomes {res['outcomes']}")
    t.add_row("baseline: one-row read in a unit of work", f"{b['p50']:.3f}", f"{b['p99']:.3f}",
              f"verdict = {res['verdict_vs_baseline_p50']:.1f}× baseline at p50")
    t.add_row("near-duplicate query (radius 6)", f"{res['neardup_ms']['p50']:.3f}", f"{res['neardup_ms']['p99']:.3f}",
              f"{res['neardup_speedup_p50']:.1f}× faster than numpy brute force at p50")
    t.add_row("numpy brute force over every hash", f"{res['bruteforce_ms']['p50']:.3f}",
              f"{res['bruteforce_ms']['p99']:.3f}", f"index loaded in {res['index_load_s']:.1f} s, "
              f"+{res['index_rss_mib']:.0f} MiB")
    Console(width=180).print(t)


SECTION_RUNNERS = {"rings": (run_rings, rings_table), "verdict": (run_verdict, verdict_table)}
WORKERS: dict[str, Callable[[str, Path, argparse.Namespace], dict[str, Any]]] = {"rings": rings_worker}


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.risk", description=(__doc__ or "").splitlines()[0])
    p.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated sections of {', '.join(SECTIONS)}")
    p.add_argument("--rounds", type=int, default=3, help="alternating rounds (medians reported)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--data-dir", type=Path, default=REPO / "var/bench/risk")
    p.add_argument("--json", type=Path, default=None, help="result file (default bench/results/risk-*.json)")
    rings = p.add_argument_group("rings")
    rings.add_argument("--edges", type=int, default=10_000_000, help="links of the synthetic graph (default 10 M)")
    rings.add_argument("--incremental-links", type=int, default=1_000_000,
                       help="links fed to RingGraph.add_link one by one (default 1 M)")
    verdict = p.add_argument_group("verdict")
    verdict.add_argument("--hashes", type=int, default=1_000_000, help="evidence hashes indexed (default 1 M)")
    verdict.add_argument("--consumers", type=int, default=200_000, help="accounts with attributes")
    verdict.add_argument("--history", type=int, default=200_000, help="past claim verdicts")
    verdict.add_argument("--claims", type=int, default=3_000, help="claims timed")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--worker-data", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        section, kind = args.worker.split(":", 1)
        print("RESULT " + json.dumps(WORKERS[section](kind, args.worker_data, args), default=str), flush=True)
        return
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = sorted(set(only) - set(SECTIONS))
    if unknown:
        p.error(f"unknown section(s) {', '.join(unknown)}; known: {', '.join(SECTIONS)}")
    info = machine_info()
    info["loadavg_start"] = list(os.getloadavg())
    info["mem_total_gib"] = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / GIB
    from importlib.metadata import version

    info["risk_packages"] = {d: version(d) for d in ("numpy", "scipy")}
    started = time.perf_counter()
    results: dict[str, Any] = {}
    for section in only:
        log(f"section {section}")
        results[section] = SECTION_RUNNERS[section][0](args)
    info["loadavg_end"] = list(os.getloadavg())
    out = {"machine": info, "args": {k: str(v) for k, v in vars(args).items()}, "results": results,
           "wall_seconds": time.perf_counter() - started}
    for section in only:
        SECTION_RUNNERS[section][1](results[section])
    path = args.json or RESULTS / f"risk-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=1, default=str) + "\n")
    log(f"wrote {path} (wall {out['wall_seconds']:.0f} s; load average {info['loadavg_start']} → "
        f"{info['loadavg_end']})")


if __name__ == "__main__":
    main()
