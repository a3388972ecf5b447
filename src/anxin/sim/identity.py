"""Who is behind each account and each shop: the opaque attributes the platform sends for risk control.

Every consumer has a device, a phone, a delivery address, a payment instrument, a saved return address and the
IP addresses checkout sees; every shop has credentials (licence, legal representative, phone, bank account,
device). Values are opaque tokens, as the platform sends hashes, never raw data.

The honest world shares many of them, and none of that is a ring: students of a campus share its address and its
network's public IP (up to ~200 of them); mobile users sit behind their carrier's NAT, a few public IPs per city
shared by dozens; families of 2–4 share an address and a broadband IP, sometimes a tablet or a card; coworkers
share an office address some of them send returns from; people change phones; an agency (代运营) runs the shop
of several unrelated merchants from one device and phone; a merchant's shops share its licence (一证多店). The
dishonest share on purpose: a few "re-opened" shops reuse the credentials of a bad shop, and the rings of
``anxin.sim.abuse`` share devices, cards, phones and drop addresses (``ring_identities``).

Everything here draws from the identity stream (or, for the abuse accounts, from their pattern's stream), in a
fixed order, so the main stream's draws stay where they were. The IP an order shows is chosen by a checksum of
its id, not by a draw, so it does not depend on when the order is placed.
"""

from __future__ import annotations

import datetime as dt
import random
import zlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from anxin.sim.events import iso
from anxin.sim.world import Consumer, Merchant, Shop, World

MOBILE_CARRIERS = ("cm", "cu", "ct")  # China Mobile, Unicom, Telecom
NAT_USERS_PER_IP = 40  # a carrier NAT address fronts about this many of our buyers in one city
CAMPUS_SHARE = 0.55  # of a university city's buyers who are students there
CAMPUS_MAX = 200
FAMILY_SHARE = 0.08
OFFICE_SHARE = 0.3  # buyers with a work address (offices of 3-40 coworkers)
DEVICE_CHANGE_SHARE = 0.12  # buyers who get a new phone during the run
AGENCY_SHARE = 0.15  # merchants whose shop an agency runs
REUSED_KINDS = (("legal_rep", 0.6), ("phone", 0.5), ("device", 0.5), ("bank_account", 0.35), ("licence", 0.2))


def token(rng: random.Random, prefix: str) -> str:
    """An opaque value like the platform's salted hashes."""
    return f"{prefix}_{rng.getrandbits(64):016x}"


@dataclass
class Person:
    """The attributes behind one consumer account."""

    devices: list[tuple[dt.datetime | None, str]]  # (in use since, device); the first since None
    phone: str
    address: str  # the delivery address
    payment: str
    return_address: str  # the saved address returns leave from
    home_ip: str
    carrier: str  # their mobile carrier
    mobile_ips: tuple[str, ...]  # carrier NAT addresses their phone shows up behind
    mobile_share: int  # percent of checkouts on mobile data
    work_address: str | None = None

    def device_at(self, at: dt.datetime) -> str:
        current = self.devices[0][1]
        for since, device in self.devices[1:]:
            if since is not None and since <= at:
                current = device
        return current

    def ip_for(self, order_id: str) -> str:
        h = zlib.crc32(order_id.encode())
        if self.mobile_ips and h % 100 < self.mobile_share:
            return self.mobile_ips[(h // 100) % len(self.mobile_ips)]
        return self.home_ip

    def checkout(self, order_id: str, at: dt.datetime) -> dict[str, str]:
        """``order.paid`` ``data.risk``: the buyer at checkout."""
        return {"device": self.device_at(at), "phone": self.phone, "address": self.address,
                "payment": self.payment, "ip": self.ip_for(order_id)}

    def registration(self) -> dict[str, str]:
        """``consumer.registered`` ``data.risk``: the account as the platform knows it."""
        return {"device": self.devices[0][1], "phone": self.phone, "address": self.address,
                "payment": self.payment, "return_address": self.return_address, "ip": self.home_ip}


@dataclass
class ReopenedShop:
    """A bad merchant back under a new name, reusing some of the old shop's credentials (ground truth)."""

    shop_id: str
    merchant_id: str
    name: str
    store_type: str
    reuses: str  # the bad shop's id
    kinds: tuple[str, ...]
    at: dt.datetime
    credentials: dict[str, str]

    def truth(self) -> dict[str, Any]:
        return {"shop_id": self.shop_id, "merchant_id": self.merchant_id, "reuses_shop_id": self.reuses,
                "reused_kinds": list(self.kinds), "upserted_at": iso(self.at)}


@dataclass
class Identities:
    people: dict[str, Person] = field(default_factory=dict)
    shops: dict[str, dict[str, str]] = field(default_factory=dict)  # shop_id -> credentials
    reopened: list[ReopenedShop] = field(default_factory=list)
    # The honest coincidences, for the ground truth: group id -> consumer (or merchant) ids.
    campuses: dict[str, list[str]] = field(default_factory=dict)
    families: dict[str, list[str]] = field(default_factory=dict)
    offices: dict[str, list[str]] = field(default_factory=dict)
    agencies: dict[str, list[str]] = field(default_factory=dict)
    device_changes: list[str] = field(default_factory=list)
    _nat: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (city, carrier) -> public IPs

    def of(self, consumer: Consumer) -> Person:
        return self.people[consumer.consumer_id]

    def nat_ips(self, rng: random.Random, city: str, carrier: str) -> list[str]:
        return self._nat.setdefault((city, carrier), [token(rng, "ip")])

    def new_person(self, rng: random.Random, consumer: Consumer, start: dt.datetime, end: dt.datetime) -> Person:
        """Someone with attributes of their own (mobile IPs aside), who may change phones during the run."""
        carrier = rng.choice(MOBILE_CARRIERS)
        pool = self.nat_ips(rng, consumer.region.code, carrier)
        address = token(rng, "addr")
        person = Person([(None, token(rng, "dev"))], token(rng, "tel"), address, token(rng, "pay"), address,
                        token(rng, "ip"), carrier, tuple(rng.sample(pool, min(2, len(pool)))), rng.randint(20, 80))
        if rng.random() < DEVICE_CHANGE_SHARE:
            since = start + (end - start) * rng.uniform(0.1, 0.9)
            person.devices.append((since, token(rng, "dev")))
            self.device_changes.append(consumer.consumer_id)
        self.people[consumer.consumer_id] = person
        return person

    def summary(self) -> dict[str, Any]:
        nat = Counter(ip for p in self.people.values() for ip in p.mobile_ips)
        return {"campuses": {k: len(v) for k, v in self.campuses.items()},
                "families": len(self.families), "family_members": sum(len(v) for v in self.families.values()),
                "offices": len(self.offices), "largest_office": max((len(v) for v in self.offices.values()),
                                                                    default=0),
                "carrier_nat_ips": len(nat), "largest_nat_ip": max(nat.values(), default=0),
                "device_changes": len(self.device_changes), "agencies": {k: len(v) for k, v in self.agencies.items()},
                "reopened_shops": len(self.reopened)}

    def truth(self) -> dict[str, Any]:
        return {"campuses": self.campuses, "families": self.families, "offices": self.offices,
                "agencies": self.agencies, "device_changes": self.device_changes,
                "reopened_shops": [r.truth() for r in self.reopened]}


def cast_identities(rng: random.Random, world: World, start: dt.datetime, end: dt.datetime, *,
                    reopened_share: float) -> Identities:
    ids = Identities()
    for c in world.consumers:
        ids.new_person(rng, c, start, end)
    _nat_pools(rng, ids, world.consumers)
    _campuses(rng, ids, world.consumers)
    _families(rng, ids, world.consumers)
    _offices(rng, ids, world.consumers)
    _credentials(rng, ids, world.merchants)
    _reopened(rng, ids, world, start, end, reopened_share)
    return ids


def _by_city(consumers: list[Consumer]) -> dict[str, list[Consumer]]:
    out: dict[str, list[Consumer]] = {}
    for c in consumers:
        out.setdefault(c.region.code, []).append(c)
    return out


def _nat_pools(rng: random.Random, ids: Identities, consumers: list[Consumer]) -> None:
    """Bigger cities' carriers put our buyers behind more NAT addresses: about NAT_USERS_PER_IP behind each."""
    users: dict[tuple[str, str], list[Person]] = {}
    for c in consumers:
        person = ids.people[c.consumer_id]
        users.setdefault((c.region.code, person.carrier), []).append(person)
    for key, people in sorted(users.items()):
        pool = ids._nat[key]
        while len(pool) * NAT_USERS_PER_IP < len(people):
            pool.append(token(rng, "ip"))
        for person in people:
            person.mobile_ips = tuple(rng.sample(pool, min(2, len(pool))))


def _campuses(rng: random.Random, ids: Identities, consumers: list[Consumer]) -> None:
    """The two biggest cities have a university: its students share the campus address and the campus IP."""
    cities = sorted(_by_city(consumers).items(), key=lambda kv: (-len(kv[1]), kv[0]))[:2]
    for n, (_, people) in enumerate(cities, 1):
        students = rng.sample(people, min(CAMPUS_MAX, int(len(people) * CAMPUS_SHARE)))
        if len(students) < 3:
            continue
        address, ip = token(rng, "addr"), token(rng, "ip")
        for c in students:
            p = ids.people[c.consumer_id]
            p.address = p.return_address = address
            p.home_ip = ip
        ids.campuses[f"campus-{n}"] = sorted(c.consumer_id for c in students)


def _families(rng: random.Random, ids: Identities, consumers: list[Consumer]) -> None:
    """Households of 2-4 in one city: one address and broadband IP; sometimes a shared tablet or card."""
    taken = {c for group in ids.campuses.values() for c in group}
    for _, people in sorted(_by_city(consumers).items()):
        free = [c for c in people if c.consumer_id not in taken]
        rng.shuffle(free)
        budget = round(len(free) * FAMILY_SHARE)
        while budget >= 2 and len(free) >= 2:
            size = min(rng.randint(2, 4), budget, len(free))
            members, free = free[:size], free[size:]
            budget -= size
            head = ids.people[members[0].consumer_id]
            tablet = token(rng, "dev") if rng.random() < 0.25 else None
            card = head.payment if rng.random() < 0.2 else None
            for c in members[1:]:
                p = ids.people[c.consumer_id]
                p.address = p.return_address = head.address
                p.home_ip = head.home_ip
                if card is not None:
                    p.payment = card
            if tablet is not None:
                for c in members:
                    ids.people[c.consumer_id].devices[0] = (None, tablet)
            ids.families[f"family-{len(ids.families) + 1:03d}"] = sorted(c.consumer_id for c in members)


def _offices(rng: random.Random, ids: Identities, consumers: list[Consumer]) -> None:
    """Coworkers share an office address; some save it as where their returns leave from."""
    students = {c for group in ids.campuses.values() for c in group}
    for _, people in sorted(_by_city(consumers).items()):
        workers = [c for c in people if c.consumer_id not in students and rng.random() < OFFICE_SHARE]
        while workers:
            size = min(len(workers), rng.randint(3, 40))
            group, workers = workers[:size], workers[size:]
            address = token(rng, "addr")
            for c in group:
                p = ids.people[c.consumer_id]
                p.work_address = address
                if rng.random() < 0.1:
                    p.return_address = address
            ids.offices[f"office-{len(ids.offices) + 1:03d}"] = sorted(c.consumer_id for c in group)


def _credentials(rng: random.Random, ids: Identities, merchants: list[Merchant]) -> None:
    """A merchant's shops share its licence, representative, bank account and device; each shop has a phone."""
    agencies: list[tuple[str, str, str]] = []  # (agency id, device, phone)
    for m in merchants:
        own = {"licence": token(rng, "lic"), "legal_rep": token(rng, "rep"), "bank_account": token(rng, "bank"),
               "device": token(rng, "dev")}
        agency_phone = None
        if rng.random() < AGENCY_SHARE:
            if not agencies or (len(agencies) < 4 and rng.random() < 0.4):
                agencies.append((f"agency-{len(agencies) + 1}", token(rng, "dev"), token(rng, "tel")))
            agency, device, agency_phone = rng.choice(agencies)
            own["device"] = device
            ids.agencies.setdefault(agency, []).append(m.merchant_id)
        for shop in m.shops:
            ids.shops[shop.shop_id] = {**own, "phone": agency_phone or token(rng, "tel")}


def _reopened(rng: random.Random, ids: Identities, world: World, start: dt.datetime, end: dt.datetime,
              share: float) -> None:
    """The worst merchants (fake shippers first, then the lowest quality) come back as new shops mid-run."""
    bad = sorted(world.merchants, key=lambda m: (not m.fake_shipping, m.quality, m.merchant_id))
    count = max(1, round(share * len(world.merchants))) if share > 0 else 0
    for k, m in enumerate(bad[:count], 1):
        old: Shop = m.shops[0]
        kinds = tuple(kind for kind, p in REUSED_KINDS if rng.random() < p) or ("legal_rep",)
        fresh = {"licence": token(rng, "lic"), "legal_rep": token(rng, "rep"), "phone": token(rng, "tel"),
                 "bank_account": token(rng, "bank"), "device": token(rng, "dev")}
        old_credentials = ids.shops[old.shop_id]
        credentials = {kind: old_credentials[kind] if kind in kinds else value for kind, value in fresh.items()}
        n = len(world.merchants) + k
        at = start + (end - start) * rng.uniform(0.2, 0.8)
        ids.reopened.append(ReopenedShop(f"shop-{n:03d}a", f"m-{n:03d}", f"{old.name.split()[0]} 新店{k}",
                                         rng.choice(("individual", "personal")), old.shop_id, kinds, at,
                                         credentials))
