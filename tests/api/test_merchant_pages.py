import datetime as dt, json
import pytest
from tests.db.builders import T0, D, H, ingest_ok, category, shop, listing, item, order_paid, delivered, shipped
from anxin.aftersales.service import FileCase
pytestmark = pytest.mark.db

def test_explore(anxin, clock):
    ingest_ok(anxin, [category("fresh", tags=["fresh"]), category("cat_general"),
        shop("s1", "m1", opened_at=T0 - 200 * D, at=T0 - 200*D), shop("s2", "m2"),
        listing("l1", "s1", "fresh", price_fen=5000), listing("l2", "s1", "cat_general", price_fen=9900),
        listing("l3", "s2", "cat_general"),
        order_paid("o1", "c1", "s1", items=[item("l1", 2, 5000)], paid_at=T0),
        order_paid("o2", "c1", "s1", items=[item("l2", 1, 9900)], channel="product_card", paid_at=T0 + H),
        order_paid("o3", "c2", "s1", items=[item("l2", 1, 9900)], paid_at=T0 + H),
        shipped("o3", shipped_at=T0+2*H), delivered("o3", signed_at=T0 + 5*H),
    ])
    clock.set(T0 + D)
    print(anxin.merchants.settle_pending())
    c = anxin.access.create_key("consumer", "c2")[0]
    v = anxin.aftersales.file_case(c, FileCase("o3", "return_refund", "no_reason", 9900))
    print(v.case.state, v.case.case_id)
    m1 = anxin.access.create_key("merchant", "m1")[0]
    out = {}
    for name, f in [("overview", lambda: anxin.merchants.overview(m1)), ("status", lambda: anxin.merchants.status(m1, "s1")),
                    ("novice", lambda: anxin.merchants.novice(m1, "s1")), ("deposit", lambda: anxin.merchants.deposit(m1, "s1")),
                    ("stmt", lambda: anxin.merchants.period_statement(m1, "s1", dt.date(2026,11,1), dt.date(2026,11,30))),
                    ("o1", lambda: anxin.merchants.order_statement(m1, "o1")), ("o2", lambda: anxin.merchants.order_statement(m1, "o2")),
                    ("offers", lambda: anxin.merchants.offers(m1, "s1")), ("cases", lambda: anxin.merchants.open_cases(m1, "s1")),
                    ("fees", lambda: anxin.merchants.fee_rules_view())]:
        try:
            out[name] = f()
        except Exception as e:
            out[name] = repr(e)
    open("/tmp/mcx/out.json", "w").write(json.dumps(out, default=str, indent=1, ensure_ascii=False))
