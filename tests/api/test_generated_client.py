"""A client generated from the published schema works (issue 15): openapi-python-client generates a package from
``/openapi.json``, and through its operation functions, against the real app over HTTP, the platform ingests an
order and a consumer files an after-sale case (with an ``Idempotency-Key``) and reads it back.

Written against the operation functions (found by operationId) and the raw status and JSON, so it holds whether an
operation's response is parsed into a generated model or not.
"""

from __future__ import annotations

import importlib
import json
import re
import subprocess
import sys
import typing
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from tests.db.builders import T0, H, category, item, listing, order_paid, shop
from tests.live_server import serving

from anxin.web.app import create_app

pytestmark = pytest.mark.db
pytest.importorskip("openapi_python_client", reason="openapi-python-client is in the dev extras")
PACKAGE = "anxin_generated_client"
# No post-hooks (the default formats the package with ruff): nothing here depends on the layout of the code.
CONFIG = f"post_hooks: []\nproject_name_override: {PACKAGE}\npackage_name_override: {PACKAGE}\n"


@pytest.fixture
def server(anxin) -> Iterator[str]:
    with serving(create_app(anxin)) as url:
        yield url


@pytest.fixture
def generated(app, tmp_path) -> Iterator[ModuleType]:
    """The client package generated from the app's schema, importable for the test."""
    (tmp_path / "openapi.json").write_text(json.dumps(app.openapi()), encoding="utf-8")
    (tmp_path / "config.yaml").write_text(CONFIG, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "openapi_python_client", "generate", "--path", "openapi.json",
                           "--output-path", "out", "--config", "config.yaml", "--meta", "none"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    # Nothing of the schema left out of the client, but the evidence image (a binary body it cannot type).
    skipped = [block for block in (done.stdout + done.stderr).split("WARNING parsing ")[1:]
               if not block.startswith("GET /v1/evidence/{sha256}")]
    assert not skipped and "Unable to" not in done.stdout + done.stderr, done.stdout + done.stderr
    (tmp_path / "out").rename(tmp_path / PACKAGE)
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def operation(app, package: ModuleType, method: str, path: str) -> ModuleType:
    """The generated module of an operation: ``<package>/api/<tag>/<operationId>.py`` (as a Python name: runs of
    underscores collapsed)."""
    op_id = app.openapi()["paths"][path][method]["operationId"]
    name = re.sub(r"_+", "_", re.sub(r"\W", "_", op_id)).lower()
    found = [p for p in Path(package.__file__).parent.glob("api/*/*.py") if p.stem == name]
    assert len(found) == 1, f"no generated module for {method.upper()} {path} ({op_id})"
    return importlib.import_module(f"{package.__name__}.api.{found[0].parent.name}.{name}")


def body_of(module: ModuleType, raw: dict[str, Any]) -> Any:
    """``raw`` as the generated model the operation takes for its body."""
    model = typing.get_type_hints(module.sync_detailed)["body"]
    body = model.from_dict(raw)
    assert body.to_dict() == raw  # the model carries everything (events of every type, the case's fields)
    return body


def content(response: Any) -> dict[str, Any]:
    """The response's JSON: the parsed model's ``to_dict()`` when the operation has a response model, else the raw
    body (the same JSON either way)."""
    parsed = response.parsed
    if hasattr(parsed, "to_dict"):
        return dict(parsed.to_dict())
    if isinstance(parsed, dict):
        return parsed
    return dict(json.loads(response.content))


def test_a_generated_client_ingests_an_order_and_files_a_case(app, generated, server, anxin, clock):
    client_module = importlib.import_module(f"{generated.__name__}.client")
    platform_key = anxin.access.create_key("platform", "shop-platform")[1]
    consumer_key = anxin.access.create_key("consumer", "c1")[1]
    platform = client_module.AuthenticatedClient(base_url=server, token=platform_key, raise_on_unexpected_status=True)
    consumer = client_module.AuthenticatedClient(base_url=server, token=consumer_key, raise_on_unexpected_status=True)

    post_events = operation(app, generated, "post", "/v1/events")
    events = [category("cat_o1"), shop("s1", "m1"), listing("l_o1", "s1", "cat_o1", price_fen=9900),
              order_paid("o1", "c1", "s1", items=[item("l_o1", 1, 9900)])]
    ingested = post_events.sync_detailed(client=platform, body=body_of(post_events, {"events": events}))
    assert ingested.status_code == 200, ingested.content
    assert {k: content(ingested)[k] for k in ("received", "applied", "rejected")} == {
        "received": 4, "applied": 4, "rejected": []}

    clock.set(T0 + H)
    file_case = operation(app, generated, "post", "/v1/aftersales/cases")
    case = {"order_id": "o1", "type": "refund_only", "reason": "other", "amount_fen": 9900}
    filed = file_case.sync_detailed(client=consumer, body=body_of(file_case, case), idempotency_key="gen-o1")
    assert filed.status_code == 201, filed.content
    first = content(filed)
    assert first["order_id"] == "o1" and first["case_id"]

    retried = file_case.sync_detailed(client=consumer, body=body_of(file_case, case), idempotency_key="gen-o1")
    assert (retried.status_code, content(retried)["case_id"]) == (201, first["case_id"])  # a replay, not a new case

    get_case = operation(app, generated, "get", "/v1/aftersales/cases/{case_id}")
    fetched = get_case.sync_detailed(client=consumer, case_id=first["case_id"])
    assert fetched.status_code == 200, fetched.content
    read = content(fetched)
    assert (read["case_id"], read["order_id"], read["state"]) == (first["case_id"], "o1", first["state"])
