"""Imports every context's store so the one MetaData knows all tables (for Alembic and tests)."""

from __future__ import annotations

# Each import registers that context's tables on Base.metadata.
from anxin.access import store as _access  # noqa: F401
from anxin.actions import store as _actions  # noqa: F401
from anxin.aftersales import store as _aftersales  # noqa: F401
from anxin.audience import store as _audience  # noqa: F401
from anxin.care import companion_store as _care_companion  # noqa: F401
from anxin.care import store as _care  # noqa: F401
from anxin.care import ticket_store as _care_tickets  # noqa: F401
from anxin.catalog import store as _catalog  # noqa: F401
from anxin.db import domain_events as _domain_events  # noqa: F401
from anxin.db.base import Base
from anxin.fulfilment import store as _fulfilment  # noqa: F401
from anxin.governance import appeal_store as _governance_appeals  # noqa: F401
from anxin.governance import inspection_store as _governance_inspections  # noqa: F401
from anxin.governance import ip_store as _governance_ip  # noqa: F401
from anxin.governance import listing_store as _governance_listings  # noqa: F401
from anxin.governance import store as _governance  # noqa: F401
from anxin.idempotency import store as _idempotency  # noqa: F401
from anxin.ingest import store as _ingest  # noqa: F401
from anxin.jobs import store as _jobs  # noqa: F401
from anxin.merchants import match_store as _merchant_match  # noqa: F401
from anxin.merchants import money_store as _merchant_money  # noqa: F401
from anxin.merchants import store as _merchants  # noqa: F401
from anxin.orders import store as _orders  # noqa: F401
from anxin.outbox import delivery_store as _outbox_delivery  # noqa: F401
from anxin.outbox import store as _outbox  # noqa: F401
from anxin.reports import store as _reports  # noqa: F401
from anxin.risk import store as _risk  # noqa: F401
from anxin.scoring import store as _scoring  # noqa: F401
from anxin.shops import store as _shops  # noqa: F401
from anxin.worker import store as _worker  # noqa: F401
from anxin.worryfree import inspection_store as _worryfree_inspections  # noqa: F401
from anxin.worryfree import lucky_bag_store as _worryfree_lucky_bags  # noqa: F401
from anxin.worryfree import store as _worryfree  # noqa: F401
from anxin.worryfree import tag_store as _worryfree_tags  # noqa: F401

metadata = Base.metadata
