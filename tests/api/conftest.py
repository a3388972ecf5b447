"""Fixtures shared by the HTTP tests: an app client and keys for every role."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from anxin.web.app import create_app


@pytest.fixture
def app(anxin):
    return create_app(anxin)


@pytest.fixture
def client(app):
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def keys(anxin):
    """Authorization headers by name: platform, operator, consumers c1/c2, merchants m1/m2, rights holders
    rh1/rh2, creator (cr1)."""
    out = {}
    for name, role, subject in [("platform", "platform", "shop-platform"), ("operator", "operator", "ops"),
                                ("c1", "consumer", "c1"), ("c2", "consumer", "c2"),
                                ("m1", "merchant", "m1"), ("m2", "merchant", "m2"),
                                ("rh1", "rights_holder", "rh1"), ("rh2", "rights_holder", "rh2"),
                                ("creator", "creator", "cr1")]:
        out[name] = {"Authorization": f"Bearer {anxin.access.create_key(role, subject)[1]}"}
    return out

